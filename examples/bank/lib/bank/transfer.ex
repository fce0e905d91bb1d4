defmodule Bank.Transfer do
  @moduledoc """
  Moves money between two accounts: a withdrawal from one, then a deposit into the other.

  The two steps are not atomic. This module has a deliberate bug, kept so that
  it can be found with ElixirScope's time-travel debugger; the example's
  README describes it under "The lost-money bug".
  """
  require Logger

  alias Bank.{Account, Money}

  @spec run(Account.id(), Account.id(), pos_integer()) :: :ok | {:error, term()}
  def run(from, to, cents) when from != to and is_integer(cents) and cents > 0 do
    with {:ok, source_balance} <- Bank.balance(from),
         {:ok, _destination_balance} <- Bank.balance(to),
         {:ok, amount} <- Money.new(cents, source_balance.currency),
         :ok <- Account.withdraw(from, amount, "transfer to #{to}") do
      deposit(to, amount, "transfer from #{from}")
    end
  end

  def run(same, same, _cents), do: {:error, :same_account}
  def run(_from, _to, _cents), do: {:error, :invalid_amount}

  defp deposit(to, amount, memo) do
    Account.deposit(to, amount, memo)
  catch
    :exit, reason ->
      Logger.error("deposit into #{to} failed: #{inspect(reason)}")
      {:error, {:deposit_failed, to}}
  end
end
