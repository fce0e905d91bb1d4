/**
 * Unit tests of the graph diagnostics. Each `test/fixtures/diagnostics/*.ex` marks what must be
 * reported with annotation lines under the code (`#   ^^^ unused-variable`): the carets cover the
 * range on the line above, the word is the code. `check(fixture)` compares the annotations with
 * `diagnose` exactly, so a missing and an extra diagnostic both fail. `test/diagnostics.test.ts`
 * holds the same fixtures to `elixirc`.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeSource } from '../cpg/fileAnalysis';
import { buildDataFlow } from '../cpg/dataFlow';
import { ClauseGraphCache, fileRows } from '../cpg/fileFacts';
import { ElixirParser } from '../syntax/parser';
import { repoRoot } from '../../test/support/corpus';
import { type GraphDiagnostic, SHADOWING_UNUSED_VARIABLE_MESSAGE, UNUSED_VARIABLE_MESSAGE, dataFlowFromCache, diagnose } from './diagnostics';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'diagnostics');
const ANNOTATION = /^(\s*#\s*)(\^+)\s+(\S+)\s*$/;

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

function diagnosticsOf(text: string, file = 'lib/test.ex'): GraphDiagnostic[] {
  const analysis = analyzeSource(parser, file, text);
  return diagnose(analysis, buildDataFlow);
}

/** `line:start-end code` for each annotation (0-based line of the code it sits under). */
function annotations(text: string): string[] {
  const expected: string[] = [];
  let codeLine = -1;
  text.split('\n').forEach((line, index) => {
    const match = ANNOTATION.exec(line);
    if (!match) {
      codeLine = index;
      return;
    }
    const start = match[1]!.length;
    expected.push(`${codeLine}:${start}-${start + match[2]!.length} ${match[3]}`);
  });
  return expected;
}

function rendered(diagnostics: readonly GraphDiagnostic[]): string[] {
  return diagnostics.map((diagnostic) => {
    const { start, end } = diagnostic.range;
    const shown = start.line === end.line ? `${start.line}:${start.character}-${end.character}` : `${start.line}:${start.character}-${end.line}:${end.character}`;
    return `${shown} ${diagnostic.code}`;
  });
}

function check(fixture: string): GraphDiagnostic[] {
  const text = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8');
  const diagnostics = diagnosticsOf(text, `test/fixtures/diagnostics/${fixture}`);
  assert.deepEqual(rendered(diagnostics), annotations(text));
  return diagnostics;
}

const fixtures = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.ex')).sort();

test('the fixtures exist and carry annotations', () => {
  assert.ok(fixtures.length >= 2);
  for (const fixture of fixtures) assert.ok(annotations(fs.readFileSync(path.join(FIXTURES, fixture), 'utf8')).length > 0, fixture);
});

for (const fixture of fixtures) {
  test(`diagnostics of ${fixture} are exactly its annotations`, () => {
    check(fixture);
  });
}

test('unused variables carry Elixir’s message, the unnecessary tag and a warning severity', () => {
  const [plain, shadowing] = diagnosticsOf(`defmodule M do
  def f(x, y) do
    case y do
      y -> :ok
    end
  end
end
`);
  assert.equal(plain?.message, UNUSED_VARIABLE_MESSAGE('x'));
  assert.equal(plain?.message, 'variable "x" is unused (if the variable is not meant to be used, prefix it with an underscore)');
  assert.deepEqual(plain?.tags, ['unnecessary']);
  assert.equal(plain?.severity, 'warning');
  assert.equal(shadowing?.message, SHADOWING_UNUSED_VARIABLE_MESSAGE('y'));
  assert.deepEqual(shadowing?.range, { start: { line: 3, character: 6 }, end: { line: 3, character: 7 } });
});

test('an unreachable clause names its function, the always-matching clause, and relates it', () => {
  const diagnostics = diagnosticsOf(`defmodule M do
  def f(x), do: x

  def f(:a), do: :a
end
`);
  assert.equal(diagnostics.length, 1);
  const [diagnostic] = diagnostics;
  assert.equal(diagnostic!.message, 'this clause for f/1 cannot match because a previous clause at line 2 always matches');
  assert.deepEqual(diagnostic!.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 11 } });
  assert.deepEqual(diagnostic!.related, [
    { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 10 } }, message: 'this clause always matches' },
  ]);
});

test('ranges are LSP positions: UTF-16 characters on 0-based lines', () => {
  const [diagnostic] = diagnosticsOf(`defmodule M do
  def f(y) do
    "🎉 #{y}"; émoji = 1
    :ok
  end
end
`);
  // `🎉` is two UTF-16 units, so `émoji` starts at character 15, not 14 code points in.
  assert.deepEqual(diagnostic?.range, { start: { line: 2, character: 15 }, end: { line: 2, character: 20 } });
});

test('clauses the graph cannot judge are left alone', () => {
  const quiet = [
    // `unquote` outside `quote`: a definition generated at compile time.
    `defmodule M do
  for name <- [:a] do
    def unquote(name)(x), do: unquote(name)
  end
end`,
    // `binding()` reads every variable in scope.
    `defmodule M do
  def f(x), do: binding()
end`,
    // A pattern handed to a call that may be a macro (ExUnit's `assert`).
    `defmodule M do
  def f(v), do: assert({:ok, x} = v)
end`,
    // A syntax error in the clause.
    `defmodule M do
  def f(x) do
    y = (
  end
end`,
    // Bodiless heads, `defdelegate` and `defguard` parameters are not variables of a body.
    `defmodule M do
  def f(x, y \\\\ 1)
  def f(x, y), do: {x, y}
  defdelegate g(x), to: Enum, as: :count
  defguard is_small(x) when x < 10
end`,
    // Clauses of one function under a module-level \`if\`: only one branch is compiled.
    `defmodule M do
  if Code.ensure_loaded?(Foo) do
    def f(x), do: x
  else
    def f(y), do: {y}
  end
end`,
  ];
  for (const source of quiet) assert.deepEqual(rendered(diagnosticsOf(source)), [], source);
});

test('the editor’s graph cache gives the same diagnostics as building the graphs', () => {
  const text = fs.readFileSync(path.join(FIXTURES, 'scoping.ex'), 'utf8');
  const analysis = analyzeSource(parser, 'lib/scoping.ex', text);
  const cache = new ClauseGraphCache();
  fileRows(analysis, cache);
  assert.deepEqual(diagnose(analysis, dataFlowFromCache(cache, text)), diagnose(analysis, buildDataFlow));
});

test('negative control: removing the only read of a variable makes it unused', () => {
  const used = `defmodule M do
  def f(list, factor) do
    Enum.map(list, fn item -> item * factor end)
  end
end
`;
  assert.deepEqual(rendered(diagnosticsOf(used)), []);
  assert.deepEqual(rendered(diagnosticsOf(used.replace('item * factor', 'item * 2'))), ['1:14-20 unused-variable']);
});
