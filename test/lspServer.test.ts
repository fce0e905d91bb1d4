/**
 * The language server driven over stdio by a real JSON-RPC client, the way VS Code drives it:
 * indexing with progress, the stored graph across restarts, the editor's text taking precedence
 * over the disk's, file-system events (one file, many at once, a folder), the custom requests,
 * and bad input that must not take the server down.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'node:test';
import initSqlJs from 'sql.js';
import type { IndexStatus } from '../common/lspProtocol';
import { repoRoot } from './support/corpus';
import { type ServerHandle, startServer } from './support/lspClient';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'cpg');

function copyFixture(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-lsp-'));
  fs.cpSync(FIXTURE, root, { recursive: true });
  return root;
}

const ready = (status: IndexStatus) => status.state === 'ready';

async function callers(server: ServerHandle, target: string): Promise<string[]> {
  const { result } = (await server.connection.sendRequest('elixirScope/query', { query: { callers: target } })) as { result: { caller: string }[] };
  return result.map((site) => site.caller).sort();
}

async function functionsIn(server: ServerHandle, module: string): Promise<string[]> {
  const { result } = (await server.connection.sendRequest('elixirScope/query', { query: { functions: { module } } })) as { result: { function: string }[] };
  return [...new Set(result.map((match) => match.function))].sort();
}

/** Sends file events and waits until the server has applied them (a query queues behind nothing, so poll). */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  let value = await read();
  while (!accept(value)) {
    if (Date.now() > deadline) assert.fail(`${what}: last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

test('indexes a workspace with progress, stores the graph, and restarts from it', async () => {
  const root = copyFixture();
  const first = await startServer(root, { initializationOptions: {} });
  try {
    const status = await first.waitForStatus(ready);
    assert.equal(status.files, 4);
    assert.match(status.message, /4 files, 4 analysed/);
    const kinds = first.progress.map((entry) => (entry as { value: { kind: string } }).value.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds.at(-1), 'end');
    assert.ok(first.statuses.some((entry) => entry.state === 'indexing'), 'an indexing status came before ready');
    assert.deepEqual(await callers(first, 'Shop.Cart.total/1'), ['Shop.Cart.receipt/1#1', 'Shop.Checkout.handle_call/3#1']);
    // Indexing stores no clause graph; this query builds those of cart.ex, which shutdown saves.
    await first.connection.sendRequest('elixirScope/query', { query: { cfg: 'Shop.Cart.total/1#1' } });
  } finally {
    await first.stop();
  }
  assert.equal(first.process.exitCode, 0, first.stderr.join(''));
  const stored = path.join(root, '.elixirscope', 'cpg.sqlite');
  assert.ok(fs.existsSync(stored), 'the graph is saved at shutdown');
  const sql = await initSqlJs();
  const database = new sql.Database(fs.readFileSync(stored));
  try {
    const graphs = database.exec('SELECT DISTINCT files.path FROM control_flow JOIN files ON files.id = control_flow.file_id')[0]?.values.flat();
    assert.deepEqual(graphs, ['lib/shop/cart.ex'], 'the clause graphs built for the query are saved, and only those');
  } finally {
    database.close();
  }
  assert.equal(fs.readFileSync(path.join(root, '.elixirscope', '.gitignore'), 'utf8'), '*\n');

  const second = await startServer(root, { initializationOptions: {} });
  try {
    const status = await second.waitForStatus(ready);
    assert.match(status.message, /4 files, 0 analysed/, 'nothing is analysed again after a restart');
    assert.deepEqual(await callers(second, 'Shop.Cart.total/1'), ['Shop.Cart.receipt/1#1', 'Shop.Checkout.handle_call/3#1']);
  } finally {
    await second.stop();
  }
});

test("keeps the graph on the editor's text while a document is open, and on the disk's after it closes", async () => {
  const root = copyFixture();
  const server = await startServer(root);
  try {
    await server.waitForStatus(ready);
    const file = 'lib/shop/checkout.ex';
    const uri = server.uri(file);
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    server.open(file, text);
    // An incremental edit: a new function that calls Pricing, typed before the last `end`.
    const lastEnd = text.lastIndexOf('end');
    const before = text.slice(0, lastEnd);
    const line = before.split('\n').length - 1;
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '  def quote_for(sku), do: Shop.Pricing.price_of(sku)\n\n' }],
    });
    assert.ok((await callers(server, 'Shop.Pricing.price_of/1')).includes('Shop.Checkout.quote_for/1#1'));

    // The disk changes behind the editor (a formatter, git): the open document still wins.
    fs.writeFileSync(path.join(root, file), text.replace('def pay(amount)', 'def pay_now(amount)'));
    await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok((await functionsIn(server, 'Shop.Checkout')).includes('Shop.Checkout.quote_for/1'));

    // Closed without saving: the disk's text is the truth again.
    await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    const functions = await until(() => functionsIn(server, 'Shop.Checkout'), (names) => names.includes('Shop.Checkout.pay_now/1'), 'disk text after close');
    assert.ok(!functions.includes('Shop.Checkout.quote_for/1'));
  } finally {
    await server.stop();
  }
});

test('follows files created, changed and deleted on disk, one at a time or a checkout at once', async () => {
  const root = copyFixture();
  const server = await startServer(root);
  try {
    await server.waitForStatus(ready);
    const created = 'lib/shop/extra.ex';
    fs.writeFileSync(path.join(root, created), 'defmodule Shop.Extra do\n  def total(cart), do: Shop.Cart.total(cart)\nend\n');
    await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: server.uri(created), type: 1 }] });
    await until(() => callers(server, 'Shop.Cart.total/1'), (sites) => sites.includes('Shop.Extra.total/1#1'), 'created file indexed');

    fs.rmSync(path.join(root, created));
    await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: server.uri(created), type: 3 }] });
    await until(() => callers(server, 'Shop.Cart.total/1'), (sites) => !sites.includes('Shop.Extra.total/1#1'), 'deleted file dropped');

    // A checkout: 40 files appear at once, each with its own event.
    const changes = [];
    fs.mkdirSync(path.join(root, 'lib', 'generated'));
    for (let index = 0; index < 40; index++) {
      const file = `lib/generated/g${index}.ex`;
      fs.writeFileSync(path.join(root, file), `defmodule Gen${index} do\n  def run(cart), do: Shop.Cart.total(cart)\nend\n`);
      changes.push({ uri: server.uri(file), type: 1 });
    }
    await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes });
    await until(() => callers(server, 'Shop.Cart.total/1'), (sites) => sites.length === 42, 'all 40 new files indexed');

    // The folder is deleted: the watcher reports the folder, not its files.
    fs.rmSync(path.join(root, 'lib', 'generated'), { recursive: true });
    await server.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: server.uri('lib/generated'), type: 3 }] });
    await until(() => callers(server, 'Shop.Cart.total/1'), (sites) => sites.length === 2, 'deleted folder dropped');
  } finally {
    await server.stop();
  }
});

test('survives bad input: binary and half-typed documents, unknown places, malformed requests', async () => {
  const root = copyFixture();
  const server = await startServer(root);
  try {
    await server.waitForStatus(ready);
    server.open('lib/shop/binary.ex', '\u0000\u0001\u0002PNG\u0000'.repeat(2000));
    server.open('lib/shop/half.ex', 'defmodule Half do\n  def broken(x) do\n    case x do\n      {:ok, ');
    const position = { line: 3, character: 10 };
    for (const uri of [server.uri('lib/shop/half.ex'), server.uri('lib/shop/binary.ex'), 'file:///elsewhere/x.ex', 'untitled:Untitled-1']) {
      for (const method of ['textDocument/hover', 'textDocument/definition', 'textDocument/documentSymbol', 'elixirScope/nodeAt', 'elixirScope/functionGraph']) {
        await server.connection.sendRequest(method, { textDocument: { uri }, position, context: { includeDeclaration: true } });
      }
    }
    await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: server.uri('lib/shop/cart.ex') }, position: { line: 99_999, character: 99_999 } });

    await assert.rejects(server.connection.sendRequest('elixirScope/query', { query: '{"callers": ' }), /JSON|query/i);
    await assert.rejects(server.connection.sendRequest('elixirScope/query', {}), /query/i);
    await assert.rejects(server.connection.sendRequest('elixirScope/nodeAt', null));
    await assert.rejects(server.connection.sendRequest('elixirScope/noSuchMethod', {}), /Unhandled method/);

    // Still alive and still right.
    assert.deepEqual(await callers(server, 'Shop.Cart.total/1'), ['Shop.Cart.receipt/1#1', 'Shop.Checkout.handle_call/3#1']);
    assert.ok((await functionsIn(server, 'Half')).includes('Half.broken/1'), 'half-typed code is still analysed');
  } finally {
    await server.stop();
  }
  assert.equal(server.process.exitCode, 0);
});

test('answers the language features over the protocol on a fixture project', async () => {
  const root = copyFixture();
  const server = await startServer(root);
  try {
    await server.waitForStatus(ready);
    const file = 'lib/shop/cart.ex';
    const uri = server.uri(file);
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    server.open(file, text);
    const connection = server.connection;
    const at = (line: number, character: number) => ({ textDocument: { uri }, position: { line, character } });
    // Line 24 (0-based 23): `... money(total(cart))`; the cursor on `total`.
    const totalCall = at(23, text.split('\n')[23]!.indexOf('total(cart)') + 1);

    const hover = (await connection.sendRequest('textDocument/hover', totalCall)) as { contents: { value: string } };
    assert.match(hover.contents.value, /Shop\.Cart\.total\/1/);
    assert.match(hover.contents.value, /Shop\.Cart\.receipt\/1#1:/, 'the node ID of the call');

    const definitions = (await connection.sendRequest('textDocument/definition', totalCall)) as { uri: string; range: { start: { line: number } } }[];
    assert.deepEqual(definitions.map((location) => [location.uri, location.range.start.line]), [[uri, 14]]);

    const references = (await connection.sendRequest('textDocument/references', { ...totalCall, context: { includeDeclaration: false } })) as { uri: string; range: { start: { line: number } } }[];
    assert.deepEqual(
      references.map((location) => `${path.basename(location.uri)}:${location.range.start.line}`).sort(),
      ['cart.ex:23', 'checkout.ex:19'],
    );

    const symbols = (await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as { name: string; children: { name: string; children: unknown[] }[] }[];
    assert.equal(symbols.length, 1);
    assert.equal(symbols[0]!.name, 'Shop.Cart');
    const functionSymbols = symbols[0]!.children.map((child) => child.name);
    for (const name of ['new/1', 'add/3', 'total/1', 'receipt/1', 'line_total/1']) {
      assert.ok(functionSymbols.some((symbol) => symbol.startsWith(name)), `${name} in ${functionSymbols.join(', ')}`);
    }

    const workspaceSymbols = (await connection.sendRequest('workspace/symbol', { query: 'apply_disc' })) as { name: string; location: { uri: string } }[];
    assert.ok(workspaceSymbols.some((symbol) => symbol.name.startsWith('apply_discount') && symbol.location.uri.endsWith('pricing.ex')));

    const items = (await connection.sendRequest('textDocument/prepareCallHierarchy', totalCall)) as { name: string }[];
    assert.equal(items.length, 1);
    const incoming = (await connection.sendRequest('callHierarchy/incomingCalls', { item: items[0] })) as { from: { name: string; detail: string } }[];
    assert.deepEqual(incoming.map((call) => call.from.name).sort(), ['handle_call/3', 'receipt/1']);
    const outgoing = (await connection.sendRequest('callHierarchy/outgoingCalls', { item: items[0] })) as { to: { name: string } }[];
    assert.ok(outgoing.some((call) => call.to.name === 'apply_discount/2'), JSON.stringify(outgoing));

    const lenses = (await connection.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as { range: { start: { line: number } }; command: { title: string } }[];
    const totalLens = lenses.find((lens) => lens.range.start.line === 14);
    assert.match(totalLens?.command.title ?? '', /complexity \d+ · 2 callers/);

    const node = (await connection.sendRequest('elixirScope/nodeAt', totalCall)) as { nodeId: string; clause: string };
    assert.equal(node.clause, 'Shop.Cart.receipt/1#1');
    const graph = (await connection.sendRequest('elixirScope/functionGraph', totalCall)) as { clause: string; cfg: { nodes: unknown[] }; dfg: { nodes: unknown[] }; uri: string };
    assert.equal(graph.clause, 'Shop.Cart.receipt/1#1');
    assert.equal(graph.uri, uri);
    assert.ok(graph.cfg.nodes.length > 2 && graph.dfg.nodes.length > 2);

    // An unused variable appears as a diagnostic on the next edit, and goes away with the fix.
    const lines = text.split('\n');
    const edited = [...lines.slice(0, 21), '  def receipt(cart) do', '    unused = 1', ...lines.slice(22)].join('\n');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    const diagnostics = await server.waitForDiagnostics(uri, (_found, version) => version === 2);
    assert.deepEqual(diagnostics.map((found) => [found.code, found.range.start.line]), [['unused-variable', 22]]);
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
    assert.deepEqual(await server.waitForDiagnostics(uri, (_found, version) => version === 3), []);
  } finally {
    await server.stop();
  }
});

test('a query names its folder by the folder URI or by a file in it', async () => {
  const root = copyFixture();
  const server = await startServer(root);
  try {
    await server.waitForStatus(ready);
    const query = { callers: 'Shop.Cart.total/1' };
    for (const folder of [server.uri(''), `${server.uri('')}/`, server.uri('lib/shop/cart.ex')]) {
      const { result } = (await server.connection.sendRequest('elixirScope/query', { query, folder })) as { result: unknown[] };
      assert.equal(result.length, 2, folder);
    }
    await assert.rejects(server.connection.sendRequest('elixirScope/query', { query, folder: 'file:///no/such/folder' }), /No open workspace folder holds file:\/\/\/no\/such\/folder/);
  } finally {
    await server.stop();
  }
});

test('a multi-root workspace: one graph per folder, each request answered from its own', async () => {
  const first = copyFixture();
  const second = copyFixture();
  // The second folder's Cart.total has a third caller the first folder does not have.
  fs.writeFileSync(path.join(second, 'lib', 'shop', 'extra.ex'), 'defmodule Shop.Extra do\n  def total(cart), do: Shop.Cart.total(cart)\nend\n');
  const server = await startServer(first, { extraFolders: [second] });
  try {
    const status = await server.waitForStatus((entry) => entry.state === 'ready' && entry.files === 9);
    assert.equal(status.files, 9, 'both folders are indexed: 4 + 5 files');
    const callersIn = async (folder: string) => {
      const { result } = (await server.connection.sendRequest('elixirScope/query', { query: { callers: 'Shop.Cart.total/1' }, folder: pathToFileURL(folder).href })) as { result: { caller: string }[] };
      return result.map((site) => site.caller).sort();
    };
    assert.deepEqual(await callersIn(first), ['Shop.Cart.receipt/1#1', 'Shop.Checkout.handle_call/3#1']);
    assert.deepEqual(await callersIn(second), ['Shop.Cart.receipt/1#1', 'Shop.Checkout.handle_call/3#1', 'Shop.Extra.total/1#1']);
    // A definition asked in the second folder lands in the second folder.
    const uri = pathToFileURL(path.join(second, 'lib', 'shop', 'extra.ex')).href;
    server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'elixir', version: 1, text: fs.readFileSync(path.join(second, 'lib', 'shop', 'extra.ex'), 'utf8') } });
    const found = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: 1, character: 35 } })) as { uri: string }[];
    assert.deepEqual(found.map((location) => location.uri), [pathToFileURL(path.join(second, 'lib', 'shop', 'cart.ex')).href]);
    const symbols = (await server.connection.sendRequest('workspace/symbol', { query: 'Shop.Extra' })) as { location: { uri: string } }[];
    assert.ok(symbols.length > 0 && symbols.every((symbol) => symbol.location.uri.startsWith(pathToFileURL(second).href)));
  } finally {
    await server.stop();
  }
});
