/**
 * The function graph page (bundled to `dist/webview/graph.js`, loaded by `client/graphPanel.ts`):
 * a header with the clause and its complexity, CFG/DFG tabs, a legend, and the graph, which
 * pans and zooms with d3-zoom.
 *
 * State (the graph shown and the tab chosen) is kept with the webview API's `setState`, so the
 * page redraws at once when VS Code recreates it after it was hidden. Messages are those of
 * `common/webviewProtocol.ts`.
 */
import * as d3 from 'd3';
import type { FunctionGraphResult } from '../../common/lspProtocol';
import type { GraphViewCommand, GraphViewMessage } from '../../common/webviewProtocol';
import { renderGraph } from './render';
import { buildViewModel, EDGE_KIND_LABELS, type GraphTab, type GraphViewModel } from './viewModel';

interface WebviewApi<State> {
  postMessage(message: GraphViewMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): WebviewApi<State>;

interface PageState {
  readonly graph: FunctionGraphResult | null;
  readonly tab: GraphTab;
}

const MINIMUM_SCALE = 0.1;
const MAXIMUM_SCALE = 4;
const FIT_PADDING = 24;

const vscode = acquireVsCodeApi<PageState>();
let state: PageState = validState(vscode.getState());
/** What is drawn now, for fitting it to the view. */
let lastModel: GraphViewModel | null = null;
let measuringContext: CanvasRenderingContext2D | null = null;

const page = buildPage(document.getElementById('app')!);
const zoom = d3
  .zoom<SVGSVGElement, unknown>()
  .scaleExtent([MINIMUM_SCALE, MAXIMUM_SCALE])
  .on('zoom', (event: d3.D3ZoomEvent<SVGSVGElement, unknown>) => page.viewport.attr('transform', event.transform.toString()));
page.svg.call(zoom).on('dblclick.zoom', null);

window.addEventListener('message', (event: MessageEvent<GraphViewCommand>) => {
  const command = event.data;
  if (command?.type === 'show') {
    setPageState({ graph: command.graph, tab: state.tab });
    draw(true);
  }
});
window.addEventListener('resize', () => fit());

draw(true);
vscode.postMessage({ type: 'ready' });

function setPageState(next: PageState): void {
  state = next;
  vscode.setState(next);
}


function draw(refit: boolean): void {
  const graph = state.graph;
  page.tabs.forEach((button, tab) => {
    button.setAttribute('aria-selected', String(tab === state.tab));
    button.classList.toggle('selected', tab === state.tab);
  });
  if (graph === null) {
    page.title.text('No function selected');
    page.complexity.text('');
    page.message.text('Run "ElixirScope: Show Function Graph" with the cursor inside a function.');
    page.viewport.selectAll('*').remove();
    page.legend.selectAll('*').remove();
    lastModel = null;
    return;
  }
  const view = state.tab === 'cfg' ? graph.cfg : graph.dfg;
  page.title.text(graph.clause);
  const complexity = graph.cfg.complexity ?? view.complexity;
  page.complexity.text(complexity === undefined ? '' : `cyclomatic complexity ${complexity}`);
  page.message.text(view.nodes.length === 0 ? `The ${state.tab.toUpperCase()} of this clause is empty.` : '');
  const model = buildViewModel(view, state.tab, measureText);
  renderGraph(page.viewport, page.defs, model, {
    onNodeActivated: (node) => {
      if (node.line !== null) vscode.postMessage({ type: 'reveal', line: node.line, column: node.column ?? 1 });
    },
  });
  renderLegend(model);
  lastModel = model;
  if (refit) fit();
}

function renderLegend(model: GraphViewModel): void {
  const items = page.legend
    .selectAll<HTMLSpanElement, string>('span.legend-item')
    .data(model.edgeKinds, (kind) => kind)
    .join((enter) => {
      const item = enter.append('span');
      const swatch = item.append('svg').attr('width', 24).attr('height', 8).attr('aria-hidden', 'true');
      swatch.append('line').attr('x1', 0).attr('y1', 4).attr('x2', 24).attr('y2', 4);
      item.append('span').attr('class', 'legend-text');
      return item;
    })
    .attr('class', (kind) => `legend-item kind-${kind}`);
  items.select('span.legend-text').text((kind) => EDGE_KIND_LABELS[kind] ?? kind);
}

/** Fits the whole graph into the view, never enlarging past 1:1, top-aligned. */
function fit(): void {
  if (lastModel === null) return;
  const bounds = page.svg.node()!.getBoundingClientRect();
  const width = Math.max(bounds.width - 2 * FIT_PADDING, 1);
  const height = Math.max(bounds.height - 2 * FIT_PADDING, 1);
  const scale = Math.max(MINIMUM_SCALE, Math.min(1, width / Math.max(lastModel.width, 1), height / Math.max(lastModel.height, 1)));
  const x = (bounds.width - lastModel.width * scale) / 2;
  page.svg.call(zoom.transform, d3.zoomIdentity.translate(x, FIT_PADDING).scale(scale));
}

interface Page {
  readonly title: d3.Selection<HTMLHeadingElement, unknown, null, undefined>;
  readonly complexity: d3.Selection<HTMLSpanElement, unknown, null, undefined>;
  readonly message: d3.Selection<HTMLParagraphElement, unknown, null, undefined>;
  readonly tabs: Map<GraphTab, HTMLButtonElement>;
  readonly legend: d3.Selection<HTMLDivElement, unknown, null, undefined>;
  readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  readonly defs: d3.Selection<SVGDefsElement, unknown, null, undefined>;
  readonly viewport: d3.Selection<SVGGElement, unknown, null, undefined>;
}

function buildPage(app: HTMLElement): Page {
  const root = d3.select(app);
  const header = root.append('header');
  const heading = header.append('div').attr('class', 'heading');
  const title = heading.append('h1');
  const complexity = heading.append('span').attr('class', 'complexity');
  const toolbar = header.append('div').attr('class', 'toolbar');
  const tabList = toolbar.append('div').attr('role', 'tablist').attr('aria-label', 'Graph');
  const tabs = new Map<GraphTab, HTMLButtonElement>();
  for (const [tab, label, tooltip] of [
    ['cfg', 'Control flow', 'The control-flow graph: the order in which the clause runs (CFG)'],
    ['dfg', 'Data flow', 'The data-flow graph: where each value comes from and goes (DFG)'],
  ] as const) {
    const button = tabList.append('button').attr('role', 'tab').attr('title', tooltip).text(label).node()!;
    button.addEventListener('click', () => {
      if (state.tab === tab) return;
      setPageState({ graph: state.graph, tab });
      draw(true);
    });
    tabs.set(tab, button);
  }
  toolbar
    .append('button')
    .attr('class', 'fit')
    .attr('title', 'Fit the graph to the view')
    .text('Fit')
    .on('click', () => fit());
  const legend = root.append('div').attr('class', 'legend');
  const message = root.append('p').attr('class', 'message');
  const svg = root.append('svg').attr('class', 'graph').attr('role', 'img').attr('aria-label', 'Function graph');
  const defs = svg.append('defs');
  const viewport = svg.append('g').attr('class', 'viewport');
  return { title, complexity, message, tabs, legend, svg, defs, viewport };
}


/** Width of `text` in the font the nodes use (the editor's, set on `svg.graph text` by graph.css). */
function measureText(text: string): number {
  if (measuringContext === null) {
    measuringContext = document.createElement('canvas').getContext('2d');
    const sample = page.svg.append('text').attr('class', 'measure').text('x');
    const style = getComputedStyle(sample.node()!);
    if (measuringContext !== null) measuringContext.font = `${style.fontSize} ${style.fontFamily}`;
    sample.remove();
  }
  return measuringContext === null ? text.length * 7.5 : measuringContext.measureText(text).width;
}

function validState(saved: PageState | undefined): PageState {
  if (saved === undefined || saved === null || typeof saved !== 'object') return { graph: null, tab: 'cfg' };
  return { graph: saved.graph ?? null, tab: saved.tab === 'dfg' ? 'dfg' : 'cfg' };
}
