/**
 * Golden tests of the control-flow graphs of `test/fixtures/cfg/*.ex`, one fixture per construct
 * family: every clause rendered by `renderControlFlow`, compared with `<fixture>.cfg.txt` (written
 * when missing, rewritten with `UPDATE_GOLDEN=1`). Each function in a fixture is preceded by a
 * `# complexity N: why` comment giving the textbook count (1 + decision points); the test checks
 * the graph's E − N + 2 agrees with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { buildControlFlow, renderControlFlow } from '../server/cpg/controlFlow';
import { ElixirParser } from '../server/syntax/parser';
import { repoRoot } from './support/corpus';
import { checkGolden } from './support/golden';

const FIXTURE_DIRECTORY = path.join(repoRoot(), 'test', 'fixtures', 'cfg');
const COMPLEXITY_COMMENT = /^\s*# complexity (\d+):/;

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

const fixtures = fs.readdirSync(FIXTURE_DIRECTORY).filter((name) => name.endsWith('.ex')).sort();

test('every construct family has a fixture', () => {
  assert.deepEqual(fixtures, ['branches.ex', 'closures.ex', 'comprehensions.ex', 'pipes.ex', 'receive.ex', 'try.ex', 'with.ex']);
});

for (const fixture of fixtures) {
  test(`control flow of ${fixture}`, () => {
    const text = fs.readFileSync(path.join(FIXTURE_DIRECTORY, fixture), 'utf8');
    const analysis = analyzeSource(parser, `test/fixtures/cfg/${fixture}`, text);
    assert.deepEqual(analysis.parse.errors, [], `${fixture} does not parse cleanly`);
    const expectedComplexity = complexityComments(text);
    const rendered: string[] = [];
    const complexities = new Map<number, number>();
    for (const clause of analysis.definitions.functions) {
      const graph = buildControlFlow(clause);
      rendered.push(renderControlFlow(clause.id, graph));
      complexities.set(clause.line, graph.complexity);
    }
    // Every clause is annotated, and the annotation is what the graph says.
    assert.deepEqual(complexities, expectedComplexity);
    checkGolden(path.join(FIXTURE_DIRECTORY, fixture.replace(/\.ex$/, '.cfg.txt')), rendered.join('\n'));
  });
}

/** `# complexity N:` comments, keyed by the line of the definition right below them. */
function complexityComments(text: string): Map<number, number> {
  const expected = new Map<number, number>();
  text.split('\n').forEach((line, index) => {
    const match = COMPLEXITY_COMMENT.exec(line);
    // Lines are 1-based, and the definition is on the next line.
    if (match) expected.set(index + 2, Number(match[1]));
  });
  return expected;
}
