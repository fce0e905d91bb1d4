defmodule ElixirScope.ProtocolTest do
  @moduledoc "Frame encoding, and that the agent's numbers are those of common/traceProtocol.ts."
  use ExUnit.Case, async: true

  alias ElixirScope.Protocol

  @trace_protocol Path.expand("../../common/traceProtocol.ts", __DIR__)

  test "a frame is <<length::32, version, kind, term_to_binary(payload)>> with length counting version and kind" do
    frame = Protocol.frame(:goodbye, %{events: 3, dropped: 0})
    payload = :erlang.term_to_binary(%{events: 3, dropped: 0})
    assert frame == <<byte_size(payload) + 2::32, 1, 4, payload::binary>>
    assert <<0, 0, 0, _length, 1, 4, 131, _::binary>> = frame
  end

  test "frames cut from a stream, whole or in pieces" do
    stream =
      Protocol.frame(:hello, %{token: "t"}) <>
        Protocol.frame(:events, [{1, 1, 0, self(), 0, 1, 0, []}])

    assert {[{1, 1, %{token: "t"}}, {1, 3, [_event]}], ""} = Protocol.decode_frames(stream)
    cut = byte_size(stream) - 3
    <<first::binary-size(cut), rest::binary>> = stream
    assert {[{1, 1, _}], partial} = Protocol.decode_frames(first)
    assert {[{1, 3, _}], ""} = Protocol.decode_frames(partial <> rest)
  end

  test "the version, frame kinds, event types, tags, environment names and default limits match common/traceProtocol.ts" do
    source = File.read!(@trace_protocol)
    assert [_, version] = Regex.run(~r/PROTOCOL_VERSION = (\d+);/, source)
    assert String.to_integer(version) == Protocol.protocol_version()

    assert block_numbers(source, "FrameKind") ==
             Map.new(Protocol.frame_kind_codes(), fn {k, v} -> {Atom.to_string(k), v} end)

    assert block_numbers(source, "EventType") ==
             Map.new(Protocol.event_type_codes(), fn {k, v} -> {Atom.to_string(k), v} end)

    assert [_, tag] = Regex.run(~r/TRUNCATED_TAG = '([^']+)'/, source)
    assert tag == Atom.to_string(Protocol.truncated_tag())
    assert [_, tail_call_tag] = Regex.run(~r/TAIL_CALL_TAG = '([^']+)'/, source)
    assert tail_call_tag == Atom.to_string(Protocol.tail_call_tag())

    for name <- [:port, :token, :manifest] do
      assert source =~ "#{name}: '#{Protocol.environment_variable(name)}'"
    end

    %{depth: depth, items: items, bytes: bytes} = Protocol.default_value_limits()

    assert source =~
             "DEFAULT_VALUE_LIMITS: ValueLimits = { depth: #{depth}, items: #{items}, bytes: #{bytes} }"
  end

  defp block_numbers(source, name) do
    [_, block] = Regex.run(~r/export const #{name} = \{(.*?)\} as const;/s, source)

    for [_, key, value] <- Regex.scan(~r/^\s*(\w+): (\d+),/m, block),
        into: %{},
        do: {key, String.to_integer(value)}
  end
end
