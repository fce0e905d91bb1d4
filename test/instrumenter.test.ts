/**
 * The recorder's instrumenter (`runtime/lib/elixir_scope/instrumenter.ex`) on small modules: runs
 * its ExUnit suite (`runtime/test/instrumenter_test.exs`) with the installed `elixir`. The suite
 * compiles each module plainly, instruments it from its file and checks that results, exceptions
 * and stack traces are unchanged, the recorded events are the expected ones, tail recursion runs
 * in constant stack, and stale, broken or partial plans are reported without raising.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './support/corpus';

test('the instrumenter ExUnit suite passes', { timeout: 120_000 }, (t) => {
  const root = repoRoot();
  const run = spawnSync('elixir', [path.join(root, 'runtime', 'test', 'instrumenter_test.exs')], {
    cwd: root,
    encoding: 'utf8',
  });
  const output = `${run.stdout}\n${run.stderr}`;
  const summary = /(\d+) tests?, (\d+) failures?/.exec(output);
  t.diagnostic(summary?.[0] ?? 'no ExUnit summary');
  assert.ok(summary, `no ExUnit summary in the output:\n${output}`);
  assert.equal(Number(summary[2]), 0, output);
  assert.ok(Number(summary[1]) >= 15, `only ${summary[1]} tests ran`);
  assert.equal(run.status, 0, output);
});
