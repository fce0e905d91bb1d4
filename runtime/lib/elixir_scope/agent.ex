defmodule ElixirScope.Agent do
  @moduledoc """
  Starts, flushes and stops a recording in this VM: connects to the recorder, says `hello`,
  starts the sender, collector and (when the manifest asks for process events) tracer, and
  switches `ElixirScope.Runtime` on; at the end flushes everything and says `goodbye`.

  `runtime/boot.exs` calls `start_from_environment/0`, which does nothing at all unless the
  recorder set `ELIXIRSCOPE_PORT`. The debuggee must never fail because of the agent: when the
  recorder cannot be reached or the manifest cannot be read, one line goes to stderr and the
  program runs unrecorded.

  Only one recording runs per VM at a time. The agent's processes are not linked to the process
  that starts them, so a crash of the user's main process does not take the recording with it;
  `System.at_exit/1` (which `elixir script.exs`, `mix run` and `mix test` all go through when
  they end) and `ElixirScope.Application` (for `System.stop/0` and SIGTERM) flush and say
  `goodbye`. A VM stopped by `System.halt/1` or a kill leaves no `goodbye`; what was written
  until then stays readable.
  """

  alias ElixirScope.{Collector, Counters, Protocol, Runtime, Sender, Tracer, Value}

  @agent_version "0.1.0"
  @session_key {__MODULE__, :session}
  @manifest_key {__MODULE__, :manifest}
  @at_exit_key {__MODULE__, :at_exit_registered}

  @default_max_pending 100_000
  @connect_timeout_ms 5_000
  @send_timeout_ms 5_000
  @flush_timeout_ms 5_000

  @instrumenter ElixirScope.Instrumenter

  @typedoc """
  Options of `start/1`:

    * `:port` (required) and `:host` (default loopback) of the recorder;
    * `:token`: the secret that `hello` carries;
    * `:manifest`: the decoded manifest (string keys), kept for `instrument_and_report/0`;
      its `limits`, `traceProcesses` and `maxPending` are used unless given below;
    * `:limits`: `{depth, items, bytes}` for values;
    * `:trace_processes`: whether to trace the processes that run project code;
    * `:max_pending`: how many admitted events may wait unwritten before events are dropped;
    * `:max_traced_backlog`: how many trace messages may wait for the tracer before it discards;
    * `:at_exit`: whether to stop the recording when the VM stops, through a `System.at_exit/1`
      hook and `ElixirScope.Application` (default true; tests that stop it themselves say false).
  """
  @type option ::
          {:port, :inet.port_number()}
          | {:host, :inet.socket_address() | charlist()}
          | {:token, String.t()}
          | {:manifest, map() | nil}
          | {:limits, {non_neg_integer(), non_neg_integer(), non_neg_integer()}}
          | {:trace_processes, boolean()}
          | {:max_pending, pos_integer()}
          | {:max_traced_backlog, pos_integer()}
          | {:at_exit, boolean()}

  @doc """
  Starts recording as the recorder asked in the environment (`ELIXIRSCOPE_PORT`,
  `ELIXIRSCOPE_TOKEN`, `ELIXIRSCOPE_MANIFEST`). Returns `:ignore` when the port is not set (and
  prints nothing), `{:ok, sender}` when recording, or `{:error, reason}` after one line on stderr.
  """
  @spec start_from_environment() :: {:ok, pid()} | {:error, term()} | :ignore
  def start_from_environment do
    case System.get_env(Protocol.environment_variable(:port)) do
      nil -> :ignore
      "" -> :ignore
      port_text -> start_from_environment(port_text)
    end
  catch
    kind, reason ->
      warn(
        "the agent failed to start (#{Exception.format_banner(kind, reason)}); the program runs without recording"
      )

      {:error, reason}
  end

  @doc """
  Starts a recording; see `t:option/0`. Sends `hello` before anything else and returns once
  the reporter functions record. `{:error, reason}` when the recorder cannot be reached or a
  recording is already running; nothing is printed.
  """
  @spec start([option()]) :: {:ok, pid()} | {:error, term()}
  def start(options) do
    if :persistent_term.get(@session_key, nil) != nil do
      {:error, :already_started}
    else
      connect_and_start(options)
    end
  end

  @doc """
  Writes everything emitted so far to the socket (including process events the VM has traced so
  far) and returns `:ok` once it is; `{:error, :timeout}` if that takes longer than `timeout` ms,
  `:ok` at once when nothing is being recorded.
  """
  @spec flush(timeout()) :: :ok | {:error, :timeout}
  def flush(timeout \\ @flush_timeout_ms) do
    case :persistent_term.get(@session_key, nil) do
      nil -> :ok
      session -> flush_session(session, deadline_after(timeout))
    end
  end

  @doc """
  Ends the recording: no more events are taken, everything taken is written, then `goodbye`
  `%{events, dropped}`, and the socket is closed. Waits at most `timeout` ms in all.
  """
  @spec stop(timeout()) :: :ok | {:error, :timeout}
  def stop(timeout \\ @flush_timeout_ms) do
    case :persistent_term.get(@session_key, nil) do
      nil -> :ok
      session -> stop_session(session, deadline_after(timeout))
    end
  end

  @doc "Whether a recording is running."
  @spec running?() :: boolean()
  def running?, do: :persistent_term.get(@session_key, nil) != nil

  @doc """
  The counters of the running recording: `%{emitted, written, dropped, pending}` (`emitted` is
  the last sequence number handed out), or `nil` when none runs.
  """
  @spec statistics() :: %{atom() => integer()} | nil
  def statistics do
    case :persistent_term.get(@session_key, nil) do
      nil ->
        nil

      %{counters: counters} ->
        %{
          emitted: Counters.read(counters, :seq),
          written: Counters.read(counters, :written),
          dropped: Counters.read(counters, :dropped),
          pending: Counters.read(counters, :pending)
        }
    end
  end

  @doc "The manifest the recording was started with (string keys), or `nil`."
  @spec manifest() :: map() | nil
  def manifest, do: :persistent_term.get(@manifest_key, nil)

  @doc """
  Instruments the manifest's modules with `ElixirScope.Instrumenter.load_manifest/1` (when that
  module is available) and sends the `loaded` frame with what it reports. Does nothing when no
  recording runs, so an unreachable recorder leaves the program's code as it was. Returns the
  module reports sent.
  """
  @spec instrument_and_report() :: [map()]
  def instrument_and_report do
    case :persistent_term.get(@session_key, nil) do
      nil ->
        []

      %{sender: sender} ->
        modules = instrument(manifest())
        Sender.send_frame(sender, :loaded, %{modules: modules})
        modules
    end
  end

  @doc """
  Whether this VM runs Mix (`elixir -r boot.exs -S mix …`): then `mix elixir_scope.run`
  instruments after compiling the project, and `boot.exs` must not do it first.
  """
  @spec mix_run?() :: boolean()
  def mix_run? do
    arguments = :init.get_plain_arguments()

    Enum.any?(Enum.zip(arguments, tl(arguments ++ [~c""])), fn {flag, script} ->
      flag == ~c"-S" and Path.basename(List.to_string(script)) == "mix"
    end)
  end

  defp start_from_environment(port_text) do
    port_name = Protocol.environment_variable(:port)

    case Integer.parse(String.trim(port_text)) do
      {port, ""} when port in 1..65_535 ->
        manifest = read_manifest_from_environment()
        token = System.get_env(Protocol.environment_variable(:token)) || ""
        options = [port: port, token: token, manifest: manifest, at_exit: true]

        case start(options) do
          {:ok, sender} ->
            {:ok, sender}

          {:error, reason} ->
            warn(
              "could not reach the recorder at 127.0.0.1:#{port} (#{format_reason(reason)}); the program runs without recording"
            )

            {:error, reason}
        end

      _ ->
        warn(
          "#{port_name} is not a port number (#{inspect(port_text)}); the program runs without recording"
        )

        {:error, :bad_port}
    end
  end

  defp read_manifest_from_environment do
    case System.get_env(Protocol.environment_variable(:manifest)) do
      nil ->
        nil

      "" ->
        nil

      path ->
        with {:ok, text} <- File.read(path),
             {:ok, %{} = manifest} <- ElixirScope.JSON.decode(text) do
          manifest
        else
          {:ok, _not_an_object} ->
            warn("the manifest #{path} is not a JSON object; recording without instrumentation")
            nil

          {:error, reason} ->
            warn(
              "could not read the manifest #{path} (#{format_reason(reason)}); recording without instrumentation"
            )

            nil
        end
    end
  end

  defp connect_and_start(options) do
    port = Keyword.fetch!(options, :port)
    host = Keyword.get(options, :host, {127, 0, 0, 1})
    manifest = Keyword.get(options, :manifest)

    limits =
      Keyword.get_lazy(options, :limits, fn ->
        Value.limits_from_manifest(manifest_field(manifest, "limits"))
      end)

    trace_processes? =
      Keyword.get_lazy(options, :trace_processes, fn ->
        manifest_field(manifest, "traceProcesses") == true
      end)

    max_pending =
      Keyword.get_lazy(options, :max_pending, fn ->
        case manifest_field(manifest, "maxPending") do
          value when is_integer(value) and value > 0 -> value
          _ -> @default_max_pending
        end
      end)

    socket_options = [
      :binary,
      packet: :raw,
      active: false,
      nodelay: true,
      send_timeout: @send_timeout_ms,
      send_timeout_close: true
    ]

    with {:ok, socket} <- :gen_tcp.connect(host, port, socket_options, @connect_timeout_ms),
         :ok <- say_hello(socket, Keyword.get(options, :token, "")) do
      counters = Counters.new()
      sender = Sender.start(socket, counters)
      :ok = :gen_tcp.controlling_process(socket, sender)
      Sender.socket_handed_over(sender)
      collector = Collector.start(sender)

      tracer =
        if trace_processes?,
          do: Tracer.start(Keyword.get(options, :max_traced_backlog, Tracer.default_max_queued()))

      agent_processes = Enum.reject([sender, collector, tracer], &is_nil/1)
      Enum.each(agent_processes, &untrace/1)
      if tracer, do: Tracer.exclude_agent_traffic(tracer, agent_processes)

      session = %{sender: sender, collector: collector, tracer: tracer, counters: counters}
      if manifest != nil, do: :persistent_term.put(@manifest_key, manifest)
      :persistent_term.put(@session_key, session)
      Runtime.install(collector, counters, limits, tracer, max_pending)
      if Keyword.get(options, :at_exit, true), do: register_at_exit()
      {:ok, sender}
    end
  end

  defp say_hello(socket, token) do
    hello = %{
      token: token,
      agent_version: @agent_version,
      elixir: System.version(),
      otp: System.otp_release(),
      os_pid: String.to_integer(System.pid()),
      node: Atom.to_string(node())
    }

    case :gen_tcp.send(socket, Protocol.frame(:hello, hello)) do
      :ok ->
        :ok

      {:error, reason} ->
        :gen_tcp.close(socket)
        {:error, reason}
    end
  end

  # The agent's processes may be spawned by a process that is traced with `set_on_spawn`.
  defp untrace(pid) do
    :erlang.trace(pid, false, [:all])
  catch
    _kind, _reason -> :ok
  end

  # Both ways a VM ends normally: scripts, `mix run` and `mix test` end through the at_exit hooks,
  # `System.stop/0` and SIGTERM through stopping the applications. Registered once per VM; each
  # stops whatever recording runs by then.
  defp register_at_exit do
    unless :persistent_term.get(@at_exit_key, false) do
      :persistent_term.put(@at_exit_key, true)
      System.at_exit(fn _status -> stop_at_exit() end)
      _ = ElixirScope.Application.ensure_started()
    end

    :ok
  end

  defp stop_at_exit do
    stop()
  catch
    _kind, _reason -> :ok
  end

  defp flush_session(%{collector: collector, tracer: tracer}, deadline) do
    with :ok <- flush_tracer(tracer, deadline) do
      ref = make_ref()
      Collector.request_flush(collector, self(), ref)
      await(ref, :flushed, deadline)
    end
  end

  defp flush_tracer(nil, _deadline), do: :ok

  defp flush_tracer(tracer, deadline) do
    # Trace messages are delivered asynchronously; this makes sure those of everything that
    # happened before the flush are in the tracer's mailbox before it is asked to drain it.
    delivered = :erlang.trace_delivered(:all)

    with :ok <- await_trace_delivered(delivered, deadline) do
      ref = make_ref()
      Tracer.request_flush(tracer, self(), ref)
      await(ref, :flushed, deadline)
    end
  end

  defp stop_session(%{sender: sender, collector: collector, tracer: tracer}, deadline) do
    Runtime.uninstall()
    :persistent_term.erase(@session_key)
    :persistent_term.erase(@manifest_key)

    tracer_result =
      if tracer do
        delivered = :erlang.trace_delivered(:all)
        _ = await_trace_delivered(delivered, deadline)
        ref = make_ref()
        Tracer.request_stop(tracer, self(), ref)
        await(ref, :stopped, deadline)
      else
        :ok
      end

    collector_ref = make_ref()
    Collector.request_stop(collector, self(), collector_ref)
    collector_result = await(collector_ref, :stopped, deadline)

    goodbye_ref = make_ref()
    Sender.request_goodbye(sender, self(), goodbye_ref)
    sender_result = await(goodbye_ref, :closed, deadline)

    # Whatever did not answer in time is not left behind.
    for {pid, result} <- [
          {tracer, tracer_result},
          {collector, collector_result},
          {sender, sender_result}
        ],
        pid != nil and result != :ok,
        do: Process.exit(pid, :kill)

    if Enum.all?([tracer_result, collector_result, sender_result], &(&1 == :ok)),
      do: :ok,
      else: {:error, :timeout}
  end

  defp await_trace_delivered(ref, deadline) do
    receive do
      {:trace_delivered, :all, ^ref} -> :ok
    after
      remaining(deadline) -> {:error, :timeout}
    end
  end

  defp await(ref, answer, deadline) do
    receive do
      {^ref, ^answer} -> :ok
    after
      remaining(deadline) -> {:error, :timeout}
    end
  end

  defp deadline_after(:infinity), do: :infinity
  defp deadline_after(timeout), do: :erlang.monotonic_time(:millisecond) + timeout

  defp remaining(:infinity), do: :infinity
  defp remaining(deadline), do: max(deadline - :erlang.monotonic_time(:millisecond), 0)

  defp instrument(nil), do: []

  defp instrument(manifest) do
    instrumenter = @instrumenter

    if Code.ensure_loaded?(instrumenter) and function_exported?(instrumenter, :load_manifest, 1) do
      case apply(instrumenter, :load_manifest, [manifest]) do
        modules when is_list(modules) ->
          modules

        other ->
          raise ArgumentError, "load_manifest/1 returned #{inspect(other, limit: 5)}, not a list"
      end
    else
      []
    end
  rescue
    exception ->
      warn(
        "instrumenting the project failed (#{Exception.message(exception)}); recording without instrumentation"
      )

      []
  catch
    kind, reason ->
      warn(
        "instrumenting the project failed (#{Exception.format_banner(kind, reason)}); recording without instrumentation"
      )

      []
  end

  defp manifest_field(%{} = manifest, key), do: Map.get(manifest, key)
  defp manifest_field(_no_manifest, _key), do: nil

  defp format_reason(reason) when is_atom(reason) do
    case :inet.format_error(reason) do
      ~c"unknown POSIX error" ++ _ -> :file.format_error(reason) |> List.to_string()
      text -> List.to_string(text)
    end
  end

  defp format_reason(reason) when is_binary(reason), do: reason
  defp format_reason(reason), do: inspect(reason)

  defp warn(message), do: IO.puts(:stderr, "elixirscope: " <> message)
end
