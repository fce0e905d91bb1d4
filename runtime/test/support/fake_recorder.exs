defmodule ElixirScope.Test.FakeRecorder do
  @moduledoc """
  Stands in for the recorder in the agent's tests: listens on a loopback port, accepts agent
  connections, cuts what they send into frames (`ElixirScope.Protocol.decode_frames/1`) and
  keeps them, so a test can look at exactly what went over the wire.
  """

  alias ElixirScope.Protocol

  defstruct [:pid, :port]

  @type t :: %__MODULE__{pid: pid(), port: :inet.port_number()}

  @doc "Starts listening on an ephemeral loopback port."
  @spec start() :: t()
  def start do
    caller = self()
    ref = make_ref()

    pid =
      spawn(fn ->
        {:ok, listener} =
          :gen_tcp.listen(0, [
            :binary,
            packet: :raw,
            active: false,
            ip: {127, 0, 0, 1},
            reuseaddr: true
          ])

        {:ok, port} = :inet.port(listener)
        send(caller, {ref, port})
        acceptor = self()
        spawn_link(fn -> accept_loop(listener, acceptor) end)
        serve(%{listener: listener, buffer: "", frames: [], closed: false, connection: nil})
      end)

    receive do
      {^ref, port} -> %__MODULE__{pid: pid, port: port}
    after
      5_000 -> raise "the fake recorder did not start"
    end
  end

  @doc "Every frame received so far, oldest first, as `{version, kind_code, payload}`."
  @spec frames(t()) :: [{non_neg_integer(), non_neg_integer(), term()}]
  def frames(%__MODULE__{pid: pid}), do: call(pid, :frames)

  @doc "Whether the agent closed its connection."
  @spec closed?(t()) :: boolean()
  def closed?(%__MODULE__{pid: pid}), do: call(pid, :closed?)

  @doc "The payloads of the frames of one kind (`:hello`, `:loaded`, `:events`, `:goodbye`)."
  @spec payloads(t(), Protocol.frame_kind()) :: [term()]
  def payloads(recorder, kind) do
    code = Protocol.frame_kind_code(kind)
    for {_version, ^code, payload} <- frames(recorder), do: payload
  end

  @doc "All events received so far, in the order they arrived."
  @spec events(t()) :: [tuple()]
  def events(recorder), do: recorder |> payloads(:events) |> Enum.concat()

  @doc "Waits until `condition.(recorder)` is truthy (polling), or fails the test after `timeout` ms."
  @spec wait_until(t(), (t() -> as_boolean(term())), timeout()) :: :ok
  def wait_until(recorder, condition, timeout \\ 10_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    wait_until(recorder, condition, deadline, timeout)
  end

  defp wait_until(recorder, condition, deadline, timeout) do
    cond do
      condition.(recorder) ->
        :ok

      System.monotonic_time(:millisecond) > deadline ->
        raise ExUnit.AssertionError,
          message: "the fake recorder did not see the expected frames within #{timeout} ms"

      true ->
        Process.sleep(10)
        wait_until(recorder, condition, deadline, timeout)
    end
  end

  @doc "Closes the connection from the recorder's side, as a recorder that goes away would."
  @spec disconnect(t()) :: :ok
  def disconnect(%__MODULE__{pid: pid}), do: call(pid, :disconnect)

  @doc "Stops listening and closes every connection."
  @spec stop(t()) :: :ok
  def stop(%__MODULE__{pid: pid}) do
    Process.exit(pid, :kill)
    :ok
  end

  defp call(pid, request) do
    ref = make_ref()
    send(pid, {request, self(), ref})

    receive do
      {^ref, answer} -> answer
    after
      5_000 -> raise "the fake recorder did not answer #{inspect(request)}"
    end
  end

  defp accept_loop(listener, owner) do
    case :gen_tcp.accept(listener) do
      {:ok, socket} ->
        :ok = :gen_tcp.controlling_process(socket, owner)
        send(owner, {:accepted, socket})
        accept_loop(listener, owner)

      {:error, _reason} ->
        :ok
    end
  end

  defp serve(state) do
    receive do
      {:accepted, socket} ->
        :ok = :inet.setopts(socket, active: true)
        serve(%{state | connection: socket})

      {:tcp, _socket, data} ->
        {frames, rest} = Protocol.decode_frames(state.buffer <> data)
        serve(%{state | buffer: rest, frames: Enum.reverse(frames, state.frames)})

      {:tcp_closed, _socket} ->
        serve(%{state | closed: true})

      {:frames, from, ref} ->
        send(from, {ref, Enum.reverse(state.frames)})
        serve(state)

      {:closed?, from, ref} ->
        send(from, {ref, state.closed})
        serve(state)

      {:disconnect, from, ref} ->
        if state.connection, do: :gen_tcp.close(state.connection)
        send(from, {ref, :ok})
        serve(state)
    end
  end
end
