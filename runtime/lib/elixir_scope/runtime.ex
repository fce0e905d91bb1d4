defmodule ElixirScope.Runtime do
  @moduledoc """
  The reporter API that instrumented code calls (`ElixirScope.Instrumenter` injects these calls
  into the project's functions): `enter/2` when a clause starts, `return/2` or `raise/3` when it
  ends, `bind/2` and `value/2` for variables and expression values in between.

  Every call runs in the user's process, so it is written for the hot path: when no recording
  is active it costs one `:persistent_term` read; when one is, it reads counters with atomics,
  keeps the process's stack of open calls in its process dictionary, cuts the value to the
  recording's limits and sends one message per event to the collector. A message per event
  (rather than a per-process buffer) is what makes delivery survive the emitting process
  crashing right after: once `send/2` returns, the event is in the collector's mailbox. The
  collector has an off-heap mailbox, so senders never contend for its heap. Measured with
  `runtime/test/bench_delivery.exs` (2-core VM, shared): an event costs the emitting process
  0.55–0.85 µs, the cost of bounding the value (~0.13 µs for a small argument list) plus one
  message; an insert into a shared ETS table cost about the same (0.7–0.85 µs) but would need a
  polling collector, and a process-dictionary buffer, cheaper, dies with the process.

  Overload never blocks user code: an event is admitted only while fewer than the recording's
  `max_pending` events are admitted but unwritten; past that it is counted as dropped. Calls
  are kept whole: a call whose `call` event is dropped is not recorded at all (its `return` or
  `raise` is dropped too, and its callees name its caller as their parent), and the end of a
  call whose `call` event was admitted is always admitted, so the trace never holds a return
  without its call nor a call left open by overload. That can take the pending count past the
  bound by at most the number of calls open at the moment.

  None of these functions raises into user code: a failure inside the agent loses the event,
  never the user's computation.
  """

  require ElixirScope.Counters, as: Counters
  alias ElixirScope.Value

  @recording_key {__MODULE__, :recording}
  @call_stack_key :"$elixirscope_call_stack"
  @traced_by_key :"$elixirscope_traced_by"

  @call_event ElixirScope.Protocol.event_type_code(:call)
  @return_event ElixirScope.Protocol.event_type_code(:return)
  @raise_event ElixirScope.Protocol.event_type_code(:raise)
  @bind_event ElixirScope.Protocol.event_type_code(:bind)
  @value_event ElixirScope.Protocol.event_type_code(:value)

  @no_node -1
  @no_call 0

  # The argument list of a call and the `{kind, reason}` of a raise are wrappers the agent puts
  # around the user's terms, so they get one level of depth on top of the limits: each argument
  # and each reason is kept as deep as a bound or a returned value would be. Both sets of limits
  # are made once, at install; an event picks one by its wrapping, 0 or 1.
  @plain 0
  @wrapped 1

  @truncated_tag ElixirScope.Protocol.truncated_tag()

  # Process tracing flags for processes that run project code (see `ElixirScope.Tracer`).
  # Call tracing (`return_trace` in particular) is deliberately absent: it breaks tail calls.
  @process_trace_flags [:procs, :send, :receive, :set_on_spawn, :monotonic_timestamp]

  @typedoc "`{depth, items, bytes}`, as `ElixirScope.Value.bound/2` takes them."
  @type limits :: {non_neg_integer(), non_neg_integer(), non_neg_integer()}

  @typedoc """
  What a recording in progress needs on the hot path, kept in `:persistent_term` (reads cost
  one lookup, no copy): the collector, the counters, the value limits for plain and for wrapped
  values, the tracer (or `nil` when processes are not traced) and the bound on admitted,
  unwritten events.
  """
  @type recording ::
          {:recording, collector :: pid(), counters :: :atomics.atomics_ref(),
           limits :: {plain :: limits(), wrapped :: limits()}, tracer :: pid() | nil,
           max_pending :: pos_integer()}

  @doc """
  Records a `call` event for the clause at `node_index` with its arguments, pushes the new call
  on this process's call stack and returns the call's ID (0 when nothing is being recorded;
  pass it back to `return/2` or `raise/3` either way).
  """
  @spec enter(integer(), list()) :: non_neg_integer()
  def enter(node_index, args) do
    case :persistent_term.get(@recording_key, nil) do
      nil -> @no_call
      recording -> record_enter(recording, node_index, args)
    end
  end

  @doc "Records the `return` of call `call_id`, pops it from the call stack and returns `result`."
  @spec return(non_neg_integer(), result) :: result when result: term()
  def return(call_id, result) do
    case :persistent_term.get(@recording_key, nil) do
      nil -> result
      recording -> record_exit(recording, @return_event, call_id, result, @plain)
    end

    result
  end

  @doc """
  Records that call `call_id` raised, threw or exited (`value` is `{kind, reason}`) and pops it
  from the call stack. The instrumented code re-raises itself with `:erlang.raise/3`.
  """
  @spec raise(non_neg_integer(), :error | :exit | :throw, term()) :: :ok
  def raise(call_id, kind, reason) do
    case :persistent_term.get(@recording_key, nil) do
      nil -> :ok
      recording -> record_exit(recording, @raise_event, call_id, {kind, reason}, @wrapped)
    end

    :ok
  end

  @doc "Records that the variable at `node_index` was bound to `value`; returns `value`."
  @spec bind(integer(), value) :: value when value: term()
  def bind(node_index, value) do
    case :persistent_term.get(@recording_key, nil) do
      nil -> value
      recording -> record_in_current_call(recording, @bind_event, node_index, value)
    end

    value
  end

  @doc "Records the value of the expression at `node_index`; returns `value`."
  @spec value(integer(), value) :: value when value: term()
  def value(node_index, value) do
    case :persistent_term.get(@recording_key, nil) do
      nil -> value
      recording -> record_in_current_call(recording, @value_event, node_index, value)
    end

    value
  end

  @doc "Whether a recording is active in this VM."
  @spec recording?() :: boolean()
  def recording?, do: :persistent_term.get(@recording_key, nil) != nil

  @doc false
  # Makes a recording with these processes, counters and limits the active one; the agent calls
  # it once everything it names is running.
  @spec install(pid(), :atomics.atomics_ref(), limits(), pid() | nil, pos_integer()) :: :ok
  def install(collector, counters, {depth, items, bytes} = limits, tracer, max_pending) do
    wrapped_limits = {depth + 1, items, bytes}
    recording = {:recording, collector, counters, {limits, wrapped_limits}, tracer, max_pending}
    :persistent_term.put(@recording_key, recording)
  end

  @doc false
  # Turns the reporter functions back into no-ops. `:persistent_term.erase/1` makes the VM scan
  # every process once, which is why it happens only when a recording ends.
  @spec uninstall() :: :ok
  def uninstall do
    :persistent_term.erase(@recording_key)
    :ok
  end

  @doc false
  # Emits an event observed by the tracer on behalf of `pid`, at trace time `time` (ns).
  # `wrapping` is 1 when `value` is a tuple the agent built around the term, as for `send`.
  @spec emit_observed(pos_integer(), pid(), integer(), term(), 0 | 1) :: :ok
  def emit_observed(type, pid, time, value, wrapping) do
    case :persistent_term.get(@recording_key, nil) do
      nil ->
        :ok

      {:recording, collector, counters, limits, _tracer, max_pending} ->
        if admit(counters, max_pending) do
          bounded = bound_safely(value, limits, wrapping)
          seq = :atomics.add_get(counters, Counters.seq(), 1)
          send(collector, {type, seq, time, pid, @no_node, @no_call, 0, bounded})
        end

        :ok
    end
  catch
    _kind, _reason -> :ok
  end

  @doc false
  # Counts events the tracer had to throw away unread.
  @spec count_dropped(non_neg_integer()) :: :ok
  def count_dropped(count) do
    case :persistent_term.get(@recording_key, nil) do
      nil ->
        :ok

      {:recording, _collector, counters, _limits, _tracer, _max_pending} ->
        :atomics.add(counters, Counters.dropped(), count)
    end
  end

  defp record_enter({:recording, _, counters, _, tracer, _} = recording, node_index, args) do
    call_id = :atomics.add_get(counters, Counters.call_id(), 1)

    stack =
      case :erlang.get(@call_stack_key) do
        :undefined -> []
        stack -> stack
      end

    parent =
      case stack do
        [top | _] -> top
        [] -> @no_call
      end

    if tracer != nil, do: ensure_traced(tracer)

    if emit(recording, @call_event, node_index, call_id, parent, args, @wrapped) do
      :erlang.put(@call_stack_key, [call_id | stack])
      call_id
    else
      # Dropped: the whole call goes unrecorded, so no return without its call.
      @no_call
    end
  catch
    _kind, _reason -> @no_call
  end

  defp record_exit(_recording, _type, @no_call, _value, _wrapping), do: :ok

  defp record_exit(recording, type, call_id, value, wrapping) do
    pop_call(call_id)

    # The call was admitted, so its end is too, past the bound if need be.
    emit_admitted(recording, type, @no_node, call_id, @no_call, value, wrapping)

    :ok
  catch
    _kind, _reason -> :ok
  end

  defp record_in_current_call(recording, type, node_index, value) do
    current_call =
      case :erlang.get(@call_stack_key) do
        [top | _] -> top
        _ -> @no_call
      end

    emit(recording, type, node_index, current_call, @no_call, value, @plain)
  catch
    _kind, _reason -> :ok
  end

  defp emit(
         {:recording, collector, counters, limits, _tracer, max_pending},
         type,
         node_index,
         call_id,
         parent,
         value,
         wrapping
       ) do
    if admit(counters, max_pending) do
      deliver(collector, counters, limits, type, node_index, call_id, parent, value, wrapping)
      true
    else
      false
    end
  end

  # An event that must not be dropped (the end of an admitted call): counted as pending, never
  # refused.
  defp emit_admitted(
         {:recording, collector, counters, limits, _tracer, _max_pending},
         type,
         node_index,
         call_id,
         parent,
         value,
         wrapping
       ) do
    :atomics.add(counters, Counters.pending(), 1)
    deliver(collector, counters, limits, type, node_index, call_id, parent, value, wrapping)
  end

  defp deliver(collector, counters, limits, type, node_index, call_id, parent, value, wrapping) do
    bounded = bound_safely(value, limits, wrapping)
    # Numbered right before the send, so the window in which another process can take a later
    # number and deliver first is as short as possible.
    seq = :atomics.add_get(counters, Counters.seq(), 1)

    send(
      collector,
      {type, seq, :erlang.monotonic_time(:nanosecond), self(), node_index, call_id, parent, bounded}
    )
  end

  defp admit(counters, max_pending) do
    if :atomics.add_get(counters, Counters.pending(), 1) <= max_pending do
      true
    else
      :atomics.sub(counters, Counters.pending(), 1)
      :atomics.add(counters, Counters.dropped(), 1)
      false
    end
  end

  defp bound_safely(value, limits, wrapping) do
    Value.bound(value, :erlang.element(wrapping + 1, limits))
  catch
    _kind, _reason -> {@truncated_tag, :depth, 0}
  end

  # The stack normally ends with `call_id` on top. When it does not (a frame between was left
  # by a non-local exit the instrumenter did not see), everything above `call_id` is dropped
  # too; an ID that is not on the stack at all leaves it as it is.
  defp pop_call(call_id) do
    case :erlang.get(@call_stack_key) do
      [^call_id | rest] ->
        :erlang.put(@call_stack_key, rest)

      stack when is_list(stack) ->
        case :lists.dropwhile(&(&1 != call_id), stack) do
          [^call_id | rest] -> :erlang.put(@call_stack_key, rest)
          [] -> :ok
        end

      _ ->
        :ok
    end
  end

  # The first time a process runs project code it is traced (and so is everything it spawns
  # from then on). The process dictionary remembers by which tracer, so a process from an
  # earlier recording in the same VM is traced again by the current one.
  defp ensure_traced(tracer) do
    case :erlang.get(@traced_by_key) do
      ^tracer ->
        :ok

      _ ->
        :erlang.put(@traced_by_key, tracer)

        try do
          :erlang.trace(self(), true, [{:tracer, tracer} | @process_trace_flags])
        catch
          # Already traced by another tool, or the tracer is gone: record without process events.
          _kind, _reason -> :ok
        end
    end
  end
end
