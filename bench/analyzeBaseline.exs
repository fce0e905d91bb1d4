# The baseline for the `analyze` benchmark in bench/run.mjs: Elixir's own parser over the same files.
#
#   usage: elixir bench/analyzeBaseline.exs DIR
#
# Reads every .ex/.exs under DIR (dot-files and dot-folders included, as `elixirscope analyze` does),
# then parses each with `Code.string_to_quoted/2` and prints one JSON line to stdout:
#   {"files":N,"bytes":N,"parseMs":N,"errors":N}
# The clock covers the parsing only: VM start, compiling this script and reading the files are left out,
# so that parseMs is the cost of the parser itself. The whole-process time is measured by the caller.
# Files the parser rejects are counted in "errors" and named on stderr; they still count as parsed,
# because the parser did the work up to the error.

[dir] =
  case System.argv() do
    [dir] ->
      [dir]

    _ ->
      IO.puts(:stderr, "usage: elixir bench/analyzeBaseline.exs DIR")
      System.halt(2)
  end

paths =
  dir
  |> Path.join("**/*.{ex,exs}")
  |> Path.wildcard(match_dot: true)
  |> Enum.filter(&File.regular?/1)

sources = Enum.map(paths, &File.read!/1)
bytes = sources |> Enum.map(&byte_size/1) |> Enum.sum()

parse_options = [columns: true, token_metadata: true, emit_warnings: false]
started = System.monotonic_time()

failed_paths =
  paths
  |> Enum.zip(sources)
  |> Enum.reduce([], fn {path, source}, failed ->
    case Code.string_to_quoted(source, parse_options) do
      {:ok, _quoted} -> failed
      {:error, _reason} -> [path | failed]
    end
  end)

parse_microseconds = System.convert_time_unit(System.monotonic_time() - started, :native, :microsecond)

for path <- Enum.reverse(failed_paths), do: IO.puts(:stderr, "analyzeBaseline: parse error in #{path}")

parse_ms = :erlang.float_to_binary(parse_microseconds / 1000, decimals: 3)

IO.puts(
  ~s({"files":#{length(paths)},"bytes":#{bytes},"parseMs":#{parse_ms},"errors":#{length(failed_paths)}})
)
