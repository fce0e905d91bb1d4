/**
 * Call sites as the call graph sees them: every call of a clause with its kind, its target as far
 * as syntax knows it, and for unqualified calls the imports in scope at that point; and the rule
 * that links an imported call to a module.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ElixirParser } from '../syntax/parser';
import { followPath } from './nodeIds';
import { KERNEL_EXPORTS, moduleExports, resolveImportedCall, withKernelExports } from './callGraph';
import { type FileAnalysis, analyzeSource } from './fileAnalysis';
import type { CallSite } from './graph';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

function analyze(source: string): FileAnalysis {
  return analyzeSource(parser, 'lib/fixture.ex', source);
}

/** One line per site: `line:column kind target/arity [candidates] flags`. */
function render(site: CallSite): string {
  const target = site.kind === 'imported' ? site.name : `${site.module ?? '?'}.${site.name ?? '?'}`;
  const candidates = site.kind === 'imported' ? ` [${site.candidates.join(', ')}]` : '';
  const flags = (['piped', 'capture', 'delegate', 'inQuote'] as const).filter((flag) => site[flag]);
  return `${site.line}:${site.column} ${site.kind} ${target}/${site.arity}${candidates}${flags.length > 0 ? ` ${flags.join(' ')}` : ''}`;
}

/** The rendered call sites of the clause `clauseId` in `source`. */
function check(source: string, clauseId: string, expected: string[]): void {
  const analysis = analyze(source);
  const index = analysis.definitions.functions.findIndex((clause) => clause.id === clauseId);
  assert.notEqual(index, -1, `no clause ${clauseId}`);
  assert.deepEqual(analysis.callSites[index]!.map(render), expected);
}

test('remote calls resolve aliases, local calls need a definition, Kernel functions are imported', () => {
  check(
    `defmodule A.B do
  alias Foo.Bar, as: Baz
  def f(x) do
    Baz.run(x)
    g(x)
    __MODULE__.g(x)
    elem(x, 0)
    :lists.reverse(x)
  end
  defp g(x), do: x
end
`,
    'A.B.f/1#1',
    [
      '4:9 remote Foo.Bar.run/1',
      '5:5 local A.B.g/1',
      '6:16 remote A.B.g/1',
      '7:5 imported elem/2 [Kernel]',
      '8:12 remote :lists.reverse/1',
    ],
  );
});

test('syntax is not a call: special forms, operators and definition/conditional macros while Kernel has them', () => {
  check(
    `defmodule A do
  def f(x) do
    y = x + 1
    if y > 2, do: raise("big"), else: case x do _ -> is_nil(x) end
    x |> is_nil()
    for z <- [1], do: z
  end
end
`,
    'A.f/1#1',
    ['4:19 imported raise/1 [Kernel]', '4:54 imported is_nil/1 [Kernel]', '5:10 imported is_nil/1 [Kernel] piped'],
  );
});

test('import only:/except: filter candidates by name and arity; a later import of a module replaces it', () => {
  check(
    `defmodule A do
  import M1, only: [f: 1]
  import M2, except: [f: 1]
  import M3, only: :sigils
  def run(x) do
    f(x)
    f(x, x)
    ~q(text)
    g()
  end
  import M1
  def later(x), do: f(x, x)
end
`,
    'A.run/1#1',
    [
      '6:5 imported f/1 [M1, Kernel]',
      '7:5 imported f/2 [M2, Kernel]',
      '8:5 imported sigil_q/2 [M3, M2, Kernel]',
      '9:5 imported g/0 [M2, Kernel]',
    ],
  );
  check(
    `defmodule A do
  import M1, only: [f: 1]
  import M2, except: [f: 1]
  import M1
  def later(x), do: f(x, x)
end
`,
    'A.later/1#1',
    ['5:21 imported f/2 [M1, M2, Kernel]'],
  );
});

test('except: after an import of the same module narrows what it admitted', () => {
  check(
    `defmodule A do
  import M, only: [f: 1, g: 1]
  import M, except: [f: 1]
  def run(x), do: {f(x), g(x)}
end
`,
    'A.run/1#1',
    ['4:20 imported f/1 [Kernel]', '4:26 imported g/1 [M, Kernel]'],
  );
});

test('imports inside a function body hold for the rest of their block only; nested blocks inherit', () => {
  check(
    `defmodule A do
  def run(x) do
    before(x)
    if x do
      import Inner
      inside(x)
      fn -> nested(x) end
    end
    after_block(x)
    import Outer
    last(x)
  end
end
`,
    'A.run/1#1',
    [
      '3:5 imported before/1 [Kernel]',
      '6:7 imported inside/1 [Inner, Kernel]',
      '7:13 imported nested/1 [Inner, Kernel]',
      '9:5 imported after_block/1 [Kernel]',
      '11:5 imported last/1 [Outer, Kernel]',
    ],
  );
});

test('module-level imports reach the defs after them and nested modules, not the defs before', () => {
  const source = `defmodule A do
  def early, do: helper()
  import Helpers
  def late, do: helper()
  defmodule Inner do
    def inner, do: helper()
  end
end
`;
  check(source, 'A.early/0#1', ['2:18 imported helper/0 [Kernel]']);
  check(source, 'A.late/0#1', ['4:17 imported helper/0 [Helpers, Kernel]']);
  check(source, 'A.Inner.inner/0#1', ['6:20 imported helper/0 [Helpers, Kernel]']);
});

test('import Kernel, except: makes Kernel operators ordinary imported calls; multi-imports and aliases resolve', () => {
  check(
    `defmodule A do
  alias My.Ops
  import Kernel, except: [+: 2, if: 2]
  import Ops
  import My.{Left, Right}, only: [both: 0]
  def run(x), do: if(x + 1, do: both())
end
`,
    'A.run/1#1',
    ['6:19 imported if/2 [My.Ops]', '6:24 imported +/2 [My.Ops]', '6:33 imported both/0 [My.Right, My.Left, My.Ops, Kernel]'],
  );
});

test('use ExUnit.Case imports the test helpers', () => {
  check(
    `defmodule ATest do
  use ExUnit.Case, async: true
  def helper(x), do: assert(x)
end
`,
    'ATest.helper/1#1',
    ['3:22 imported assert/1 [ExUnit.DocTest, ExUnit.Assertions, ExUnit.Callbacks, Kernel]'],
  );
});

test('captures, pipes, defdelegate', () => {
  check(
    `defmodule A do
  def run(list) do
    list |> Enum.map(&String.upcase/1) |> Enum.filter(&local/1) |> Enum.reject(&is_nil/1) |> local()
  end
  defp local(x), do: x
  defdelegate size(map), to: Map, as: :count
end
`,
    'A.run/1#1',
    [
      '3:18 remote Enum.map/2 piped',
      '3:30 remote String.upcase/1 capture',
      '3:48 remote Enum.filter/2 piped',
      '3:56 local A.local/1 capture',
      '3:73 remote Enum.reject/2 piped',
      '3:81 imported is_nil/1 [Kernel] capture',
      '3:94 local A.local/1 piped',
    ],
  );
  check(
    `defmodule A do
  defdelegate size(map), to: Map, as: :count
end
`,
    'A.size/1#1',
    ['2:3 remote Map.count/1 delegate'],
  );
});

test('dynamic calls: variable and attribute receivers, anonymous calls, apply, unquote; map fields are not calls', () => {
  check(
    `defmodule A do
  @mod Some
  def run(mod, fun, args) do
    mod.start(args)
    @mod.stop()
    fun.(1)
    args |> fun.()
    mod.field
    Enum.map(args, &mod.convert/1)
    apply(mod, :go, [1, 2])
    apply(fun, args)
    Kernel.apply(A, :run, args)
    quote do: unquote(mod).call()
  end
end
`,
    'A.run/3#1',
    [
      '4:9 dynamic ?.start/1',
      '5:10 dynamic ?.stop/0',
      '6:8 dynamic ?.?/1',
      '7:16 dynamic ?.?/1 piped',
      '9:10 remote Enum.map/2',
      '9:25 dynamic ?.convert/1 capture',
      '10:5 imported apply/3 [Kernel]',
      '10:5 dynamic ?.go/2',
      '11:5 imported apply/2 [Kernel]',
      '11:5 dynamic ?.?/-1',
      '12:12 remote Kernel.apply/3',
      '12:12 dynamic A.run/-1',
      '13:28 dynamic ?.call/0 inQuote',
    ],
  );
});

test('heads of definitions inside quote are not calls; quoted calls are flagged', () => {
  check(
    `defmodule A do
  defmacro __using__(_) do
    quote do
      def helper(x) when is_atom(x), do: transform(x)
    end
  end
end
`,
    'A.__using__/1#1',
    ['4:26 imported is_atom/1 [Kernel] inQuote', '4:42 imported transform/1 [Kernel] inQuote'],
  );
});

test('call-site paths name the call node (a capture by its &, a delegate by its def)', () => {
  const analysis = analyze(`defmodule A do
  def run(x), do: x |> Enum.map(&is_nil/1) |> length()
end
`);
  const clause = analysis.definitions.functions[0]!;
  const described = analysis.callSites[0]!.map((site) => {
    const node = followPath(clause.node, site.path)!;
    return `${site.name} ${node.kind}:${'name' in node ? node.name : ''}@${node.line}:${node.column}`;
  });
  assert.deepEqual(described, ['map remote:map@2:29', 'is_nil call:&@2:33', 'length call:length@2:47']);
});

test('resolveImportedCall takes the first candidate exporting name/arity, or the one unknown module', () => {
  const site = (candidates: string[], name = 'f', arity = 1): CallSite => ({
    caller: 'A.run/0#1',
    path: [],
    kind: 'imported',
    module: null,
    name,
    arity,
    candidates,
    line: 1,
    column: 1,
    piped: false,
    capture: false,
    delegate: false,
    inQuote: false,
  });
  const known = new Map([
    ['M1', new Set(['g/1'])],
    ['M2', new Set(['f/1'])],
  ]);
  const exportsOf = withKernelExports((module) => known.get(module));
  assert.equal(resolveImportedCall(site(['M1', 'M2', 'Kernel']), exportsOf), 'M2');
  assert.equal(resolveImportedCall(site(['M1', 'Kernel'], 'elem', 2), exportsOf), 'Kernel');
  assert.equal(resolveImportedCall(site(['M1', 'Kernel']), exportsOf), null);
  assert.equal(resolveImportedCall(site(['Dep', 'M1', 'Kernel']), exportsOf), 'Dep');
  assert.equal(resolveImportedCall(site(['Dep', 'Other', 'Kernel']), exportsOf), null);
  assert.equal(resolveImportedCall({ ...site(['M2']), kind: 'local' }, exportsOf), null);
  assert.ok(KERNEL_EXPORTS.has('send/2') && KERNEL_EXPORTS.has('is_nil/1') && !KERNEL_EXPORTS.has('case/2'));
});

test('moduleExports lists public definitions with every default arity', () => {
  const analysis = analyze(`defmodule A do
  def f(a, b \\\\ 1), do: {a, b}
  defp hidden(x), do: x
  defmacro m(x), do: x
  defguard is_small(x) when x < 3
  defguardp is_tiny(x) when x < 1
  defdelegate d(x), to: B
end
`);
  assert.deepEqual([...moduleExports(analysis.definitions.functions).get('A')!].sort(), ['d/1', 'f/1', 'f/2', 'is_small/1', 'm/1']);
});
