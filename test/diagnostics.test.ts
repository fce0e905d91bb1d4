/**
 * The graph diagnostics (`server/ide/diagnostics.ts`) against Elixir's compiler, the oracle:
 * (a) every fixture of `test/fixtures/diagnostics/` is compiled with the real `elixirc`, and the
 *     `unused-variable` and `unreachable-clause` diagnostics must be exactly the compiler's
 *     warnings of those two kinds, file by file and line by line;
 * (b) Elixir's own `lib/**​/*.ex` compile without warnings, so on all of them nothing may be
 *     reported (the exceptions are listed below, each with its reason);
 * (c) on the corpus `.exs` scripts only explained diagnostics appear, and on a sample of 40 test
 *     scripts that the compiler compiles, its warnings of the two kinds equal ours;
 * (d) the time `diagnose` takes on `enum.ex`, the largest module, is printed (measured, not asserted).
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDataFlow } from '../server/cpg/dataFlow';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { ClauseGraphCache, fileRows } from '../server/cpg/fileFacts';
import { dataFlowFromCache, diagnose } from '../server/ide/diagnostics';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot, repoRoot } from './support/corpus';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'diagnostics');

/** Compiler warnings of the two kinds, by their first line. */
const COMPILER_WARNINGS: readonly { code: string; pattern: RegExp }[] = [
  { code: 'unused-variable', pattern: /^warning: variable "[^"]+" is unused \(/ },
  { code: 'unreachable-clause', pattern: /^warning: this clause for \S+ cannot match because a previous clause at line \d+ always matches/ },
];

/**
 * Files of Elixir's `lib/` where we report something although the compiler does not. Empty:
 * add an entry only with the reason the compiler stays quiet, never to hide a wrong rule.
 */
const EXPLAINED_CORPUS_DIAGNOSTICS: readonly { file: string; diagnostics: readonly string[]; cause: string }[] = [];

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

function elixirAvailable(): boolean {
  return spawnSync('elixirc', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** `file:line code` for each warning of the two kinds `elixirc` prints while compiling `files`. */
function compilerWarnings(files: readonly string[]): string[] {
  const output = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-diagnostics-'));
  try {
    const result = spawnSync('elixirc', ['--ignore-module-conflict', '-o', output, ...files], { encoding: 'utf8' });
    assert.equal(result.status, 0, `elixirc failed on the fixtures:\n${result.stderr}`);
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    const found: string[] = [];
    lines.forEach((line, index) => {
      const kind = COMPILER_WARNINGS.find(({ pattern }) => pattern.test(line));
      if (!kind) return;
      // The location follows on the next line: `  path/file.ex:12: Mod.fun/1` or `  path/file.ex:12`.
      const location = /^\s+(.+?):(\d+)(?::|$)/.exec(lines[index + 1] ?? '');
      assert.ok(location, `no location after ${line}`);
      found.push(`${path.basename(location[1]!)}:${location[2]} ${kind.code}`);
    });
    return [...new Set(found)].sort();
  } finally {
    fs.rmSync(output, { recursive: true, force: true });
  }
}

function ourDiagnostics(file: string, text: string): string[] {
  const analysis = analyzeSource(parser, file, text);
  return diagnose(analysis, buildDataFlow).map((diagnostic) => `${path.basename(file)}:${diagnostic.range.start.line + 1} ${diagnostic.code}`);
}

test('on the fixtures, the diagnostics are exactly elixirc’s warnings of the same kinds', { skip: !elixirAvailable() && 'elixirc is not installed' }, () => {
  const fixtures = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.ex')).sort().map((name) => path.join(FIXTURES, name));
  const expected = compilerWarnings(fixtures);
  const actual = [...new Set(fixtures.flatMap((file) => ourDiagnostics(file, fs.readFileSync(file, 'utf8'))))].sort();
  // Rich enough to mean something: many warnings of both kinds, and many quiet functions around them.
  assert.ok(expected.filter((entry) => entry.endsWith('unused-variable')).length >= 25, `too few unused-variable cases: ${expected.length}`);
  assert.ok(expected.filter((entry) => entry.endsWith('unreachable-clause')).length >= 8, 'too few unreachable-clause cases');
  assert.deepEqual(actual, expected);
});

test('negative control: deleting a read in a fixture makes both the compiler and us warn there', { skip: !elixirAvailable() && 'elixirc is not installed' }, () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-control-'));
  try {
    const original = fs.readFileSync(path.join(FIXTURES, 'scoping.ex'), 'utf8');
    const edited = original.replace('Enum.map(list, fn item -> item * factor end)', 'Enum.map(list, fn item -> item * 2 end)');
    assert.notEqual(edited, original);
    const file = path.join(directory, 'scoping.ex');
    fs.writeFileSync(file, edited);
    const expected = compilerWarnings([file]);
    const actual = [...new Set(ourDiagnostics(file, edited))].sort();
    assert.deepEqual(actual, expected);
    const line = edited.split('\n').findIndex((text) => text.includes('def fn_captures(list, factor)')) + 1;
    assert.ok(actual.includes(`scoping.ex:${line} unused-variable`), `no warning for factor at line ${line}`);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('Elixir’s own lib/**/*.ex compile without warnings, and we report nothing there', () => {
  const root = elixirCorpusRoot();
  const files = corpusFiles(root, ['.ex']).filter((file) => file.startsWith('lib/') && file.includes('/lib/'));
  assert.ok(files.length > 200, `only ${files.length} lib files`);
  const reported: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const analysis = analyzeSource(parser, file, text);
    const explained = EXPLAINED_CORPUS_DIAGNOSTICS.find((entry) => entry.file === file);
    for (const diagnostic of diagnose(analysis, buildDataFlow)) {
      const shown = `${file}:${diagnostic.range.start.line + 1} ${diagnostic.code} ${diagnostic.message}`;
      if (!explained?.diagnostics.includes(shown)) reported.push(shown);
    }
  }
  assert.deepEqual(reported, []);
});

/**
 * Diagnostics on Elixir's own test scripts that the compiler does not give, each explained. Test
 * files hold code meant not to compile, inside `assert_raise` (it is compiled only when the test
 * runs, and then fails), which the graph cannot tell from code that does.
 */
const EXPLAINED_EXS_DIAGNOSTICS: readonly { diagnostic: string; cause: string }[] = [
  {
    diagnostic: 'lib/elixir/test/elixir/kernel_test.exs:631 unused-variable',
    cause: '`def map_dot(map) when Module.fun()` in a module that `assert_raise CompileError` expects not to compile',
  },
];

test('on every corpus .exs file, only the explained diagnostics appear', () => {
  const root = elixirCorpusRoot();
  const reported: string[] = [];
  for (const file of corpusFiles(root, ['.exs'])) {
    const analysis = analyzeSource(parser, file, fs.readFileSync(path.join(root, file), 'utf8'));
    for (const diagnostic of diagnose(analysis, buildDataFlow)) reported.push(`${file}:${diagnostic.range.start.line + 1} ${diagnostic.code}`);
  }
  assert.deepEqual(reported, EXPLAINED_EXS_DIAGNOSTICS.map((entry) => entry.diagnostic));
});

/**
 * 40 of Elixir's own test scripts compiled by the real compiler (with ExUnit started, so their
 * modules compile; the tests do not run). On those that compile, the compiler's warnings of the
 * two kinds must be ours, minus the explained ones (code compiled only when a test runs).
 */
const COMPILE_SCRIPT = `ExUnit.start(autorun: false)
for file <- System.argv() do
  try do
    Code.compile_file(file)
    IO.puts(:stderr, "elixirscope-compiled " <> file)
  rescue
    _ -> IO.puts(:stderr, "elixirscope-failed " <> file)
  end
end
`;

test('a sample of corpus test scripts: the compiler’s warnings equal our diagnostics', { skip: !elixirAvailable() && 'elixir is not installed' }, () => {
  const root = elixirCorpusRoot();
  const scripts = corpusFiles(root, ['.exs']).filter((file) => file.startsWith('lib/elixir/test/elixir/') && file.endsWith('_test.exs'));
  const sample = scripts.filter((_, index) => index % Math.max(1, Math.floor(scripts.length / 40)) === 0).slice(0, 40);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-exs-'));
  try {
    const script = path.join(directory, 'compile.exs');
    fs.writeFileSync(script, COMPILE_SCRIPT);
    const result = spawnSync('elixir', [script, ...sample], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    const compiled = new Set(lines.filter((line) => line.startsWith('elixirscope-compiled ')).map((line) => line.slice('elixirscope-compiled '.length)));
    assert.ok(compiled.size >= 20, `only ${compiled.size} of ${sample.length} scripts compiled:\n${result.stderr.slice(-2000)}`);
    const expected = new Set<string>();
    lines.forEach((line, index) => {
      const kind = COMPILER_WARNINGS.find(({ pattern }) => pattern.test(line));
      const location = kind && /^\s+(.+?):(\d+)(?::|$)/.exec(lines[index + 1] ?? '');
      if (kind && location && compiled.has(location[1]!)) expected.add(`${location[1]}:${location[2]} ${kind.code}`);
    });
    const explained = new Set(EXPLAINED_EXS_DIAGNOSTICS.map((entry) => entry.diagnostic));
    const actual = new Set<string>();
    for (const file of compiled) {
      const analysis = analyzeSource(parser, file, fs.readFileSync(path.join(root, file), 'utf8'));
      for (const diagnostic of diagnose(analysis, buildDataFlow)) {
        const shown = `${file}:${diagnostic.range.start.line + 1} ${diagnostic.code}`;
        if (!explained.has(shown)) actual.add(shown);
      }
    }
    assert.deepEqual([...actual].sort(), [...expected].sort());
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('diagnose on enum.ex, the largest module, with the editor’s graph cache (timing printed)', (context) => {
  const root = elixirCorpusRoot();
  const file = 'lib/elixir/lib/enum.ex';
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const analysis = analyzeSource(parser, file, text);
  const cache = new ClauseGraphCache();
  // What `WorkspaceGraph.updateDocument` does for an open document: the cache is warm afterwards.
  fileRows(analysis, cache);
  const dataFlowOf = dataFlowFromCache(cache, text);
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    assert.deepEqual(diagnose(analysis, dataFlowOf), []);
    runs.push(performance.now() - started);
  }
  const coldStarted = performance.now();
  diagnose(analysis, buildDataFlow);
  const cold = performance.now() - coldStarted;
  runs.sort((a, b) => a - b);
  context.diagnostic(
    `diagnose(${file}, ${text.split('\n').length} lines, ${analysis.definitions.functions.length} clauses): ` +
      `median ${runs[2]!.toFixed(1)} ms from the cache, ${cold.toFixed(1)} ms building every data-flow graph`,
  );
});
