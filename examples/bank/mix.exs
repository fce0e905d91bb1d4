defmodule Bank.MixProject do
  use Mix.Project

  # The bundled ElixirScope example. It has no dependencies on purpose, so that
  # `mix test` runs offline on a fresh machine with only Elixir installed.
  def project do
    [
      app: :bank,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: []
    ]
  end

  def application do
    [
      extra_applications: [:logger],
      mod: {Bank.Application, []}
    ]
  end
end
