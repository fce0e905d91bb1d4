defmodule Bank.Money do
  @moduledoc """
  An amount of money: integer minor units (cents) and a currency code.

  Pure functions only. Amounts are integers so that arithmetic is exact; a
  balance is never negative, so neither is any `Bank.Money`.
  """

  @enforce_keys [:cents, :currency]
  defstruct [:cents, :currency]

  @type t :: %__MODULE__{cents: non_neg_integer(), currency: String.t()}

  @supported_currencies ~w(USD EUR GBP)
  @default_currency "USD"

  @doc "Builds money from cents; the currency defaults to #{@default_currency}."
  @spec new(integer(), String.t()) :: {:ok, t()} | {:error, atom()}
  def new(cents, currency \\ @default_currency)

  def new(cents, currency)
      when is_integer(cents) and cents >= 0 and currency in @supported_currencies,
      do: {:ok, %__MODULE__{cents: cents, currency: currency}}

  def new(cents, _currency) when is_integer(cents) and cents < 0, do: {:error, :negative_amount}
  def new(cents, _currency) when is_integer(cents), do: {:error, :unsupported_currency}
  def new(_cents, _currency), do: {:error, :invalid_amount}

  @doc ~S'Parses text such as "12.50 usd" or "3 EUR"; a fraction has two digits.'
  @spec parse(String.t()) :: {:ok, t()} | {:error, atom()}
  def parse(text) when is_binary(text) do
    with [amount, currency] <- text |> String.trim() |> String.split(~r/\s+/, parts: 2),
         {:ok, cents} <- parse_cents(amount) do
      new(cents, String.upcase(currency))
    else
      [_amount_only] -> {:error, :missing_currency}
      :error -> {:error, :invalid_amount}
    end
  end

  @spec add(t(), t()) :: {:ok, t()} | {:error, :currency_mismatch}
  def add(%__MODULE__{currency: same} = left, %__MODULE__{currency: same} = right),
    do: {:ok, %{left | cents: left.cents + right.cents}}

  def add(%__MODULE__{}, %__MODULE__{}), do: {:error, :currency_mismatch}

  @doc "Like `add/2`, but a currency mismatch is a programming error and raises."
  @spec add!(t(), t()) :: t()
  def add!(left, right) do
    case add(left, right) do
      {:ok, sum} ->
        sum

      {:error, :currency_mismatch} ->
        raise ArgumentError, "cannot add #{format(right)} to #{format(left)}"
    end
  end

  @spec subtract(t(), t()) :: {:ok, t()} | {:error, :insufficient_funds | :currency_mismatch}
  def subtract(%__MODULE__{currency: c, cents: have} = left, %__MODULE__{currency: c, cents: take})
      when have >= take,
      do: {:ok, %{left | cents: have - take}}

  def subtract(%__MODULE__{currency: c}, %__MODULE__{currency: c}),
    do: {:error, :insufficient_funds}

  def subtract(%__MODULE__{}, %__MODULE__{}), do: {:error, :currency_mismatch}

  @doc "The given share of `money`, in basis points (100 = 1%), rounded down."
  @spec share(t(), non_neg_integer()) :: t()
  def share(%__MODULE__{} = money, basis_points)
      when is_integer(basis_points) and basis_points >= 0,
      do: %{money | cents: div(money.cents * basis_points, 10_000)}

  @spec format(t()) :: String.t()
  def format(%__MODULE__{cents: cents, currency: currency}) do
    fraction = cents |> rem(100) |> Integer.to_string() |> String.pad_leading(2, "0")
    "#{div(cents, 100)}.#{fraction} #{currency}"
  end

  defp parse_cents(amount) do
    case String.split(amount, ".") do
      [units] ->
        {:ok, whole_units(units) * 100}

      [units, <<tens, ones>>] when tens in ?0..?9 and ones in ?0..?9 ->
        {:ok, whole_units(units) * 100 + (tens - ?0) * 10 + (ones - ?0)}

      _ ->
        :error
    end
  rescue
    ArgumentError -> :error
  end

  # String.to_integer/1 accepts a leading sign, which money text must not have.
  defp whole_units(<<sign, _rest::binary>>) when sign in [?+, ?-],
    do: raise(ArgumentError, "signed amount")

  defp whole_units(units), do: String.to_integer(units)
end
