/**
 * A layered, top-down layout for the small directed graphs of one function clause (its CFG or
 * DFG), in the Sugiyama style but kept short: no layout library, because these graphs have tens
 * of nodes and the steps below are enough for them.
 *
 * 1. Back edges: a depth-first search from the roots (the given ones, then nodes nothing points
 *    to, then whatever is left, all in input order) marks every edge to a node still on the stack
 *    as a back edge. Without them the graph is a DAG; loops (`for` generators, recursion through
 *    `fn`) are drawn as back edges going up.
 * 2. Layers: longest path from the sources over the DAG, so every forward edge points down at
 *    least one layer. A source that is not a root is then pulled down to just above its highest
 *    successor, so that a literal feeding one expression deep in the DFG sits next to it.
 * 3. Order within a layer: discovery order, then a few barycenter sweeps down and up, keeping the
 *    ordering with the fewest crossings between adjacent layers.
 * 4. Coordinates: each layer is a row; nodes move towards the mean x of their neighbours, then
 *    are pushed apart to keep their order and gaps. Weakly connected components (a clause and the
 *    `fn`s inside it, an unreachable abnormal exit) are laid out side by side.
 *
 * Pure and deterministic: the same input gives the same output, to the pixel. No DOM here (the
 * tests compile it without the DOM library); sizes come in with the nodes.
 */

export interface LayoutNodeInput {
  readonly id: string;
  readonly width: number;
  readonly height: number;
}

export interface LayoutEdgeInput {
  readonly from: string;
  readonly to: string;
}

export interface LayoutInput {
  readonly nodes: readonly LayoutNodeInput[];
  readonly edges: readonly LayoutEdgeInput[];
  /** Nodes to start from, in this order (a CFG's entries); they stay in the top layer of their component. */
  readonly roots?: readonly string[];
}

export interface LayoutOptions {
  /** Vertical space between two layers. */
  readonly layerGap: number;
  /** Horizontal space between two nodes of a layer. */
  readonly nodeGap: number;
  /** Horizontal space between two components. */
  readonly componentGap: number;
}

export const DEFAULT_LAYOUT_OPTIONS: LayoutOptions = { layerGap: 48, nodeGap: 24, componentGap: 64 };

export interface PositionedNode {
  readonly id: string;
  /** 0 at the top of its component. */
  readonly layer: number;
  /** Rank within its layer and component, 0 leftmost. */
  readonly order: number;
  readonly component: number;
  /** Centre of the node. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PositionedEdge {
  /** Index of the edge in `LayoutInput.edges`. */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  /** Closes a cycle (found by the depth-first search); drawn going up. Self-loops are back edges. */
  readonly back: boolean;
}

export interface GraphLayout {
  /** In input order; a repeated id keeps its first occurrence. */
  readonly nodes: PositionedNode[];
  /** In input order; edges naming an unknown node are left out. */
  readonly edges: PositionedEdge[];
  readonly width: number;
  readonly height: number;
}

export function layoutGraph(input: LayoutInput, options: LayoutOptions = DEFAULT_LAYOUT_OPTIONS): GraphLayout {
  const graph = indexGraph(input);
  const back = findBackEdges(graph);
  const components = weakComponents(graph);
  const placed: Placement[] = new Array(graph.nodes.length);
  let left = 0;
  let height = 0;
  components.forEach((members, component) => {
    const box = layoutComponent(graph, members, back, component, left, options, placed);
    left += box.width + options.componentGap;
    height = Math.max(height, box.height);
  });
  const width = components.length === 0 ? 0 : left - options.componentGap;
  return {
    nodes: graph.nodes.map((node, index) => ({ id: node.id, width: node.width, height: node.height, ...placed[index]! })),
    edges: graph.edges.map((edge, index) => ({
      index: edge.inputIndex,
      from: graph.nodes[edge.from]!.id,
      to: graph.nodes[edge.to]!.id,
      back: back[index]!,
    })),
    width,
    height,
  };
}

interface IndexedEdge {
  readonly from: number;
  readonly to: number;
  readonly inputIndex: number;
}

interface IndexedGraph {
  readonly nodes: LayoutNodeInput[];
  readonly edges: IndexedEdge[];
  /** Per node, indices into `edges`, in input order. */
  readonly outgoing: number[][];
  readonly incoming: number[][];
  readonly roots: number[];
}

interface Placement {
  layer: number;
  order: number;
  component: number;
  x: number;
  y: number;
}

function indexGraph(input: LayoutInput): IndexedGraph {
  const indexOf = new Map<string, number>();
  const nodes: LayoutNodeInput[] = [];
  for (const node of input.nodes) {
    if (indexOf.has(node.id)) continue;
    indexOf.set(node.id, nodes.length);
    nodes.push(node);
  }
  const edges: IndexedEdge[] = [];
  const outgoing = nodes.map((): number[] => []);
  const incoming = nodes.map((): number[] => []);
  input.edges.forEach((edge, inputIndex) => {
    const from = indexOf.get(edge.from);
    const to = indexOf.get(edge.to);
    if (from === undefined || to === undefined) return;
    outgoing[from]!.push(edges.length);
    incoming[to]!.push(edges.length);
    edges.push({ from, to, inputIndex });
  });
  const roots = (input.roots ?? []).map((id) => indexOf.get(id)).filter((index): index is number => index !== undefined);
  return { nodes, edges, outgoing, incoming, roots: [...new Set(roots)] };
}

/** Per edge: true when the depth-first search finds it closing a cycle. */
function findBackEdges(graph: IndexedGraph): boolean[] {
  const back = graph.edges.map(() => false);
  const state = new Uint8Array(graph.nodes.length); // 0 unseen, 1 on the stack, 2 done
  const visit = (start: number): void => {
    // Iterative, so a long chain of nodes cannot exhaust the stack.
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const out = graph.outgoing[frame.node]!;
      if (frame.next === out.length) {
        state[frame.node] = 2;
        stack.pop();
        continue;
      }
      const edgeIndex = out[frame.next++]!;
      const target = graph.edges[edgeIndex]!.to;
      if (state[target] === 1) back[edgeIndex] = true;
      else if (state[target] === 0) {
        state[target] = 1;
        stack.push({ node: target, next: 0 });
      }
    }
  };
  for (const start of searchStarts(graph)) if (state[start] === 0) visit(start);
  return back;
}

/** Roots first, then nodes without incoming edges, then the rest: all in input order. */
function searchStarts(graph: IndexedGraph): number[] {
  const sources = graph.nodes.map((_, index) => index).filter((index) => graph.incoming[index]!.length === 0);
  const everything = graph.nodes.map((_, index) => index);
  return [...graph.roots, ...sources, ...everything];
}

/** Weakly connected components, each listed in input order, ordered by their first node. */
function weakComponents(graph: IndexedGraph): number[][] {
  const parent = graph.nodes.map((_, index) => index);
  const find = (node: number): number => {
    let root = node;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[node] !== root) {
      const next = parent[node]!;
      parent[node] = root;
      node = next;
    }
    return root;
  };
  for (const edge of graph.edges) {
    const a = find(edge.from);
    const b = find(edge.to);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const byRoot = new Map<number, number[]>();
  graph.nodes.forEach((_, index) => {
    const root = find(index);
    const members = byRoot.get(root) ?? [];
    members.push(index);
    byRoot.set(root, members);
  });
  return [...byRoot.values()];
}

function layoutComponent(
  graph: IndexedGraph,
  members: number[],
  back: boolean[],
  component: number,
  left: number,
  options: LayoutOptions,
  placed: Placement[],
): { width: number; height: number } {
  const forwardOut = (node: number): number[] => graph.outgoing[node]!.filter((edge) => !back[edge]).map((edge) => graph.edges[edge]!.to);
  const forwardIn = (node: number): number[] => graph.incoming[node]!.filter((edge) => !back[edge]).map((edge) => graph.edges[edge]!.from);

  const layer = assignLayers(graph, members, forwardIn, forwardOut);
  const rows = orderRows(graph, members, layer, forwardIn, forwardOut);
  const xs = placeRows(graph, rows, forwardIn, forwardOut, options);

  // Rows to y (each row as tall as its tallest node), x shifted so the component starts at `left`.
  let minimumLeft = Infinity;
  let maximumRight = -Infinity;
  for (const row of rows) {
    for (const node of row) {
      minimumLeft = Math.min(minimumLeft, xs.get(node)! - graph.nodes[node]!.width / 2);
      maximumRight = Math.max(maximumRight, xs.get(node)! + graph.nodes[node]!.width / 2);
    }
  }
  let top = 0;
  rows.forEach((row, rowIndex) => {
    const rowHeight = Math.max(0, ...row.map((node) => graph.nodes[node]!.height));
    row.forEach((node, order) => {
      placed[node] = { layer: rowIndex, order, component, x: left + xs.get(node)! - minimumLeft, y: top + rowHeight / 2 };
    });
    top += rowHeight + options.layerGap;
  });
  return { width: maximumRight - minimumLeft, height: Math.max(0, top - options.layerGap) };
}

function assignLayers(
  graph: IndexedGraph,
  members: number[],
  forwardIn: (node: number) => number[],
  forwardOut: (node: number) => number[],
): Map<number, number> {
  // Kahn's algorithm in input order gives a deterministic topological order of the DAG.
  const remaining = new Map(members.map((node) => [node, forwardIn(node).length]));
  const ready = members.filter((node) => remaining.get(node) === 0);
  const order: number[] = [];
  for (let head = 0; head < ready.length; head += 1) {
    const node = ready[head]!;
    order.push(node);
    for (const next of forwardOut(node)) {
      const left = remaining.get(next)! - 1;
      remaining.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  const layer = new Map<number, number>();
  for (const node of order) layer.set(node, Math.max(0, ...forwardIn(node).map((previous) => layer.get(previous)! + 1)));
  // Pull sources that are not roots down next to their highest successor (reverse order, so a
  // chain of pulled nodes settles from the bottom up).
  const roots = new Set(graph.roots);
  for (const node of [...order].reverse()) {
    if (roots.has(node) || forwardIn(node).length > 0) continue;
    const successors = forwardOut(node).map((next) => layer.get(next)!);
    if (successors.length > 0) layer.set(node, Math.min(...successors) - 1);
  }
  return layer;
}

const SWEEPS = 4;

function orderRows(
  graph: IndexedGraph,
  members: number[],
  layer: Map<number, number>,
  forwardIn: (node: number) => number[],
  forwardOut: (node: number) => number[],
): number[][] {
  const depth = Math.max(0, ...members.map((node) => layer.get(node)!)) + 1;
  const rows: number[][] = Array.from({ length: depth }, () => []);
  for (const node of discoveryOrder(graph, members, forwardOut)) rows[layer.get(node)!]!.push(node);

  let best = rows.map((row) => [...row]);
  let bestCrossings = crossings(best, forwardOut);
  for (let sweep = 0; sweep < SWEEPS && bestCrossings > 0; sweep += 1) {
    const downward = sweep % 2 === 0;
    const sequence = downward ? rows.keys() : [...rows.keys()].reverse();
    for (const rowIndex of sequence) {
      const rank = ranks(rows);
      const row = rows[rowIndex]!;
      const neighbours = downward ? forwardIn : forwardOut;
      const weight = new Map(row.map((node, position) => {
        const around = neighbours(node).map((other) => rank.get(other)!);
        return [node, around.length === 0 ? position : around.reduce((sum, value) => sum + value, 0) / around.length];
      }));
      // Stable: ties keep their current order, which keeps the result deterministic.
      rows[rowIndex] = row
        .map((node, position) => ({ node, position }))
        .sort((a, b) => weight.get(a.node)! - weight.get(b.node)! || a.position - b.position)
        .map((entry) => entry.node);
    }
    const count = crossings(rows, forwardOut);
    if (count < bestCrossings) {
      best = rows.map((row) => [...row]);
      bestCrossings = count;
    }
  }
  return best;
}

/** Preorder of a depth-first search over forward edges, starting as `searchStarts` does. */
function discoveryOrder(graph: IndexedGraph, members: number[], forwardOut: (node: number) => number[]): number[] {
  const inComponent = new Set(members);
  const seen = new Set<number>();
  const order: number[] = [];
  for (const start of searchStarts(graph)) {
    if (!inComponent.has(start) || seen.has(start)) continue;
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      order.push(node);
      // Reversed so the first successor is visited first.
      for (const next of [...forwardOut(node)].reverse()) if (!seen.has(next)) stack.push(next);
    }
  }
  return order;
}

function ranks(rows: number[][]): Map<number, number> {
  const rank = new Map<number, number>();
  for (const row of rows) row.forEach((node, position) => rank.set(node, position));
  return rank;
}

/** Crossings among forward edges between adjacent rows; longer edges are not counted. */
function crossings(rows: number[][], forwardOut: (node: number) => number[]): number {
  const rank = ranks(rows);
  let count = 0;
  for (let rowIndex = 0; rowIndex + 1 < rows.length; rowIndex += 1) {
    const below = new Set(rows[rowIndex + 1]);
    const pairs: [number, number][] = [];
    for (const node of rows[rowIndex]!) {
      for (const next of forwardOut(node)) if (below.has(next)) pairs.push([rank.get(node)!, rank.get(next)!]);
    }
    for (let i = 0; i < pairs.length; i += 1) {
      for (let j = i + 1; j < pairs.length; j += 1) {
        const [a, b] = pairs[i]!;
        const [c, d] = pairs[j]!;
        if ((a - c) * (b - d) < 0) count += 1;
      }
    }
  }
  return count;
}

const ALIGNMENT_PASSES = 3;

/** Horizontal centres per node, relative to an arbitrary origin. */
function placeRows(
  graph: IndexedGraph,
  rows: number[][],
  forwardIn: (node: number) => number[],
  forwardOut: (node: number) => number[],
  options: LayoutOptions,
): Map<number, number> {
  const x = new Map<number, number>();
  // Start with every row packed and centred on 0.
  for (const row of rows) {
    const packed = pack(graph, row, row.map(() => 0), options);
    row.forEach((node, position) => x.set(node, packed[position]!));
  }
  for (let pass = 0; pass < ALIGNMENT_PASSES; pass += 1) {
    const downward = pass % 2 === 0;
    const sequence = downward ? [...rows.keys()].slice(1) : [...rows.keys()].reverse().slice(1);
    for (const rowIndex of sequence) {
      const row = rows[rowIndex]!;
      const desired = row.map((node) => {
        const around = (downward ? forwardIn(node) : forwardOut(node)).map((other) => x.get(other)!);
        return around.length === 0 ? x.get(node)! : around.reduce((sum, value) => sum + value, 0) / around.length;
      });
      const packed = pack(graph, row, desired, options);
      row.forEach((node, position) => x.set(node, packed[position]!));
    }
  }
  return x;
}

/**
 * Centres as close to `desired` as the order and gaps allow: a left-to-right pass enforces the
 * gaps, then the row is shifted so that it sits, on average, where it wanted to be.
 */
function pack(graph: IndexedGraph, row: number[], desired: number[], options: LayoutOptions): number[] {
  const result: number[] = [];
  row.forEach((node, position) => {
    const width = graph.nodes[node]!.width;
    if (position === 0) {
      result.push(desired[0]!);
      return;
    }
    const previous = graph.nodes[row[position - 1]!]!.width;
    result.push(Math.max(desired[position]!, result[position - 1]! + (previous + width) / 2 + options.nodeGap));
  });
  const shift = result.length === 0 ? 0 : desired.reduce((sum, value, position) => sum + value - result[position]!, 0) / result.length;
  return result.map((value) => value + shift);
}
