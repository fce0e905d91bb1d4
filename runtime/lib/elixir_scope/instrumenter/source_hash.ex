defmodule ElixirScope.Instrumenter.SourceHash do
  @moduledoc """
  The SHA-1 of a source file's bytes as lowercase hex, the way the planner writes `sourceHash`
  in the manifest. Uses `:crypto` when it is there; a VM built without OpenSSL has no `:crypto`,
  so a plain Elixir SHA-1 (FIPS 180-4) takes over rather than leaving the program unrecorded.
  """

  import Bitwise

  @doc "Lowercase hex SHA-1 of `bytes`."
  @spec sha1_hex(binary) :: String.t()
  def sha1_hex(bytes) when is_binary(bytes), do: Base.encode16(sha1(bytes), case: :lower)

  @doc "The raw 20-byte SHA-1 of `bytes`."
  @spec sha1(binary) :: <<_::160>>
  def sha1(bytes) when is_binary(bytes) do
    :crypto.hash(:sha, bytes)
  rescue
    # `:crypto` missing (UndefinedFunctionError) or unable to load its NIF (ErlangError).
    _ -> pure_sha1(bytes)
  end

  @doc false
  # Public so that the tests can check it against `:crypto`.
  @spec pure_sha1(binary) :: <<_::160>>
  def pure_sha1(bytes) do
    bit_length = byte_size(bytes) * 8
    padding = rem(64 - rem(byte_size(bytes) + 9, 64), 64)
    message = <<bytes::binary, 0x80, 0::size(padding)-unit(8), bit_length::64>>
    {a, b, c, d, e} = blocks(message, {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0})
    <<a::32, b::32, c::32, d::32, e::32>>
  end

  defp blocks(<<block::binary-size(64), rest::binary>>, {a, b, c, d, e}) do
    words = schedule(for(<<word::32 <- block>>, do: word))
    {a2, b2, c2, d2, e2} = rounds(words, 0, {a, b, c, d, e})
    blocks(rest, {mask(a + a2), mask(b + b2), mask(c + c2), mask(d + d2), mask(e + e2)})
  end

  defp blocks(<<>>, state), do: state

  # The 80-word message schedule, as a tuple for constant-time access.
  defp schedule(words) do
    Enum.reduce(16..79, List.to_tuple(words), fn t, schedule ->
      word =
        rotl(
          bxor(
            bxor(elem(schedule, t - 3), elem(schedule, t - 8)),
            bxor(elem(schedule, t - 14), elem(schedule, t - 16))
          ),
          1
        )

      Tuple.append(schedule, word)
    end)
  end

  defp rounds(_words, 80, state), do: state

  defp rounds(words, t, {a, b, c, d, e}) do
    {f, k} =
      cond do
        t < 20 -> {bor(band(b, c), band(mask(bnot(b)), d)), 0x5A827999}
        t < 40 -> {bxor(bxor(b, c), d), 0x6ED9EBA1}
        t < 60 -> {bor(bor(band(b, c), band(b, d)), band(c, d)), 0x8F1BBCDC}
        true -> {bxor(bxor(b, c), d), 0xCA62C1D6}
      end

    temp = mask(rotl(a, 5) + f + e + k + elem(words, t))
    rounds(words, t + 1, {temp, a, rotl(b, 30), c, d})
  end

  defp rotl(x, n), do: mask(bor(x <<< n, x >>> (32 - n)))
  defp mask(x), do: band(x, 0xFFFFFFFF)
end
