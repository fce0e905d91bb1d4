defmodule Bank.StatementTest do
  use ExUnit.Case, async: true

  alias Bank.{Describable, Money, Statement, Transaction}

  setup do
    {:ok, ten} = Money.new(1000)
    {:ok, four} = Money.new(400)

    %{
      transactions: [Transaction.new(:deposit, ten, "salary"), Transaction.new(:withdrawal, four)]
    }
  end

  test "render/3 numbers the lines and sums the net change", %{transactions: transactions} do
    assert Statement.render("alice", transactions) ==
             """
             Statement for alice
             1. deposit +10.00 USD (salary)
             2. withdrawal -4.00 USD
             Net: 600 cents (up)\
             """
  end

  test "render/3 can keep only some kinds", %{transactions: transactions} do
    assert Statement.render("alice", transactions, kinds: [:withdrawal]) ==
             "Statement for alice\n2. withdrawal -4.00 USD\nNet: -400 cents (down)"
  end

  test "Describable falls back to inspect for other values" do
    assert Describable.describe(%{plain: :map}) == "%{plain: :map}"
  end
end
