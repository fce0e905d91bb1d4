/**
 * Semantic equivalence of instrumented code on real code: `runtime/test/semantic_equivalence.exs`
 * recompiles modules of Elixir 1.14's standard library from the corpus with every def/defp clause
 * and every variable binding recorded (debug mode), then runs their own ExUnit files, doctests
 * included, unchanged. Every test must pass, every planned node must be found, each module must
 * have recorded a non-trivial number of calls, and every recorded call must have ended (returned,
 * tail-called or raised). A second run in full mode also records every pipe stage.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { elixirCorpusRoot, repoRoot } from './support/corpus';

interface EquivalenceRow {
  readonly module: string;
  readonly tests: number;
  readonly failures: number;
  readonly calls: number;
  readonly binds: number;
  readonly values: number;
  readonly returns: number;
  readonly raises: number;
  readonly compileUs: number;
  readonly status: string;
}

/** The library files the script checks (its default list); at least five are required. */
const EXPECTED_FILES = ['option_parser', 'uri', 'version', 'keyword', 'path', 'base', 'regex'];

/** Files with pipes enough to check full mode's `value` wrapping. */
const FULL_MODE_FILES = ['option_parser', 'uri', 'path', 'base'];

test('standard library modules pass their own tests when instrumented', { timeout: 180_000 }, (t) => {
  const { rows, run, output } = runEquivalence(t, []);
  assert.deepEqual(rows.map((row) => row.module), EXPECTED_FILES, output);
  checkRows(rows, run.status, output);
});

test('they still pass with every pipe stage recorded (full mode)', { timeout: 180_000 }, (t) => {
  const { rows, run, output } = runEquivalence(t, ['--mode', 'full', '--modules', FULL_MODE_FILES.join(',')]);
  assert.deepEqual(rows.map((row) => row.module), FULL_MODE_FILES, output);
  checkRows(rows, run.status, output);
  for (const row of rows) assert.ok(row.values >= 50, `${row.module}: only ${row.values} pipe values recorded`);
});

function runEquivalence(t: test.TestContext, extraArguments: readonly string[]) {
  const root = repoRoot();
  const script = path.join(root, 'runtime', 'test', 'semantic_equivalence.exs');
  const run = spawnSync('elixir', [script, '--corpus', elixirCorpusRoot(), ...extraArguments], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  const rows = parseRows(run.stdout);
  for (const row of rows) {
    t.diagnostic(
      `${row.module}: ${row.tests} tests, ${row.failures} failures, ${row.calls} calls, ${row.binds} bindings, ` +
        `${row.values} values, ${row.returns} returns, ${row.raises} raises, compiled in ${(row.compileUs / 1000).toFixed(0)} ms`,
    );
  }
  const errors = run.stdout.split('\n').filter((line) => line.startsWith('EQUIVALENCE-ERROR'));
  assert.deepEqual(errors, [], output);
  return { rows, run, output };
}

function checkRows(rows: readonly EquivalenceRow[], status: number | null, output: string): void {
  for (const row of rows) {
    assert.ok(row.tests > 0, `${row.module}: no tests ran`);
    assert.equal(row.failures, 0, `${row.module}: ${row.failures} failures\n${output}`);
    assert.ok(row.calls >= 1000, `${row.module}: only ${row.calls} calls recorded`);
    assert.ok(row.binds >= 1000, `${row.module}: only ${row.binds} bindings recorded`);
    assert.equal(row.returns + row.raises, row.calls, `${row.module}: calls that never ended`);
    assert.ok(row.status.split(',').every((entry) => entry.endsWith(':instrumented')), `${row.module}: ${row.status}`);
  }
  assert.equal(status, 0, output);
}

function parseRows(stdout: string): EquivalenceRow[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('EQUIVALENCE '))
    .map((line) => {
      const fields = new Map(line.slice('EQUIVALENCE '.length).split(' ').map((pair) => pair.split('=', 2) as [string, string]));
      const number = (key: string) => Number(fields.get(key));
      return {
        module: fields.get('module') ?? '',
        tests: number('tests'),
        failures: number('failures'),
        calls: number('calls'),
        binds: number('binds'),
        values: number('values'),
        returns: number('returns'),
        raises: number('raises'),
        compileUs: number('compile_us'),
        status: fields.get('status') ?? '',
      };
    });
}
