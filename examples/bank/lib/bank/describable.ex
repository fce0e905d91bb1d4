defprotocol Bank.Describable do
  @moduledoc "A one-line description of a value, for statements and logs."
  @fallback_to_any true

  @spec describe(t()) :: String.t()
  def describe(value)
end

defimpl Bank.Describable, for: Bank.Money do
  def describe(money), do: Bank.Money.format(money)
end

defimpl Bank.Describable, for: Bank.Transaction do
  alias Bank.{Describable, Transaction}

  def describe(%Transaction{kind: kind, amount: amount, memo: memo} = transaction) do
    sign = if Transaction.credit?(transaction), do: "+", else: "-"
    line = "#{kind} #{sign}#{Describable.describe(amount)}"
    if memo, do: "#{line} (#{memo})", else: line
  end
end

defimpl Bank.Describable, for: Any do
  def describe(value), do: inspect(value)
end
