defmodule ElixirScope.TracerTest do
  @moduledoc """
  Process events from VM tracing: a process is traced from its first call into instrumented
  code, with what it spawns, and its spawn/send/receive/link/unlink/register/exit become events;
  the agent's own traffic and untraced processes stay out.
  """
  use ElixirScope.Test.RecordingCase, async: false

  test "spawn, send, receive, link, unlink, register and exit of a traced process and its child" do
    recorder = start_recording(trace_processes: true)
    test_process = self()

    {parent, monitor} =
      spawn_monitor(fn ->
        call = Runtime.enter(0, [])
        Process.register(self(), :elixirscope_tracer_test_parent)

        child =
          spawn(fn ->
            receive do
              {:ping, from} -> send(from, :pong)
            end

            exit(:child_done)
          end)

        Process.link(child)
        Process.unlink(child)
        send(child, {:ping, self()})

        receive do
          :pong -> :ok
        end

        send(test_process, {:child, child})
        Runtime.return(call, :ok)
      end)

    assert_receive {:child, child}, 5_000
    assert_receive {:DOWN, ^monitor, :process, ^parent, :normal}, 5_000
    child_monitor = Process.monitor(child)
    assert_receive {:DOWN, ^child_monitor, :process, ^child, _}, 5_000

    events = recorder |> flushed_events() |> Enum.map(&named/1)

    of = fn pid ->
      for event <- events,
          event.pid == pid,
          event.type not in [:call, :return],
          do: {event.type, event.value}
    end

    assert of.(parent) == [
             {:register, :elixirscope_tracer_test_parent},
             {:spawn, child},
             {:link, child},
             {:unlink, child},
             {:send, {child, {:ping, parent}}},
             {:receive, :pong},
             {:send, {test_process, {:child, child}}},
             {:exit, :normal}
           ]

    assert of.(child) == [
             {:receive, {:ping, parent}},
             {:send, {parent, :pong}},
             {:exit, :child_done}
           ]

    for event <- events, event.type not in [:call, :return, :bind, :value] do
      assert event.node == -1 and event.call == 0 and event.parent == 0
    end

    # Trace times are when things happened, and the seq numbers are unique.
    parent_times =
      for event <- events, event.pid == parent, event.type not in [:call, :return], do: event.time

    assert parent_times == Enum.sort(parent_times)
    assert length(Enum.uniq(Enum.map(events, & &1.seq))) == length(events)
  end

  test "the agent's own messages are not traced, and processes that never run project code are not traced" do
    recorder = start_recording(trace_processes: true)

    {bystander, bystander_monitor} =
      spawn_monitor(fn ->
        receive do
          :go -> :ok
        end
      end)

    {traced, traced_monitor} =
      spawn_monitor(fn ->
        for index <- 1..100, do: Runtime.value(index, index)
        send(bystander, :go)
      end)

    assert_receive {:DOWN, ^traced_monitor, :process, ^traced, :normal}, 5_000
    assert_receive {:DOWN, ^bystander_monitor, :process, ^bystander, :normal}, 5_000

    events = recorder |> flushed_events() |> Enum.map(&named/1)
    # `value` does not start tracing (only entering a function does), so nothing here is traced.
    assert Enum.filter(events, &(&1.type not in [:value])) == []

    {traced_again, monitor} =
      spawn_monitor(fn ->
        call = Runtime.enter(0, [])
        for index <- 1..100, do: Runtime.value(index, index)
        Runtime.return(call, :ok)
      end)

    assert_receive {:DOWN, ^monitor, :process, ^traced_again, :normal}, 5_000
    events = recorder |> flushed_events() |> Enum.map(&named/1)

    process_events =
      for event <- events, event.pid == traced_again, event.type in [:send, :receive], do: event

    # 102 events went to the collector as messages; none of them shows up as a `send`.
    assert process_events == []

    assert [%{type: :exit, value: :normal}] =
             for(event <- events, event.pid == traced_again, event.type == :exit, do: event)

    assert Enum.filter(events, &(&1.pid == bystander)) == []
  end

  test "an overloaded tracer discards trace messages and counts them as dropped" do
    recorder = start_recording(trace_processes: true, max_traced_backlog: 500)

    sink =
      spawn(fn ->
        receive do
          :never -> :ok
        end
      end)

    {flooder, monitor} =
      spawn_monitor(fn ->
        Runtime.enter(0, [])
        for index <- 1..50_000, do: send(sink, index)
      end)

    assert_receive {:DOWN, ^monitor, :process, ^flooder, :normal}, 10_000
    events = flushed_events(recorder)
    sends = Enum.count(events, &(elem(&1, 3) == flooder and named(&1).type == :send))
    dropped = Agent.statistics().dropped
    assert dropped > 0
    assert sends + dropped >= 50_000
    Process.exit(sink, :kill)
  end
end
