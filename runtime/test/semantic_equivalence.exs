# Semantic equivalence of instrumented code on real code: recompiles modules of Elixir's own
# standard library from the corpus with debug-mode instrumentation of every def/defp clause and
# every variable binding, in this VM, then runs their own ExUnit test files (doctests included)
# unchanged. They must all pass, and the recording double must have seen the calls.
#
#   elixir runtime/test/semantic_equivalence.exs [--corpus DIR] [--modules uri,path] [--mode debug]
#
# --corpus    the Elixir 1.14.0 source tree (default: .cache/corpus/elixir-1.14.0 of the repository)
# --modules   the library files to check, by base name (default: all of @files below)
# --mode      minimal, debug (the default: every clause and binding) or full (and every pipe stage)
#
# The manifest is planned by `ElixirScope.InstrumenterTest.Planner`, which walks Elixir's own AST
# for positions; node ids are synthetic (`Module.fun/arity@line:column`). The test files are copied, with the corpus's test_helper.exs,
# to a temporary folder that is also the working directory, so nothing is written to the corpus.
#
# Prints one line per file, `EQUIVALENCE module=… tests=… failures=… excluded=… calls=…
# binds=… returns=… raises=… compile_us=… status=…` (calls, binds, returns and raises of the
# file's modules during its own test run; every call must have returned or raised), and exits
# with status 1 when anything failed.

defmodule ElixirScope.SemanticEquivalence do
  alias ElixirScope.InstrumenterTest.Recorder
  alias ElixirScope.InstrumenterTest.Planner

  @files ~w(option_parser uri version keyword path base regex)

  def main(argv) do
    {options, _, invalid} = OptionParser.parse(argv, strict: [corpus: :string, modules: :string, mode: :string])
    if invalid != [], do: fail("unknown options #{inspect(invalid)}")

    repository = Path.expand("../..", __DIR__)
    corpus = Path.expand(options[:corpus] || Path.join(repository, ".cache/corpus/elixir-1.14.0"))
    files = if options[:modules], do: String.split(options[:modules], ","), else: @files

    unless File.dir?(corpus),
      do: fail("no Elixir corpus at #{corpus} (bash ../shared/corpus/fetch-elixir-source.sh .cache/corpus)")

    for file <- ~w(protocol instrumenter/source_hash instrumenter/cache instrumenter/rewrite instrumenter) do
      Code.require_file(Path.join(repository, "runtime/lib/elixir_scope/#{file}.ex"))
    end

    Code.require_file(Path.join(repository, "runtime/test/support/instrumenter_recorder.ex"))
    Code.require_file(Path.join(repository, "runtime/test/support/instrumenter_planner.ex"))

    # Everything the test suites need must be loaded before their modules are replaced.
    ExUnit.start(autorun: false)
    work = prepare_work_directory(corpus, files)
    File.cd!(work)
    Code.require_file("lib/elixir/test/elixir/test_helper.exs")
    ExUnit.configure(seed: 0, formatters: [ExUnit.CLIFormatter], colors: [enabled: false])

    mode = String.to_atom(options[:mode] || "debug")
    unless mode in [:minimal, :debug, :full], do: fail("--mode must be minimal, debug or full")
    manifest = Planner.manifest(Enum.map(files, &Path.join(corpus, "lib/elixir/lib/#{&1}.ex")), mode)

    Recorder.start(:counts)
    loaded = ElixirScope.Instrumenter.load_manifest(manifest, runtime: Recorder, cache_dir: nil)

    by_file =
      Enum.group_by(Enum.zip(manifest["modules"], loaded), fn {planned, _} -> Path.basename(planned["file"], ".ex") end)

    rows =
      for file <- files do
        Recorder.reset()
        Code.require_file("lib/elixir/test/elixir/#{file}_test.exs")
        run = ExUnit.run()
        report(file, Map.get(by_file, file, []), run, Recorder.counts())
      end

    File.cd!(repository)
    File.rm_rf!(work)
    if Enum.any?(rows, &(&1 == :error)), do: System.halt(1)
  end

  defp prepare_work_directory(corpus, files) do
    work = Path.join(System.tmp_dir!(), "elixirscope-equivalence-#{System.unique_integer([:positive])}")
    tests = Path.join(work, "lib/elixir/test/elixir")
    File.mkdir_p!(tests)

    for name <- ["test_helper.exs" | Enum.map(files, &"#{&1}_test.exs")] do
      File.cp!(Path.join(corpus, "lib/elixir/test/elixir/#{name}"), Path.join(tests, name))
    end

    work
  end

  defp report(file, loaded, run, counts) do
    {indices, statuses, compile_us} =
      Enum.reduce(loaded, {MapSet.new(), [], 0}, fn {planned, result}, {indices, statuses, compile_us} ->
        indices = Enum.into(planned["clauses"] ++ planned["bindings"] ++ planned["expressions"], indices)
        {indices, statuses ++ ["#{planned["module"]}:#{result.status}"], max(compile_us, result.compile_us)}
      end)

    sum = fn type ->
      for({{^type, index}, count} <- counts, MapSet.member?(indices, index), reduce: 0, do: (acc -> acc + count))
    end

    errors = for {planned, %{error: error}} when error != nil <- loaded, do: "#{planned["module"]}: #{error}"

    IO.puts(
      "EQUIVALENCE module=#{file} tests=#{run.total} failures=#{run.failures} excluded=#{run.excluded} " <>
        "calls=#{sum.(:call)} binds=#{sum.(:bind)} values=#{sum.(:value)} returns=#{sum.(:return)} raises=#{sum.(:raise)} compile_us=#{compile_us} status=#{Enum.join(statuses, ",")}"
    )

    Enum.each(errors, &IO.puts("EQUIVALENCE-ERROR #{&1}"))
    unfinished = sum.(:call) - sum.(:return) - sum.(:raise)
    if unfinished != 0, do: IO.puts("EQUIVALENCE-ERROR #{file}: #{unfinished} calls neither returned nor raised")

    ok? =
      run.failures == 0 and errors == [] and unfinished == 0 and
        Enum.all?(loaded, fn {_, result} -> result.status == "instrumented" end)

    if ok?, do: :ok, else: :error
  end

  defp fail(message) do
    IO.puts(:stderr, message)
    System.halt(2)
  end
end

ElixirScope.SemanticEquivalence.main(System.argv())
