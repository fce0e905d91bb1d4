/**
 * Unit tests of the control-flow graph: complexity values on small snippets, the specific edges
 * each construct is modelled with (see the doc comment of `controlFlow.ts`), the layout of nodes
 * and regions, and half-typed code. Edges are compared as `label --kind--> label` text.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ElixirParser } from '../syntax/parser';
import { buildControlFlow, regionOfNodes, renderControlFlow } from './controlFlow';
import { analyzeSource } from './fileAnalysis';
import type { ControlFlowGraph } from './graph';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

/** The graph of the first clause of `source`, written as the body of a module. */
function graphOf(source: string): ControlFlowGraph {
  const analysis = analyzeSource(parser, 'lib/m.ex', `defmodule M do\n${source}\nend\n`);
  const [clause] = analysis.definitions.functions;
  assert.ok(clause, `no function clause in ${source}`);
  return buildControlFlow(clause);
}

/** Every edge as `from --kind--> to`, by label, in the graph's order. */
function edgesOf(graph: ControlFlowGraph): string[] {
  return graph.edges.map((edge) => `${graph.nodes[edge.from]!.label} --${edge.kind}--> ${graph.nodes[edge.to]!.label}`);
}

function assertEdges(graph: ControlFlowGraph, expected: readonly string[]): void {
  const actual = edgesOf(graph);
  for (const edge of expected) assert.ok(actual.includes(edge), `missing edge ${edge} in\n${actual.join('\n')}`);
}

function assertNoEdges(graph: ControlFlowGraph, unexpected: readonly string[]): void {
  const actual = edgesOf(graph);
  for (const edge of unexpected) assert.ok(!actual.includes(edge), `unexpected edge ${edge} in\n${actual.join('\n')}`);
}

/** Labels of the clause region's steps, in node order. */
function stepLabels(graph: ControlFlowGraph): string[] {
  const regionOf = regionOfNodes(graph);
  return graph.nodes.filter((_node, index) => index >= graph.regions.length * 3 && regionOf[index] === 0).map((node) => node.label);
}

test('complexity: 1 plus the decision points', () => {
  const cases: [string, number][] = [
    ['def f(x), do: g(x)', 1],
    ['def f(x) do\n y = g(x)\n h(y, x)\n end', 1],
    ['def f(x), do: if(x, do: 1, else: 2)', 2],
    ['def f(x), do: unless(x, do: g())', 2],
    ['def f(x) do\n case x do\n 1 -> :a\n 2 -> :b\n 3 -> :c\n end\n end', 3],
    ['def f(x) do\n case x do\n {:ok, y} -> y\n _ -> nil\n end\n end', 2],
    ['def f(x) do\n cond do\n x > 1 -> :a\n x < 0 -> :b\n true -> :c\n end\n end', 3],
    ['def f(a, b), do: a && b', 2],
    ['def f(a, b, c), do: a || (b and c)', 3],
    ['def f(x) when is_integer(x), do: x', 1],
    ['def f(x), do: if(x, do: raise("no"), else: x)', 2],
    ['def f(x), do: raise(x)', 1],
    ['def f(list), do: Enum.map(list, fn y -> if y, do: 1, else: 2 end)', 1],
    ['def f(list), do: for(x <- list, x > 0, do: x)', 3],
    ['def f(x) do\n with {:ok, y} <- g(x), {:ok, z} <- h(y), do: z\n end', 3],
    ['def f(x) do\n try do\n g(x)\n rescue\n ArgumentError -> 1\n RuntimeError -> 2\n end\n end', 3],
    ['def f(x) do\n try do\n g(x)\n after\n h(x)\n end\n end', 2],
    ['def f do\n receive do\n :a -> 1\n :b -> 2\n after\n 10 -> 3\n end\n end', 3],
  ];
  for (const [source, complexity] of cases) assert.equal(graphOf(source).complexity, complexity, source);
});

test('arguments are evaluated before their call, the left of a pipe first', () => {
  assert.deepEqual(stepLabels(graphOf('def f(x, y), do: h(g(x), y)')), ['x', 'y', 'x', 'g/1', 'y', 'h/2']);
  assert.deepEqual(stepLabels(graphOf('def f(a, b), do: a |> g(b) |> Enum.map(b)')), ['a', 'b', 'a', 'b', 'g/2', 'b', 'Enum.map/2']);
});

test('literals are left out; constructors holding computed values are nodes', () => {
  assert.deepEqual(stepLabels(graphOf('def f, do: {:ok, [1, 2], %{a: "b"}, ?a..?z}')), []);
  assert.deepEqual(stepLabels(graphOf('def f(x), do: {:ok, [x]}')), ['x', 'x', '[x]', '{:ok, [x]}']);
});

test('a head pattern that can fail goes to the abnormal exit; a variable cannot fail', () => {
  const graph = graphOf('def f({:ok, x}, y), do: x');
  assertEdges(graph, ['entry --next--> {:ok, x}', '{:ok, x} --nomatch--> abnormal', '{:ok, x} --match--> y']);
  assertNoEdges(graph, ['y --nomatch--> abnormal']);
  assertEdges(graphOf('def f(x) when x > 0, do: x'), ['when x > 0 --nomatch--> abnormal', 'when x > 0 --match--> x']);
});

test('case clauses are tried in order; the last failure raises', () => {
  const graph = graphOf('def f(x) do\n case x do\n {:ok, v} when v > 0 -> v\n :error -> nil\n end\n end');
  assertEdges(graph, [
    'x --next--> case',
    'case --next--> {:ok, v}',
    '{:ok, v} --nomatch--> :error',
    'when v > 0 --nomatch--> :error',
    'when v > 0 --match--> v',
    ':error --nomatch--> abnormal',
  ]);
});

test('if and unless branch on the condition', () => {
  assertEdges(graphOf('def f(x), do: if(x, do: g(), else: h())'), ['x --next--> if', 'if --match--> g/0', 'if --nomatch--> h/0']);
  assertEdges(graphOf('def f(x), do: unless(x, do: g(), else: h())'), ['unless --match--> h/0', 'unless --nomatch--> g/0']);
});

test('&& and || test their left operand', () => {
  assertEdges(graphOf('def f(a, b), do: g(a && b)'), ['a --next--> &&', '&& --match--> b', '&& --nomatch--> g/1', 'b --next--> g/1']);
  assertEdges(graphOf('def f(a, b), do: g(a || b)'), ['|| --match--> g/1', '|| --nomatch--> b']);
});

test('raise goes to the abnormal exit, or to the handlers inside a try body', () => {
  assertEdges(graphOf('def f(x), do: raise(ArgumentError, x)'), ['raise/2 --raise--> abnormal']);
  assertEdges(graphOf('def f(x), do: Kernel.raise(x)'), ['Kernel.raise/1 --raise--> abnormal']);
  assertEdges(graphOf('def f(x), do: :erlang.error(x)'), [':erlang.error/1 --raise--> abnormal']);
  assertEdges(graphOf('def f(x), do: x |> throw()'), ['throw/1 --raise--> abnormal']);
  const graph = graphOf('def f(x) do\n try do\n exit(x)\n catch\n :exit, r -> r\n end\n end');
  assertEdges(graph, ['try --raise--> :exit', 'exit/1 --raise--> :exit']);
  assertNoEdges(graph, ['exit/1 --raise--> abnormal']);
});

test('after runs on the normal and the raise paths, then re-raises', () => {
  const graph = graphOf('def f(x) do\n try do\n g(x)\n rescue\n RuntimeError -> h()\n after\n cleanup()\n end\n end');
  assertEdges(graph, [
    'g/1 --next--> cleanup/0',
    'h/0 --next--> cleanup/0',
    'RuntimeError --nomatch--> cleanup/0',
    'cleanup/0 --next--> exit',
    'cleanup/0 --raise--> abnormal',
  ]);
});

test('receive: unmatched messages wait, after fires on a timeout', () => {
  const graph = graphOf('def f(t) do\n receive do\n {:a, x} -> x\n after\n t -> :timeout\n end\n end');
  assertEdges(graph, ['t --next--> receive', 'receive --next--> {:a, x}', 'receive --timeout--> exit']);
  assertNoEdges(graph, ['{:a, x} --nomatch--> abnormal']);
});

test('for: generators loop, filters and the body go back to the innermost generator', () => {
  const graph = graphOf('def f(xs, ys), do: for(x <- xs, y <- ys, x > y, do: g(x))');
  assertEdges(graph, [
    'x <- … --nomatch--> exit',
    'y <- … --loop--> x <- …',
    '> --loop--> y <- …',
    '> --match--> x',
    'g/1 --loop--> y <- …',
  ]);
  const kinds = new Map(graph.nodes.map((node) => [node.label, node.kind]));
  assert.equal(kinds.get('>'), 'condition');
});

test('with: a mismatch goes to else, or is the result without one', () => {
  assertEdges(graphOf('def f(x), do: with({:ok, y} <- g(x), do: y)'), ['{:ok, y} <- … --nomatch--> exit', '{:ok, y} <- … --match--> y']);
  assertEdges(graphOf('def f(x) do\n with {:ok, y} <- g(x) do\n y\n else\n :error -> nil\n end\n end'), [
    '{:ok, y} <- … --nomatch--> :error',
    ':error --nomatch--> abnormal',
  ]);
});

test('an fn is one step of its clause; its body is a region of its own', () => {
  const graph = graphOf('def f(list), do: Enum.map(list, fn {:ok, x} -> x end)');
  assert.equal(graph.regions.length, 2);
  const [clauseRegion, closureRegion] = graph.regions;
  const regionOf = regionOfNodes(graph);
  const fnStep = graph.nodes.findIndex((node) => node.label === 'fn/1');
  assert.equal(regionOf[fnStep], 0);
  assert.deepEqual(graph.nodes[closureRegion!.entry]!.path, graph.nodes[fnStep]!.path);
  assertEdges(graph, ['entry --next--> {:ok, x}', '{:ok, x} --nomatch--> abnormal', 'fn/1 --next--> Enum.map/2']);
  for (const edge of graph.edges) assert.equal(regionOf[edge.from], regionOf[edge.to], 'an edge crosses regions');
  assert.equal(clauseRegion!.owner.length, 0);
});

test('quote is one step, its bind_quoted values evaluated first', () => {
  assert.deepEqual(stepLabels(graphOf('def f(x), do: quote(bind_quoted: [x: x], do: if(x, do: raise("no")))')), ['x', 'x', '[x: x]', 'quote']);
});

test('nodes: boundaries first, then evaluation order; step paths unique', () => {
  const graph = graphOf('def f(x), do: Enum.map(x, fn y -> fn z -> z end end)');
  assert.deepEqual(
    graph.nodes.slice(0, 9).map((node) => node.kind),
    ['entry', 'exit', 'abnormal', 'entry', 'exit', 'abnormal', 'entry', 'exit', 'abnormal'],
  );
  const stepPaths = graph.nodes.slice(9).map((node) => node.path.join('.'));
  assert.equal(new Set(stepPaths).size, stepPaths.length);
  // Regions in source order: the outer fn before the inner one.
  assert.ok(graph.regions[1]!.owner.length < graph.regions[2]!.owner.length);
});

test('the rendering: header, nodes, edges per region', () => {
  const graph = graphOf('def f(x), do: g(x)');
  assert.equal(
    renderControlFlow('M.f/1#1', graph),
    [
      'M.f/1#1 complexity 1',
      'nodes',
      '  #0 entry      2:1  .       entry',
      '  #1 exit       2:1  .       exit',
      '  #2 abnormal   2:1  .       abnormal',
      '  #3 pattern    2:7  0.0     x',
      '  #4 expression 2:17 1.0.0.0 x',
      '  #5 expression 2:15 1.0.0   g/1',
      'region clause (entry #0, exit #1, abnormal #2)',
      '  #0 2:1 entry --next--> #3 2:7 x',
      '  #3 2:7 x --match--> #4 2:17 x',
      '  #4 2:17 x --next--> #5 2:15 g/1',
      '  #5 2:15 g/1 --next--> #1 2:1 exit',
      '',
    ].join('\n'),
  );
});

test('half-typed code degrades to sequential steps without throwing', () => {
  const snippets = [
    'def f(x) do\n case x do\n end\n end',
    'def f(x) do\n case x\n end',
    'def f(x) do\n if x\n end',
    'def f(x) do\n if x, do:\n end',
    'def f(x) do\n try do\n x\n rescue\n end\n end',
    'def f(x) do\n for <- x do\n end\n end',
    'def f(x) do\n with do\n end\n end',
    'def f(x) do\n x |>\n end',
    'def f(x) do\n fn -> end\n end',
    'def f(x) do\n receive do\n after\n end\n end',
    'def f(x) do\n cond do\n end\n end',
    'def f(x) do\n x ->\n y\n end',
    'def f(x) do\n for x <- , into: do end\n end',
    'def f(x) when do\n end',
    'def f(x) do\n try\n end',
    'def f(x) do\n &(\n end',
  ];
  for (const snippet of snippets) {
    const graph = graphOf(snippet);
    assert.ok(graph.complexity >= 1, snippet);
    assert.equal(graph.nodes[graph.regions[0]!.entry]!.kind, 'entry', snippet);
    for (const edge of graph.edges) assert.ok(graph.nodes[edge.from] && graph.nodes[edge.to], snippet);
  }
});
