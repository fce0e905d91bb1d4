defmodule Bank do
  @moduledoc """
  The public API of the example bank: open accounts, move money, read balances.

  Each account is a `Bank.Account` process under `Bank.AccountSupervisor`,
  registered by id in `Bank.Registry`. Functions here return `{:error, reason}`
  for an unknown account instead of exiting the caller.
  """
  alias Bank.{Account, Money, Statement, Transfer}

  @doc """
  Opens an account. Options: `:currency` (default "USD"), `:opening_cents`,
  `:interest_every` (milliseconds) and `:interest_bps`.
  """
  @spec open_account(Account.id(), keyword()) :: :ok | {:error, term()}
  def open_account(id, opts \\ []) when is_binary(id) do
    case DynamicSupervisor.start_child(Bank.AccountSupervisor, {Account, [{:id, id} | opts]}) do
      {:ok, _pid} -> :ok
      {:error, {:already_started, _pid}} -> {:error, :already_exists}
      {:error, reason} -> {:error, reason}
    end
  end

  @spec close_account(Account.id()) :: :ok | {:error, term()}
  def close_account(id) do
    case GenServer.whereis(Account.via(id)) do
      pid when is_pid(pid) -> DynamicSupervisor.terminate_child(Bank.AccountSupervisor, pid)
      nil -> {:error, :no_such_account}
    end
  end

  @spec balance(Account.id()) :: {:ok, Money.t()} | {:error, :no_such_account}
  def balance(id), do: with_account(fn -> {:ok, Account.balance(id)} end)

  @doc ~S'Deposits `Bank.Money` or text such as "12.50 USD"; the currency must match the account.'
  @spec deposit(Account.id(), Money.t() | String.t()) :: :ok | {:error, term()}
  def deposit(id, amount) when is_binary(amount) do
    with {:ok, money} <- Money.parse(amount), do: deposit(id, money)
  end

  def deposit(id, %Money{currency: currency} = money) do
    with_account(fn ->
      case Account.balance(id) do
        %Money{currency: ^currency} -> Account.deposit(id, money)
        %Money{} -> {:error, :currency_mismatch}
      end
    end)
  end

  @spec withdraw(Account.id(), pos_integer()) :: :ok | {:error, term()}
  def withdraw(id, cents) when is_integer(cents) and cents > 0 do
    with_account(fn ->
      with {:ok, money} <- Money.new(cents, Account.balance(id).currency),
           do: Account.withdraw(id, money)
    end)
  end

  defdelegate transfer(from, to, cents), to: Transfer, as: :run

  @spec statement(Account.id(), keyword()) :: {:ok, String.t()} | {:error, :no_such_account}
  def statement(id, opts \\ []),
    do: with_account(fn -> {:ok, Statement.render(id, Account.history(id), opts)} end)

  @doc """
  The balances of several accounts, fetched concurrently (one `Task` per account), with the
  accounts that do not exist left out.
  """
  @spec audit([Account.id()]) :: %{Account.id() => Money.t()}
  def audit(ids) do
    ids
    |> Task.async_stream(fn id -> {id, balance(id)} end, ordered: true)
    |> Enum.flat_map(fn
      {:ok, {id, {:ok, money}}} -> [{id, money}]
      {:ok, {_id, {:error, :no_such_account}}} -> []
    end)
    |> Map.new()
  end

  # An account may stop between any two messages, so looking it up before
  # calling it would race; instead the call's "no process" exit becomes an error.
  defp with_account(call) do
    call.()
  catch
    :exit, {:noproc, _call} -> {:error, :no_such_account}
  end
end
