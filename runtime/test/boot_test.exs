defmodule ElixirScope.BootTest do
  @moduledoc """
  `runtime/boot.exs` as the recorder uses it: a real `elixir -r boot.exs …` child process talking
  to a fake recorder, for scripts and for `mix elixir_scope.run`, with and without a reachable
  recorder and with the compiled-agent cache.
  """
  use ExUnit.Case, async: false

  alias ElixirScope.Test.FakeRecorder

  @boot Path.expand("../boot.exs", __DIR__)
  @token "feedface"

  setup_all do
    # One cache for the tests that are not about the cache, so each child loads the agent quickly.
    {:ok, shared_cache: temporary_directory("cache")}
  end

  setup do
    recorder = FakeRecorder.start()
    on_exit(fn -> FakeRecorder.stop(recorder) end)
    {:ok, recorder: recorder}
  end

  test "a script under a recorder: hello, loaded, its events, goodbye when the VM ends",
       context do
    manifest = write_manifest(%{traceProcesses: false})

    result =
      run_elixir(
        [
          "-e",
          "c = ElixirScope.Runtime.enter(0, [:x]); ElixirScope.Runtime.return(c, :done); IO.puts(\"script ran\")"
        ],
        recorder_environment(context, manifest)
      )

    assert result.status == 0, result.stderr
    assert result.stdout == "script ran\n"
    assert result.stderr == ""

    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    frames = FakeRecorder.frames(context.recorder)
    assert [{1, 1, %{token: @token}}, {1, 2, %{modules: modules}} | _] = frames
    assert is_list(modules)
    assert [{1, 4, %{events: 2, dropped: 0}}] = Enum.filter(frames, &(elem(&1, 1) == 4))
    assert {1, 4, _} = List.last(frames)

    assert [{1, 1, _, _, 0, call, 0, [:x]}, {2, 2, _, _, -1, call, 0, :done}] =
             FakeRecorder.events(context.recorder)
  end

  test "a script that raises still flushes and says goodbye", context do
    manifest = write_manifest(%{})

    result =
      run_elixir(
        ["-e", "ElixirScope.Runtime.value(7, :before_crash); raise \"boom\""],
        recorder_environment(context, manifest)
      )

    assert result.status == 1
    assert result.stderr =~ "boom"
    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    assert [{5, 1, _, _, 7, 0, 0, :before_crash}] = FakeRecorder.events(context.recorder)
    assert [%{events: 1, dropped: 0}] = FakeRecorder.payloads(context.recorder, :goodbye)
  end

  test "a VM stopped with System.stop (as on SIGTERM) also flushes and says goodbye", context do
    manifest = write_manifest(%{})

    script =
      "ElixirScope.Runtime.value(2, :before_stop); System.stop(0); Process.sleep(:infinity)"

    result = run_elixir(["-e", script], recorder_environment(context, manifest))

    assert result.status == 0, result.stderr
    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    assert [{5, 1, _, _, 2, 0, 0, :before_stop}] = FakeRecorder.events(context.recorder)
    assert [%{events: 1, dropped: 0}] = FakeRecorder.payloads(context.recorder, :goodbye)
  end

  test "an unreachable recorder: one line on stderr and the program runs unrecorded", context do
    {:ok, listener} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(listener)
    :ok = :gen_tcp.close(listener)

    environment = [
      {"ELIXIRSCOPE_PORT", Integer.to_string(port)},
      {"ELIXIRSCOPE_TOKEN", @token},
      {"ELIXIRSCOPE_CACHE", context.shared_cache}
    ]

    result = run_elixir(["-e", "IO.puts(ElixirScope.Runtime.value(1, :still_runs))"], environment)

    assert result.status == 0
    assert result.stdout == "still_runs\n"
    assert [line] = String.split(result.stderr, "\n", trim: true)

    assert line =~
             ~r/^elixirscope: could not reach the recorder at 127\.0\.0\.1:#{port} \(connection refused\)/
  end

  test "an unreadable manifest is named on stderr; the recording goes on without instrumentation",
       context do
    environment = recorder_environment(context, "/no/such/manifest.json")
    result = run_elixir(["-e", "ElixirScope.Runtime.value(1, 1)"], environment)

    assert result.status == 0

    assert result.stderr =~
             ~r/^elixirscope: could not read the manifest \/no\/such\/manifest\.json/

    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    assert [%{events: 1}] = FakeRecorder.payloads(context.recorder, :goodbye)
  end

  test "a file of the agent that does not compile is left out, with one line on stderr and a clean stdout" do
    copy = temporary_directory("broken-agent")
    File.cp!(@boot, Path.join(copy, "boot.exs"))
    File.cp_r!(Path.expand("../lib", __DIR__), Path.join(copy, "lib"))
    File.write!(Path.join(copy, "lib/broken.ex"), "defmodule Broken do\n  def f( do\nend\n")

    result =
      run_elixir(
        ["-r", Path.join(copy, "boot.exs"), "-e", "IO.puts(ElixirScope.Runtime.value(1, :runs))"],
        [],
        boot: false
      )

    assert result.status == 0
    assert result.stdout == "runs\n"
    assert [line] = String.split(result.stderr, "\n", trim: true)

    assert line ==
             "elixirscope: lib/broken.ex of the agent does not compile; the agent runs without it"
  end

  test "without a recorder in the environment boot.exs prints nothing and records nothing",
       context do
    result =
      run_elixir(
        [
          "-e",
          "IO.inspect(ElixirScope.Runtime.enter(1, [])); IO.inspect(ElixirScope.Agent.running?())"
        ],
        [{"ELIXIRSCOPE_CACHE", context.shared_cache}]
      )

    assert result.status == 0
    assert result.stdout == "0\nfalse\n"
    assert result.stderr == ""
  end

  test "ELIXIRSCOPE_CACHE: the first run compiles into the cache, later runs load from it" do
    cache = temporary_directory("own-cache")
    script = ["-e", "IO.puts(inspect(:code.is_loaded(ElixirScope.Runtime)))"]

    first = run_elixir(script, [{"ELIXIRSCOPE_CACHE", cache}])
    assert first.status == 0 and first.stderr == ""
    assert [entry] = File.ls!(cache)
    assert entry =~ ~r/^agent-[0-9a-f]{32}$/
    beams = File.ls!(Path.join(cache, entry))
    assert "Elixir.ElixirScope.Runtime.beam" in beams
    assert "Elixir.Mix.Tasks.ElixirScope.Run.beam" in beams

    second = run_elixir(script, [{"ELIXIRSCOPE_CACHE", cache}])
    assert second.status == 0 and second.stderr == ""
    # Loaded from the cached file this time, not compiled in memory.
    assert second.stdout =~ Path.join([cache, entry, "Elixir.ElixirScope.Runtime.beam"])
    assert File.ls!(cache) == [entry]
  end

  test "mix elixir_scope.run compiles the project, reports loaded, then runs the task", context do
    project = write_mix_project()

    result =
      run_elixir(
        ["-r", @boot, "-S", "mix", "elixir_scope.run", "run", "-e", "IO.puts(Tiny.hello())"],
        recorder_environment(context, write_manifest(%{})) ++ [{"MIX_ENV", "dev"}],
        cd: project,
        boot: false
      )

    assert result.status == 0, result.stderr
    assert result.stdout =~ "hello_from_tiny\n"
    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    kinds = for {_version, kind, _payload} <- FakeRecorder.frames(context.recorder), do: kind
    assert [1, 2 | _] = kinds
    assert List.last(kinds) == 4
    assert Enum.count(kinds, &(&1 == 2)) == 1
    assert [{5, _, _, _, 3, 0, 0, :hello_from_tiny}] = FakeRecorder.events(context.recorder)
  end

  test "mix elixir_scope.run test: the project's tests run recorded, and goodbye comes after them",
       context do
    project = write_mix_project()

    result =
      run_elixir(
        ["-r", @boot, "-S", "mix", "elixir_scope.run", "test"],
        recorder_environment(context, write_manifest(%{traceProcesses: true})) ++
          [{"MIX_ENV", "test"}],
        cd: project,
        boot: false
      )

    assert result.status == 0, result.stdout <> result.stderr
    assert result.stdout =~ "1 test, 0 failures"
    FakeRecorder.wait_until(context.recorder, &FakeRecorder.closed?/1)
    events = FakeRecorder.events(context.recorder)
    assert Enum.any?(events, &match?({5, _, _, _, 3, 0, 0, :hello_from_tiny}, &1))
    assert [%{events: count, dropped: 0}] = FakeRecorder.payloads(context.recorder, :goodbye)
    assert count == length(events)
  end

  defp write_mix_project do
    project = temporary_directory("mix-project")
    File.mkdir_p!(Path.join(project, "lib"))
    File.mkdir_p!(Path.join(project, "test"))

    File.write!(Path.join(project, "mix.exs"), """
    defmodule Tiny.MixProject do
      use Mix.Project
      def project, do: [app: :tiny, version: "0.1.0", elixir: "~> 1.14"]
    end
    """)

    File.write!(Path.join(project, "lib/tiny.ex"), """
    defmodule Tiny do
      def hello, do: ElixirScope.Runtime.value(3, :hello_from_tiny)
    end
    """)

    File.write!(Path.join(project, "test/test_helper.exs"), "ExUnit.start()\n")

    File.write!(Path.join(project, "test/tiny_test.exs"), """
    defmodule TinyTest do
      use ExUnit.Case
      test "hello", do: assert(Tiny.hello() == :hello_from_tiny)
    end
    """)

    project
  end

  defp recorder_environment(context, manifest_path) do
    [
      {"ELIXIRSCOPE_PORT", Integer.to_string(context.recorder.port)},
      {"ELIXIRSCOPE_TOKEN", @token},
      {"ELIXIRSCOPE_MANIFEST", manifest_path},
      {"ELIXIRSCOPE_CACHE", context.shared_cache}
    ]
  end

  defp write_manifest(overrides) do
    manifest =
      Map.merge(
        %{
          version: 1,
          mode: "minimal",
          limits: %{depth: 6, items: 32, bytes: 256},
          nodes: [],
          modules: [],
          traceProcesses: false
        },
        overrides
      )

    path = Path.join(temporary_directory("manifest"), "manifest.json")
    File.write!(path, to_json(manifest))
    path
  end

  # Enough JSON for the manifests above (maps, lists, strings, integers, booleans).
  defp to_json(map) when is_map(map),
    do:
      "{" <>
        Enum.map_join(map, ",", fn {key, value} ->
          to_json(to_string(key)) <> ":" <> to_json(value)
        end) <> "}"

  defp to_json(list) when is_list(list), do: "[" <> Enum.map_join(list, ",", &to_json/1) <> "]"
  defp to_json(text) when is_binary(text), do: inspect(text)
  defp to_json(value) when is_boolean(value) or is_integer(value), do: to_string(value)

  # Runs `elixir [-r boot.exs] ARGS` with the recorder's variables cleared and `environment` set;
  # stdout and stderr are kept apart (stderr through a file, since System.cmd merges or drops it).
  defp run_elixir(arguments, environment, options \\ []) do
    stderr_file = Path.join(temporary_directory("stderr"), "stderr.txt")

    arguments =
      if Keyword.get(options, :boot, true), do: ["-r", @boot | arguments], else: arguments

    cleared =
      for name <- [
            "ELIXIRSCOPE_PORT",
            "ELIXIRSCOPE_TOKEN",
            "ELIXIRSCOPE_MANIFEST",
            "ELIXIRSCOPE_CACHE"
          ],
          do: {name, nil}

    {stdout, status} =
      System.cmd("sh", ["-c", "exec elixir \"$@\" 2>\"$0\"", stderr_file | arguments],
        env: cleared ++ environment,
        cd: Keyword.get(options, :cd, File.cwd!())
      )

    %{stdout: stdout, stderr: File.read!(stderr_file), status: status}
  end

  # Removed when the test (or, from setup_all, the module) ends.
  defp temporary_directory(purpose) do
    path =
      Path.join(
        System.tmp_dir!(),
        "elixirscope-boot-test-#{purpose}-#{System.unique_integer([:positive])}"
      )

    File.mkdir_p!(path)
    on_exit(fn -> File.rm_rf!(path) end)
    path
  end
end
