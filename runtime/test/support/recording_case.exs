defmodule ElixirScope.Test.RecordingCase do
  @moduledoc """
  What the agent's tests that record have in common: a fake recorder per test, an agent
  connected to it, and both stopped when the test ends. Tests using it run one at a time,
  because a VM has one recording at a time.
  """

  use ExUnit.CaseTemplate

  alias ElixirScope.Test.FakeRecorder

  using do
    quote do
      import ElixirScope.Test.RecordingCase
      alias ElixirScope.{Agent, Runtime}
      alias ElixirScope.Test.FakeRecorder
    end
  end

  @token "0123456789abcdef"

  @doc "The token the tests' agents say hello with."
  def token, do: @token

  @doc """
  Starts a fake recorder and an agent connected to it with `options` (see
  `t:ElixirScope.Agent.option/0`); both stop when the test ends. Returns the recorder.
  """
  def start_recording(options \\ []) do
    recorder = FakeRecorder.start()
    options = Keyword.merge([port: recorder.port, token: @token, at_exit: false], options)
    {:ok, _sender} = ElixirScope.Agent.start(options)

    ExUnit.Callbacks.on_exit(fn ->
      ElixirScope.Agent.stop()
      FakeRecorder.stop(recorder)
    end)

    recorder
  end

  @doc """
  Flushes the agent and returns the events the recorder received: all that were written, since
  it waits until the recorder has read as many as the agent wrote.
  """
  def flushed_events(recorder) do
    :ok = ElixirScope.Agent.flush()
    written = ElixirScope.Agent.statistics().written
    FakeRecorder.wait_until(recorder, &(length(FakeRecorder.events(&1)) >= written))
    FakeRecorder.events(recorder)
  end

  @doc "Flushes the agent and waits until the recorder has read everything written so far."
  def flush_to_recorder(recorder) do
    flushed_events(recorder)
    :ok
  end

  @doc "Event tuples as maps with named fields, for readable assertions."
  def named({type, seq, time, pid, node, call, parent, value}) do
    %{
      type: type_name(type),
      seq: seq,
      time: time,
      pid: pid,
      node: node,
      call: call,
      parent: parent,
      value: value
    }
  end

  defp type_name(code) do
    {name, ^code} =
      Enum.find(ElixirScope.Protocol.event_type_codes(), fn {_name, value} -> value == code end)

    name
  end
end
