defmodule ElixirScope.JSON do
  @moduledoc """
  A small, strict JSON decoder (RFC 8259) for the recording manifest, because Elixir 1.14 ships
  none and the agent must not depend on Hex packages that the debuggee may not have.

  Objects become maps with string keys (never atoms: the manifest is data from outside the
  VM), arrays lists, strings binaries, `true`/`false`/`null` the atoms `true`/`false`/`nil`,
  integers integers and numbers with a fraction or exponent floats. It decodes in one pass over
  the binary with match-context loops, so a manifest of several megabytes takes milliseconds.
  """

  @typedoc "A decoded JSON value."
  @type value ::
          nil | boolean() | number() | String.t() | [value()] | %{optional(String.t()) => value()}

  import Bitwise, only: [<<<: 2]

  @whitespace [?\s, ?\t, ?\n, ?\r]

  @doc """
  Decodes one JSON text. Returns `{:ok, value}`, or `{:error, message}` naming what was wrong
  and the byte offset where decoding stopped.
  """
  @spec decode(binary()) :: {:ok, value()} | {:error, String.t()}
  def decode(text) when is_binary(text) do
    {value, rest} = parse_value(skip_whitespace(text), text)

    case skip_whitespace(rest) do
      "" -> {:ok, value}
      rest -> syntax_error("unexpected data after the JSON value", rest, text)
    end
  catch
    {__MODULE__, message} -> {:error, message}
  end

  @doc "Like `decode/1`, but raises `ArgumentError` on malformed JSON."
  @spec decode!(binary()) :: value()
  def decode!(text) do
    case decode(text) do
      {:ok, value} -> value
      {:error, message} -> raise ArgumentError, message
    end
  end

  defp parse_value(<<?{, rest::binary>>, text), do: parse_object(skip_whitespace(rest), text, [])
  defp parse_value(<<?[, rest::binary>>, text), do: parse_array(skip_whitespace(rest), text, [])
  defp parse_value(<<?", rest::binary>>, text), do: parse_string(rest, text, [])
  defp parse_value(<<"true", rest::binary>>, _text), do: {true, rest}
  defp parse_value(<<"false", rest::binary>>, _text), do: {false, rest}
  defp parse_value(<<"null", rest::binary>>, _text), do: {nil, rest}

  defp parse_value(<<c, _::binary>> = data, text) when c == ?- or c in ?0..?9,
    do: parse_number(data, text)

  defp parse_value(data, text), do: syntax_error("expected a JSON value", data, text)

  defp parse_object(<<?}, rest::binary>>, _text, []), do: {%{}, rest}

  defp parse_object(<<?", rest::binary>>, text, entries) do
    {key, rest} = parse_string(rest, text, [])

    rest =
      case skip_whitespace(rest) do
        <<?:, rest::binary>> -> skip_whitespace(rest)
        rest -> syntax_error("expected ':' after an object key", rest, text)
      end

    {value, rest} = parse_value(rest, text)
    entries = [{key, value} | entries]

    case skip_whitespace(rest) do
      <<?,, rest::binary>> -> parse_object(skip_whitespace(rest), text, entries)
      # Later duplicates win, as in JavaScript's JSON.parse: from_list keeps the last one given.
      <<?}, rest::binary>> -> {:maps.from_list(:lists.reverse(entries)), rest}
      rest -> syntax_error("expected ',' or '}' in an object", rest, text)
    end
  end

  defp parse_object(data, text, _entries),
    do: syntax_error("expected a string key in an object", data, text)

  defp parse_array(<<?], rest::binary>>, _text, []), do: {[], rest}

  defp parse_array(data, text, items) do
    {value, rest} = parse_value(data, text)
    items = [value | items]

    case skip_whitespace(rest) do
      <<?,, rest::binary>> -> parse_array(skip_whitespace(rest), text, items)
      <<?], rest::binary>> -> {:lists.reverse(items), rest}
      rest -> syntax_error("expected ',' or ']' in an array", rest, text)
    end
  end

  defp parse_string(data, text, acc) do
    plain = plain_length(data, 0)
    <<chunk::binary-size(plain), rest::binary>> = data

    case rest do
      <<?", rest::binary>> -> {finish_string(acc, chunk), rest}
      <<?\\, rest::binary>> -> parse_escape(rest, text, [acc | chunk])
      <<>> -> syntax_error("unterminated string", rest, text)
      _ -> syntax_error("control character in a string", rest, text)
    end
  end

  defp finish_string([], chunk), do: chunk
  defp finish_string(acc, chunk), do: IO.iodata_to_binary([acc | chunk])

  defp plain_length(<<c, rest::binary>>, length) when c != ?" and c != ?\\ and c >= 0x20,
    do: plain_length(rest, length + 1)

  defp plain_length(_, length), do: length

  defp parse_escape(<<?", rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?"])
  defp parse_escape(<<?\\, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\\])
  defp parse_escape(<<?/, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?/])
  defp parse_escape(<<?b, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\b])
  defp parse_escape(<<?f, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\f])
  defp parse_escape(<<?n, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\n])
  defp parse_escape(<<?r, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\r])
  defp parse_escape(<<?t, rest::binary>>, text, acc), do: parse_string(rest, text, [acc, ?\t])

  defp parse_escape(<<?u, hex::binary-size(4), rest::binary>> = data, text, acc) do
    code = hex_value(hex, data, text)

    cond do
      code in 0xD800..0xDBFF ->
        case rest do
          <<?\\, ?u, low_hex::binary-size(4), after_low::binary>> ->
            low = hex_value(low_hex, rest, text)

            if low in 0xDC00..0xDFFF do
              combined = 0x10000 + ((code - 0xD800) <<< 10) + (low - 0xDC00)
              parse_string(after_low, text, [acc | <<combined::utf8>>])
            else
              # A high surrogate without its low half is not a character; JavaScript keeps it as
              # a lone code unit, which has no UTF-8 form, so it becomes U+FFFD.
              parse_string(rest, text, [acc | <<0xFFFD::utf8>>])
            end

          _ ->
            parse_string(rest, text, [acc | <<0xFFFD::utf8>>])
        end

      code in 0xDC00..0xDFFF ->
        parse_string(rest, text, [acc | <<0xFFFD::utf8>>])

      true ->
        parse_string(rest, text, [acc | <<code::utf8>>])
    end
  end

  defp parse_escape(data, text, _acc), do: syntax_error("invalid escape in a string", data, text)

  defp hex_value(hex, data, text) do
    case Integer.parse(hex, 16) do
      {value, ""} when value >= 0 -> value
      _ -> syntax_error("invalid \\u escape", data, text)
    end
  end

  defp parse_number(data, text) do
    {sign_length, rest} =
      case data do
        <<?-, rest::binary>> -> {1, rest}
        rest -> {0, rest}
      end

    integer_length =
      case rest do
        <<?0, _::binary>> -> 1
        <<c, _::binary>> when c in ?1..?9 -> digit_count(rest, 0)
        _ -> syntax_error("expected a digit", rest, text)
      end

    <<_::binary-size(integer_length), rest::binary>> = rest

    {fraction_length, rest} =
      case rest do
        <<?., more::binary>> ->
          case digit_count(more, 0) do
            0 -> syntax_error("expected a digit after '.'", more, text)
            count -> {count + 1, binary_part(more, count, byte_size(more) - count)}
          end

        _ ->
          {0, rest}
      end

    {exponent_length, rest} =
      case rest do
        <<e, more::binary>> when e in [?e, ?E] ->
          {sign, digits} =
            case more do
              <<s, digits::binary>> when s in [?+, ?-] -> {1, digits}
              digits -> {0, digits}
            end

          case digit_count(digits, 0) do
            0 -> syntax_error("expected a digit in an exponent", digits, text)
            count -> {1 + sign + count, binary_part(digits, count, byte_size(digits) - count)}
          end

        _ ->
          {0, rest}
      end

    number_text =
      binary_part(data, 0, sign_length + integer_length + fraction_length + exponent_length)

    try do
      {number_value(number_text, sign_length + integer_length, fraction_length, exponent_length),
       rest}
    rescue
      ArgumentError -> syntax_error("number out of range", data, text)
    end
  end

  defp number_value(number_text, _mantissa_length, 0, 0), do: String.to_integer(number_text)

  defp number_value(number_text, mantissa_length, 0, _exponent_length) do
    # Erlang's float syntax needs a fraction: "1e5" is read as "1.0e5".
    <<mantissa::binary-size(mantissa_length), exponent::binary>> = number_text
    :erlang.binary_to_float(mantissa <> ".0" <> exponent)
  end

  defp number_value(number_text, _mantissa_length, _fraction_length, _exponent_length),
    do: :erlang.binary_to_float(number_text)

  defp digit_count(<<c, rest::binary>>, count) when c in ?0..?9, do: digit_count(rest, count + 1)
  defp digit_count(_, count), do: count

  defp skip_whitespace(<<c, rest::binary>>) when c in @whitespace, do: skip_whitespace(rest)
  defp skip_whitespace(rest), do: rest

  defp syntax_error(message, rest, text) do
    throw({__MODULE__, "#{message} at byte #{byte_size(text) - byte_size(rest)}"})
  end
end
