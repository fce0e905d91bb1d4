/**
 * The query engine on a small shop written for it (`test/fixtures/cpg`): every query form the
 * protocol documents, with expectations worked out by hand from the source — aliases, an
 * `import … only:`, a capture, a pipe chain, a `defdelegate`, a GenServer with calls, casts and
 * a `send`, and a data-flow path that crosses a call. Positions are located in the fixture text
 * rather than written as numbers, so the expectations say what they mean.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { QueryEngine, QueryError } from '../server/cpg/query';
import { ElixirParser } from '../server/syntax/parser';
import { WorkspaceGraph } from '../server/workspace/workspaceGraph';
import { repoRoot } from './support/corpus';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'cpg');

let graph: WorkspaceGraph;
let engine: QueryEngine;
let parser: ElixirParser;

before(async () => {
  graph = await WorkspaceGraph.open(FIXTURE, { databasePath: null, jobs: 1 });
  await graph.refresh();
  engine = await graph.queryEngine();
  parser = await ElixirParser.load();
});

after(() => {
  graph.dispose();
  parser.dispose();
});

/** Elixir-style position of the `occurrence`-th (1-based) `needle` in a fixture file, plus `offset` characters. */
function locate(file: string, needle: string, occurrence = 1, offset = 0): { line: number; column: number } {
  const text = fs.readFileSync(path.join(FIXTURE, file), 'utf8');
  let index = -1;
  for (let count = 0; count < occurrence; count++) {
    index = text.indexOf(needle, index + 1);
    assert.notEqual(index, -1, `${needle} occurs ${occurrence} times in ${file}`);
  }
  index += offset;
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** The node ID of the innermost node at a located position. */
function nodeAt(file: string, needle: string, occurrence = 1, offset = 0): string {
  const text = fs.readFileSync(path.join(FIXTURE, file), 'utf8');
  const analysis = analyzeSource(parser, file, text);
  const location = analysis.nodeIds.nodeIdAt(locate(file, needle, occurrence, offset));
  assert.ok(location, `a node at ${needle} in ${file}`);
  return location.nodeId;
}

test('callers: remote calls through an alias, local calls, captures, pipes and imports', () => {
  assert.deepEqual(engine.run({ callers: 'Shop.Cart.total/1' }), [
    { caller: 'Shop.Cart.receipt/1#1', file: 'lib/shop/cart.ex', ...locate('lib/shop/cart.ex', 'total(cart)'), node: nodeAt('lib/shop/cart.ex', 'total(cart)') },
    { caller: 'Shop.Checkout.handle_call/3#1', file: 'lib/shop/checkout.ex', ...locate('lib/shop/checkout.ex', 'Cart.total', 1, 5), node: nodeAt('lib/shop/checkout.ex', 'Cart.total', 1, 5) },
  ]);

  const lineTotal = engine.run({ callers: 'Shop.Cart.line_total/1' }) as { caller: string; line: number }[];
  assert.deepEqual(
    lineTotal.map((site) => [site.caller, site.line]),
    [
      ['Shop.Cart.total/1#1', locate('lib/shop/cart.ex', '&line_total/1').line],
      ['Shop.Cart.receipt/1#1', locate('lib/shop/cart.ex', 'line_total(item)').line],
    ],
  );

  const discount = engine.run({ callers: 'Shop.Pricing.apply_discount/2' }) as { caller: string; column: number }[];
  assert.deepEqual(discount.map((site) => site.caller), ['Shop.Cart.total/1#1'], 'the piped call has arity 2');

  const money = engine.run({ callers: 'Shop.Format.money/1' }) as { caller: string }[];
  assert.deepEqual(money.map((site) => site.caller), ['Shop.Cart.receipt/1#1', 'Shop.Cart.receipt/1#1'], 'imported with only: [money: 1]');

  const padLeading = engine.run({ callers: 'String.pad_leading/2' }) as { caller: string }[];
  assert.deepEqual(padLeading.map((site) => site.caller), ['Shop.Format.pad/2#1'], 'the defdelegate target, renamed by as:');

  assert.deepEqual(engine.run({ callers: 'Shop.Cart.nothing/0' }), []);
});

test('callers and callees, transitive, with paths', () => {
  const callees = engine.run({ callees: 'Shop.Checkout.handle_call/3', transitive: true }) as string[];
  for (const expected of ['Shop.Cart.total/1', 'Shop.Cart.line_total/1', 'Shop.Pricing.apply_discount/2', 'Enum.map/2', 'Enum.sum/1', 'Kernel.send/2']) {
    assert.ok(callees.includes(expected), `${expected} is reachable from handle_call/3 (got ${callees.join(', ')})`);
  }
  assert.ok(!callees.includes('Shop.Pricing.price_of/1'), 'price_of/1 is only reached from add/3');

  const withPaths = engine.run({ callees: 'Shop.Checkout.handle_call/3', transitive: true, paths: true }) as { function: string; path: string[] }[];
  assert.deepEqual(withPaths.find((entry) => entry.function === 'Shop.Pricing.apply_discount/2')?.path, [
    'Shop.Checkout.handle_call/3',
    'Shop.Cart.total/1',
    'Shop.Pricing.apply_discount/2',
  ]);

  const callers = engine.run({ callers: 'Shop.Pricing.price_of/1', transitive: true }) as { function: string; path: string[] }[];
  assert.deepEqual(callers, [
    { function: 'Shop.Cart.add/3', path: ['Shop.Cart.add/3', 'Shop.Pricing.price_of/1'] },
    { function: 'Shop.Checkout.handle_cast/2', path: ['Shop.Checkout.handle_cast/2', 'Shop.Cart.add/3', 'Shop.Pricing.price_of/1'] },
  ]);

  const direct = engine.run({ callees: 'Shop.Checkout.add/1' });
  assert.deepEqual(direct, ['GenServer.cast/2']);
});

test('functions by predicates', () => {
  const all = engine.run({ functions: { module: 'Shop.*' } }) as { function: string }[];
  assert.equal(all.length, 16);
  const callbacks = engine.run({ functions: { module: 'Shop.*', otp_callback: 'GenServer' } }) as { function: string }[];
  assert.deepEqual(callbacks.map((entry) => entry.function), [
    'Shop.Checkout.handle_call/3',
    'Shop.Checkout.handle_cast/2',
    'Shop.Checkout.handle_info/2',
    'Shop.Checkout.init/1',
  ]);
  const private_ = engine.run({ functions: { kind: 'defp' } }) as { function: string; clauses: number }[];
  assert.deepEqual(private_.map((entry) => [entry.function, entry.clauses]), [['Shop.Cart.line_total/1', 2]]);
  const callingTotal = engine.run({ functions: { calls: 'Shop.Cart.total/1' } }) as { function: string }[];
  assert.deepEqual(callingTotal.map((entry) => entry.function), ['Shop.Cart.receipt/1', 'Shop.Checkout.handle_call/3']);

  const complex = engine.run({ functions: { module: 'Shop.*', complexity_gt: 2 } }) as { function: string; complexity: number }[];
  const byName = Object.fromEntries(complex.map((entry) => [entry.function, entry.complexity]));
  assert.ok(byName['Shop.Pricing.apply_discount/2']! >= 3, 'three guarded clauses make at least three paths');
  assert.ok(byName['Shop.Pricing.price_of/1']! >= 2 || byName['Shop.Pricing.price_of/1'] === undefined);
  const simple = engine.run({ functions: { module: 'Shop.Cart', name: 'new' } }) as { complexity: number }[];
  assert.deepEqual(simple.map((entry) => entry.complexity), [1], 'a function without branches has complexity 1');
});

test('the CFG and DFG of one clause', () => {
  const cfg = engine.run({ cfg: 'Shop.Checkout.handle_call/3#1' }) as { nodes: { id: string; kind: string }[]; edges: { from: string; to: string; kind: string }[]; complexity: number };
  assert.ok(cfg.nodes.some((node) => node.id === 'Shop.Checkout.handle_call/3#1$entry'));
  assert.ok(cfg.nodes.some((node) => node.id === 'Shop.Checkout.handle_call/3#1$exit'));
  const ids = new Set(cfg.nodes.map((node) => node.id));
  for (const edge of cfg.edges) assert.ok(ids.has(edge.from) && ids.has(edge.to), 'every edge joins listed nodes');
  assert.equal(cfg.complexity, 2, 'one if');

  const dfg = engine.run({ dfg: 'Shop.Checkout.handle_call/3#1' }) as { nodes: { id: string; kind: string; label: string }[]; edges: { from: string; to: string; kind: string }[] };
  const amountDefinition = nodeAt('lib/shop/checkout.ex', 'amount}, _from');
  const amountUse = nodeAt('lib/shop/checkout.ex', 'amount >= due');
  assert.ok(dfg.edges.some((edge) => edge.kind === 'reach' && edge.from === amountDefinition && edge.to === amountUse), 'the parameter reaches its use');
  assert.ok(dfg.nodes.some((node) => node.id === amountDefinition && node.kind === 'definition'));

  assert.throws(() => engine.run({ cfg: 'Shop.Checkout.handle_call/3#9' }), /handle_call\/3 has Shop.Checkout.handle_call\/3#1/);
});

test('data-flow paths within a clause and across a call', () => {
  const from = nodeAt('lib/shop/checkout.ex', 'amount}, _from');
  const to = nodeAt('lib/shop/checkout.ex', 'amount - due');
  const within = engine.run({ dataflow: { from, to } }) as string[][];
  assert.deepEqual(within, [[from, to]]);

  const sku = nodeAt('lib/shop/cart.ex', 'sku, quantity \\\\');
  const fetched = nodeAt('lib/shop/pricing.ex', 'sku) do', 2);
  const across = engine.run({ dataflow: { from: sku, to: fetched } }) as string[][];
  assert.ok(across.length > 0, 'sku flows from Cart.add/3 into Pricing.price_of/1');
  const path_ = across[0]!;
  assert.equal(path_[0], sku);
  assert.equal(path_[path_.length - 1], fetched);
  assert.ok(path_.some((node) => node.startsWith('Shop.Pricing.price_of/1#1')), 'the path enters the callee');

  assert.deepEqual(engine.run({ dataflow: { from: to, to: from } }), [], 'no flow backwards');
});

test('otp facts of a GenServer', () => {
  const [checkout] = engine.run({ otp: 'Shop.Checkout' }) as {
    module: string;
    behaviours: { behaviour: string }[];
    callbacks: { callback: string }[];
    sends: { caller: string; kind: string; target_module: string | null }[];
  }[];
  assert.equal(checkout!.module, 'Shop.Checkout');
  assert.deepEqual(checkout!.behaviours.map((use) => use.behaviour), ['GenServer']);
  assert.deepEqual(checkout!.callbacks.map((callback) => callback.callback).sort(), ['handle_call/3', 'handle_cast/2', 'handle_info/2', 'init/1']);
  const sends = checkout!.sends.map((send) => [send.caller, send.kind, send.target_module]);
  assert.deepEqual(sends, [
    ['Shop.Checkout.add/1#1', 'cast', 'Shop.Checkout'],
    ['Shop.Checkout.handle_call/3#1', 'send', 'Shop.Checkout'],
    ['Shop.Checkout.pay/1#1', 'call', 'Shop.Checkout'],
  ]);
});

test('messages: who sends what to a process, and which callback handles it', () => {
  const messages = engine.run({ messages: 'Shop.Checkout' }) as { from: string; kind: string; to: string | null; handler: string | null; message: string }[];
  assert.deepEqual(
    messages.map((entry) => [entry.from, entry.kind, entry.to, entry.handler, entry.message]),
    [
      ['Shop.Checkout.add/1#1', 'cast', 'Shop.Checkout', 'Shop.Checkout.handle_cast/2', '{:add, sku}'],
      ['Shop.Checkout.pay/1#1', 'call', 'Shop.Checkout', 'Shop.Checkout.handle_call/3', '{:pay, amount}'],
      ['Shop.Checkout.handle_call/3#1', 'send', 'Shop.Checkout', 'Shop.Checkout.handle_info/2', ':receipt'],
    ],
  );
  assert.deepEqual(engine.run({ messages: 'Shop.Pricing' }), []);
});

test('bad queries are refused with a message that says what to write', () => {
  const refusals: [unknown, RegExp][] = [
    ['not json', /not valid JSON/],
    [[1, 2], /JSON object/],
    [{}, /unknown query/],
    [{ callers: 'Shop.Cart.total/1', callees: 'Shop.Cart.total/1' }, /asks one thing/],
    [{ callers: 'total' }, /function ID such as/],
    [{ cfg: 'Shop.Cart.total/1' }, /clause ID such as/],
    [{ functions: { complexity_over: 3 } }, /unknown predicate "complexity_over"/],
    [{ functions: 'Shop.*' }, /object of predicates/],
    [{ dataflow: { from: 'x', to: 'y' } }, /node ID of a node inside a function/],
    [{ callers: 'Shop.Cart.total/1', transitive: 'yes' }, /true or false/],
  ];
  for (const [query, message] of refusals) {
    assert.throws(() => engine.run(typeof query === 'string' ? query : JSON.stringify(query)), (error: unknown) => {
      assert.ok(error instanceof QueryError, `${JSON.stringify(query)} throws a QueryError`);
      assert.match(error.message, message);
      return true;
    });
  }
});
