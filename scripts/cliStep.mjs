// One step of a scripted walk through the CLI (`npm run example`, `npm run demo`): prints a
// heading and the command as a user would type it, runs the bundled CLI, and echoes its output.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

/** Runs `elixirscope ARGS…`; returns its exit status and stdout. */
export function runCliStep(title, args, options = {}) {
  process.stdout.write(`\n## ${title}\n$ elixirscope ${args.map((arg) => (/[\s{"]/.test(arg) ? `'${arg}'` : arg)).join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: options.cwd ?? process.cwd() });
  process.stdout.write(result.stdout);
  process.stdout.write(result.stderr);
  return { status: result.status, stdout: result.stdout };
}

/** `elixirscope ARGS…` without printing anything; for looking up a value between steps. */
export function runCliQuietly(args) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}
