/**
 * Runs the Elixir agent's own ExUnit tests (`runtime/test/*_test.exs`: value bounding, the JSON
 * decoder, frame encoding, the reporter and tracer against a fake recorder, boot.exs and the Mix
 * task in child VMs) with the installed `elixir`, so `npm test` covers the agent too. The
 * instrumenter's tests (`runtime/test/instrumenter*`) have a runner of their own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './support/corpus';

const root = repoRoot();
const testDirectory = path.join(root, 'runtime', 'test');

function agentTestFiles(): string[] {
  return fs
    .readdirSync(testDirectory)
    .filter((name) => name.endsWith('_test.exs') && !name.startsWith('instrumenter'))
    .sort()
    .map((name) => path.join(testDirectory, name));
}

test('the agent\'s ExUnit suite passes under the installed elixir', { timeout: 90_000 }, () => {
  const files = agentTestFiles();
  assert.ok(files.length >= 5, `expected the agent's test files in ${testDirectory}, found ${files.length}`);

  // A recording around this test run must not reach into the agent under test.
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['ELIXIRSCOPE_PORT', 'ELIXIRSCOPE_TOKEN', 'ELIXIRSCOPE_MANIFEST', 'ELIXIRSCOPE_CACHE']) delete environment[name];

  const result = spawnSync('elixir', [path.join(testDirectory, 'run.exs'), ...files], {
    cwd: root,
    encoding: 'utf8',
    env: environment,
    timeout: 80_000,
  });
  assert.equal(result.error, undefined, `could not run elixir: ${result.error?.message}`);
  const output = `${result.stdout}\n${result.stderr}`;
  const summary = /(\d+) tests?, (\d+) failures?/.exec(result.stdout);
  assert.ok(summary, `no ExUnit summary in the output:\n${output}`);
  assert.ok(Number(summary[1]) > 0, `ExUnit ran no tests:\n${output}`);
  assert.equal(Number(summary[2]), 0, `ExUnit reported failures:\n${output}`);
  assert.equal(result.status, 0, `elixir exited with ${result.status}:\n${output}`);
});
