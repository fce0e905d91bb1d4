defmodule ElixirScope.Instrumenter do
  @moduledoc """
  Replaces the modules a recording manifest plans with instrumented versions, recompiled from
  their source in the running VM, so that the planned clauses, bindings and expressions call
  `ElixirScope.Runtime` (`enter/2`, `return/2`, `raise/3`, `bind/2`, `value/2`) with the
  manifest's node indices. `ElixirScope.Instrumenter.Rewrite` describes the code it injects.

  For each source file named by the manifest's modules:

  1. the file's SHA-1 is checked against `sourceHash`; a file that changed since the plan was
     made is not touched (`"stale"`): the plan's positions would point at the wrong nodes;
  2. a cached compilation is loaded when `ELIXIRSCOPE_CACHE` holds one for the same source,
     plan, mode and Elixir/OTP versions (`"cached"`);
  3. otherwise the file is parsed with Elixir's own parser (`columns: true`, the positions the
     planner writes), the planned nodes are found by position and kind, recording calls are
     injected, and the file is compiled with `Code.compile_quoted/2` under its real path, so
     stack traces, `__ENV__` and `__DIR__` are the original ones (`"instrumented"`).

  **Other modules of a planned file.** The file is compiled as one unit, because a module's
  meaning can depend on what surrounds it (a file-level `alias`, an enclosing module for a nested
  one). Top-level forms that define no planned clause are left out of that unit, except `alias`,
  `import` and `require`: other top-level modules of the file are not recompiled and keep the
  code they were loaded with, and top-level code of a script does not run again. Modules nested
  in a planned module are recompiled from the same (hash-checked) source, uninstrumented.

  **Failure.** Nothing here raises into the program being recorded: a file that cannot be read,
  parsed, instrumented, compiled or loaded gives `"failed"` with the reason in `error`, and its
  planned modules are put back as they were if the compilation had already replaced them. A
  planned node that is not found (or deliberately not instrumented, such as a macro clause) is
  listed in `error` of an otherwise `"instrumented"` module.

  The runtime module must not call the modules it records through instrumented code in a way
  that loops (a recorded `Keyword` calling the runtime calling `Keyword`): that is the runtime's
  re-entrancy guard to keep.
  """

  alias ElixirScope.Instrumenter.{Cache, Rewrite, SourceHash}

  @typedoc "One row per manifest module, in manifest order (the `loaded` frame's `modules`)."
  @type result :: %{
          module: String.t(),
          source_hash: String.t(),
          compile_us: non_neg_integer,
          status: String.t(),
          error: String.t() | nil
        }

  @runtime_functions [enter: 2, return: 2, raise: 3, bind: 2, value: 2]
  @max_listed_nodes 5
  @max_error_length 2_000

  @doc """
  Instruments and loads the modules of `manifest` (a map with string keys, as decoded from the
  manifest JSON of `common/traceProtocol.ts`). Never raises.

  Options: `:runtime`, the module the injected calls go to (default `ElixirScope.Runtime`;
  tests use a double); `:cache_dir`, where compiled binaries are cached (default the
  `ELIXIRSCOPE_CACHE` environment variable; `nil` for no cache).
  """
  @spec load_manifest(map, keyword) :: [result]
  def load_manifest(manifest, options \\ []) do
    runtime = Keyword.get(options, :runtime, ElixirScope.Runtime)
    cache_dir = Keyword.get_lazy(options, :cache_dir, fn -> blank_to_nil(System.get_env("ELIXIRSCOPE_CACHE")) end)

    case read_manifest(manifest) do
      {:ok, mode, nodes, entries} ->
        context = %{mode: mode, nodes: nodes, runtime: runtime, cache_dir: cache_dir}
        runtime_error = missing_runtime(runtime)

        entries
        |> Enum.group_by(& &1.file)
        |> Enum.flat_map(fn {_file, file_entries} ->
          if runtime_error,
            do: Enum.map(file_entries, &result(&1, "failed", 0, runtime_error)),
            else: load_file(file_entries, context)
        end)
        |> Enum.sort_by(& &1.order)
        |> Enum.map(&Map.delete(&1, :order))

      {:error, entries, reason} ->
        Enum.map(entries, &(&1 |> result("failed", 0, reason) |> Map.delete(:order)))
    end
  end

  # ---- the manifest ----

  defp read_manifest(%{} = manifest) do
    modules = Map.get(manifest, "modules")
    nodes = Map.get(manifest, "nodes")
    mode = Map.get(manifest, "mode")

    entries =
      if is_list(modules),
        do: modules |> Enum.with_index() |> Enum.map(fn {module, order} -> read_entry(module, order) end),
        else: []

    cond do
      not is_list(modules) -> {:error, [], "the manifest has no modules list"}
      not is_list(nodes) -> {:error, entries, "the manifest has no nodes list"}
      mode not in ["minimal", "debug", "full"] -> {:error, entries, "unknown recording mode #{inspect(mode)}"}
      true -> {:ok, mode, List.to_tuple(nodes), entries}
    end
  end

  defp read_manifest(_manifest), do: {:error, [], "the manifest is not a map"}

  defp read_entry(module, order) do
    field = fn key, valid? ->
      value = if is_map(module), do: Map.get(module, key)
      if valid?.(value), do: value
    end

    indices = &(is_list(&1) and Enum.all?(&1, fn index -> is_integer(index) and index >= 0 end))

    %{
      order: order,
      module: field.("module", &is_binary/1) || "",
      file: field.("file", &is_binary/1),
      source_hash: field.("sourceHash", &is_binary/1) || "",
      clauses: field.("clauses", indices) || [],
      bindings: field.("bindings", indices) || [],
      expressions: field.("expressions", indices) || []
    }
  end

  # ---- one file ----

  defp load_file([%{file: nil} | _] = entries, _context),
    do: Enum.map(entries, &result(&1, "failed", 0, "the manifest gives no file for this module"))

  defp load_file([%{file: file} | _] = entries, context) do
    started = System.monotonic_time()

    rows =
      try do
        case File.read(file) do
          {:ok, text} -> load_source(file, text, entries, context)
          {:error, reason} -> Enum.map(entries, &{&1, "failed", "cannot read #{file}: #{:file.format_error(reason)}"})
        end
      catch
        kind, reason -> Enum.map(entries, &{&1, "failed", describe(kind, reason)})
      end

    elapsed = System.convert_time_unit(System.monotonic_time() - started, :native, :microsecond)
    Enum.map(rows, fn {entry, status, error} -> result(entry, status, elapsed, error) end)
  end

  defp load_source(file, text, entries, context) do
    hash = SourceHash.sha1_hex(text)
    {fresh, stale} = Enum.split_with(entries, &(String.downcase(&1.source_hash) == hash))

    stale_rows =
      Enum.map(
        stale,
        &{&1, "stale", "#{file} changed since the recording was planned (SHA-1 #{hash}, planned #{&1.source_hash})"}
      )

    stale_rows ++ if(fresh == [], do: [], else: instrument(file, text, hash, fresh, context))
  end

  defp instrument(file, text, hash, entries, context) do
    {plan, invalid} = plan(entries, context)
    # Sorted lists: equal maps need not encode to equal bytes.
    key = Cache.key({hash, context.mode, context.runtime, plan |> Map.to_list() |> Enum.map(&sorted/1) |> Enum.sort()})

    with {:ok, cached} <- Cache.read(context.cache_dir, key),
         :ok <- load_binaries(cached.modules) do
      rows(entries, cached, invalid, context, "cached")
    else
      _ ->
        compiled = compile(file, text, plan, entries)
        Cache.write(context.cache_dir, key, compiled)
        rows(entries, compiled, invalid, context, "instrumented")
    end
  catch
    kind, reason -> Enum.map(entries, &{&1, "failed", describe(kind, reason)})
  end

  # The positions of the file's planned nodes, and the indices that are no node of the right
  # kind (reported, never instrumented).
  defp plan(entries, context) do
    kinds = [clauses: "clause"] ++ binding_kinds(context.mode)
    empty = %{runtime: context.runtime, clauses: %{}, bindings: %{}, expressions: %{}}

    Enum.reduce(entries, {empty, %{}}, fn entry, acc ->
      Enum.reduce(kinds, acc, fn {field, kind}, acc ->
        Enum.reduce(Map.fetch!(entry, field), acc, fn index, {plan, invalid} ->
          case node_at(context.nodes, index) do
            %{"kind" => ^kind, "line" => line, "column" => column} = node
            when is_integer(line) and is_integer(column) ->
              value = if field == :bindings, do: {index, string_or_nil(node["name"])}, else: index
              {Map.update!(plan, field, &Map.put(&1, {line, column}, value)), invalid}

            _ ->
              {plan, Map.put(invalid, index, "it is not a #{kind} node with a line and column")}
          end
        end)
      end)
    end)
  end

  defp sorted({field, %{} = positions}), do: {field, positions |> Map.to_list() |> Enum.sort()}
  defp sorted(other), do: other

  defp binding_kinds("minimal"), do: []
  defp binding_kinds("debug"), do: [bindings: "binding"]
  defp binding_kinds("full"), do: [bindings: "binding", expressions: "expression"]

  defp compile(file, text, plan, entries) do
    forms = Code.string_to_quoted!(text, columns: true, token_metadata: true, file: file)
    {forms, outcome} = Rewrite.file(forms, plan)
    planned = Enum.map(entries, &module_atom(&1.module))
    before = Map.new(planned, &{&1, loaded_md5(&1)})

    try do
      %{modules: ignoring_module_conflicts(fn -> Code.compile_quoted(forms, file) end), outcome: outcome}
    catch
      kind, reason ->
        restore(before)
        :erlang.raise(kind, reason, __STACKTRACE__)
    end
  end

  defp ignoring_module_conflicts(fun) do
    previous = Code.get_compiler_option(:ignore_module_conflict)
    Code.put_compiler_option(:ignore_module_conflict, true)

    try do
      fun.()
    after
      Code.put_compiler_option(:ignore_module_conflict, previous)
    end
  end

  # Puts back the code a failed compilation had already replaced (an earlier module of the file
  # compiles and loads before a later one fails).
  defp restore(before) do
    for {module, md5} <- before, md5 != nil, loaded_md5(module) != md5 do
      with {^module, binary, filename} <- :code.get_object_code(module), do: :code.load_binary(module, filename, binary)
    end
  end

  defp loaded_md5(module) do
    if :erlang.module_loaded(module), do: module.module_info(:md5)
  end

  defp load_binaries(modules) do
    Enum.reduce_while(modules, :ok, fn {module, binary}, :ok ->
      case :code.load_binary(module, '', binary) do
        {:module, ^module} -> {:cont, :ok}
        {:error, reason} -> {:halt, {:error, reason}}
      end
    end)
  end

  defp rows(entries, compiled, invalid, context, status) do
    defined = MapSet.new(compiled.modules, &elem(&1, 0))

    Enum.map(entries, fn entry ->
      if MapSet.member?(defined, module_atom(entry.module)),
        do: {entry, status, missing_nodes(entry, compiled.outcome, invalid, context)},
        else: {entry, "failed", "#{entry.file} defines no module #{entry.module} with a planned clause"}
    end)
  end

  defp missing_nodes(entry, outcome, invalid, context) do
    planned = Enum.flat_map([:clauses | Keyword.keys(binding_kinds(context.mode))], &Map.fetch!(entry, &1))
    missing = Enum.reject(planned, &MapSet.member?(outcome.found, &1))

    if missing != [] do
      listed =
        missing
        |> Enum.take(@max_listed_nodes)
        |> Enum.map_join("; ", fn index ->
          reason = invalid[index] || outcome.skipped[index] || "no such node there"
          "#{describe_node(node_at(context.nodes, index), index)}: #{reason}"
        end)

      more = if length(missing) > @max_listed_nodes, do: "; and #{length(missing) - @max_listed_nodes} more", else: ""
      "#{length(missing)} of #{length(planned)} planned nodes not instrumented: #{listed}#{more}"
    end
  end

  defp describe_node(%{"id" => id, "kind" => kind, "line" => line, "column" => column}, _index),
    do: "#{id} (#{kind} at #{line}:#{column})"

  defp describe_node(_node, index), do: "node #{index}"

  # ---- helpers ----

  defp missing_runtime(runtime) do
    cond do
      not Code.ensure_loaded?(runtime) ->
        "the runtime module #{inspect(runtime)} is not loaded"

      missing = Enum.find(@runtime_functions, fn {name, arity} -> not function_exported?(runtime, name, arity) end) ->
        {name, arity} = missing
        "the runtime module #{inspect(runtime)} does not export #{name}/#{arity}"

      true ->
        nil
    end
  end

  defp result(entry, status, compile_us, error) do
    %{
      order: entry.order,
      module: entry.module,
      source_hash: entry.source_hash,
      compile_us: compile_us,
      status: status,
      error: truncate(error)
    }
  end

  defp node_at(nodes, index) when index < tuple_size(nodes), do: elem(nodes, index)
  defp node_at(_nodes, _index), do: nil

  defp module_atom("Elixir." <> _ = name), do: String.to_atom(name)
  defp module_atom(name), do: String.to_atom("Elixir." <> name)

  defp describe(:error, reason), do: Exception.message(Exception.normalize(:error, reason, []))
  defp describe(kind, reason), do: "#{kind}: #{inspect(reason, limit: 20)}"

  defp truncate(nil), do: nil
  defp truncate(text) when byte_size(text) <= @max_error_length, do: text
  defp truncate(text), do: String.slice(text, 0, @max_error_length) <> "…"

  defp string_or_nil(value) when is_binary(value), do: value
  defp string_or_nil(_), do: nil

  defp blank_to_nil(""), do: nil
  defp blank_to_nil(value), do: value
end
