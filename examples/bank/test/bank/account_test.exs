defmodule Bank.AccountTest do
  use ExUnit.Case, async: true

  alias Bank.{Account, Money}

  import Bank.TestIds, only: [unique: 1]

  setup do
    id = unique("alice")
    :ok = Bank.open_account(id, opening_cents: 10_000, interest_bps: 150)
    %{id: id}
  end

  test "deposits and withdrawals change the balance and the history", %{id: id} do
    assert :ok = Bank.deposit(id, "25.50 USD")
    assert :ok = Bank.withdraw(id, 550)
    assert {:error, :currency_mismatch} = Bank.deposit(id, "1 EUR")
    assert {:ok, %Money{cents: 12_000}} = Bank.balance(id)
    assert [:deposit, :withdrawal] = id |> Account.history() |> Enum.map(& &1.kind)
  end

  test "a withdrawal larger than the balance is refused", %{id: id} do
    assert {:error, :insufficient_funds} = Bank.withdraw(id, 10_001)
    assert {:ok, %Money{cents: 10_000}} = Bank.balance(id)
  end

  test "a frozen account refuses withdrawals until unfrozen", %{id: id} do
    Account.freeze(id)
    assert {:error, :frozen} = Bank.withdraw(id, 100)
    Account.unfreeze(id)
    assert :ok = Bank.withdraw(id, 100)
  end

  test "opening an existing account and using a closed one are errors", %{id: id} do
    assert {:error, :already_exists} = Bank.open_account(id)
    assert :ok = Bank.close_account(id)
    assert {:error, :no_such_account} = Bank.deposit(id, "1 USD")
  end

  test "an :accrue_interest message pays interest in basis points", %{id: id} do
    [{pid, _value}] = Registry.lookup(Bank.Registry, id)
    send(pid, :accrue_interest)
    assert {:ok, %Money{cents: 10_150}} = Bank.balance(id)
  end

  test "interest is paid on a timer when :interest_every is set" do
    id = unique("saver")
    :ok = Bank.open_account(id, opening_cents: 10_000, interest_bps: 100, interest_every: 5)

    assert eventually(fn ->
             match?({:ok, %Money{cents: cents}} when cents > 10_000, Bank.balance(id))
           end)
  end

  @tag :capture_log
  test "a crashed account is restarted by its supervisor, from its opening balance", %{id: id} do
    [{before, _value}] = Registry.lookup(Bank.Registry, id)
    :ok = Bank.deposit(id, "5 USD")
    reference = Process.monitor(before)
    Account.crash(id)
    # A loaded machine (or a recording) can take longer than assert_receive's default 100 ms.
    assert_receive {:DOWN, ^reference, :process, ^before, {%RuntimeError{}, _stacktrace}}, 2_000

    assert eventually(fn -> match?([{pid, _}] when pid != before, Registry.lookup(Bank.Registry, id)) end)
    assert {:ok, %Money{cents: 10_000}} = Bank.balance(id)
  end

  test "an audit reads the balances of several accounts at once", %{id: id} do
    other = unique("bob")
    :ok = Bank.open_account(other, opening_cents: 250)
    assert %{^id => %Money{cents: 10_000}, ^other => %Money{cents: 250}} = Bank.audit([id, other, unique("nobody")])
  end

  defp eventually(check, attempts \\ 100) do
    check.() or (attempts > 0 and Process.sleep(10) == :ok and eventually(check, attempts - 1))
  end
end
