defmodule ElixirScope.Collector do
  @moduledoc """
  The process every event is sent to (one message per event, from `ElixirScope.Runtime` and
  `ElixirScope.Tracer`). It gathers events into batches of at most `batch_size/0` events, or
  whatever arrived within `batch_interval_ms/0` of a batch's first event, and hands each batch to
  `ElixirScope.Sender`, so that the socket sees a few large frames rather than many small ones.

  Its mailbox is off-heap: a flood of events then costs the senders a heap fragment each instead
  of contention on this process's heap, and a long queue does not slow its garbage collection.
  How far it may fall behind is bounded by the admission counter (`ElixirScope.Counters`), not
  by this process: the counter is decremented only once the sender has written a batch, so it
  bounds the collector's mailbox and the sender's together.
  """

  @batch_size 512
  @batch_interval_ms 5

  @doc "Largest number of events in one `events` frame."
  @spec batch_size() :: pos_integer()
  def batch_size, do: @batch_size

  @doc "Longest time an event waits in a partial batch before it is handed on."
  @spec batch_interval_ms() :: pos_integer()
  def batch_interval_ms, do: @batch_interval_ms

  @doc "Starts a collector that hands its batches to `sender`."
  @spec start(pid()) :: pid()
  def start(sender) do
    :erlang.spawn_opt(fn -> collect(sender, [], 0, nil) end, message_queue_data: :off_heap)
  end

  @doc """
  Makes the collector hand on everything it has received so far, then asks the sender to answer
  `{ref, :flushed}` to `reply_to` once that is written. Asynchronous: the caller waits for the answer.
  """
  @spec request_flush(pid(), pid(), reference()) :: :ok
  def request_flush(collector, reply_to, ref) do
    send(collector, {:flush, reply_to, ref})
    :ok
  end

  @doc """
  Like `request_flush/3`, and then the collector stops; the answer `{ref, :stopped}` comes from
  the collector once the last batch is handed to the sender.
  """
  @spec request_stop(pid(), pid(), reference()) :: :ok
  def request_stop(collector, reply_to, ref) do
    send(collector, {:stop, reply_to, ref})
    :ok
  end

  # `batch` is reversed; `deadline` is when the oldest event in it must be handed on (nil when empty).
  defp collect(sender, batch, count, deadline) do
    receive do
      event when tuple_size(event) == 8 ->
        add(sender, event, batch, count, deadline)

      {:flush, reply_to, ref} ->
        {batch, count} = drain(sender, batch, count, message_queue_length())
        hand_on(sender, batch, count)
        send(sender, {:flush, reply_to, ref})
        collect(sender, [], 0, nil)

      {:stop, reply_to, ref} ->
        {batch, count} = drain(sender, batch, count, message_queue_length())
        hand_on(sender, batch, count)
        send(reply_to, {ref, :stopped})

      _unexpected ->
        collect(sender, batch, count, deadline)
    after
      timeout(deadline) ->
        hand_on(sender, batch, count)
        collect(sender, [], 0, nil)
    end
  end

  defp add(sender, event, batch, count, deadline) do
    count = count + 1

    cond do
      count >= @batch_size ->
        hand_on(sender, [event | batch], count)
        collect(sender, [], 0, nil)

      deadline == nil ->
        collect(
          sender,
          [event | batch],
          count,
          :erlang.monotonic_time(:millisecond) + @batch_interval_ms
        )

      true ->
        collect(sender, [event | batch], count, deadline)
    end
  end

  # Takes the events already queued when a flush was asked for (at most `left` messages, so a
  # flood that keeps arriving cannot keep a flush from finishing).
  defp drain(_sender, batch, count, left) when left <= 0, do: {batch, count}

  defp drain(sender, batch, count, left) do
    receive do
      event when tuple_size(event) == 8 ->
        if count + 1 >= @batch_size do
          hand_on(sender, [event | batch], count + 1)
          drain(sender, [], 0, left - 1)
        else
          drain(sender, [event | batch], count + 1, left - 1)
        end
    after
      0 -> {batch, count}
    end
  end

  defp hand_on(_sender, [], 0), do: :ok
  defp hand_on(sender, batch, count), do: send(sender, {:events, batch, count})

  defp timeout(nil), do: :infinity
  defp timeout(deadline), do: max(deadline - :erlang.monotonic_time(:millisecond), 0)

  defp message_queue_length do
    {:message_queue_len, length} = Process.info(self(), :message_queue_len)
    length
  end
end
