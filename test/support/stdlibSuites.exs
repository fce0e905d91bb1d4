# Runs ExUnit test files of Elixir's own standard library from the corpus, unchanged, in this VM:
# the suites the recorder's semantic-equivalence test and benchmark run with the stdlib modules
# instrumented. The test files and the corpus's test_helper.exs are copied to a temporary folder
# that is also the working directory, so nothing is written to the corpus.
#
# Usage: elixir stdlibSuites.exs CORPUS_ROOT NAME...   (NAME: uri, version, option_parser, …)
# Prints `SUITES tests=N failures=N excluded=N` and exits 1 when a test failed.

[corpus | names] = System.argv()
tests = Path.join(corpus, "lib/elixir/test/elixir")
work = Path.join(System.tmp_dir!(), "elixirscope-suites-#{System.unique_integer([:positive])}")
target = Path.join(work, "lib/elixir/test/elixir")
File.mkdir_p!(target)

for file <- ["test_helper.exs" | Enum.map(names, &"#{&1}_test.exs")] do
  File.cp!(Path.join(tests, file), Path.join(target, file))
end

File.cd!(work)
ExUnit.start(autorun: false)
Code.require_file("lib/elixir/test/elixir/test_helper.exs")
# The helper starts ExUnit with autorun; the run below is the only one.
Application.put_env(:ex_unit, :autorun, false)
ExUnit.configure(seed: 0, colors: [enabled: false])
Enum.each(names, &Code.require_file("lib/elixir/test/elixir/#{&1}_test.exs"))
result = ExUnit.run()
File.cd!(System.tmp_dir!())
File.rm_rf!(work)
IO.puts("SUITES tests=#{result.total} failures=#{result.failures} excluded=#{result.excluded}")
if result.failures > 0, do: System.stop(1)
