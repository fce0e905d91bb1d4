defmodule ElixirScope.Sender do
  @moduledoc """
  The process that owns the socket to the recorder and writes every frame after `hello`
  (`loaded`, `events`, `goodbye`), one at a time, so frames never interleave.

  It encodes each batch from `ElixirScope.Collector` as one `events` frame with the events in
  `seq` order (`seq` is taken a moment before each event is sent, so events of different
  processes can reach the collector slightly out of order; within a batch they are sorted, and
  across batches the order of each process's own events is kept), then releases the batch's
  admissions (`ElixirScope.Counters`): the admission bound therefore covers events still
  waiting here as well.

  If the recorder goes away (the socket closes or a write fails or times out), it says so once
  on stderr, turns the reporter functions into no-ops and from then on counts what it is handed
  as dropped, so the program goes on unrecorded and nothing blocks on the dead socket.
  """

  require ElixirScope.Counters, as: Counters
  alias ElixirScope.Protocol

  @doc """
  Starts a sender for `socket`. The caller must then make it the socket's controlling process
  and call `socket_handed_over/1`, after which the sender also notices the recorder closing.
  """
  @spec start(:gen_tcp.socket(), :atomics.atomics_ref()) :: pid()
  def start(socket, counters) do
    :erlang.spawn_opt(fn -> await_socket(socket, counters) end, message_queue_data: :off_heap)
  end

  @doc "Tells the sender that it now owns the socket."
  @spec socket_handed_over(pid()) :: :ok
  def socket_handed_over(sender) do
    send(sender, :socket_handed_over)
    :ok
  end

  @doc "Queues one frame of `kind` with `payload` behind everything handed to the sender so far."
  @spec send_frame(pid(), Protocol.frame_kind(), term()) :: :ok
  def send_frame(sender, kind, payload) do
    send(sender, {:frame, kind, payload})
    :ok
  end

  @doc """
  Writes `goodbye` (`%{events: written, dropped: dropped}`) after everything queued, closes the
  socket and stops; answers `{ref, :closed}` to `reply_to`.
  """
  @spec request_goodbye(pid(), pid(), reference()) :: :ok
  def request_goodbye(sender, reply_to, ref) do
    send(sender, {:goodbye, reply_to, ref})
    :ok
  end

  defp await_socket(socket, counters) do
    receive do
      :socket_handed_over ->
        # The recorder sends nothing; reading once at a time is only there to see it close.
        _ = :inet.setopts(socket, active: :once)
        write_frames(socket, counters, :connected)
    end
  end

  defp write_frames(socket, counters, connection) do
    receive do
      {:events, batch, count} ->
        connection = write_events(socket, counters, connection, batch, count)
        write_frames(socket, counters, connection)

      {:frame, kind, payload} ->
        connection = write(socket, connection, Protocol.frame(kind, payload))
        write_frames(socket, counters, connection)

      {:flush, reply_to, ref} ->
        send(reply_to, {ref, :flushed})
        write_frames(socket, counters, connection)

      {:goodbye, reply_to, ref} ->
        goodbye = %{
          events: Counters.read(counters, :written),
          dropped: Counters.read(counters, :dropped)
        }

        _ = write(socket, connection, Protocol.frame(:goodbye, goodbye))
        _ = :gen_tcp.close(socket)
        send(reply_to, {ref, :closed})

      {:tcp, ^socket, _ignored} ->
        _ = :inet.setopts(socket, active: :once)
        write_frames(socket, counters, connection)

      {:tcp_closed, ^socket} ->
        write_frames(socket, counters, lose_recorder(connection, :closed))

      {:tcp_error, ^socket, reason} ->
        write_frames(socket, counters, lose_recorder(connection, reason))

      _unexpected ->
        write_frames(socket, counters, connection)
    end
  end

  defp write_events(socket, counters, connection, batch, count) do
    connection = write(socket, connection, Protocol.frame(:events, :lists.keysort(2, batch)))
    :atomics.sub(counters, Counters.pending(), count)

    case connection do
      :connected -> :atomics.add(counters, Counters.written(), count)
      :lost -> :atomics.add(counters, Counters.dropped(), count)
    end

    connection
  end

  defp write(_socket, :lost, _frame), do: :lost

  defp write(socket, :connected, frame) do
    case :gen_tcp.send(socket, frame) do
      :ok -> :connected
      {:error, reason} -> lose_recorder(:connected, reason)
    end
  end

  defp lose_recorder(:lost, _reason), do: :lost

  defp lose_recorder(:connected, reason) do
    ElixirScope.Runtime.uninstall()

    IO.puts(
      :stderr,
      "elixirscope: lost the connection to the recorder (#{format_reason(reason)}); the program goes on without recording"
    )

    :lost
  end

  defp format_reason(reason) do
    case :inet.format_error(reason) do
      ~c"unknown POSIX error" ++ _ -> inspect(reason)
      text -> List.to_string(text)
    end
  end
end
