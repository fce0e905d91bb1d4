// The editor's side of `npm run demo`, headless: the language server (dist/server.js) started over
// stdio on the example project exactly as VS Code starts it, then asked what an editor asks when
// the user opens lib/bank/transfer.ex and points at `Account.withdraw(…)`. Exits non-zero when an
// answer is missing, so the demo fails loudly rather than printing nothing.
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../out/test/support/lspClient.js';

const repository = process.cwd();
const project = path.join(repository, 'examples', 'bank');
const file = 'lib/bank/transfer.ex';

function show(title, body) {
  process.stdout.write(`\n## ${title}\n${body}\n`);
}

function require(value, what) {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) throw new Error(`the language server gave no ${what}`);
  return value;
}

const relative = (uri) => path.relative(project, new URL(uri).pathname);
const server = await startServer(project, { initializationOptions: { databasePath: null } });
try {
  const status = await server.waitForStatus((entry) => entry.state === 'ready' || entry.state === 'failed');
  show('the language server indexes examples/bank (as the status bar shows it)', `${status.state}: ${status.message}`);
  if (status.state !== 'ready') throw new Error(status.message);

  const text = fs.readFileSync(path.join(project, file), 'utf8');
  server.open(file, text);
  const uri = server.uri(file);
  const lines = text.split('\n');
  const line = lines.findIndex((entry) => entry.includes('Account.withdraw('));
  const position = { line, character: lines[line].indexOf('withdraw') + 2 };
  const at = { textDocument: { uri }, position };
  const connection = server.connection;

  const symbols = require(await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }), 'outline');
  const outline = symbols.flatMap((module) => [module.name, ...module.children.map((child) => `  ${child.name}  ${child.detail ?? ''}`)]);
  show(`outline of ${file}`, outline.join('\n'));

  const hover = require(await connection.sendRequest('textDocument/hover', at), 'hover');
  show(`hover on \`withdraw\` at ${file}:${line + 1}`, hover.contents.value);

  const definitions = require(await connection.sendRequest('textDocument/definition', at), 'definition');
  show('go to definition', definitions.map((location) => `${relative(location.uri)}:${location.range.start.line + 1}`).join('\n'));

  const references = require(await connection.sendRequest('textDocument/references', { ...at, context: { includeDeclaration: false } }), 'references');
  show('find references', references.map((location) => `${relative(location.uri)}:${location.range.start.line + 1}`).join('\n'));

  const lenses = require(await connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }), 'code lenses');
  show('code lenses', lenses.map((lens) => `line ${lens.range.start.line + 1}: ${lens.command.title}`).join('\n'));

  // Typing a binding nobody reads: the diagnostic Elixir's compiler would give, as you type.
  const head = lines.findIndex((entry) => entry.includes('def run(from, to, cents)'));
  const edited = [...lines.slice(0, head + 1), '    doubled = cents * 2', ...lines.slice(head + 1)].join('\n');
  await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
  const diagnostics = await server.waitForDiagnostics(uri, (_found, version) => version === 2);
  show(
    `diagnostics after typing \`doubled = cents * 2\` at the top of run/3`,
    require(diagnostics, 'diagnostic').map((found) => `${file}:${found.range.start.line + 1}: ${found.code}: ${found.message}`).join('\n'),
  );
} catch (error) {
  process.stderr.write(`editor demo failed: ${error.message}\n${server.stderr.join('')}`);
  process.exitCode = 1;
} finally {
  await server.stop();
}
