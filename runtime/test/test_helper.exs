# Loads the agent the way a recorded program does (runtime/boot.exs, which only compiles and
# loads the modules when no recorder is named in the environment) and the test support, then
# starts ExUnit. The recorder's variables are cleared first so that a test run inside a recorded
# session never connects to the real recorder.
for name <- ["ELIXIRSCOPE_PORT", "ELIXIRSCOPE_TOKEN", "ELIXIRSCOPE_MANIFEST"],
    do: System.delete_env(name)

Code.require_file("../boot.exs", __DIR__)
Code.require_file("support/fake_recorder.exs", __DIR__)
Code.require_file("support/recording_case.exs", __DIR__)

# Crash reports of processes the tests crash on purpose go through Logger, so ExUnit can keep them.
{:ok, _} = Application.ensure_all_started(:logger)
ExUnit.start(capture_log: true)
