# The ElixirScope agent's entry point, loaded into the program being recorded with
# `elixir -r runtime/boot.exs …` (see docs/protocol.md). It makes the agent's modules
# (runtime/lib/**/*.ex) available and then starts recording as the recorder asked in the
# environment; without ELIXIRSCOPE_PORT it only loads the modules and prints nothing.
#
# The modules are compiled here rather than shipped as .beam files because the user's Elixir and
# OTP versions are not known in advance. Compiling takes about a second, so with ELIXIRSCOPE_CACHE
# set the .beam files are kept in that folder, under a key made of the sources and the Elixir and
# OTP versions, and later runs only load them.
#
# Nothing here may stop the program: every failure becomes one line on stderr and the program
# runs unrecorded. The code is plain top-level code with anonymous functions, because no module
# of the agent exists yet when it runs and defining one here would be compiled on every run.

elixir_scope_boot = fn ->
  runtime_directory = __DIR__
  sources = Enum.sort(Path.wildcard(Path.join(runtime_directory, "lib/**/*.ex")))

  warn = fn message -> IO.puts(:stderr, "elixirscope: " <> message) end

  # The compiler prints warnings and errors to :standard_error, and Elixir 1.14 prints compile
  # errors to the group leader (stdout). While it runs, both point at a process that swallows the
  # text (ExUnit.CaptureIO swaps :standard_error the same way), so the user's output stays the
  # user's; a failure is reported from the compiler's return value instead.
  quietly = fn compile ->
    swallow = fn swallow ->
      receive do
        {:io_request, from, reply_as, {:put_chars, _, _}} ->
          send(from, {:io_reply, reply_as, :ok})

        {:io_request, from, reply_as, {:put_chars, _, _, _, _}} ->
          send(from, {:io_reply, reply_as, :ok})

        {:io_request, from, reply_as, _other} ->
          send(from, {:io_reply, reply_as, {:error, :enotsup}})
      end

      swallow.(swallow)
    end

    sink = spawn(fn -> swallow.(swallow) end)
    original_standard_error = Process.whereis(:standard_error)
    original_group_leader = Process.group_leader()
    Process.unregister(:standard_error)
    Process.register(sink, :standard_error)
    Process.group_leader(self(), sink)
    previous_conflict_option = Code.get_compiler_option(:ignore_module_conflict)
    Code.put_compiler_option(:ignore_module_conflict, true)

    try do
      compile.()
    after
      Code.put_compiler_option(:ignore_module_conflict, previous_conflict_option)
      Process.group_leader(self(), original_group_leader)
      Process.unregister(:standard_error)
      Process.register(original_standard_error, :standard_error)
      Process.exit(sink, :kill)
    end
  end

  # Elixir 1.14 reports a compile error as {file, line, message}; later versions may give a map.
  diagnostic_file = fn
    {file, _position, _message} -> file
    %{file: file} -> file
  end

  first_line = fn message -> message |> String.trim() |> String.split("\n") |> hd() end

  describe_position = fn
    {line, column} -> "#{line}:#{column}"
    line -> "#{line}"
  end

  describe_diagnostic = fn
    {file, position, message} ->
      "#{Path.relative_to(file, runtime_directory)}:#{describe_position.(position)}: #{first_line.(message)}"

    %{file: file, message: message} = diagnostic ->
      "#{Path.relative_to(file, runtime_directory)}:#{describe_position.(Map.get(diagnostic, :position))}: #{first_line.(message)}"
  end

  compile_sources = fn compile_files ->
    case quietly.(fn -> compile_files.(sources) end) do
      {:ok, modules, _warnings} ->
        {:ok, modules, []}

      {:error, errors, _warnings} ->
        failed_files = errors |> Enum.map(diagnostic_file) |> Enum.uniq()

        case quietly.(fn -> compile_files.(sources -- failed_files) end) do
          {:ok, modules, _warnings} -> {:ok, modules, failed_files}
          # The first attempt's errors name the cause; the second's may be its consequences.
          {:error, _consequences, _warnings} -> {:error, errors}
        end
    end
  end

  report_failed_files = fn failed_files ->
    for file <- failed_files do
      warn.(
        "#{Path.relative_to(file, runtime_directory)} of the agent does not compile; the agent runs without it"
      )
    end
  end

  load_cached = fn directory ->
    for beam <- Path.wildcard(Path.join(directory, "*.beam")) do
      module = beam |> Path.basename(".beam") |> String.to_atom()
      {:module, ^module} = :code.load_binary(module, String.to_charlist(beam), File.read!(beam))
    end

    :ok
  end

  cache_key = fn ->
    contents =
      for source <- sources do
        [Path.relative_to(source, runtime_directory), 0, File.read!(source), 0]
      end

    versions = [System.version(), 0, System.otp_release(), 0, :erlang.system_info(:version)]
    Base.encode16(:erlang.md5([contents | versions]), case: :lower)
  end

  compile_into_cache = fn cache_root, cached_directory ->
    File.mkdir_p!(cache_root)

    temporary =
      Path.join(cache_root, "building-#{System.unique_integer([:positive])}-#{System.pid()}")

    File.mkdir_p!(temporary)

    try do
      case compile_sources.(&Kernel.ParallelCompiler.compile_to_path(&1, temporary)) do
        {:ok, _modules, []} ->
          # Renamed into place whole, so a concurrent run sees all of the cache or none of it;
          # when another run got there first, its copy is as good as this one.
          _ = File.rename(temporary, cached_directory)
          :ok

        {:ok, _modules, failed_files} ->
          # A partial agent is not cached: the next run tries the failing file again.
          report_failed_files.(failed_files)
          :ok

        {:error, errors} ->
          {:error, errors}
      end
    after
      File.rm_rf(temporary)
    end
  end

  load_agent = fn ->
    case System.get_env("ELIXIRSCOPE_CACHE") do
      cache_root when is_binary(cache_root) and cache_root != "" ->
        cache_root = Path.expand(cache_root)
        cached_directory = Path.join(cache_root, "agent-" <> cache_key.())

        if File.dir?(cached_directory) do
          load_cached.(cached_directory)
        else
          compile_into_cache.(cache_root, cached_directory)
        end

      _ ->
        case compile_sources.(&Kernel.ParallelCompiler.compile/1) do
          {:ok, _modules, failed_files} ->
            report_failed_files.(failed_files)
            :ok

          {:error, errors} ->
            {:error, errors}
        end
    end
  end

  already_loaded? = match?({:file, _}, :code.is_loaded(ElixirScope.Agent))

  loaded =
    if already_loaded? do
      :ok
    else
      try do
        load_agent.()
      rescue
        exception -> {:error, Exception.message(exception)}
      catch
        kind, reason -> {:error, Exception.format_banner(kind, reason)}
      end
    end

  case loaded do
    :ok ->
      with {:ok, _sender} <- ElixirScope.Agent.start_from_environment() do
        # A Mix run instruments in `mix elixir_scope.run`, once the project is compiled.
        unless ElixirScope.Agent.mix_run?(), do: ElixirScope.Agent.instrument_and_report()
      end

    {:error, [first_error | _]} ->
      warn.(
        "the agent does not compile (#{describe_diagnostic.(first_error)}); the program runs without recording"
      )

    {:error, message} when is_binary(message) ->
      warn.("the agent could not be loaded (#{message}); the program runs without recording")
  end
end

elixir_scope_boot.()
