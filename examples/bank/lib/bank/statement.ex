defmodule Bank.Statement do
  @moduledoc """
  Renders an account's history as text. Pure: transactions in, a string out.
  """
  import Bank.Describable, only: [describe: 1]

  alias Bank.Transaction

  @doc """
  Renders numbered lines, oldest first, and a closing line with the net change.

  Options: `:kinds` keeps only transactions of those kinds (default: all).
  """
  @spec render(String.t(), [Transaction.t()], keyword()) :: String.t()
  def render(account_id, transactions, opts \\ []) do
    kinds = Keyword.get(opts, :kinds, [:deposit, :withdrawal, :interest])

    lines =
      for {%Transaction{kind: kind} = transaction, number} <- Enum.with_index(transactions, 1),
          kind in kinds do
        "#{number}. #{describe(transaction)}"
      end

    net = transactions |> Enum.filter(&(&1.kind in kinds)) |> net_cents()

    ["Statement for #{account_id}" | lines]
    |> Enum.concat(["Net: #{net} cents (#{trend(net)})"])
    |> Enum.join("\n")
  end

  @doc "The sum of the signed amounts, in cents."
  @spec net_cents([Transaction.t()]) :: integer()
  def net_cents(transactions),
    do: transactions |> Enum.map(&Transaction.signed_cents/1) |> Enum.sum()

  defp trend(net) do
    cond do
      net > 0 -> "up"
      net < 0 -> "down"
      true -> "flat"
    end
  end
end
