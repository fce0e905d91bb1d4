defmodule ElixirScope.Protocol do
  @moduledoc """
  The recorder's wire protocol as the agent speaks it: the numbers of `common/traceProtocol.ts`
  (protocol version, frame kinds, event type codes, environment variable names) and the frame
  encoding `<<length::32, version::8, kind::8, payload::binary>>`, where `length` counts the
  version and kind bytes and the payload, and the payload is `:erlang.term_to_binary/1` of a term.

  The TypeScript file is the definition; this module mirrors it number for number, and a test
  reads the TypeScript file to check that the two agree.
  """

  @protocol_version 1

  @frame_kinds %{hello: 1, loaded: 2, events: 3, goodbye: 4}

  @event_types %{
    call: 1,
    return: 2,
    raise: 3,
    bind: 4,
    value: 5,
    spawn: 6,
    exit: 7,
    send: 8,
    receive: 9,
    link: 10,
    unlink: 11,
    register: 12
  }

  @truncated_tag :"$elixirscope_truncated"
  @tail_call_tag :"$elixir_scope_tail_call"

  @environment %{
    port: "ELIXIRSCOPE_PORT",
    token: "ELIXIRSCOPE_TOKEN",
    manifest: "ELIXIRSCOPE_MANIFEST"
  }

  @default_value_limits %{depth: 6, items: 32, bytes: 256}

  @type frame_kind :: :hello | :loaded | :events | :goodbye
  @type event_type ::
          :call
          | :return
          | :raise
          | :bind
          | :value
          | :spawn
          | :exit
          | :send
          | :receive
          | :link
          | :unlink
          | :register

  @doc "The protocol version every frame carries (`PROTOCOL_VERSION`)."
  @spec protocol_version() :: pos_integer()
  def protocol_version, do: @protocol_version

  @doc "The byte after the version that says what a frame holds (`FrameKind`)."
  @spec frame_kind_code(frame_kind()) :: pos_integer()
  def frame_kind_code(kind), do: Map.fetch!(@frame_kinds, kind)

  @doc "All frame kinds and their codes."
  @spec frame_kind_codes() :: %{frame_kind() => pos_integer()}
  def frame_kind_codes, do: @frame_kinds

  @doc """
  The code of an event type (`EventType`). Used at compile time by the modules that build
  events, so the hot path holds plain integers.
  """
  @spec event_type_code(event_type()) :: pos_integer()
  def event_type_code(type), do: Map.fetch!(@event_types, type)

  @doc "All event types and their codes."
  @spec event_type_codes() :: %{event_type() => pos_integer()}
  def event_type_codes, do: @event_types

  @doc "The atom that opens a cut part of a value (`TRUNCATED_TAG`)."
  @spec truncated_tag() :: atom()
  def truncated_tag, do: @truncated_tag

  @doc """
  The atom that opens the `return` value of a clause that ended in a tail call to its own module
  (`TAIL_CALL_TAG`): `{tag, name, arity}`.
  """
  @spec tail_call_tag() :: atom()
  def tail_call_tag, do: @tail_call_tag

  @doc "Names of the environment variables the recorder sets (`ENVIRONMENT`)."
  @spec environment_variable(:port | :token | :manifest) :: String.t()
  def environment_variable(name), do: Map.fetch!(@environment, name)

  @doc "What the agent keeps of a value when the manifest says nothing (`DEFAULT_VALUE_LIMITS`)."
  @spec default_value_limits() :: %{
          depth: non_neg_integer(),
          items: non_neg_integer(),
          bytes: non_neg_integer()
        }
  def default_value_limits, do: @default_value_limits

  @doc """
  One frame, ready for `:gen_tcp.send/2`: the payload is the term in external term format,
  never compressed (the recorder's decoder does not inflate).
  """
  @spec frame(frame_kind(), term()) :: binary()
  def frame(kind, payload_term) do
    payload = :erlang.term_to_binary(payload_term)

    <<byte_size(payload) + 2::32, @protocol_version::8, frame_kind_code(kind)::8,
      payload::binary>>
  end

  @doc """
  Splits the frames at the front of `buffer`: `{frames, rest}` with each frame as
  `{version, kind_code, payload_term}` and `rest` the bytes of an incomplete frame. The agent
  only writes frames; this is the reading half, for tests and tools that stand in for the recorder.
  """
  @spec decode_frames(binary()) :: {[{non_neg_integer(), non_neg_integer(), term()}], binary()}
  def decode_frames(buffer), do: decode_frames(buffer, [])

  defp decode_frames(<<length::32, body::binary-size(length), rest::binary>>, frames)
       when length >= 2 do
    <<version::8, kind::8, payload::binary>> = body
    decode_frames(rest, [{version, kind, :erlang.binary_to_term(payload)} | frames])
  end

  defp decode_frames(rest, frames), do: {Enum.reverse(frames), rest}
end
