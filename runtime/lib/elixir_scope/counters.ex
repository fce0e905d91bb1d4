defmodule ElixirScope.Counters do
  @moduledoc """
  The agent's shared counters, one `:atomics` array per recording, so that every process can
  number and account for events without a message round trip (an atomic add costs tens of
  nanoseconds; asking a process costs microseconds).

    * `seq`: the last event sequence number handed out (the VM-wide order of events);
    * `call_id`: the last call ID handed out;
    * `pending`: events admitted but not yet written to the socket, the measure of how far the
      collector and sender have fallen behind (admission stops at the recording's bound);
    * `dropped`: events not recorded because the pipeline was full or the tracer overloaded;
    * `written`: events written to the socket (the `events` count of `goodbye`).

  The indices are macros so that the hot path in `ElixirScope.Runtime` holds plain integers.
  """

  @doc "A fresh set of counters, all zero."
  @spec new() :: :atomics.atomics_ref()
  def new, do: :atomics.new(5, signed: true)

  @doc "Index of the sequence-number counter."
  defmacro seq, do: 1
  @doc "Index of the call-ID counter."
  defmacro call_id, do: 2
  @doc "Index of the count of admitted, unwritten events."
  defmacro pending, do: 3
  @doc "Index of the count of dropped events."
  defmacro dropped, do: 4
  @doc "Index of the count of events written to the socket."
  defmacro written, do: 5

  @doc "The current value of one counter (`:seq`, `:call_id`, `:pending`, `:dropped`, `:written`)."
  @spec read(:atomics.atomics_ref(), :seq | :call_id | :pending | :dropped | :written) ::
          integer()
  def read(counters, :seq), do: :atomics.get(counters, seq())
  def read(counters, :call_id), do: :atomics.get(counters, call_id())
  def read(counters, :pending), do: :atomics.get(counters, pending())
  def read(counters, :dropped), do: :atomics.get(counters, dropped())
  def read(counters, :written), do: :atomics.get(counters, written())
end
