defmodule ElixirScope.Application do
  @moduledoc """
  A small OTP application around the running recording, so that a VM stopped gracefully by
  `System.stop/0`, `:init.stop/0` or SIGTERM (how servers are usually stopped) still flushes and
  says `goodbye`: those stop the applications but do not run `System.at_exit/1` hooks.

  It is defined at run time (the agent has no `.app` file) and started when the recording
  starts, before the user's applications in a Mix run, so it is stopped after them and their
  last events are recorded. It supervises nothing; its only work is in `prep_stop/1`.
  """

  use Application

  @application :elixir_scope_agent

  @doc "Loads and starts the application; `:ok` also when it already runs."
  @spec ensure_started() :: :ok | {:error, term()}
  def ensure_started do
    specification = [
      description: ~c"ElixirScope recording agent",
      vsn: ~c"0.1.0",
      modules: [__MODULE__],
      registered: [],
      applications: [:kernel, :stdlib],
      mod: {__MODULE__, []}
    ]

    with :ok <- load(specification) do
      case :application.start(@application) do
        :ok -> :ok
        {:error, {:already_started, @application}} -> :ok
        {:error, reason} -> {:error, reason}
      end
    end
  end

  @impl Application
  def start(_type, _arguments), do: Supervisor.start_link([], strategy: :one_for_one)

  @impl Application
  def prep_stop(state) do
    ElixirScope.Agent.stop()
    state
  end

  defp load(specification) do
    case :application.load({:application, @application, specification}) do
      :ok -> :ok
      {:error, {:already_loaded, @application}} -> :ok
      {:error, reason} -> {:error, reason}
    end
  end
end
