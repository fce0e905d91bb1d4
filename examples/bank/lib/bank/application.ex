defmodule Bank.Application do
  @moduledoc """
  Starts the registry that names accounts and the supervisor that owns them.

  The strategy is `:rest_for_one` because every account registers itself in
  `Bank.Registry`: if the registry restarts, the accounts must restart after it
  so that their names are registered again.
  """
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      {Registry, keys: :unique, name: Bank.Registry},
      {DynamicSupervisor, strategy: :one_for_one, name: Bank.AccountSupervisor}
    ]

    Supervisor.start_link(children, strategy: :rest_for_one, name: Bank.Supervisor)
  end
end
