/**
 * Runs the in-editor suite (test/e2e/suite/index.js) in desktop VS Code through
 * `@vscode/test-electron`, for machines that can download VS Code. On this project's CI machine
 * (no internet but the npm registry) the same suite runs inside code-server instead:
 * test/e2e/exthost.test.mjs.
 *
 *   npm run build
 *   npm install --no-save @vscode/test-electron
 *   node test/e2e/runTestElectron.mjs            # xvfb-run -a node … on a Linux box without a display
 *
 * Env: VSCODE_VERSION ('stable' by default, or e.g. '1.91.0', the oldest the manifest accepts).
 * Exits 0 when every check passes; the per-check results are printed and kept in
 * .cache/e2e/run/electron/results.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('@vscode/test-electron is not installed. It downloads VS Code, so it is not a dependency of the project;\n' +
    'install it for this run with `npm install --no-save @vscode/test-electron`, then run this again.\n' +
    'Without internet access, run the same suite in code-server: `bash test/e2e/setup.sh && npm run test:e2e`.');
  process.exit(2);
}

if (!fs.existsSync(path.join(repo, 'dist', 'extension.js'))) {
  console.error('dist/extension.js is missing: run `npm run build` first.');
  process.exit(2);
}

const runDirectory = path.join(repo, '.cache', 'e2e', 'run', 'electron');
fs.rmSync(runDirectory, { recursive: true, force: true });
fs.mkdirSync(runDirectory, { recursive: true });
// The suite edits documents and the extension stores its graph in the workspace: use a copy.
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-e2e-'));
fs.cpSync(path.join(repo, 'test', 'fixtures', 'e2e-project'), workspace, { recursive: true });
const resultFile = path.join(runDirectory, 'results.json');
// A short path: VS Code puts its IPC socket in the user-data dir, and socket paths are limited.
const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'es-ud-'));

let exitCode = 0;
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: repo,
    extensionTestsPath: path.join(repo, 'test', 'e2e', 'suite', 'index.js'),
    extensionTestsEnv: { ELIXIRSCOPE_E2E_RESULT: resultFile },
    launchArgs: [
      workspace,
      '--disable-extensions', // other installed extensions (ElixirLS among them) stay out
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      `--user-data-dir=${userData}`,
    ],
  });
} catch (error) {
  console.error(`the in-editor suite failed: ${error?.message ?? error}`);
  exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.rmSync(userData, { recursive: true, force: true });
}

if (fs.existsSync(resultFile)) {
  const { results } = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  for (const result of results) console.log(`${result.ok ? 'PASS' : 'FAIL'} ${result.name}${result.ok ? '' : `\n  ${result.error}`}`);
  const passed = results.filter((result) => result.ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  if (passed !== results.length) exitCode = 1;
} else {
  console.error(`no results in ${resultFile}: the suite did not run`);
  exitCode = 1;
}
process.exit(exitCode);
