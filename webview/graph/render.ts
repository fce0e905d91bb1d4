/**
 * Draws a `GraphViewModel` into an SVG group with d3: a pure render function of the view model
 * (the same model always gives the same elements), with a join per element kind so that
 * switching between the CFG and the DFG replaces the picture instead of stacking it.
 *
 * Text goes in with `.text()` only, never as HTML: labels are the user's source code.
 */
import * as d3 from 'd3';
import type { GraphViewModel, NodeView } from './viewModel';

export interface RenderHandlers {
  /** The user clicked a node, or pressed Enter or Space on it. */
  readonly onNodeActivated: (node: NodeView) => void;
}

/** Renders `model` into `root` (a `<g>` inside the page's `<svg>`); markers go into `defs`. */
export function renderGraph(
  root: d3.Selection<SVGGElement, unknown, null, undefined>,
  defs: d3.Selection<SVGDefsElement, unknown, null, undefined>,
  model: GraphViewModel,
  handlers: RenderHandlers,
): void {
  renderMarkers(defs, model.edgeKinds);
  renderEdges(root, model);
  renderNodes(root, model, handlers);
}

export function markerId(kind: string): string {
  return `arrow-${kind}`;
}

function renderMarkers(defs: d3.Selection<SVGDefsElement, unknown, null, undefined>, kinds: string[]): void {
  // One marker per edge kind: the arrowhead takes the edge's colour from its class, since
  // `context-stroke` is not dependable in every Chromium the webview may run on.
  defs
    .selectAll<SVGMarkerElement, string>('marker')
    .data(kinds, (kind) => kind)
    .join((enter) => {
      const marker = enter
        .append('marker')
        .attr('viewBox', '0 0 10 10')
        .attr('refX', 9)
        .attr('refY', 5)
        .attr('markerWidth', 7)
        .attr('markerHeight', 7)
        .attr('orient', 'auto-start-reverse');
      marker.append('path').attr('d', 'M0,0 L10,5 L0,10 z');
      return marker;
    })
    .attr('id', markerId)
    .attr('class', (kind) => `marker kind-${kind}`);
}

function renderEdges(root: d3.Selection<SVGGElement, unknown, null, undefined>, model: GraphViewModel): void {
  const layer = ensureLayer(root, 'edges');
  const edges = layer
    .selectAll<SVGGElement, GraphViewModel['edges'][number]>('g.edge')
    .data(model.edges, (edge) => `${model.tab}:${edge.key}`)
    .join((enter) => {
      const group = enter.append('g');
      group.append('path');
      group.append('text').attr('class', 'edge-label').attr('text-anchor', 'middle');
      return group;
    })
    .attr('class', (edge) => `edge kind-${edge.kind}${edge.back ? ' back' : ''}`);
  edges
    .select('path')
    .attr('d', (edge) => edge.path)
    .attr('marker-end', (edge) => `url(#${markerId(edge.kind)})`);
  edges
    .select<SVGTextElement>('text')
    .attr('x', (edge) => edge.labelX)
    .attr('y', (edge) => edge.labelY)
    .attr('dy', '-0.3em')
    .text((edge) => edge.label ?? '');
}

function renderNodes(root: d3.Selection<SVGGElement, unknown, null, undefined>, model: GraphViewModel, handlers: RenderHandlers): void {
  const layer = ensureLayer(root, 'nodes');
  const nodes = layer
    .selectAll<SVGGElement, NodeView>('g.node')
    .data(model.nodes, (node) => `${model.tab}:${node.id}`)
    .join((enter) => {
      const group = enter.append('g');
      group.append('title');
      group.append('rect');
      group.append('text').attr('text-anchor', 'middle').attr('dominant-baseline', 'central');
      return group;
    })
    .attr('class', (node) => `node kind-${node.kind}${node.line === null ? '' : ' revealable'}`)
    .attr('transform', (node) => `translate(${node.x},${node.y})`)
    .attr('tabindex', (node) => (node.line === null ? null : 0))
    .attr('role', (node) => (node.line === null ? null : 'button'))
    .attr('aria-label', (node) => node.title.replace(/\n/g, ', '))
    .on('click', (_event: MouseEvent, node) => {
      if (node.line !== null) handlers.onNodeActivated(node);
    })
    .on('keydown', (event: KeyboardEvent, node) => {
      if ((event.key === 'Enter' || event.key === ' ') && node.line !== null) {
        event.preventDefault();
        handlers.onNodeActivated(node);
      }
    });
  nodes.select('title').text((node) => node.title);
  nodes
    .select('rect')
    .attr('x', (node) => -node.width / 2)
    .attr('y', (node) => -node.height / 2)
    .attr('width', (node) => node.width)
    .attr('height', (node) => node.height)
    .attr('rx', (node) => (node.kind === 'entry' || node.kind === 'exit' || node.kind === 'abnormal' ? node.height / 2 : 4));
  nodes.select<SVGTextElement>('text').text((node) => node.text);
}

/** The `<g class=NAME>` child of `root`, created once, so edges stay beneath nodes. */
function ensureLayer(root: d3.Selection<SVGGElement, unknown, null, undefined>, name: string): d3.Selection<SVGGElement, unknown, null, undefined> {
  const existing = root.select<SVGGElement>(`g.${name}`);
  return existing.empty() ? root.append('g').attr('class', name) : existing;
}
