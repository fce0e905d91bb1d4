defmodule ElixirScope.Tracer do
  @moduledoc """
  Turns the VM's trace messages about processes that run project code into events: spawn,
  exit, send, receive, link, unlink and register (`common/traceProtocol.ts` says what each
  event's `value` holds). `ElixirScope.Runtime.enter/2` starts tracing a process the first time
  it runs instrumented code, with `set_on_spawn`, so the recording covers the project's
  processes and what they start, and nothing else of the VM.

  Trace messages carry their own monotonic timestamp, so an event's `time` is when it happened;
  its `seq` is given when the tracer handles it, which can be after later events of the same
  process that did not go through tracing (calls, returns). Readers should order process events
  by `time` against call events where that matters.

  The agent's own traffic is kept out with send/receive trace patterns that exclude messages to
  and from the agent's processes (the events themselves are messages to the collector). Those
  patterns are VM-wide, so they replace patterns another tracing tool may have set; they are
  reset when the recording stops.

  Bounded: the mailbox is off-heap, and when more than `max_queued` trace messages wait (the
  agent's `:max_traced_backlog`, by default `default_max_queued/0`), the tracer discards them
  unread, counting each as dropped, down to half that, rather than fall further behind.

  A `link`/`unlink` is reported by the process that called `link`/`unlink` (the other side's
  `getting_linked` is left out, so a link between two traced processes appears once); `spawned`
  and `unregister` are left out too.
  """

  alias ElixirScope.Runtime

  @spawn_event ElixirScope.Protocol.event_type_code(:spawn)
  @exit_event ElixirScope.Protocol.event_type_code(:exit)
  @send_event ElixirScope.Protocol.event_type_code(:send)
  @receive_event ElixirScope.Protocol.event_type_code(:receive)
  @link_event ElixirScope.Protocol.event_type_code(:link)
  @unlink_event ElixirScope.Protocol.event_type_code(:unlink)
  @register_event ElixirScope.Protocol.event_type_code(:register)

  @default_max_queued 50_000
  # Checking the mailbox length costs a lock; once every this many messages is enough.
  @queue_check_interval 256

  @doc "How many trace messages may wait, unless the agent says otherwise, before the tracer discards them."
  @spec default_max_queued() :: pos_integer()
  def default_max_queued, do: @default_max_queued

  @doc """
  Starts the tracer, which lets at most `max_queued` trace messages wait. It waits for
  `exclude_agent_traffic/2` before handling anything, because the agent's other processes are
  started after it.
  """
  @spec start(pos_integer()) :: pid()
  def start(max_queued \\ @default_max_queued) do
    :erlang.spawn_opt(fn -> await_agent_processes(max_queued) end, message_queue_data: :off_heap)
  end

  @doc """
  Sets the VM-wide send/receive trace patterns so that messages to and from `agent_processes`
  (the collector, the sender and the tracer itself) are not traced, then lets the tracer run.
  """
  @spec exclude_agent_traffic(pid(), [pid()]) :: :ok
  def exclude_agent_traffic(tracer, agent_processes) do
    not_agent = fn variable -> Enum.map(agent_processes, &{:"=/=", variable, &1}) end
    # Send patterns see `[receiver, message]`, receive patterns `[node, sender, message]`.
    :erlang.trace_pattern(:send, [{[:"$1", :_], not_agent.(:"$1"), []}], [])
    :erlang.trace_pattern(:receive, [{[:_, :"$1", :_], not_agent.(:"$1"), []}], [])
    send(tracer, :agent_traffic_excluded)
    :ok
  end

  @doc """
  Asks the tracer to handle every trace message already delivered to it, then answer
  `{ref, :flushed}`. Call `:erlang.trace_delivered/1` first so that those are all of them.
  """
  @spec request_flush(pid(), pid(), reference()) :: :ok
  def request_flush(tracer, reply_to, ref) do
    send(tracer, {:flush, reply_to, ref})
    :ok
  end

  @doc "Like `request_flush/3`, then resets the trace patterns and stops (answering `{ref, :stopped}`)."
  @spec request_stop(pid(), pid(), reference()) :: :ok
  def request_stop(tracer, reply_to, ref) do
    send(tracer, {:stop, reply_to, ref})
    :ok
  end

  defp await_agent_processes(max_queued) do
    receive do
      :agent_traffic_excluded -> handle_traces(max_queued, @queue_check_interval)
    end
  end

  defp handle_traces(max_queued, 0) do
    case message_queue_length() do
      queued when queued > max_queued -> discard(queued - div(max_queued, 2), 0)
      _ -> :ok
    end

    handle_traces(max_queued, @queue_check_interval)
  end

  defp handle_traces(max_queued, until_check) do
    receive do
      {:flush, reply_to, ref} ->
        handle_queued(message_queue_length())
        send(reply_to, {ref, :flushed})
        handle_traces(max_queued, until_check)

      {:stop, reply_to, ref} ->
        handle_queued(message_queue_length())
        :erlang.trace_pattern(:send, true, [])
        :erlang.trace_pattern(:receive, true, [])
        send(reply_to, {ref, :stopped})

      trace ->
        handle_trace(trace)
        handle_traces(max_queued, until_check - 1)
    end
  end

  defp handle_queued(0), do: :ok

  defp handle_queued(left) do
    receive do
      {:trace_ts, _, _, _, _} = trace -> handle_trace(trace)
      {:trace_ts, _, _, _, _, _} = trace -> handle_trace(trace)
    after
      0 -> :ok
    end

    handle_queued(left - 1)
  end

  defp discard(left, discarded) when left <= 0, do: Runtime.count_dropped(discarded)

  defp discard(left, discarded) do
    receive do
      {:trace_ts, _, _, _, _} -> discard(left - 1, discarded + 1)
      {:trace_ts, _, _, _, _, _} -> discard(left - 1, discarded + 1)
    after
      0 -> Runtime.count_dropped(discarded)
    end
  end

  # `{to, message}` is the agent's wrapper, so the message gets the depth a plain value gets.
  defp handle_trace({:trace_ts, pid, :send, message, to, time}),
    do: emit(@send_event, pid, time, {to, message}, 1)

  defp handle_trace({:trace_ts, pid, :send_to_non_existing_process, message, to, time}),
    do: emit(@send_event, pid, time, {to, message}, 1)

  # The agent's own flush makes a traced caller receive this from the VM; it is not the program's.
  defp handle_trace({:trace_ts, _pid, :receive, {:trace_delivered, :all, _ref}, _time}), do: :ok

  defp handle_trace({:trace_ts, pid, :receive, message, time}),
    do: emit(@receive_event, pid, time, message, 0)

  defp handle_trace({:trace_ts, parent, :spawn, child, _mfa, time}),
    do: emit(@spawn_event, parent, time, child, 0)

  defp handle_trace({:trace_ts, pid, :exit, reason, time}),
    do: emit(@exit_event, pid, time, reason, 0)

  defp handle_trace({:trace_ts, pid, :link, other, time}),
    do: emit(@link_event, pid, time, other, 0)

  defp handle_trace({:trace_ts, pid, :unlink, other, time}),
    do: emit(@unlink_event, pid, time, other, 0)

  defp handle_trace({:trace_ts, pid, :register, name, time}),
    do: emit(@register_event, pid, time, name, 0)

  defp handle_trace(_other), do: :ok

  defp emit(type, pid, native_time, value, wrapping) do
    Runtime.emit_observed(
      type,
      pid,
      :erlang.convert_time_unit(native_time, :native, :nanosecond),
      value,
      wrapping
    )
  end

  defp message_queue_length do
    {:message_queue_len, length} = Process.info(self(), :message_queue_len)
    length
  end
end
