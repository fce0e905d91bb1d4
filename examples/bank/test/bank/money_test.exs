defmodule Bank.MoneyTest do
  use ExUnit.Case, async: true

  alias Bank.Money

  test "new/2 defaults to US dollars and rejects bad input" do
    assert {:ok, %Money{cents: 500, currency: "USD"}} = Money.new(500)
    assert {:error, :negative_amount} = Money.new(-1, "EUR")
    assert {:error, :unsupported_currency} = Money.new(1, "XYZ")
    assert {:error, :invalid_amount} = Money.new(1.5)
  end

  test "parse/1 reads whole amounts and amounts with cents" do
    assert {:ok, %Money{cents: 1205, currency: "EUR"}} = Money.parse(" 12.05  eur ")
    assert {:ok, %Money{cents: 300, currency: "GBP"}} = Money.parse("3 GBP")
  end

  test "parse/1 returns an error for text that is not money" do
    assert {:error, :missing_currency} = Money.parse("12")

    for text <- ["1.234 USD", "1.5 USD", "-5 USD", "five USD"] do
      assert {:error, :invalid_amount} = Money.parse(text)
    end
  end

  test "arithmetic keeps currencies apart and never goes negative" do
    {:ok, ten} = Money.new(1000)
    {:ok, three} = Money.new(300)
    {:ok, euros} = Money.new(305, "EUR")

    assert {:ok, %Money{cents: 1300}} = Money.add(ten, three)
    assert {:ok, %Money{cents: 700}} = Money.subtract(ten, three)
    assert {:error, :insufficient_funds} = Money.subtract(three, ten)
    assert {:error, :currency_mismatch} = Money.add(ten, euros)

    assert_raise ArgumentError, "cannot add 3.05 EUR to 10.00 USD", fn ->
      Money.add!(ten, euros)
    end

    assert %Money{cents: 15} = Money.share(ten, 150)
  end
end
