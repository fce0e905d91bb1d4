// The main job on the bundled example project (examples/bank), as `npm run demo` runs it after
// the build: the static side (the code property graph and a few queries, scripts/example.mjs),
// the editor's side (the language server answering an editor's requests, scripts/editorDemo.mjs),
// then the recorder — the example's own test suite run under `elixirscope record`, and what the
// trace holds. Every step is the real CLI, so this is also what a user would type.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runCliQuietly, runCliStep } from './cliStep.mjs';

const repository = process.cwd();
const project = path.join(repository, 'examples', 'bank');
const trace = path.join(repository, '.cache', 'example', 'bank-test.estrace');

function step(title, args, options = {}) {
  const { status, stdout } = runCliStep(title, args, options);
  if (status !== 0) throw new Error(`elixirscope ${args[0]} exited with ${status}`);
  return stdout;
}

const staticSide = spawnSync(process.execPath, [path.join(repository, 'scripts', 'example.mjs')], { stdio: 'inherit' });
if (staticSide.status !== 0) process.exit(staticSide.status ?? 1);
const editorSide = spawnSync(process.execPath, [path.join(repository, 'scripts', 'editorDemo.mjs')], { stdio: 'inherit' });
if (editorSide.status !== 0) process.exit(editorSide.status ?? 1);

fs.mkdirSync(path.dirname(trace), { recursive: true });
try {
  step('record the example\'s test suite', ['record', '--mode', 'debug', '--out', trace, '--', 'mix', 'test'], { cwd: project });
  step('what the recording holds', ['trace', 'summary', trace]);
  const calls = JSON.parse(step('every recorded transfer', ['trace', 'query', trace, '{"calls": "Bank.Transfer.run/3"}']));
  if (calls.length === 0) throw new Error('the recording holds no call of Bank.Transfer.run/3');
  step('the state history of the account process that served the first transfer\'s withdrawal', [
    'trace', 'query', trace, JSON.stringify({ state_history: firstAccountPid(trace) }),
  ]);
} catch (error) {
  process.stderr.write(`demo failed: ${error.message}\n`);
  process.exit(1);
}
process.stdout.write(`\nThe trace is ${path.relative(repository, trace)}; query it with \`node dist/cli.js trace query FILE QUERY\`.\n`);

function firstAccountPid(file) {
  const result = runCliQuietly(['trace', 'query', file, '{"calls": "Bank.Account.handle_call/3"}']);
  const calls = JSON.parse(result.stdout);
  if (calls.length === 0) throw new Error('the recording holds no call of Bank.Account.handle_call/3');
  return calls[0].pid;
}
