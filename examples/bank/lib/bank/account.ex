defmodule Bank.Account do
  @moduledoc """
  One bank account as a process: its balance, whether it is frozen, and its history.

  Accounts are started under `Bank.AccountSupervisor` and found by id through
  `Bank.Registry`. When `:interest_every` (milliseconds) is given, the account
  pays itself `:interest_bps` basis points of its balance on a timer.

  A restarted account starts again from its opening balance: state lives only
  in the process, which is what makes a crash visible in a recording.
  """
  use GenServer, restart: :transient

  require Logger

  alias Bank.{Money, Transaction}

  @enforce_keys [:id, :balance]
  defstruct [:id, :balance, :interest_every, interest_bps: 0, frozen: false, history: []]

  @type id :: String.t()

  def start_link(opts) do
    id = Keyword.fetch!(opts, :id)
    GenServer.start_link(__MODULE__, opts, name: via(id))
  end

  @doc "The name under which the account with `id` is registered."
  def via(id), do: {:via, Registry, {Bank.Registry, id}}

  def balance(id), do: GenServer.call(via(id), :balance)
  def history(id), do: GenServer.call(via(id), :history)

  def deposit(id, %Money{} = money, memo \\ nil),
    do: GenServer.call(via(id), {:deposit, money, memo})

  def withdraw(id, %Money{} = money, memo \\ nil),
    do: GenServer.call(via(id), {:withdraw, money, memo})

  @doc "Makes the account process crash (a bug on purpose); its supervisor restarts it."
  def crash(id), do: GenServer.cast(via(id), :crash)

  def freeze(id), do: GenServer.cast(via(id), {:set_frozen, true})
  def unfreeze(id), do: GenServer.cast(via(id), {:set_frozen, false})

  @impl true
  def init(opts) do
    currency = Keyword.get(opts, :currency, "USD")

    case Money.new(Keyword.get(opts, :opening_cents, 0), currency) do
      {:ok, balance} ->
        account = %__MODULE__{
          id: Keyword.fetch!(opts, :id),
          balance: balance,
          interest_every: Keyword.get(opts, :interest_every),
          interest_bps: Keyword.get(opts, :interest_bps, 0)
        }

        schedule_interest(account)
        {:ok, account}

      {:error, reason} ->
        {:stop, reason}
    end
  end

  @impl true
  def handle_call(:balance, _from, account), do: {:reply, account.balance, account}
  def handle_call(:history, _from, account), do: {:reply, Enum.reverse(account.history), account}

  def handle_call({:deposit, money, memo}, _from, account) do
    # Depositing another currency is a caller's mistake, so the account lets it
    # crash (Money.add!/2 raises) rather than carry a mixed balance.
    balance = Money.add!(account.balance, money)
    {:reply, :ok, record(%{account | balance: balance}, :deposit, money, memo)}
  end

  def handle_call({:withdraw, _money, _memo}, _from, %__MODULE__{frozen: true} = account),
    do: {:reply, {:error, :frozen}, account}

  def handle_call({:withdraw, money, memo}, _from, account) do
    case Money.subtract(account.balance, money) do
      {:ok, balance} ->
        {:reply, :ok, record(%{account | balance: balance}, :withdrawal, money, memo)}

      {:error, reason} ->
        {:reply, {:error, reason}, account}
    end
  end

  @impl true
  def handle_cast(:crash, account) do
    raise "account #{account.id} crashed on purpose"
  end

    def handle_cast({:set_frozen, frozen?}, account) when is_boolean(frozen?),
    do: {:noreply, %{account | frozen: frozen?}}

  @impl true
  def handle_info(:accrue_interest, account) do
    interest = Money.share(account.balance, account.interest_bps)
    schedule_interest(account)
    {:noreply, pay_interest(account, interest)}
  end

  def handle_info(message, account) do
    Logger.warning("account #{account.id} ignored an unexpected message: #{inspect(message)}")
    {:noreply, account}
  end

  defp schedule_interest(%__MODULE__{interest_every: nil}), do: :ok

  defp schedule_interest(%__MODULE__{interest_every: milliseconds})
       when is_integer(milliseconds) and milliseconds > 0 do
    Process.send_after(self(), :accrue_interest, milliseconds)
    :ok
  end

  defp pay_interest(account, %Money{cents: 0}), do: account

  defp pay_interest(account, interest),
    do: record(%{account | balance: Money.add!(account.balance, interest)}, :interest, interest)

  defp record(account, kind, money, memo \\ nil),
    do: %{account | history: [Transaction.new(kind, money, memo) | account.history]}
end
