/**
 * The stored form of the per-clause graphs: compact JSON for `control_flow.graph` and
 * `data_flow.graph`, and its decoding back into the `graph.ts` types.
 *
 * The per-clause graphs are most of the database (Elixir's own source has about a million graph
 * nodes and edges), and every byte of them is stringified in a worker, copied to the main thread,
 * inserted, exported and hashed. So kinds are small integers, edges are flat integer triples,
 * node paths are dotted strings, and the data-flow graph names each path once in a table that
 * its definitions, uses and edges index into. The JSON is stored as UTF-8 bytes (a BLOB):
 * encoding happens in the analysis workers, and binding bytes costs SQLite much less than
 * binding the same text. Decoding gives back exactly what was encoded.
 */
import type {
  CfgEdgeKind,
  CfgNodeKind,
  ControlFlowGraph,
  DataFlowGraph,
  DefinitionKind,
  DfgEdgeKind,
} from './graph';

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

const CFG_NODE_KINDS: readonly CfgNodeKind[] = ['entry', 'exit', 'abnormal', 'expression', 'pattern', 'condition', 'branch'];
const CFG_EDGE_KINDS: readonly CfgEdgeKind[] = ['next', 'match', 'nomatch', 'raise', 'timeout', 'loop'];
const DEFINITION_KINDS: readonly DefinitionKind[] = ['param', 'match', 'generator', 'case', 'receive', 'fn', 'catch', 'rescue', 'else', 'reduce', 'clause'];
const DFG_EDGE_KINDS: readonly DfgEdgeKind[] = ['reach', 'bind', 'operand', 'return'];

interface StoredControlFlow {
  /** `[path, kind, line, column, label]` per node. */
  n: [string, number, number, number, string][];
  /** `from, to, kind` per edge, flattened. */
  e: number[];
  /** `[owner, entry, exit, abnormal]` per region. */
  r: [string, number, number, number][];
  c: number;
}

interface StoredDataFlow {
  /** Every node path the graph mentions, dotted. */
  p: string[];
  /** `[path index, name, line, column, via]` per definition. */
  d: [number, string, number, number, number][];
  /** `[path index, name, line, column, flags]` per use; flags: 1 pinned, 2 captured. */
  u: [number, string, number, number, number][];
  /** `from path index, to path index, kind` per edge, flattened. */
  e: number[];
}

export function encodeControlFlow(graph: ControlFlowGraph): Uint8Array {
  const stored: StoredControlFlow = {
    n: graph.nodes.map((node) => [node.path.join('.'), kindIndex(CFG_NODE_KINDS, node.kind), node.line, node.column, node.label]),
    e: flatEdges(graph.edges, (edge) => edge.from, (edge) => edge.to, (edge) => kindIndex(CFG_EDGE_KINDS, edge.kind)),
    r: graph.regions.map((region) => [region.owner.join('.'), region.entry, region.exit, region.abnormal]),
    c: graph.complexity,
  };
  return UTF8_ENCODER.encode(JSON.stringify(stored));
}

export function decodeControlFlow(bytes: Uint8Array): ControlFlowGraph {
  const stored = JSON.parse(UTF8_DECODER.decode(bytes)) as StoredControlFlow;
  const edges: ControlFlowGraph['edges'] = [];
  for (let index = 0; index < stored.e.length; index += 3) {
    edges.push({ from: stored.e[index]!, to: stored.e[index + 1]!, kind: CFG_EDGE_KINDS[stored.e[index + 2]!]! });
  }
  return {
    nodes: stored.n.map(([path, kind, line, column, label]) => ({ path: splitPath(path), kind: CFG_NODE_KINDS[kind]!, line, column, label })),
    edges,
    regions: stored.r.map(([owner, entry, exit, abnormal]) => ({ owner: splitPath(owner), entry, exit, abnormal })),
    complexity: stored.c,
  };
}

export function encodeDataFlow(graph: DataFlowGraph): Uint8Array {
  const paths: string[] = [];
  const indexes = new Map<string, number>();
  // The passes share one path array per node, so most lookups hit by identity without joining.
  const byArray = new Map<readonly number[], number>();
  const intern = (path: readonly number[]) => {
    let index = byArray.get(path);
    if (index !== undefined) return index;
    const dotted = path.join('.');
    index = indexes.get(dotted);
    if (index === undefined) {
      index = paths.length;
      paths.push(dotted);
      indexes.set(dotted, index);
    }
    byArray.set(path, index);
    return index;
  };
  const stored: StoredDataFlow = {
    p: paths,
    d: graph.definitions.map((definition) => [intern(definition.path), definition.name, definition.line, definition.column, kindIndex(DEFINITION_KINDS, definition.via)]),
    u: graph.uses.map((use) => [intern(use.path), use.name, use.line, use.column, (use.pinned ? 1 : 0) | (use.captured ? 2 : 0)]),
    e: flatEdges(graph.edges, (edge) => intern(edge.from), (edge) => intern(edge.to), (edge) => kindIndex(DFG_EDGE_KINDS, edge.kind)),
  };
  return UTF8_ENCODER.encode(JSON.stringify(stored));
}

export function decodeDataFlow(bytes: Uint8Array): DataFlowGraph {
  const stored = JSON.parse(UTF8_DECODER.decode(bytes)) as StoredDataFlow;
  const paths = stored.p.map(splitPath);
  const edges: DataFlowGraph['edges'] = [];
  for (let index = 0; index < stored.e.length; index += 3) {
    edges.push({ from: paths[stored.e[index]!]!, to: paths[stored.e[index + 1]!]!, kind: DFG_EDGE_KINDS[stored.e[index + 2]!]! });
  }
  return {
    definitions: stored.d.map(([path, name, line, column, via]) => ({ path: paths[path]!, name, line, column, via: DEFINITION_KINDS[via]! })),
    uses: stored.u.map(([path, name, line, column, flags]) => ({ path: paths[path]!, name, line, column, pinned: (flags & 1) !== 0, captured: (flags & 2) !== 0 })),
    edges,
  };
}

function flatEdges<E>(edges: readonly E[], from: (edge: E) => number, to: (edge: E) => number, kind: (edge: E) => number): number[] {
  const flat = new Array<number>(edges.length * 3);
  for (let index = 0; index < edges.length; index++) {
    const edge = edges[index]!;
    flat[index * 3] = from(edge);
    flat[index * 3 + 1] = to(edge);
    flat[index * 3 + 2] = kind(edge);
  }
  return flat;
}

function kindIndex<T>(kinds: readonly T[], kind: T): number {
  const index = kinds.indexOf(kind);
  if (index === -1) throw new Error(`graph codec: unknown kind ${String(kind)}`);
  return index;
}

/** A node path from its stored dotted form (`''` is the clause's own node). */
export function splitPath(dotted: string): number[] {
  return dotted === '' ? [] : dotted.split('.').map(Number);
}
