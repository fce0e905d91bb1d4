defmodule ElixirScope.ReporterTest do
  @moduledoc """
  The reporter API (`ElixirScope.Runtime`) and the agent's delivery as the recorder sees them
  over a real socket: hello first, events in order, calls paired with their callers, nothing
  lost when a process crashes right after emitting, drops counted under a flood, goodbye.
  """
  use ElixirScope.Test.RecordingCase, async: false

  alias ElixirScope.Protocol

  @tag_atom :"$elixirscope_truncated"

  test "without a recording the reporter functions are no-ops that return what they were given" do
    refute Agent.running?()
    assert Runtime.enter(3, [1, 2]) == 0
    assert Runtime.return(0, {:ok, 1}) == {:ok, 1}
    assert Runtime.raise(0, :error, :badarg) == :ok
    assert Runtime.bind(4, "value") == "value"
    assert Runtime.value(5, [1]) == [1]
    assert Process.get(:"$elixirscope_call_stack") == nil
    assert Agent.flush() == :ok
  end

  test "hello with the token and versions is the first frame" do
    recorder = start_recording()
    Runtime.value(0, :anything)
    flush_to_recorder(recorder)

    assert [{1, 1, hello} | _] = FakeRecorder.frames(recorder)
    assert hello.token == token()
    assert hello.agent_version == "0.1.0"
    assert hello.elixir == System.version()
    assert hello.otp == System.otp_release()
    assert hello.os_pid == String.to_integer(System.pid())
    assert hello.node == Atom.to_string(node())
  end

  test "calls and returns pair up: each call's parent is its caller, bindings belong to the open call" do
    recorder = start_recording()

    outer = Runtime.enter(10, [:a])
    inner = Runtime.enter(11, [:b, 2])
    assert Runtime.bind(12, 42) == 42
    assert Runtime.return(inner, :inner_result) == :inner_result
    assert Runtime.value(13, "piped") == "piped"
    assert Runtime.return(outer, :outer_result) == :outer_result

    events = recorder |> flushed_events() |> Enum.map(&named/1)
    me = self()

    assert [
             %{type: :call, node: 10, call: ^outer, parent: 0, value: [:a], pid: ^me},
             %{type: :call, node: 11, call: ^inner, parent: ^outer, value: [:b, 2]},
             %{type: :bind, node: 12, call: ^inner, parent: 0, value: 42},
             %{type: :return, node: -1, call: ^inner, value: :inner_result},
             %{type: :value, node: 13, call: ^outer, value: "piped"},
             %{type: :return, node: -1, call: ^outer, value: :outer_result}
           ] = events

    assert inner > outer and outer > 0
    seqs = Enum.map(events, & &1.seq)
    assert seqs == Enum.sort(seqs) and length(Enum.uniq(seqs)) == 6
    times = Enum.map(events, & &1.time)
    assert times == Enum.sort(times)
    assert Process.get(:"$elixirscope_call_stack") == []
  end

  test "raise records {kind, reason} and pops the call; re-raising is the caller's job" do
    recorder = start_recording()

    call = Runtime.enter(1, [])
    assert Runtime.raise(call, :throw, :oops) == :ok
    Runtime.bind(2, :after)

    assert [
             %{type: :call, call: ^call},
             %{type: :raise, call: ^call, value: {:throw, :oops}},
             %{type: :bind, call: 0}
           ] = recorder |> flushed_events() |> Enum.map(&named/1)
  end

  test "after a tail-call return, the callee's call has the returned call's caller as its parent" do
    recorder = start_recording()
    outer = Runtime.enter(1, [])
    looping = Runtime.enter(2, [3])
    Runtime.return(looping, {ElixirScope.Protocol.tail_call_tag(), :loop, 1})
    next = Runtime.enter(2, [2])

    assert [_, _, %{type: :return, call: ^looping}, %{type: :call, call: ^next, parent: ^outer}] =
             recorder |> flushed_events() |> Enum.map(&named/1)
  end

  test "a return for a call below the top of the stack also closes the calls above it" do
    _recorder = start_recording()
    outer = Runtime.enter(1, [])
    _abandoned = Runtime.enter(2, [])
    Runtime.return(outer, :ok)
    assert Process.get(:"$elixirscope_call_stack") == []
  end

  test "values are cut to the recording's limits" do
    recorder = start_recording(limits: {2, 3, 4})
    Runtime.value(0, [1, 2, 3, 4, 5])
    Runtime.value(0, [[[:deep]]])
    Runtime.value(0, "longer than four")

    assert [
             [1, 2, 3, {@tag_atom, :items, 2}],
             [[{@tag_atom, :depth, 1}]],
             {@tag_atom, :bytes, 12, "long"}
           ] = recorder |> flushed_events() |> Enum.map(&elem(&1, 7))
  end

  test "a call's argument list and a raise's {kind, reason} do not use up a level of depth" do
    recorder = start_recording(limits: {1, 32, 256})
    call = Runtime.enter(0, [[1], [[2]]])
    Runtime.raise(call, :error, {:reason, [3]})
    Runtime.value(0, [[4]])

    assert [
             [[1], [{@tag_atom, :depth, 1}]],
             {:error, {:reason, {@tag_atom, :depth, 1}}},
             [{@tag_atom, :depth, 1}]
           ] = recorder |> flushed_events() |> Enum.map(&elem(&1, 7))
  end

  test "the manifest's limits apply when no limits are given" do
    recorder =
      start_recording(manifest: %{"limits" => %{"depth" => 6, "items" => 1, "bytes" => 256}})

    Runtime.value(0, [1, 2])
    assert [[1, {@tag_atom, :items, 1}]] = recorder |> flushed_events() |> Enum.map(&elem(&1, 7))
  end

  test "nothing is lost when the emitting process crashes right after emitting" do
    recorder = start_recording()

    crashers =
      for index <- 1..50 do
        {pid, monitor} =
          spawn_monitor(fn ->
            call = Runtime.enter(index, [index])
            Runtime.bind(1000 + index, index)
            if rem(index, 2) == 0, do: exit(:crash), else: raise("crash #{call}")
          end)

        receive do
          {:DOWN, ^monitor, :process, ^pid, _reason} -> pid
        end
      end

    events = flushed_events(recorder)

    for pid <- crashers do
      assert [:call, :bind] == for(event <- events, elem(event, 3) == pid, do: named(event).type)
    end
  end

  test "events of many processes all arrive, numbered once each, every process's in its own order" do
    recorder = start_recording()
    processes = 8
    per_process = 2_000

    tasks =
      for process <- 1..processes do
        Task.async(fn ->
          for index <- 1..per_process, do: Runtime.value(process, index)
          self()
        end)
      end

    pids = Enum.map(tasks, &Task.await/1)
    events = flushed_events(recorder)

    assert length(events) == processes * per_process

    assert events |> Enum.map(&elem(&1, 1)) |> Enum.sort() ==
             Enum.to_list(1..(processes * per_process))

    for pid <- pids do
      mine = for event <- events, elem(event, 3) == pid, do: event
      assert Enum.map(mine, &elem(&1, 7)) == Enum.to_list(1..per_process)
      assert Enum.map(mine, &elem(&1, 1)) == Enum.sort(Enum.map(mine, &elem(&1, 1)))
    end

    for batch <- FakeRecorder.payloads(recorder, :events) do
      assert length(batch) <= ElixirScope.Collector.batch_size()
      assert Enum.map(batch, &elem(&1, 1)) == Enum.sort(Enum.map(batch, &elem(&1, 1)))
    end
  end

  test "a flood past the admission bound is dropped and counted, and never blocks the emitters" do
    recorder = start_recording(max_pending: 200)
    processes = 4
    per_process = 25_000

    {microseconds, _} =
      :timer.tc(fn ->
        1..processes
        |> Enum.map(fn process ->
          Task.async(fn ->
            for index <- 1..per_process, do: Runtime.value(process, {index, "payload"})
          end)
        end)
        |> Enum.each(&Task.await(&1, 30_000))
      end)

    :ok = Agent.flush()
    statistics = Agent.statistics()
    assert statistics.dropped > 0
    assert statistics.pending == 0
    assert :ok = Agent.stop()

    FakeRecorder.wait_until(recorder, &FakeRecorder.closed?/1)
    received = length(FakeRecorder.events(recorder))
    assert [%{events: ^received, dropped: dropped}] = FakeRecorder.payloads(recorder, :goodbye)
    assert received + dropped == processes * per_process
    # Admission refused what did not fit instead of making emitters wait for the socket; the
    # bound on time only catches a hang (a blocked emitter would wait for 100,000 writes).
    assert microseconds < 10_000_000
  end

  test "stop flushes, says goodbye with the counts as the last frame and closes the socket" do
    recorder = start_recording()
    call = Runtime.enter(1, [])
    Runtime.return(call, :ok)
    assert :ok = Agent.stop()
    refute Agent.running?()
    refute Runtime.recording?()
    assert Runtime.enter(1, []) == 0

    FakeRecorder.wait_until(recorder, &FakeRecorder.closed?/1)
    frames = FakeRecorder.frames(recorder)
    goodbye = Protocol.frame_kind_code(:goodbye)
    assert {1, ^goodbye, %{events: 2, dropped: 0}} = List.last(frames)
  end

  test "loaded reports what the instrumenter did (nothing without a manifest)" do
    recorder = start_recording()
    assert Agent.instrument_and_report() == []
    :ok = Agent.flush()
    FakeRecorder.wait_until(recorder, &(FakeRecorder.payloads(&1, :loaded) != []))
    assert [%{modules: []}] = FakeRecorder.payloads(recorder, :loaded)
  end

  test "a second recording cannot start while one runs" do
    recorder = start_recording()

    assert {:error, :already_started} =
             Agent.start(port: recorder.port, token: "x", at_exit: false)
  end

  test "an unreachable recorder is an error, and nothing records" do
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(listener)
    :ok = :gen_tcp.close(listener)
    assert {:error, :econnrefused} = Agent.start(port: port, token: "x", at_exit: false)
    refute Runtime.recording?()
  end

  test "when the recorder goes away the program goes on unrecorded, with one line on stderr" do
    recorder = start_recording()

    stderr =
      ExUnit.CaptureIO.capture_io(:stderr, fn ->
        FakeRecorder.disconnect(recorder)
        wait_for(fn -> not Runtime.recording?() end)
      end)

    assert stderr =~ ~r/^elixirscope: lost the connection to the recorder .*\n$/
    assert Runtime.value(1, :still_works) == :still_works
    assert Runtime.return(Runtime.enter(1, []), :ok) == :ok
    assert :ok = Agent.stop()
  end

  defp wait_for(condition, attempts \\ 500) do
    cond do
      condition.() -> :ok
      attempts == 0 -> flunk("condition not met in time")
      true -> Process.sleep(10) && wait_for(condition, attempts - 1)
    end
  end
end
