# Runs the agent's ExUnit tests in one VM: `elixir runtime/test/run.exs [FILE_test.exs …]`, all of
# runtime/test/*_test.exs when no file is named. The node:test wrapper test/runtimeAgent.test.ts
# runs it with the agent's own test files.
Code.require_file("test_helper.exs", __DIR__)

files =
  case System.argv() do
    [] -> Path.wildcard(Path.join(__DIR__, "*_test.exs"))
    named -> Enum.map(named, &Path.expand/1)
  end

Enum.each(Enum.sort(files), &Code.require_file/1)
