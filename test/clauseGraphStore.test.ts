/**
 * Clause graphs are built when first asked for (`server/cpg/clauseGraphStore.ts`): indexing stores
 * none, the first question about a clause builds and stores its file's, an edit drops the graphs
 * of the clauses it changes, and a file whose text is no longer the indexed one is refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildControlFlow } from '../server/cpg/controlFlow';
import { buildDataFlow } from '../server/cpg/dataFlow';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { clauseGraphRows } from '../server/cpg/fileFacts';
import { decodeControlFlow, decodeDataFlow } from '../server/cpg/graphCodec';
import { QueryEngine, QueryError } from '../server/cpg/query';
import { ElixirParser } from '../server/syntax/parser';
import { WorkspaceGraph } from '../server/workspace/workspaceGraph';

const SHOP = `defmodule Shop do
  def total(items) do
    Enum.reduce(items, 0, fn item, sum -> sum + item.price end)
  end

  def label(%{name: name}), do: name
  def label(_), do: "?"
end
`;

const CART = `defmodule Cart do
  def add(cart, item) when is_map(item) do
    [item | cart]
  end
end
`;

let root: string;
let parser: ElixirParser;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-graphs-'));
  fs.mkdirSync(path.join(root, 'lib'));
  fs.writeFileSync(path.join(root, 'lib/shop.ex'), SHOP);
  fs.writeFileSync(path.join(root, 'lib/cart.ex'), CART);
  parser = await ElixirParser.load();
});

after(() => {
  parser.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

async function indexedGraph(): Promise<WorkspaceGraph> {
  const graph = await WorkspaceGraph.open(root, { databasePath: null, jobs: 1 });
  await graph.refresh();
  return graph;
}

function storedClauses(graph: WorkspaceGraph, table: 'control_flow' | 'data_flow'): string[] {
  return graph.repository
    .rows<{ clause: string; path: string }>(`SELECT g.clause, files.path FROM ${table} g JOIN files ON files.id = g.file_id ORDER BY g.clause`)
    .map((row) => `${row.path} ${row.clause}`);
}

test('indexing stores no clause graph; the first question builds and stores those of the clause\'s file only', async () => {
  const graph = await indexedGraph();
  try {
    assert.deepEqual(storedClauses(graph, 'control_flow'), []);
    assert.deepEqual(storedClauses(graph, 'data_flow'), []);
    assert.equal(graph.repository.rows<{ complexity: number }>("SELECT complexity FROM functions WHERE id = 'Shop.label/1#1'")[0]!.complexity, 1, 'complexity is stored by indexing');

    const engine = await graph.queryEngine();
    const view = engine.run({ cfg: 'Shop.total/1#1' }) as { file: string; complexity: number };
    assert.equal(view.file, 'lib/shop.ex');
    const shopClauses = ['lib/shop.ex Shop.label/1#1', 'lib/shop.ex Shop.label/1#2', 'lib/shop.ex Shop.total/1#1'];
    assert.deepEqual(storedClauses(graph, 'control_flow'), shopClauses);
    assert.deepEqual(storedClauses(graph, 'data_flow'), shopClauses);
    assert.equal(engine.clauseGraphs.builtFiles, 1);

    // Asking again reads what is stored.
    engine.run({ dfg: 'Shop.label/1#2' });
    assert.equal(engine.clauseGraphs.builtFiles, 1);

    // What is stored is what building the graphs from the file gives.
    const analysis = analyzeSource(parser, 'lib/shop.ex', SHOP);
    const stored = graph.repository.rows<{ clause: string; graph: Uint8Array }>('SELECT clause, graph FROM control_flow ORDER BY rowid');
    assert.deepEqual(stored.map((row) => row.graph), clauseGraphRows(analysis).control_flow.map((row) => row.graph));
    for (const clause of analysis.definitions.functions) {
      const controlFlow = graph.repository.rows<{ graph: Uint8Array }>('SELECT graph FROM control_flow WHERE clause = ?', [clause.id])[0]!.graph;
      const dataFlow = graph.repository.rows<{ graph: Uint8Array }>('SELECT graph FROM data_flow WHERE clause = ?', [clause.id])[0]!.graph;
      assert.deepEqual(decodeControlFlow(controlFlow), JSON.parse(JSON.stringify(buildControlFlow(clause))), clause.id);
      assert.deepEqual(decodeDataFlow(dataFlow), JSON.parse(JSON.stringify(buildDataFlow(clause))), clause.id);
    }
  } finally {
    graph.dispose();
  }
});

test('an edit drops the graphs of the clauses it changes and keeps the others\'; the next question builds them from the editor\'s text', async () => {
  const graph = await indexedGraph();
  try {
    const engine = await graph.queryEngine();
    engine.run({ cfg: 'Shop.total/1#1' });
    const edited = SHOP.replace('    Enum.reduce(', '    if items == [], do: 0, else: Enum.reduce(');
    await graph.updateDocument('lib/shop.ex', edited);
    assert.deepEqual(storedClauses(graph, 'control_flow'), ['lib/shop.ex Shop.label/1#1', 'lib/shop.ex Shop.label/1#2'], 'the edited clause lost its graphs');

    const view = engine.run({ cfg: 'Shop.total/1#1' }) as { complexity: number; nodes: { label: string }[] };
    assert.equal(view.complexity, 2, 'the `if` the editor added is in the graph');
    assert.ok(view.nodes.some((node) => node.label.includes('==')), JSON.stringify(view.nodes.map((node) => node.label)));
    assert.equal(storedClauses(graph, 'control_flow').length, 3);
  } finally {
    graph.dispose();
  }
});

test('a file changed on disk since it was indexed is not read as if it were the indexed one', async () => {
  const graph = await indexedGraph();
  const cartPath = path.join(root, 'lib/cart.ex');
  try {
    fs.writeFileSync(cartPath, CART.replace('[item | cart]', 'cart ++ [item]'));
    const engine = await graph.queryEngine();
    assert.throws(() => engine.run({ cfg: 'Cart.add/2#1' }), (error: unknown) => error instanceof QueryError && /lib\/cart\.ex changed since the graph was built/.test(error.message));
    assert.deepEqual(storedClauses(graph, 'control_flow'), []);

    await graph.refresh();
    assert.equal((engine.run({ cfg: 'Cart.add/2#1' }) as { complexity: number }).complexity, 1);
  } finally {
    fs.writeFileSync(cartPath, CART);
    graph.dispose();
  }
});

test('an engine with no way to read the files answers from stored graphs only, and says so otherwise', async () => {
  const graph = await indexedGraph();
  try {
    const reader = new QueryEngine(graph.repository);
    assert.throws(() => reader.run({ dfg: 'Cart.add/2#1' }), /not stored yet and this query engine cannot read lib\/cart\.ex/);
    (await graph.queryEngine()).run({ dfg: 'Cart.add/2#1' });
    assert.equal((reader.run({ dfg: 'Cart.add/2#1' }) as { file: string }).file, 'lib/cart.ex');
    assert.throws(() => reader.run({ cfg: 'Cart.remove/2#1' }), /no function clause Cart\.remove\/2#1 in the workspace/);
  } finally {
    graph.dispose();
  }
});
