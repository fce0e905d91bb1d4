defmodule Mix.Tasks.ElixirScope.Run do
  @shortdoc "Runs a Mix task with the project instrumented for the ElixirScope recorder"

  @moduledoc """
  Wraps a Mix command for recording: `mix elixir_scope.run TASK ARGS…` compiles the project,
  instruments the modules the recording manifest names, reports them to the recorder in the
  `loaded` frame, then runs `TASK ARGS…` in the same VM.

  The recorder starts it as `elixir -r runtime/boot.exs -S mix elixir_scope.run TASK …`, so the
  agent is already connected when this runs, and sets `MIX_ENV` itself (`test` for `mix test`),
  since the environment is fixed before any task runs. Compiling first matters: the instrumenter
  replaces compiled modules, and TASK's own `compile` step then has nothing left to do.

  Without a recording (no recorder in the environment, or it could not be reached) this only
  runs TASK, with the project's code as it is.
  """

  use Mix.Task

  @impl Mix.Task
  def run([]) do
    Mix.raise("mix elixir_scope.run needs a task to run, e.g. `mix elixir_scope.run test`")
  end

  def run([task | arguments]) do
    Mix.Task.run("compile", [])
    ElixirScope.Agent.instrument_and_report()
    Mix.Task.run(task, arguments)
  end
end
