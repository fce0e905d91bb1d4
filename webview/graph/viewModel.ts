/**
 * Turns one `GraphView` (the CFG or the DFG of a clause, as the server sends it) into what the
 * renderer draws: positioned, labelled nodes and edges with their SVG paths and CSS classes.
 *
 * Pure: no DOM and no d3, so the whole picture is decided here and `render.ts` only joins it to
 * SVG elements. Text width comes in as a function, measured by the page in its real font.
 */
import type { GraphView } from '../../common/lspProtocol';
import { layoutGraph, type PositionedNode } from './layout';

export type GraphTab = 'cfg' | 'dfg';

export interface NodeView {
  readonly id: string;
  /** CSS-safe form of the node kind (`entry`, `condition`, `definition`, …). */
  readonly kind: string;
  /** What the box shows: the label, shortened. */
  readonly text: string;
  /** The tooltip: full label, kind, node ID and position. */
  readonly title: string;
  /** Elixir position to reveal on click; `null` for nodes without one. */
  readonly line: number | null;
  readonly column: number | null;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface EdgeView {
  /** Unique among the graph's edges, for the d3 join. */
  readonly key: string;
  readonly kind: string;
  readonly back: boolean;
  /** SVG path data. */
  readonly path: string;
  /** Shown beside the edge for the kinds that say something (`match`, `raise`, …); else `null`. */
  readonly label: string | null;
  readonly labelX: number;
  readonly labelY: number;
}

export interface GraphViewModel {
  readonly tab: GraphTab;
  readonly nodes: NodeView[];
  readonly edges: EdgeView[];
  /** The edge kinds present, for the legend, in a fixed order. */
  readonly edgeKinds: string[];
  readonly width: number;
  readonly height: number;
}

/** Every CFG edge kind (`CfgEdgeKind`) and DFG edge kind (`DfgEdgeKind`), with its legend text. */
export const EDGE_KIND_LABELS: Readonly<Record<string, string>> = {
  next: 'sequence',
  match: 'match / true',
  nomatch: 'no match / false',
  raise: 'raise / exception',
  timeout: 'after timeout',
  loop: 'loop',
  reach: 'reaches',
  bind: 'binds',
  operand: 'operand',
  return: 'returns',
};

/** CFG edges worth a label on the edge itself; `next` is the common case and stays quiet. */
const LABELLED_EDGE_KINDS = new Set(['match', 'nomatch', 'raise', 'timeout', 'loop']);

export const NODE_HEIGHT = 26;
const NODE_PADDING = 20;
const MAXIMUM_TEXT_LENGTH = 40;
const BACK_EDGE_BULGE = 36;

export function buildViewModel(graph: GraphView, tab: GraphTab, measureText: (text: string) => number): GraphViewModel {
  const texts = new Map(graph.nodes.map((node) => [node.id, shorten(node.label === '' ? node.kind : node.label)]));
  const layout = layoutGraph({
    nodes: graph.nodes.map((node) => ({
      id: node.id,
      width: Math.ceil(measureText(texts.get(node.id)!)) + NODE_PADDING,
      height: NODE_HEIGHT,
    })),
    edges: graph.edges,
    roots: graph.nodes.filter((node) => node.kind === 'entry').map((node) => node.id),
  });
  const source = new Map(graph.nodes.map((node) => [node.id, node]));
  const placed = new Map(layout.nodes.map((node) => [node.id, node]));
  const nodes = layout.nodes.map((node): NodeView => {
    const original = source.get(node.id)!;
    return {
      id: node.id,
      kind: cssIdentifier(original.kind),
      text: texts.get(node.id)!,
      title: nodeTitle(original),
      line: original.line,
      column: original.column,
      x: node.x,
      y: node.y,
      width: node.width,
      height: node.height,
    };
  });
  const edges = layout.edges.map((edge): EdgeView => {
    const kind = cssIdentifier(graph.edges[edge.index]!.kind);
    const from = placed.get(edge.from)!;
    const to = placed.get(edge.to)!;
    const route = edge.back ? backEdgeRoute(from, to) : forwardEdgeRoute(from, to);
    return {
      key: `${edge.index}`,
      kind,
      back: edge.back,
      path: route.path,
      label: LABELLED_EDGE_KINDS.has(kind) ? kind : null,
      labelX: route.labelX,
      labelY: route.labelY,
    };
  });
  const present = new Set(edges.map((edge) => edge.kind));
  const known = Object.keys(EDGE_KIND_LABELS).filter((kind) => present.has(kind));
  const unknown = [...present].filter((kind) => !(kind in EDGE_KIND_LABELS)).sort();
  return { tab, nodes, edges, edgeKinds: [...known, ...unknown], width: layout.width, height: layout.height };
}

/** Lowercase letters, digits and dashes only: kinds become class names and marker ids. */
export function cssIdentifier(kind: string): string {
  const cleaned = kind.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'other' : cleaned;
}

function shorten(text: string): string {
  const singleLine = text.replace(/\s+/g, ' ').trim();
  return singleLine.length > MAXIMUM_TEXT_LENGTH ? `${singleLine.slice(0, MAXIMUM_TEXT_LENGTH - 1)}…` : singleLine;
}

function nodeTitle(node: GraphView['nodes'][number]): string {
  const where = node.line === null ? '' : `\nline ${node.line}${node.column === null ? '' : `, column ${node.column}`}`;
  return `${node.label}\n${node.kind} · ${node.id}${where}`;
}

interface Route {
  readonly path: string;
  readonly labelX: number;
  readonly labelY: number;
}

/** Bottom centre of `from` to top centre of `to`, as a vertical S-curve. */
function forwardEdgeRoute(from: PositionedNode, to: PositionedNode): Route {
  const startX = from.x;
  const startY = from.y + from.height / 2;
  const endX = to.x;
  const endY = to.y - to.height / 2;
  const middleY = (startY + endY) / 2;
  return {
    path: `M${round(startX)},${round(startY)} C${round(startX)},${round(middleY)} ${round(endX)},${round(middleY)} ${round(endX)},${round(endY)}`,
    labelX: round((startX + endX) / 2),
    labelY: round(middleY),
  };
}

/** Out of the right side of `from`, around, into the right side of `to` (above it, or itself). */
function backEdgeRoute(from: PositionedNode, to: PositionedNode): Route {
  const startX = from.x + from.width / 2;
  const startY = from.y;
  const endX = to.x + to.width / 2;
  const endY = from.id === to.id ? to.y - to.height / 2 : to.y;
  const bulgeX = Math.max(startX, endX) + BACK_EDGE_BULGE;
  if (from.id === to.id) {
    return {
      path: `M${round(startX)},${round(startY)} C${round(bulgeX)},${round(startY)} ${round(bulgeX)},${round(endY - 14)} ${round(to.x + to.width / 4)},${round(endY)}`,
      labelX: round(bulgeX),
      labelY: round(endY - 6),
    };
  }
  return {
    path: `M${round(startX)},${round(startY)} C${round(bulgeX)},${round(startY)} ${round(bulgeX)},${round(endY)} ${round(endX)},${round(endY)}`,
    labelX: round(bulgeX - BACK_EDGE_BULGE / 4),
    labelY: round((startY + endY) / 2),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
