/**
 * Node lookup by position (`nodeIdAt`) and by ID (`resolve`). Fixtures are Elixir snippets with a
 * `$0` cursor and an optional `#- /path` header naming the file; `check` says which node ID and
 * source text the cursor lands on. A corpus file then checks the two directions agree for every
 * node of every clause.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseNodeId } from '../common/nodeId';
import { type FileAnalysis, analyzeSource } from '../server/cpg/fileAnalysis';
import { childrenOf } from '../server/syntax/ast';
import { ElixirParser } from '../server/syntax/parser';
import { elixirCorpusRoot } from './support/corpus';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

interface Expected {
  readonly nodeId: string;
  /** Source text of the node found. */
  readonly text: string;
}

test('a variable in the reply tuple of a one-line clause', () => {
  check(
    `
defmodule Counter do
  def handle_call(:get, _from, state), do: {:reply, $0state, state}
end
`,
    { nodeId: 'Counter.handle_call/3#1:1.0.0.1', text: 'state' },
  );
  check(
    `
defmodule Counter do
  def handle_call(:get, _from, state), do: {:reply, state, state$0}
end
`,
    // The cursor just after a name still finds it.
    { nodeId: 'Counter.handle_call/3#1:1.0.0.2', text: 'state' },
  );
});

test('a parameter in the head', () => {
  check(
    `
defmodule Counter do
  def handle_call(:get, _from, st$0ate), do: {:reply, state, state}
end
`,
    { nodeId: 'Counter.handle_call/3#1:0.2', text: 'state' },
  );
});

test('a node in the second clause is numbered #2', () => {
  check(
    `
defmodule Counter do
  def handle_call(:get, _from, state), do: {:reply, state, state}
  def handle_call({:add, n}, _from, state), do: {:reply, :ok, state + $0n}
end
`,
    { nodeId: 'Counter.handle_call/3#2:1.0.0.2.1', text: 'n' },
  );
});

test('clauses are counted per name and arity, bodiless heads included', () => {
  check(
    `
defmodule Defaults do
  def f(a, b \\\\ 1)
  def f(a, 0), do: a
  def f(a, b), do: a / $0b
  def f(a), do: a
end
`,
    { nodeId: 'Defaults.f/2#3:1.0.0.1', text: 'b' },
  );
});

test('a variable in a case clause', () => {
  check(
    `
defmodule Sizes do
  def classify(n) do
    case n do
      small when small < 10 -> {:small, sm$0all}
      big -> {:big, big}
    end
  end
end
`,
    { nodeId: 'Sizes.classify/1#1:1.0.0.1.0.0.0.1.1', text: 'small' },
  );
  check(
    `
defmodule Sizes do
  def classify(n) do
    case n do
      small when $0small < 10 -> {:small, small}
      big -> {:big, big}
    end
  end
end
`,
    // Patterns list > `when` > `<` > its left operand.
    { nodeId: 'Sizes.classify/1#1:1.0.0.1.0.0.0.0.0.1.0', text: 'small' },
  );
});

test('a pipe step', () => {
  const fixture = `
defmodule Pipes do
  def total(list) do
    list
    |> Enum.map(fn x -> x * 2 end)
    |> Enum.s$0um()
  end
end
`;
  check(fixture, { nodeId: 'Pipes.total/1#1:1.0.0.1', text: 'Enum.sum()' });
  check(
    fixture.replace('$0', '').replace('fn x -> x * 2', 'fn x -> x * $02'),
    { nodeId: 'Pipes.total/1#1:1.0.0.0.1.1.0.1.1', text: '2' },
  );
});

test('a module-level node is named after its module with @', () => {
  check(
    `
defmodule Counter do
  use $0GenServer
  def f, do: :ok
end
`,
    { nodeId: 'Counter@1.0.0.0.0', text: 'GenServer' },
  );
  check(
    `
defmodule Outer do
  defmodule Inner do
    $0@attr 1
    def f, do: @attr
  end
end
`,
    // The inner module's body block is `1.0.0`; the attribute is its first expression.
    { nodeId: 'Outer.Inner@1.0.0.0', text: '@attr 1' },
  );
});

test('a node outside any module is named after the file', () => {
  check(
    `#- /scripts/seed.exs
IO.puts("seeding")
Seeds.run($0:all)
`,
    { nodeId: 'scripts/seed.exs@1.1', text: ':all' },
  );
});

test('whitespace between functions finds the module body', () => {
  // Today's choice: the innermost node containing the position is the module's body block, which
  // spans the whole `do … end`, so a blank line between two functions gets its module-level ID.
  check(
    `
defmodule Counter do
  def a, do: 1
$0
  def b, do: 2
end
`,
    { nodeId: 'Counter@1.0.0', text: 'do\n  def a, do: 1\n\n  def b, do: 2\nend' },
  );
});

test('positions outside every node find nothing', () => {
  check('defmodule Counter do\n  def a, do: 1\nend\n$0', undefined);
  check('\n\n$0\ndefmodule Counter do\nend\n', undefined);
  const analysis = analyze('defmodule Counter do\n  def a, do: 1\nend\n');
  assert.equal(analysis.nodeIds.nodeIdAt({ line: 99, column: 1 }), undefined);
  assert.equal(analysis.nodeIds.nodeIdAt({ line: 0, column: 1 }), undefined);
});

test('the defmodule node itself is named from outside the module, and its ID parses', () => {
  check('$0defmodule Counter do\n  def a, do: 1\nend\n', {
    nodeId: 'lib/fixture.ex@0',
    text: 'defmodule Counter do\n  def a, do: 1\nend',
  });
  assert.deepEqual(parseNodeId('lib/fixture.ex@0'), { owner: 'lib/fixture.ex', path: [0], moduleLevel: true });
  // A nested module's node is named within its parent.
  check('defmodule Outer do\n  $0defmodule Inner do\n  end\nend\n', {
    nodeId: 'Outer@1.0.0',
    text: 'defmodule Inner do\n  end',
  });
});

test('resolve finds clause nodes and nothing else', () => {
  const analysis = analyze(
    'defmodule Counter do\n  use GenServer\n  def handle_call(:get, _from, state), do: {:reply, state, state}\nend\n',
  );
  const resolved = analysis.nodeIds.resolve('Counter.handle_call/3#1:1.0.0.2');
  assert.deepEqual(resolved && { start: resolved.start, end: resolved.end, clause: resolved.clause?.id }, {
    start: { line: 3, column: 60 },
    end: { line: 3, column: 65 },
    clause: 'Counter.handle_call/3#1',
  });
  assert.equal(analysis.nodeIds.resolve('Counter.handle_call/3#1')?.node, analysis.definitions.functions[0]!.node);
  // Module-level IDs are not resolved (they are only as stable as the module body around them).
  assert.equal(analysis.nodeIds.resolve('Counter@1.0.0.0'), undefined);
  assert.equal(analysis.nodeIds.resolve('Counter.handle_call/3#2:0'), undefined);
  assert.equal(analysis.nodeIds.resolve('Counter.handle_call/3#1:1.0.0.3'), undefined);
  assert.equal(analysis.nodeIds.resolve('Counter.handle_call/3#1:9'), undefined);
  assert.equal(analysis.nodeIds.resolve('not a node id'), undefined);
});

test('every node of enum.ex round-trips through resolve, and every leaf through nodeIdAt', { timeout: 60_000 }, (t) => {
  const file = 'lib/elixir/lib/enum.ex';
  const text = fs.readFileSync(path.join(elixirCorpusRoot(), file), 'utf8');
  const analysis = analyzeSource(parser, file, text);
  assert.deepEqual(analysis.parse.errors, []);
  let nodeCount = 0;
  let leafCount = 0;
  for (const clause of analysis.definitions.functions) {
    for (const { nodeId, node, path: nodePath } of analysis.nodeIds.clauseNodes(clause)) {
      nodeCount++;
      assert.deepEqual(parseNodeId(nodeId), { owner: clause.id, path: nodePath, moduleLevel: false });
      const resolved = analysis.nodeIds.resolve(nodeId);
      assert.equal(resolved?.node, node, nodeId);
      assert.deepEqual(resolved.start, analysis.parse.lines.elixirPosition(node.start), nodeId);
      assert.deepEqual(resolved.end, analysis.parse.lines.elixirPosition(node.end), nodeId);
      // Parents share their first position with their first child, so only leaves can be found
      // by their start; zero-width synthetic nodes (empty blocks) cannot be found at all.
      if (childrenOf(node).length > 0 || node.end === node.start) continue;
      leafCount++;
      const found = analysis.nodeIds.nodeIdAt(analysis.parse.lines.elixirPosition(node.start));
      assert.equal(found?.nodeId, nodeId, `${nodeId} at ${node.line}:${node.column}`);
    }
  }
  assert.ok(analysis.definitions.functions.length > 400, `${analysis.definitions.functions.length} clauses`);
  assert.ok(leafCount > 4000, `${leafCount} leaves`);
  t.diagnostic(`${file}: ${analysis.definitions.functions.length} clauses, ${nodeCount} nodes, ${leafCount} leaves`);
});

// ---------------------------------------------------------------------------------------------

function analyze(text: string, file = 'lib/fixture.ex'): FileAnalysis {
  return analyzeSource(parser, file, text);
}

/**
 * Reads a fixture (optional `#- /path` header, one `$0` cursor), analyses it and checks the node
 * at the cursor; `expected` undefined means no node is there.
 */
function check(fixture: string, expected: Expected | undefined): void {
  let text = fixture.startsWith('\n') ? fixture.slice(1) : fixture;
  let file = 'lib/fixture.ex';
  const header = /^#- \/(\S+)\n/.exec(text);
  if (header) {
    file = header[1]!;
    text = text.slice(header[0].length);
  }
  const cursor = text.indexOf('$0');
  assert.notEqual(cursor, -1, 'fixture has a $0 cursor');
  text = text.slice(0, cursor) + text.slice(cursor + 2);
  const analysis = analyze(text, file);
  assert.deepEqual(analysis.parse.errors, [], 'fixture parses');
  const position = analysis.parse.lines.elixirPosition(cursor);
  const found = analysis.nodeIds.nodeIdAt(position);
  const actual = found && { nodeId: found.nodeId, text: text.slice(found.node.start, found.node.end) };
  assert.deepEqual(actual, expected, `node at ${position.line}:${position.column}`);
}
