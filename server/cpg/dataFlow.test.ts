/**
 * Unit tests of the data-flow layer: small clauses, and for each variable read the definition
 * that reaches it, written `name line:column <- line:column` (`UNBOUND` when none does), with
 * `^` for pins and `captured` for reads from an enclosing clause inside an `fn`.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ElixirParser } from '../syntax/parser';
import { buildDataFlow, renderDataFlow } from './dataFlow';
import { analyzeSource } from './fileAnalysis';
import type { DataFlowGraph } from './graph';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

/** The graph of the first clause in `source` (a module body with one `def`). */
function graphOf(source: string): DataFlowGraph {
  const analysis = analyzeSource(parser, 'test.ex', source);
  const clause = analysis.definitions.functions[0];
  assert.ok(clause, 'the snippet defines no function');
  return buildDataFlow(clause);
}

/** Each read with the definition that reaches it. */
function reads(source: string): string[] {
  const graph = graphOf(source);
  return graph.uses.map((use) => {
    const reaching = graph.edges
      .filter((edge) => edge.kind === 'reach' && edge.to.join('.') === use.path.join('.'))
      .map((edge) => graph.definitions.find((definition) => definition.path.join('.') === edge.from.join('.'))!)
      .map((definition) => `${definition.line}:${definition.column}`);
    const flags = use.captured ? ' captured' : '';
    return `${use.pinned ? '^' : ''}${use.name} ${use.line}:${use.column}${flags} <- ${reaching.join(', ') || 'UNBOUND'}`;
  });
}

/** Edges of one kind as `from -> to` paths. */
function edgesOf(graph: DataFlowGraph, kind: string): string[] {
  return graph.edges.filter((edge) => edge.kind === kind).map((edge) => `${edge.from.join('.')} -> ${edge.to.join('.')}`);
}

test('a rebinding is a new definition and the right side reads the previous one', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(x) do
    x = x + 1
    x
  end
end`),
    ['x 3:9 <- 2:9', 'x 4:5 <- 3:5'],
  );
});

test('definitions carry the construct that binds them', () => {
  const graph = graphOf(`defmodule M do
  def f(a) do
    b = a
    case b do
      {:ok, c} -> fn d -> c + d end
    end
  end
end`);
  assert.deepEqual(
    graph.definitions.map((definition) => `${definition.name} ${definition.via}`),
    ['a param', 'b match', 'c case', 'd fn'],
  );
});

test('a pin reads the binding before the pattern, even when the pattern rebinds the name', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(x, pair) do
    {x, ^x} = pair
    x
  end
end`),
    ['^x 3:10 <- 2:9', 'pair 3:15 <- 2:12', 'x 4:5 <- 3:6'],
  );
});

test('a pin in a case clause is a read, and a guard reads the clause head', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(expected, value) do
    case value do
      ^expected -> :same
      other when other > expected -> other
    end
  end
end`),
    ['value 3:10 <- 2:19', '^expected 4:8 <- 2:9', 'other 5:18 <- 5:7', 'expected 5:26 <- 2:9', 'other 5:38 <- 5:7'],
  );
});

test('a binary size reads a variable bound earlier in the same pattern', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(<<size::8, data::binary-size(size), _::binary>>), do: data
end`),
    ['size 2:38 <- 2:11', 'data 2:63 <- 2:20'],
  );
});

test('both sides of = inside a pattern bind, and a size in a constructed binary is a read', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(%{size: n} = map) do
    {<<0::size(n)>>, map}
  end
end`),
    ['n 3:16 <- 2:17', 'map 3:22 <- 2:22'],
  );
});

test('case clause bindings stay in their clause; the subject binding stays visible', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(value) do
    result = :none
    case parsed = value do
      {:ok, result} -> result
      _ -> result
    end
    {parsed, result}
  end
end`),
    ['value 4:19 <- 2:9', 'result 5:24 <- 5:13', 'result 6:12 <- 3:5', 'parsed 8:6 <- 4:10', 'result 8:14 <- 3:5'],
  );
});

test('if branches do not leak their bindings', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(flag, x) do
    if flag do
      x = 2
      x
    else
      x
    end
    x
  end
end`),
    ['flag 3:8 <- 2:9', 'x 5:7 <- 4:7', 'x 7:7 <- 2:15', 'x 9:5 <- 2:15'],
  );
});

test('an fn captures outer variables; its own clause bindings shadow and stay inside', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(x, n) do
    g = fn x -> x + n end
    h = &(&1 * n)
    {g.(x), h}
  end
end`),
    ['x 3:17 <- 3:12', 'n 3:21 captured <- 2:12', 'n 4:16 captured <- 2:12', 'g 5:6 <- 3:5', 'x 5:9 <- 2:9', 'h 5:13 <- 4:5'],
  );
});

test('a variable bound in an outer fn is captured by an inner fn', () => {
  const graph = graphOf(`defmodule M do
  def f(list) do
    Enum.map(list, fn item ->
      doubled = item * 2
      fn -> doubled end
    end)
  end
end`);
  assert.deepEqual(
    graph.uses.map((use) => `${use.name} ${use.captured}`),
    ['list false', 'item false', 'doubled true'],
  );
});

test('with: clauses see the ones before them, do sees all, else sees none', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(map, value) do
    with {:ok, value} <- Map.fetch(map, value),
         size = byte_size(value) do
      {value, size}
    else
      error -> {error, value}
    end
  end
end`),
    [
      'map 3:36 <- 2:9',
      'value 3:41 <- 2:14',
      'value 4:27 <- 3:16',
      'value 5:8 <- 3:16',
      'size 5:15 <- 4:10',
      'error 7:17 <- 7:7',
      'value 7:24 <- 2:14',
    ],
  );
});

test('with else clauses are bound from every <- source', () => {
  const graph = graphOf(`defmodule M do
  def f(a) do
    with {:ok, b} <- g(a), {:ok, c} <- g(b) do
      c
    else
      error -> error
    end
  end
end`);
  const error = graph.definitions.find((definition) => definition.name === 'error')!;
  const sources = graph.edges.filter((edge) => edge.kind === 'bind' && edge.to.join('.') === error.path.join('.'));
  assert.equal(sources.length, 2);
});

test('for: generators see earlier generators; reduce binds the accumulator from the initial value and the body', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f(rows, limit) do
    for row <- rows, cell <- row, cell < limit, reduce: limit do
      acc -> acc + cell
    end
  end
end`),
    ['rows 3:16 <- 2:9', 'row 3:30 <- 3:9', 'cell 3:35 <- 3:22', 'limit 3:42 <- 2:15', 'limit 3:57 <- 2:15', 'acc 4:14 <- 4:7', 'cell 4:20 <- 3:22'],
  );
  const graph = graphOf(`defmodule M do
  def f(list) do
    for x <- list, reduce: 0 do
      acc -> acc + x
    end
  end
end`);
  // `0` and the body's result `acc + x` both flow into the accumulator.
  assert.deepEqual(edgesOf(graph, 'bind'), ['1.0.0.0.1 -> 1.0.0.0.0', '1.0.0.1.0.0 -> 1.0.0.2.0.0.0.0.0', '1.0.0.2.0.0.0.1 -> 1.0.0.2.0.0.0.0.0']);
});

test('try: do bindings are invisible in rescue, catch, else and after; else gets the do value', () => {
  const source = `defmodule M do
  def f(a) do
    try do
      b = a
      b
    rescue
      e in RuntimeError -> {e, a}
    else
      value -> value
    after
      a
    end
  end
end`;
  assert.deepEqual(reads(source), ['a 4:11 <- 2:9', 'b 5:7 <- 4:7', 'e 7:29 <- 7:7', 'a 7:32 <- 2:9', 'value 9:16 <- 9:7', 'a 11:7 <- 2:9']);
  const graph = graphOf(source);
  const value = graph.definitions.find((definition) => definition.name === 'value')!;
  const doResult = graph.uses.find((use) => use.name === 'b')!;
  assert.ok(graph.edges.some((edge) => edge.kind === 'bind' && edge.from.join('.') === doResult.path.join('.') && edge.to.join('.') === value.path.join('.')));
});

test('value edges: bind from the matched value, operands into calls, the last expression returns', () => {
  const graph = graphOf(`defmodule M do
  def f(a) do
    b = g(a)
    b
  end
end`);
  // def node: 0 head, 1 [do: …]; 1.0.0 the block; 1.0.0.0 `b = g(a)`, 1.0.0.1 the final `b`.
  assert.deepEqual(edgesOf(graph, 'bind'), ['1.0.0.0.1 -> 1.0.0.0.0']);
  assert.deepEqual(edgesOf(graph, 'operand'), ['1.0.0.0.1 -> 1.0.0.0', '1.0.0.0.1.0 -> 1.0.0.0.1']);
  assert.deepEqual(edgesOf(graph, 'return'), ['1.0.0.1 -> ']);
  assert.deepEqual(edgesOf(graph, 'reach'), ['0.0 -> 1.0.0.0.1.0', '1.0.0.0.0 -> 1.0.0.1']);
});

test('code under quote is data, except unquote fragments and options', () => {
  assert.deepEqual(
    reads(`defmodule M do
  defmacro m(ast, opts) do
    quote bind_quoted: [opts: opts] do
      x = 1
      x + unquote(ast) + opts
    end
  end
end`),
    ['opts 3:31 <- 2:19'],
  );
  assert.deepEqual(
    reads(`defmodule M do
  defmacro m(ast) do
    quote do
      x = unquote(ast)
      x
    end
  end
end`),
    ['ast 4:19 <- 2:14'],
  );
});

test('unquote fragments outside quote read module-body variables, not the function’s', () => {
  assert.deepEqual(
    reads(`defmodule M do
  for {name, value} <- [a: 1] do
    def unquote(name)(arg), do: {unquote(value), arg}
  end
end`),
    ['arg 3:50 <- 3:23'],
  );
});

test('module attributes, special variables and underscored names are not variables', () => {
  const graph = graphOf(`defmodule M do
  def f(_ignored) do
    {@attribute, __MODULE__, _ignored}
  end
end`);
  assert.deepEqual(graph.uses, []);
  assert.deepEqual(graph.definitions, []);
});

test('a bare name that nothing binds is an unresolved read', () => {
  assert.deepEqual(
    reads(`defmodule M do
  def f, do: missing
end`),
    ['missing 2:14 <- UNBOUND'],
  );
});

test('half-typed code never throws', () => {
  const source = `defmodule M do
  def f(x, <<n::8, rest::binary-size(n)>>) when x > 0 do
    with {:ok, y} <- g(x), z = y do
      case z do
        ^x -> for a <- [1], reduce: 0 do acc -> acc + a end
        _ -> try do fn b -> b end.(x) rescue e -> e after :ok end
      end
    else
      e -> quote do: unquote(e)
    end
  end
end`;
  for (let end = 0; end <= source.length; end += 3) {
    const analysis = analyzeSource(parser, 'test.ex', source.slice(0, end));
    for (const clause of analysis.definitions.functions) {
      const graph = buildDataFlow(clause);
      assert.equal(typeof renderDataFlow(clause.id, graph), 'string');
    }
  }
});

test('the rendering is deterministic and lists every part of the graph', () => {
  const source = `defmodule M do
  def f(x), do: x
end`;
  const graph = graphOf(source);
  assert.equal(
    renderDataFlow('M.f/1#1', graph),
    [
      'clause M.f/1#1',
      '  definitions (1)',
      '    x 2:9 param [0.0]',
      '  uses (1)',
      '    x 2:17 [1.0.0] <- x 2:9',
      '  edges (2)',
      '    reach   def x 2:9 [0.0] -> x 2:17 [1.0.0]',
      '    return  x 2:17 [1.0.0] -> clause []',
      '',
    ].join('\n'),
  );
});
