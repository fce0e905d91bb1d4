# Runs test/support/stdlibSuites.exs (stdlib ExUnit suites from the Elixir corpus) and says how long
# its parts took inside this VM, for the `recorder` section of bench/run.mjs:
#
#   elixir bench/timedSuites.exs CORPUS_ROOT NAME...
#
# Prints stdlibSuites.exs's output and then one line
# `SUITES_TIMING {"scriptUs": N, "exunitRunUs": N}`: the time the suites script took (copying and
# compiling the test files, running them) and ExUnit's own run time of the tests. Both leave out
# what happened before this script started: the VM's start and, in a recorded run, the agent's
# start-up and the loading of instrumented modules (`-r runtime/boot.exs` runs first), so they show
# what instrumentation costs the code under test apart from fixed start-up costs.

defmodule ElixirScope.Bench.SuiteTimer do
  @moduledoc false
  # An ExUnit formatter that keeps the suite's run time where the script can read it after
  # `ExUnit.run/0`, which stops the formatters (and so handles every event) before it returns.
  use GenServer

  def init(_options), do: {:ok, nil}

  def handle_cast({:suite_finished, %{run: run_us}}, state) do
    :persistent_term.put(__MODULE__, run_us)
    {:noreply, state}
  end

  def handle_cast(_event, state), do: {:noreply, state}
end

# ExUnit's application is started here so that adding a formatter is not undone when it loads;
# the suites script's own `ExUnit.start/1` then finds it running and leaves the formatters alone.
{:ok, _} = Application.ensure_all_started(:ex_unit)
ExUnit.configure(formatters: [ExUnit.CLIFormatter, ElixirScope.Bench.SuiteTimer])

started = System.monotonic_time(:microsecond)
Code.require_file("../test/support/stdlibSuites.exs", __DIR__)
script_us = System.monotonic_time(:microsecond) - started
exunit_run_us = :persistent_term.get(ElixirScope.Bench.SuiteTimer, -1)
IO.puts(~s(SUITES_TIMING {"scriptUs": #{script_us}, "exunitRunUs": #{exunit_run_us}}))
