# ExUnit tests of ElixirScope.Instrumenter on small modules: each is compiled plainly first (as
# in the program being recorded), run, instrumented from its file, and run again; the results,
# exceptions and stack traces must be the same and the events the expected ones.
#
#   elixir runtime/test/instrumenter_test.exs
root = Path.expand("..", __DIR__)

unless Code.ensure_loaded?(ElixirScope.Instrumenter) do
  for file <- ~w(protocol instrumenter/source_hash instrumenter/cache instrumenter/rewrite instrumenter) do
    Code.require_file("lib/elixir_scope/#{file}.ex", root)
  end
end

Code.require_file("test/support/instrumenter_recorder.ex", root)
Code.require_file("test/support/instrumenter_planner.ex", root)
ExUnit.start()

defmodule ElixirScope.InstrumenterTest do
  use ExUnit.Case, async: false

  # The modules under test are compiled by the tests themselves.
  @compile {:no_warn_undefined,
            [
              IT.Defaults,
              IT.Raises,
              IT.TryBodies,
              IT.Names,
              IT.Skipped,
              IT.Loop,
              IT.Server,
              IT.Bindings,
              IT.For,
              IT.Pipes
            ]}
  @compile {:no_warn_undefined, [IT.Stale, IT.Planned, IT.Other, IT.First, IT.Cached, IT.Partial]}

  import ExUnit.CaptureIO

  alias ElixirScope.Instrumenter
  alias ElixirScope.Instrumenter.SourceHash
  alias ElixirScope.InstrumenterTest.{Planner, Recorder}

  setup_all do
    directory = Path.join(System.tmp_dir!(), "elixirscope-instrumenter-#{System.unique_integer([:positive])}")
    File.mkdir_p!(directory)
    on_exit(fn -> File.rm_rf!(directory) end)
    {:ok, directory: directory}
  end

  setup do
    Recorder.start(:events)
    :ok
  end

  describe "clauses" do
    test "records arguments with defaults, results and multi-clause guards", %{directory: directory} do
      source = """
      defmodule IT.Defaults do
        def f(a, b \\\\ 2, c \\\\ 3), do: a + b + c

        def kind(x) when is_integer(x) and x > 0, do: :positive
        def kind(x) when is_integer(x), do: :other
        def kind(x) when is_binary(x), do: {:binary, byte_size(x)}
      end
      """

      same_behaviour(directory, source, fn ->
        [
          IT.Defaults.f(1),
          IT.Defaults.f(1, 10),
          IT.Defaults.kind(5),
          IT.Defaults.kind(-1),
          IT.Defaults.kind("ab"),
          outcome(fn -> IT.Defaults.kind(:atom) end)
        ]
      end)

      assert [{:call, _, _, [1, 2, 3]}, {:return, _, _, 6}, {:call, _, _, [1, 10, 3]}, {:return, _, _, 14} | rest] =
               calls_and_returns()

      assert [
               {:call, _, _, [5]},
               {:return, _, _, :positive},
               {:call, _, _, [-1]},
               {:return, _, _, :other},
               {:call, _, _, ["ab"]},
               {:return, _, _, {:binary, 2}}
             ] = rest
    end

    test "an exception keeps its kind, reason and stack trace, and is recorded", %{directory: directory} do
      source = """
      defmodule IT.Raises do
        def outer(x), do: inner(x) + 1
        def inner(x), do: raise(ArgumentError, "bad \#{x}")
        def thrower(x), do: throw({:thrown, x})
        def exiter(x), do: exit({:bye, x})
        def tail(x), do: inner(x)
      end
      """

      plain_traces =
        same_behaviour(
          directory,
          source,
          fn ->
            for fun <- [:outer, :thrower, :exiter, :tail], do: outcome(fn -> apply(IT.Raises, fun, [7]) end)
          end,
          :debug,
          fn -> Enum.map([:outer, :tail], &stacktrace_of(fn -> apply(IT.Raises, &1, [7]) end)) end
        )

      assert [
               {:call, _, outer, [7]},
               {:call, _, inner, [7]},
               {:raise, _, inner, {:error, %ArgumentError{message: "bad 7"}}},
               {:raise, _, outer, {:error, %ArgumentError{}}},
               {:call, _, thrower, [7]},
               {:raise, _, thrower, {:throw, {:thrown, 7}}},
               {:call, _, exiter, [7]},
               {:raise, _, exiter, {:exit, {:bye, 7}}},
               # `tail` tail-calls `inner`: it ends before `inner` starts, as its frame does.
               {:call, _, tail, [7]},
               {:return, _, tail, {:"$elixir_scope_tail_call", :inner, 1}},
               {:call, _, inner2, [7]},
               {:raise, _, inner2, {:error, %ArgumentError{}}}
             ] = calls_and_returns()

      assert outer != inner and inner2 != inner

      # The plain trace of `outer` lacks `outer` itself (`inner` never returns, so the compiler
      # made its call a tail call); the instrumented one has every frame of the plain one, in
      # order; with a real tail call (`tail`) they are the same.
      [outer_trace, tail_trace] = Enum.map([:outer, :tail], &stacktrace_of(fn -> apply(IT.Raises, &1, [7]) end))
      [plain_outer, plain_tail] = plain_traces
      assert subsequence?(plain_outer, outer_trace)
      assert tail_trace == plain_tail
    end

    test "bodies with rescue, catch, else and after", %{directory: directory} do
      source = """
      defmodule IT.TryBodies do
        def safe_div(a, b) do
          div(a, b)
        rescue
          error in ArithmeticError -> {:error, error.message}
        else
          0 -> :zero
          n -> {:ok, n}
        after
          send(self(), :cleaned_up)
        end

        def caught(fun) do
          fun.()
        catch
          :throw, value -> {:caught, value}
        end
      end
      """

      same_behaviour(directory, source, fn ->
        results = [
          IT.TryBodies.safe_div(6, 3),
          IT.TryBodies.safe_div(1, 0),
          IT.TryBodies.safe_div(0, 5),
          IT.TryBodies.caught(fn -> throw(:ball) end)
        ]

        cleanups = for _ <- 1..3, do: receive(do: (:cleaned_up -> :ok), after: (0 -> :missing))
        results ++ cleanups
      end)

      assert [
               {:call, _, _, [6, 3]},
               {:return, _, _, {:ok, 2}},
               {:call, _, _, [1, 0]},
               {:return, _, _, {:error, "bad argument in arithmetic expression"}},
               {:call, _, _, [0, 5]},
               {:return, _, _, :zero},
               {:call, _, _, [_fun]},
               {:return, _, _, {:caught, :ball}}
             ] = calls_and_returns()

      assert ["a", "b", "error", "n", "fun", "value"] -- bound_names() == []
    end

    test "generated variables do not clash with the user's", %{directory: directory} do
      source = """
      defmodule IT.Names do
        def f(elixir_scope_arg, kind, reason) do
          elixir_scope_call = {elixir_scope_arg, kind}
          elixir_scope_value = reason
          {elixir_scope_call, elixir_scope_value}
        end
      end
      """

      same_behaviour(directory, source, fn -> IT.Names.f(1, 2, 3) end)
    end

    test "bodiless heads, macros and unquoted heads are left alone and reported", %{directory: directory} do
      source = """
      defmodule IT.Skipped do
        def head(a, b \\\\ 1)
        def head(a, b), do: a + b
        defmacro twice(x), do: quote(do: unquote(x) * 2)
        for name <- [:one] do
          def unquote(name)(), do: 1
        end
        def uses_macro(x), do: twice(x)
        defdelegate size(binary), to: Kernel, as: :byte_size
      end
      """

      path = write(directory, "skipped.ex", source)
      compile_plainly(path)
      manifest = Planner.manifest([path], :debug)

      # The planner plans none of these; ask for them anyway, by position.
      extra = [{2, 3, "head/2"}, {4, 3, "twice/1"}, {6, 5, "one/0"}, {9, 3, "size/1"}]
      manifest = add_clauses(manifest, extra)
      [result] = load(manifest)

      assert result.status == "instrumented"
      assert result.error =~ "4 of"
      assert result.error =~ "a bodiless clause has nothing to record"
      assert result.error =~ "macros run at compile time"
      assert result.error =~ "its name is built with unquote"
      assert result.error =~ "a delegate is recorded at its target"

      assert IT.Skipped.head(1) == 2 and IT.Skipped.uses_macro(4) == 8 and IT.Skipped.one() == 1 and
               IT.Skipped.size("ab") == 2
    end
  end

  describe "tail calls" do
    test "a 1e6-iteration tail recursion runs in constant stack", %{directory: directory} do
      source = """
      defmodule IT.Loop do
        def count(0, acc), do: {acc, Process.info(self(), :stack_size)}
        def count(n, acc), do: count(n - 1, acc + 1)

        def even?(0), do: true
        def even?(n), do: odd?(n - 1)
        defp odd?(0), do: false
        defp odd?(n), do: __MODULE__.even?(n - 1)

        def len([]), do: 0
        def len([_ | tail]), do: 1 + len(tail)
      end
      """

      path = write(directory, "loop.ex", source)
      compile_plainly(path)
      assert [%{status: "instrumented", error: nil}] = load(Planner.manifest([path], :debug))
      Recorder.start(:counts)

      {result, {:stack_size, words}} = IT.Loop.count(1_000_000, 0)
      assert result == 1_000_000
      assert words < 1_000, "the stack grew to #{words} words"
      assert IT.Loop.even?(100_001) == false
      assert IT.Loop.len(Enum.to_list(1..10_000)) == 10_000

      counts = Recorder.counts()
      calls = for {{:call, _}, count} <- counts, reduce: 0, do: (acc -> acc + count)
      ends = for {{type, _}, count} <- counts, type in [:return, :raise], reduce: 0, do: (acc -> acc + count)
      assert calls == 1_000_001 + 100_002 + 10_001
      assert ends == calls
    end

    test "a receive loop keeps a constant stack and its tail positions in case, if and cond", %{directory: directory} do
      source = """
      defmodule IT.Server do
        def loop(total) do
          receive do
            {:add, n} when n > 0 ->
              if n > 100, do: loop(total + 100), else: loop(total + n)

            {:add, _} ->
              cond do
                total > 0 -> loop(total)
                true -> __MODULE__.loop(0)
              end

            {:get, from} ->
              send(from, {total, Process.info(self(), :stack_size)})
              total |> loop()

            :stop ->
              :stopped
          after
            5_000 -> :timeout
          end
        end
      end
      """

      path = write(directory, "server.ex", source)
      compile_plainly(path)
      assert [%{status: "instrumented", error: nil}] = load(Planner.manifest([path], :debug))
      Recorder.start(:counts)

      server = spawn(fn -> send(self(), :ok) && IT.Server.loop(0) end)
      for n <- 1..100_000, do: send(server, {:add, rem(n, 3) - 1})
      send(server, {:get, self()})
      assert_receive {total, {:stack_size, words}}, 5_000
      assert total == Enum.sum(for n <- 1..100_000, rem(n, 3) - 1 > 0, do: rem(n, 3) - 1)
      assert words < 1_000, "the stack grew to #{words} words"
      send(server, :stop)
    end
  end

  describe "bindings" do
    test "reports every binding after its match, with the match's value unchanged", %{directory: directory} do
      source = """
      defmodule IT.Bindings do
        def last(x), do: {:ok, y} = {:ok, x + 1}

        def chained(x) do
          a = b = x * 2
          {a, b}
        end

        def heads(list) do
          doubled = Enum.map(list, fn {k, v} -> {k, v * 2} end)

          summary =
            case doubled do
              [{first, _} | rest] -> {first, length(rest)}
              [] -> :empty
            end

          total = for {_, v} <- doubled, w = v + 1, reduce: 0 do
            acc -> acc + w
          end

          with {:ok, found} <- Keyword.fetch(doubled, :b),
               true <- found > 0 do
            {summary, total, found}
          else
            :error -> :missing
            other -> {:not_positive, other}
          end
        end

        def mailbox do
          send(self(), {:msg, 42})

          receive do
            {:msg, m} -> m
          end
        end

        def bits(<<size::8, data::binary-size(size), rest::binary>>), do: {data, rest}
        def pinned(x, y) do
          ^x = y
          x
        end
      end
      """

      same_behaviour(directory, source, fn ->
        [
          IT.Bindings.last(1),
          IT.Bindings.chained(3),
          IT.Bindings.heads(a: 1, b: 2),
          IT.Bindings.heads([]),
          IT.Bindings.mailbox(),
          IT.Bindings.bits(<<2, "ab", "rest">>),
          IT.Bindings.pinned(1, 1),
          outcome(fn -> IT.Bindings.pinned(1, 2) end)
        ]
      end)

      binds = for {:bind, index, _, value} <- Recorder.events(), do: {node_name(index), value}
      assert {"y", 2} in binds
      assert {"b", 6} in binds and {"a", 6} in binds
      assert {"doubled", [a: 2, b: 4]} in binds
      assert {"k", :a} in binds and {"v", 1} in binds
      assert {"first", :a} in binds and {"rest", [b: 4]} in binds
      assert {"w", 5} in binds and {"acc", 3} in binds and {"total", 8} in binds
      assert {"found", 4} in binds
      assert {"m", 42} in binds
      assert {"size", 2} in binds and {"data", "ab"} in binds
    end

    test "a for generator reports before the filters that follow it", %{directory: directory} do
      source = """
      defmodule IT.For do
        def evens(list), do: for(x <- list, rem(x, 2) == 0, do: x)
        def chars(bin), do: for(<<c <- bin>>, c != ?b, into: "", do: <<c>>)
      end
      """

      same_behaviour(directory, source, fn -> {IT.For.evens([1, 2, 3, 4]), IT.For.chars("abc")} end)
      xs = for {:bind, index, _, value} <- Recorder.events(), node_name(index) == "x", do: value
      cs = for {:bind, index, _, value} <- Recorder.events(), node_name(index) == "c", do: value
      assert xs == [1, 2, 3, 4] and cs == ~c"abc"
    end
  end

  describe "expressions" do
    test "full mode records each pipe stage, never in patterns or guards", %{directory: directory} do
      source = """
      defmodule IT.Pipes do
        def run(x) when x |> is_integer() do
          x |> Kernel.+(1) |> Kernel.*(2) |> Integer.to_string()
        end
      end
      """

      same_behaviour(directory, source, fn -> IT.Pipes.run(4) end, :full)
      assert [5, 10, "10"] == for({:value, _, _, value} <- Recorder.events(), do: value)
    end
  end

  describe "loading" do
    test "a file that changed since the plan is stale and left alone", %{directory: directory} do
      path = write(directory, "stale.ex", "defmodule IT.Stale do\n  def f, do: 1\nend\n")
      compile_plainly(path)
      md5 = IT.Stale.module_info(:md5)

      manifest =
        update_in(Planner.manifest([path], :debug), ["modules", Access.at(0), "sourceHash"], fn _ ->
          String.duplicate("0", 40)
        end)

      assert [%{status: "stale", error: error}] = load(manifest)
      assert error =~ "changed since the recording was planned"
      assert IT.Stale.module_info(:md5) == md5
    end

    test "only the planned modules of a file are recompiled", %{directory: directory} do
      source = """
      defmodule IT.Planned do
        def f(x), do: x
      end

      defmodule IT.Other do
        @stamp System.unique_integer()
        def stamp, do: @stamp
      end

      IO.puts("top-level code ran")
      """

      path = write(directory, "two.ex", source)
      capture_io(fn -> compile_plainly(path) end)
      stamp = IT.Other.stamp()
      manifest = Planner.manifest([path], :debug)

      manifest =
        Map.update!(manifest, "modules", fn modules -> Enum.filter(modules, &(&1["module"] == "IT.Planned")) end)

      assert capture_io(fn -> assert [%{status: "instrumented", module: "IT.Planned"}] = load(manifest) end) == ""
      assert IT.Other.stamp() == stamp
      assert IT.Planned.f(3) == 3
      assert [{:call, _, _, [3]}, {:return, _, _, 3}] = calls_and_returns()
    end

    test "a failed compilation reports, and puts back what it had replaced", %{directory: directory} do
      source = """
      defmodule IT.First do
        def f, do: :original
      end

      defmodule IT.Second do
        if :persistent_term.get(:it_second_fails, false), do: raise("cannot compile")
        def g, do: :original
      end
      """

      # Put back from its .beam on the code path, as the modules of a compiled project are.
      path = write(directory, "failing.ex", source)
      beams = Path.join(directory, "beams")
      File.mkdir_p!(beams)
      Code.prepend_path(beams)
      {:ok, _, _} = Kernel.ParallelCompiler.compile_to_path([path], beams, return_diagnostics: false)
      md5 = IT.First.module_info(:md5)
      :persistent_term.put(:it_second_fails, true)

      try do
        results = load(Planner.manifest([path], :debug))
        assert [%{status: "failed", error: "cannot compile"}, %{status: "failed"}] = results
      after
        :persistent_term.erase(:it_second_fails)
      end

      assert IT.First.module_info(:md5) == md5
      assert IT.First.f() == :original and Recorder.events() == []
    end

    test "unreadable, unparsable and unknown modules fail without raising", %{directory: directory} do
      broken = write(directory, "broken.ex", "defmodule IT.Broken do\n  def f(, do: 1\nend\n")
      good = write(directory, "good.ex", "defmodule IT.Good do\n  def f, do: 1\nend\n")
      compile_plainly(good)

      manifest = %{
        "mode" => "debug",
        "nodes" => [%{"id" => "IT.Good.f/0#1", "kind" => "clause", "line" => 2, "column" => 3}],
        "modules" => [
          %{
            "module" => "IT.Missing",
            "file" => Path.join(directory, "missing.ex"),
            "sourceHash" => "x",
            "clauses" => [0]
          },
          %{
            "module" => "IT.Broken",
            "file" => broken,
            "sourceHash" => SourceHash.sha1_hex(File.read!(broken)),
            "clauses" => [0]
          },
          %{
            "module" => "IT.Elsewhere",
            "file" => good,
            "sourceHash" => SourceHash.sha1_hex(File.read!(good)),
            "clauses" => [0]
          },
          %{"module" => "IT.NoFile", "clauses" => [0]}
        ]
      }

      assert [missing, broken_result, elsewhere, no_file] = load(manifest)
      assert missing.status == "failed" and missing.error =~ "cannot read"
      assert broken_result.status == "failed" and broken_result.error =~ "missing terminator"
      assert elsewhere.status == "failed" and elsewhere.error =~ "defines no module IT.Elsewhere"
      assert no_file.status == "failed" and no_file.error =~ "no file"
      assert Instrumenter.load_manifest(:not_a_map) == []
      assert Instrumenter.load_manifest(%{"modules" => [%{"module" => "A"}]}) |> hd() |> Map.fetch!(:status) == "failed"

      assert [%{error: "the runtime module NoSuchRuntime is not loaded"}] =
               Instrumenter.load_manifest(Planner.manifest([good], :debug), runtime: NoSuchRuntime)
    end

    test "a planned node that is not in the file is reported, the rest instrumented", %{directory: directory} do
      path = write(directory, "partial.ex", "defmodule IT.Partial do\n  def f(x), do: x\nend\n")
      compile_plainly(path)
      manifest = Planner.manifest([path], :debug)

      nodes =
        manifest["nodes"] ++
          [%{"id" => "IT.Partial.f/1#1:9", "kind" => "binding", "line" => 9, "column" => 9, "name" => "ghost"}]

      manifest =
        %{manifest | "nodes" => nodes} |> update_in(["modules", Access.at(0), "bindings"], &(&1 ++ [length(nodes) - 1]))

      assert [%{status: "instrumented", error: error}] = load(manifest)
      assert error == "1 of 3 planned nodes not instrumented: IT.Partial.f/1#1:9 (binding at 9:9): no such node there"
      assert IT.Partial.f(1) == 1 and length(Recorder.events()) == 3
    end

    test "the cache serves the same binaries for the same plan", %{directory: directory} do
      cache = Path.join(directory, "cache")
      path = write(directory, "cached.ex", "defmodule IT.Cached do\n  def f(x) do\n    y = x * 3\n    y\n  end\nend\n")
      compile_plainly(path)
      manifest = Planner.manifest([path], :debug)

      assert [%{status: "instrumented"}] = load(manifest, cache_dir: cache)
      assert [%{status: "cached", error: nil}] = load(manifest, cache_dir: cache)
      assert IT.Cached.f(2) == 6
      assert [{:call, 0, _, [2]}, {:bind, 1, 0, 2}, {:bind, 2, 0, 6}, {:return, _, _, 6}] = Recorder.events()

      fewer = update_in(manifest, ["modules", Access.at(0), "bindings"], &Enum.take(&1, 1))
      assert [%{status: "instrumented"}] = load(fewer, cache_dir: cache)
      File.write!(Path.join(cache, "garbage.etf"), "not a term")
      assert [%{status: "cached"}] = load(fewer, cache_dir: cache)
    end
  end

  test "the SHA-1 fallback agrees with :crypto" do
    for size <- [0, 1, 55, 56, 63, 64, 65, 1_000, 100_000] do
      bytes = :binary.copy(<<size::32>>, div(size, 4) + 1) |> binary_part(0, size)
      assert SourceHash.pure_sha1(bytes) == :crypto.hash(:sha, bytes)
    end
  end

  # ---- helpers ----

  # Compiles `source` plainly, runs `fun`, instruments it (no compiler output allowed), runs `fun`
  # again: the two runs must give the same results, exceptions and stack traces.
  # Returns what `before_instrumenting` returned on the plain module.
  defp same_behaviour(directory, source, fun, mode \\ :debug, before_instrumenting \\ fn -> nil end) do
    path = write(directory, "#{System.unique_integer([:positive])}.ex", source)
    compile_plainly(path)
    plain = fun.()
    observed = before_instrumenting.()
    manifest = Planner.manifest([path], mode)
    Process.put(:manifest, manifest)

    output = capture_io(:stderr, fn -> send(self(), {:results, load(manifest)}) end)
    assert output == ""
    assert_received {:results, results}
    assert Enum.all?(results, &(&1.status == "instrumented" and &1.error == nil)), inspect(results)

    Recorder.reset()
    assert fun.() == plain
    observed
  end

  defp load(manifest, options \\ []),
    do: Instrumenter.load_manifest(manifest, Keyword.merge([runtime: Recorder, cache_dir: nil], options))

  # The test sources have the unused variables that bindings are about: their warnings are noise.
  defp compile_plainly(path) do
    previous = Code.get_compiler_option(:ignore_module_conflict)
    Code.put_compiler_option(:ignore_module_conflict, true)

    try do
      capture_io(:stderr, fn -> Code.compile_file(path) end)
    after
      Code.put_compiler_option(:ignore_module_conflict, previous)
    end
  end

  defp write(directory, name, source) do
    path = Path.join(directory, name)
    File.write!(path, source)
    path
  end

  # The result, or the exception with the frame that raised it. Deeper frames may differ: the
  # Erlang compiler turns a call to a function that never returns into a tail call, and a
  # recorded function can return (through its handler), so its caller's frame stays.
  defp outcome(fun) do
    {:ok, fun.()}
  catch
    kind, reason -> {kind, reason, hd(test_frames(__STACKTRACE__))}
  end

  defp test_frames(stacktrace),
    do: Enum.filter(stacktrace, fn {module, _, _, _} -> String.starts_with?(inspect(module), "IT.") end)

  defp stacktrace_of(fun) do
    fun.()
  catch
    _kind, _reason -> test_frames(__STACKTRACE__)
  end

  defp subsequence?([], _list), do: true
  defp subsequence?(_sub, []), do: false
  defp subsequence?([x | sub], [x | list]), do: subsequence?(sub, list)
  defp subsequence?(sub, [_ | list]), do: subsequence?(sub, list)

  defp calls_and_returns,
    do: for({type, _, _, _} = event <- Recorder.events(), type in [:call, :return, :raise], do: event)

  defp bound_names, do: for({:bind, index, _, _} <- Recorder.events(), do: node_name(index))

  defp node_name(index), do: Enum.at(Process.get(:manifest)["nodes"], index)["name"]

  defp add_clauses(manifest, clauses) do
    Enum.reduce(clauses, manifest, fn {line, column, id}, manifest ->
      index = length(manifest["nodes"])
      node = %{"id" => id, "kind" => "clause", "line" => line, "column" => column}
      manifest = Map.update!(manifest, "nodes", &(&1 ++ [node]))
      update_in(manifest, ["modules", Access.at(0), "clauses"], &(&1 ++ [index]))
    end)
  end
end
