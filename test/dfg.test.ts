/**
 * Golden tests of the data-flow layer: each `test/fixtures/dfg/*.ex` is analysed and every clause's
 * graph rendered (`renderDataFlow`, with node labels) into `*.dfg.txt` beside it. A missing
 * expectation is written; `UPDATE_GOLDEN=1` rewrites them; read a rewritten file before keeping it.
 */
import test, { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { buildDataFlow, dataFlowNodeDescriber, renderDataFlow } from '../server/cpg/dataFlow';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { ElixirParser } from '../server/syntax/parser';
import { repoRoot } from './support/corpus';
import { checkGolden } from './support/golden';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'dfg');

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

for (const fixture of fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.ex')).sort()) {
  test(`data flow of ${fixture}`, () => {
    const text = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8');
    const analysis = analyzeSource(parser, `test/fixtures/dfg/${fixture}`, text);
    const rendered = analysis.definitions.functions.map((clause) =>
      renderDataFlow(clause.id, buildDataFlow(clause), dataFlowNodeDescriber(clause)),
    );
    checkGolden(path.join(FIXTURES, fixture.replace(/\.ex$/, '.dfg.txt')), rendered.join('\n'));
  });
}
