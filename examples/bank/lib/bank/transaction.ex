defmodule Bank.Transaction do
  @moduledoc "One entry in an account's history."

  alias Bank.Money

  @kinds [:deposit, :withdrawal, :interest]

  @enforce_keys [:id, :kind, :amount]
  defstruct [:id, :kind, :amount, :memo, :at]

  @type kind :: :deposit | :withdrawal | :interest
  @type t :: %__MODULE__{kind: kind(), amount: Money.t(), memo: String.t() | nil}

  @spec new(kind(), Money.t(), String.t() | nil) :: t()
  def new(kind, %Money{} = amount, memo \\ nil) when kind in @kinds do
    %__MODULE__{
      id: System.unique_integer([:positive, :monotonic]),
      kind: kind,
      amount: amount,
      memo: memo,
      at: DateTime.utc_now()
    }
  end

  @doc "Whether the transaction added money to the account."
  def credit?(%__MODULE__{kind: kind}), do: kind in [:deposit, :interest]

  @doc "The change to the balance, in cents: positive for credits, negative for debits."
  def signed_cents(%__MODULE__{amount: %Money{cents: cents}} = transaction),
    do: if(credit?(transaction), do: cents, else: -cents)
end
