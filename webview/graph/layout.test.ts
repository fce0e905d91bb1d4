/**
 * The layout's invariants, on hand-made graphs shaped like real CFGs and DFGs and on random
 * graphs: forward edges point down, back edges are exactly what breaks the cycles, the layering is
 * the longest path, nodes of a layer do not overlap, and the same input gives the same output.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { layoutGraph, DEFAULT_LAYOUT_OPTIONS, type GraphLayout, type LayoutInput } from './layout';

function graphOf(edges: [string, string][], extraNodes: string[] = [], roots?: string[]): LayoutInput {
  const ids = [...new Set([...extraNodes, ...edges.flat()])];
  return {
    nodes: ids.map((id) => ({ id, width: 20 + id.length * 7, height: 26 })),
    edges: edges.map(([from, to]) => ({ from, to })),
    ...(roots === undefined ? {} : { roots }),
  };
}

function layerOf(layout: GraphLayout): Map<string, number> {
  return new Map(layout.nodes.map((node) => [node.id, node.layer]));
}

/** Forward edges go down; back edges go up or sideways; without back edges the graph is acyclic. */
function assertLayeredInvariants(input: LayoutInput, layout: GraphLayout): void {
  const layer = layerOf(layout);
  for (const edge of layout.edges) {
    const from = layer.get(edge.from)!;
    const to = layer.get(edge.to)!;
    if (edge.back) assert.ok(to <= from, `back edge ${edge.from}→${edge.to} goes from layer ${from} down to ${to}`);
    else assert.ok(to > from, `forward edge ${edge.from}→${edge.to} goes from layer ${from} to ${to}`);
  }
  assert.ok(isAcyclic(layout.edges.filter((edge) => !edge.back)), 'the forward edges still contain a cycle');
  // Every edge that is marked back really closes a cycle: its target reaches its source.
  for (const edge of layout.edges.filter((candidate) => candidate.back)) {
    assert.ok(reaches(layout.edges, edge.to, edge.from), `back edge ${edge.from}→${edge.to} closes no cycle`);
  }
  // Nodes of one layer and component do not overlap, and keep their order left to right.
  const rows = new Map<string, GraphLayout['nodes']>();
  for (const node of layout.nodes) {
    const key = `${node.component}:${node.layer}`;
    rows.set(key, [...(rows.get(key) ?? []), node]);
  }
  for (const row of rows.values()) {
    const sorted = [...row].sort((a, b) => a.order - b.order);
    for (let i = 1; i < sorted.length; i += 1) {
      const left = sorted[i - 1]!;
      const right = sorted[i]!;
      assert.ok(left.x + left.width / 2 + DEFAULT_LAYOUT_OPTIONS.nodeGap - 1e-6 <= right.x - right.width / 2, `${left.id} overlaps ${right.id}`);
    }
  }
  // Everything lies inside the reported box.
  for (const node of layout.nodes) {
    assert.ok(node.x - node.width / 2 >= -1e-6 && node.x + node.width / 2 <= layout.width + 1e-6, `${node.id} outside the width`);
    assert.ok(node.y - node.height / 2 >= -1e-6 && node.y + node.height / 2 <= layout.height + 1e-6, `${node.id} outside the height`);
  }
  assert.equal(layout.nodes.length, new Set(input.nodes.map((node) => node.id)).size);
}

function isAcyclic(edges: GraphLayout['edges']): boolean {
  const nodes = new Set(edges.flatMap((edge) => [edge.from, edge.to]));
  const indegree = new Map([...nodes].map((node) => [node, 0]));
  for (const edge of edges) indegree.set(edge.to, indegree.get(edge.to)! + 1);
  const ready = [...nodes].filter((node) => indegree.get(node) === 0);
  let seen = 0;
  while (ready.length > 0) {
    const node = ready.pop()!;
    seen += 1;
    for (const edge of edges.filter((candidate) => candidate.from === node)) {
      indegree.set(edge.to, indegree.get(edge.to)! - 1);
      if (indegree.get(edge.to) === 0) ready.push(edge.to);
    }
  }
  return seen === nodes.size;
}

function reaches(edges: GraphLayout['edges'], from: string, to: string): boolean {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === to) return true;
    for (const edge of edges) {
      if (edge.from === node && !seen.has(edge.to)) {
        seen.add(edge.to);
        stack.push(edge.to);
      }
    }
  }
  return false;
}

// A clause with a `case` of two branches, one of which raises: the usual CFG shape.
const caseClause = graphOf(
  [
    ['f$entry', 'x = y'],
    ['x = y', 'case x'],
    ['case x', ':ok'],
    ['case x', ':error'],
    [':ok', 'g(x)'],
    [':error', 'raise'],
    ['g(x)', 'f$exit'],
    ['raise', 'f$abnormal'],
  ],
  [],
  ['f$entry'],
);

test('a CFG without loops has no back edges and is layered by longest path from the entry', () => {
  const layout = layoutGraph(caseClause);
  assertLayeredInvariants(caseClause, layout);
  assert.deepEqual(layout.edges.filter((edge) => edge.back), []);
  const layer = layerOf(layout);
  assert.equal(layer.get('f$entry'), 0);
  assert.equal(layer.get('case x'), 2);
  assert.equal(layer.get(':ok'), 3);
  assert.equal(layer.get(':error'), 3);
  assert.equal(layer.get('f$exit'), 5);
  // Longest path: every node but the entry has a predecessor exactly one layer up.
  for (const node of layout.nodes.filter((candidate) => candidate.id !== 'f$entry')) {
    const predecessors = layout.edges.filter((edge) => edge.to === node.id).map((edge) => layer.get(edge.from)!);
    assert.equal(Math.max(...predecessors), node.layer - 1, node.id);
  }
});

test('a comprehension loop yields one back edge, from the body back to the generator', () => {
  const input = graphOf(
    [
      ['f$entry', 'for'],
      ['for', 'x <- list'],
      ['x <- list', 'x * 2'],
      ['x * 2', 'x <- list'],
      ['x <- list', 'f$exit'],
    ],
    [],
    ['f$entry'],
  );
  const layout = layoutGraph(input);
  assertLayeredInvariants(input, layout);
  assert.deepEqual(
    layout.edges.filter((edge) => edge.back).map((edge) => [edge.from, edge.to]),
    [['x * 2', 'x <- list']],
  );
});

test('self-loops are back edges and do not disturb the layering', () => {
  const input = graphOf([['a', 'b'], ['b', 'b'], ['b', 'c']], [], ['a']);
  const layout = layoutGraph(input);
  assertLayeredInvariants(input, layout);
  assert.deepEqual(layout.edges.map((edge) => edge.back), [false, true, false]);
  assert.deepEqual([...layerOf(layout).values()], [0, 1, 2]);
});

test('a cycle with no way in is still laid out, starting from its first node', () => {
  const input = graphOf([['a', 'b'], ['b', 'c'], ['c', 'a']]);
  const layout = layoutGraph(input);
  assertLayeredInvariants(input, layout);
  assert.deepEqual(layout.edges.filter((edge) => edge.back).map((edge) => [edge.from, edge.to]), [['c', 'a']]);
});

test('the given roots are searched first, so their edges are the forward ones', () => {
  // Without a root the search would start at b (first in input) and c→b would be the back edge;
  // entered at c, the edge returning to c is.
  const input = graphOf([['b', 'c'], ['c', 'b']], [], ['c']);
  const layout = layoutGraph(input);
  assert.deepEqual(layout.edges.filter((edge) => edge.back).map((edge) => [edge.from, edge.to]), [['b', 'c']]);
  assert.equal(layerOf(layout).get('c'), 0);
});

test('a DFG source feeding a deep expression is pulled down next to it', () => {
  // `a` flows through three steps; the literal `1` only joins at the last one.
  const input = graphOf([
    ['a', 'a + b'],
    ['a + b', 'x = a + b'],
    ['x = a + b', 'x * 1'],
    ['1', 'x * 1'],
  ]);
  const layout = layoutGraph(input);
  assertLayeredInvariants(input, layout);
  const layer = layerOf(layout);
  assert.equal(layer.get('a'), 0);
  assert.equal(layer.get('x * 1'), 3);
  assert.equal(layer.get('1'), 2);
});

test('disconnected parts (a clause and its fn, an unreachable abnormal exit) sit side by side', () => {
  const input = graphOf(
    [['f$entry', 'Enum.map'], ['Enum.map', 'f$exit'], ['fn$entry', 'x + 1'], ['x + 1', 'fn$exit']],
    ['f$abnormal'],
    ['f$entry', 'fn$entry'],
  );
  const layout = layoutGraph(input);
  assertLayeredInvariants(input, layout);
  const component = new Map(layout.nodes.map((node) => [node.id, node.component]));
  assert.equal(new Set(component.values()).size, 3);
  const right = (id: string): number => layout.nodes.find((node) => node.id === id)!.x + layout.nodes.find((node) => node.id === id)!.width / 2;
  const left = (id: string): number => layout.nodes.find((node) => node.id === id)!.x - layout.nodes.find((node) => node.id === id)!.width / 2;
  // Components do not overlap horizontally.
  const extent = (part: number): [number, number] => {
    const ids = layout.nodes.filter((node) => node.component === part).map((node) => node.id);
    return [Math.min(...ids.map(left)), Math.max(...ids.map(right))];
  };
  const [, firstRight] = extent(component.get('f$entry')!);
  const [secondLeft] = extent(component.get('fn$entry')!);
  assert.ok(firstRight < secondLeft);
});

test('edges naming unknown nodes are left out, repeated nodes counted once', () => {
  const input: LayoutInput = {
    nodes: [{ id: 'a', width: 30, height: 26 }, { id: 'a', width: 90, height: 26 }, { id: 'b', width: 30, height: 26 }],
    edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'nowhere' }, { from: 'b', to: 'a' }],
  };
  const layout = layoutGraph(input);
  assert.deepEqual(layout.nodes.map((node) => [node.id, node.width]), [['a', 30], ['b', 30]]);
  assert.deepEqual(layout.edges.map((edge) => [edge.index, edge.back]), [[0, false], [2, true]]);
});

test('an empty graph has an empty layout', () => {
  assert.deepEqual(layoutGraph({ nodes: [], edges: [] }), { nodes: [], edges: [], width: 0, height: 0 });
});

test('a long chain does not exhaust the stack', () => {
  const edges: [string, string][] = [];
  for (let i = 0; i < 20_000; i += 1) edges.push([`n${i}`, `n${i + 1}`]);
  const layout = layoutGraph(graphOf(edges));
  assert.equal(layerOf(layout).get('n20000'), 20_000);
});

/** A small deterministic pseudo-random generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random graphs keep every invariant, and the same input always gives the same layout', () => {
  for (let seed = 1; seed <= 200; seed += 1) {
    const next = random(seed);
    const nodeCount = 1 + Math.floor(next() * 30);
    const edgeCount = Math.floor(next() * nodeCount * 2);
    const edges: [string, string][] = [];
    for (let i = 0; i < edgeCount; i += 1) edges.push([`n${Math.floor(next() * nodeCount)}`, `n${Math.floor(next() * nodeCount)}`]);
    const nodes = Array.from({ length: nodeCount }, (_, i) => `n${i}`);
    const input = graphOf(edges, nodes, next() < 0.5 ? ['n0'] : undefined);
    const layout = layoutGraph(input);
    assertLayeredInvariants(input, layout);
    assert.deepEqual(layoutGraph(structuredClone(input)), layout, `seed ${seed}: not deterministic`);
  }
});
