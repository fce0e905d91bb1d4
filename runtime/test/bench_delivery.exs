# Measures what recording costs the user's processes, per event, with the agent connected to a
# recorder over loopback that discards what it reads: `elixir runtime/test/bench_delivery.exs`.
# Not part of the test suite (timings depend on the machine); the figures back the delivery design described in
# ElixirScope.Runtime's documentation. For comparison it also times the alternatives that were
# considered for getting an event out of the emitting process (an ETS insert, an atomics add).
Code.require_file("test_helper.exs", __DIR__)

defmodule ElixirScope.DeliveryBench do
  @moduledoc false
  alias ElixirScope.{Agent, Runtime}

  @events 200_000
  @argument [42, "hello", %{id: 7, name: "x"}]

  def run do
    report("reporter off: value/2", fn ->
      repeat(@events, fn index -> Runtime.value(index, @argument) end)
    end)

    report("reporter off: enter/2 + return/2 (per pair)", fn ->
      repeat(@events, fn index -> Runtime.return(Runtime.enter(index, @argument), :ok) end)
    end)

    port = start_discarding_recorder()
    {:ok, _} = Agent.start(port: port, token: "t", at_exit: false, max_pending: 1_000_000)

    # With the collector paused, the time is the emitting process's own cost, not shared with
    # the collector and sender running on the same cores.
    collector = :persistent_term.get({Runtime, :recording}) |> elem(1)
    :erlang.suspend_process(collector)

    report("recording, collector paused: value/2 (the emitter's own cost)", fn ->
      repeat(@events, fn index -> Runtime.value(index, @argument) end)
    end)

    :erlang.resume_process(collector)
    :ok = Agent.flush(60_000)

    report("recording: value/2", fn ->
      repeat(@events, fn index -> Runtime.value(index, @argument) end)
    end)

    :ok = Agent.flush(60_000)

    report("recording: enter/2 + return/2 (two events)", fn ->
      repeat(@events, fn index -> Runtime.return(Runtime.enter(index, @argument), :ok) end)
    end)

    :ok = Agent.flush(60_000)

    report_parallel("recording: value/2, 4 processes at once (wall time per event)", 4, fn ->
      repeat(@events, fn index -> Runtime.value(index, @argument) end)
    end)

    :ok = Agent.flush(60_000)
    IO.puts("  #{inspect(Agent.statistics())}")
    :ok = Agent.stop()

    collector = :erlang.spawn_opt(fn -> sink() end, message_queue_data: :off_heap)

    event = fn index ->
      {5, index, :erlang.monotonic_time(:nanosecond), self(), index, 0, 0,
       ElixirScope.Value.bound(@argument, {6, 32, 256})}
    end

    report("alternative: build + send one message (no admission)", fn ->
      repeat(@events, fn index -> send(collector, event.(index)) end)
    end)

    table = :ets.new(:bench, [:public, :ordered_set, write_concurrency: true])

    report("alternative: build + ETS ordered_set insert", fn ->
      repeat(@events, fn index -> :ets.insert(table, {index, event.(index)}) end)
    end)

    counters = :atomics.new(1, [])

    report("alternative: one atomics add_get", fn ->
      repeat(@events, fn _ -> :atomics.add_get(counters, 1, 1) end)
    end)

    report("part: Value.bound/2 of the argument", fn ->
      repeat(@events, fn _ -> ElixirScope.Value.bound(@argument, {6, 32, 256}) end)
    end)
  end

  # A plain loop: a comprehension would build a list of 200,000 results and time the allocator.
  defp repeat(0, _fun), do: :ok

  defp repeat(count, fun) do
    fun.(count)
    repeat(count - 1, fun)
  end

  # A recorder that reads and discards, so the figures are the agent's and not a decoder's.
  defp start_discarding_recorder do
    {:ok, listener} = :gen_tcp.listen(0, [:binary, active: false, ip: {127, 0, 0, 1}])
    {:ok, port} = :inet.port(listener)

    spawn(fn ->
      {:ok, socket} = :gen_tcp.accept(listener)
      discard(socket)
    end)

    port
  end

  defp discard(socket) do
    case :gen_tcp.recv(socket, 0) do
      {:ok, _bytes} -> discard(socket)
      {:error, _closed} -> :ok
    end
  end

  defp sink do
    receive do
      _ -> sink()
    end
  end

  defp report(label, fun) do
    :erlang.garbage_collect()
    {microseconds, _} = :timer.tc(fun)

    IO.puts(
      String.pad_trailing(label, 66) <> "#{Float.round(microseconds * 1000 / @events, 1)} ns"
    )
  end

  defp report_parallel(label, processes, fun) do
    {microseconds, _} =
      :timer.tc(fn ->
        1..processes
        |> Enum.map(fn _ -> Task.async(fun) end)
        |> Enum.each(&Task.await(&1, :infinity))
      end)

    IO.puts(
      String.pad_trailing(label, 66) <>
        "#{Float.round(microseconds * 1000 / (@events * processes), 1)} ns"
    )
  end
end

ElixirScope.DeliveryBench.run()
