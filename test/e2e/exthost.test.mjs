/**
 * Phase extension host: ElixirScope loaded from the repo folder (extensionDevelopmentPath, after
 * `npm run build`) into code-server's real Node extension host, with the in-editor suite
 * `test/e2e/suite/index.js` as extensionTestsPath: the contract of `@vscode/test-electron`.
 *
 * Built VS Code honours those two URL parameters only with the smoke-test driver on, so
 * code-server starts with `--vscode-option enable-smoke-test-driver`. When the suite's run()
 * settles the extension host exits and code-server logs its exit code; the suite also writes one
 * record per check to a JSON file, and each record becomes a node:test test here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  REPO, SHOTS, SUITE, checkSetup, copyFixture, extensionLogs, failureReport, launchBrowser, log,
  prepareInstance, sleep, startCodeServer, stopCodeServer,
} from './harness.mjs';

const SUITE_TIMEOUT_MS = 180_000;
const consoleLines = [];
const instanceDirectory = prepareInstance('exthost');
const resultFile = path.join(instanceDirectory, 'results.json');
const screenshot = path.join(SHOTS, 'exthost.png');

/** Starts code-server and the workbench, waits for the suite to finish; never throws. */
async function runSuite() {
  let server = null;
  let browser = null;
  let page = null;
  const outcome = { exitCode: null, error: null, codeServerLog: null, screenshot: null };
  try {
    checkSetup();
    assert.ok(fs.existsSync(path.join(REPO, 'dist', 'extension.js')), 'dist/extension.js is missing: run `npm run build` first');
    const workspace = copyFixture(instanceDirectory);
    server = await startCodeServer(instanceDirectory, {
      workspace,
      extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
      env: { ELIXIRSCOPE_E2E_RESULT: resultFile },
    });
    outcome.codeServerLog = server.logFile;
    ({ page, context: browser } = await launchBrowser(instanceDirectory));
    // The extension host's console reaches the workbench's console in this mode.
    page.on('console', (message) => {
      // The extension host's console.log arrives styled: "%c INFO color: #33f <text>".
      const text = message.text().replace(/^%c\s*\w+\s*color:\s*#\w+\s*/, '');
      if (text.includes('[elixirscope e2e]') || message.type() === 'error') consoleLines.push(`[${message.type()}] ${text}`);
      if (text.includes('[elixirscope e2e]')) log(text.trim());
    });
    const authority = new URL(server.baseUrl).host;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${REPO}`],
      ['extensionTestsPath', `vscode-remote://${authority}${SUITE}`],
    ];
    const url = `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    log('goto', url);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

    const deadline = Date.now() + SUITE_TIMEOUT_MS;
    let lastProgress = '';
    while (Date.now() < deadline && outcome.exitCode === null) {
      const match = /Extension Host Process exited with code: (\d+)/.exec(fs.readFileSync(server.logFile, 'utf8'));
      if (match) outcome.exitCode = Number(match[1]);
      else {
        const progress = `${readReport()?.results.length ?? 0} checks done`;
        if (progress !== lastProgress) log(`suite: ${progress}`);
        lastProgress = progress;
        await sleep(250);
      }
    }
    if (outcome.exitCode === null) throw new Error(`the extension host did not exit within ${SUITE_TIMEOUT_MS / 1000} s`);
    log(`extension host exited with code ${outcome.exitCode}`);
    await page.screenshot({ path: screenshot });
    outcome.screenshot = screenshot;
  } catch (error) {
    outcome.error = error;
    const failShot = path.join(SHOTS, 'exthost-fail.png');
    if (page) outcome.screenshot = await page.screenshot({ path: failShot }).then(() => failShot, () => null);
    outcome.codeServerLog = server?.logFile ?? null;
  } finally {
    await browser?.close().catch(() => {});
    await stopCodeServer(server);
  }
  return outcome;
}

/** The suite's results so far; null while the file is missing or half-written. */
function readReport() {
  try {
    return JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch {
    return null;
  }
}

const outcome = await runSuite();
const report = readReport();
fs.writeFileSync(path.join(instanceDirectory, 'workbench-console.log'), consoleLines.join('\n'));
const context = { screenshot: outcome.screenshot, instanceDirectory, codeServerLog: outcome.codeServerLog };

test('the in-editor suite ran to the end in the extension host', () => {
  if (outcome.error) throw failureReport('exthost: start-up', outcome.error, context);
  if (!report?.finished) {
    throw failureReport('exthost: suite', new Error(`the suite did not finish (exit code ${outcome.exitCode}, ` +
      `results ${report ? JSON.stringify(report.results.map((result) => result.name)) : 'never written'})`), context);
  }
  log(`suite on VS Code ${report.vscode}, Node ${report.node}: ${report.results.length} checks in ${report.elapsedMs} ms`);
});

for (const result of report?.results ?? []) {
  test(`in editor: ${result.name}`, () => {
    if (!result.ok) throw failureReport(`exthost: ${result.name}`, new Error(result.error), context);
  });
}

test('the extension host exited with code 0', () => {
  if (outcome.exitCode !== 0) {
    throw failureReport('exthost: exit code', new Error(`extension host exit code ${outcome.exitCode}`), context);
  }
  for (const file of extensionLogs(instanceDirectory).filter((name) => name.endsWith('exthost.log'))) {
    const failures = fs.readFileSync(file, 'utf8').split('\n').filter((line) => /Activating extension .*elixirscope.* failed/i.test(line));
    assert.deepEqual(failures, [], `${file} reports an activation failure`);
  }
});
