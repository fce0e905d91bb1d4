defmodule ElixirScope.InstrumenterTest.Planner do
  @moduledoc """
  The instrumenter tests' own planner, standing in for the TypeScript one (`server/cpg/
  recordingPlan.ts`): writes a recording manifest for Elixir files by walking
  `Code.string_to_quoted!/2`'s AST for positions. Node IDs are synthetic
  (`Module.fun/arity@line:column`).

  It plans every clause of `def`/`defp` with a body and a static head; in `:debug` and `:full`
  every variable a pattern binds in it, with the binding rules of the analyzer's data flow
  (`server/cpg/dataFlow.ts`): heads, `=`, the clause heads of `case`/`fn`/`receive`/`try`/
  `with … else`/`for … reduce`, `<-` generators — never pins, guards, bitstring sizes,
  `_`-prefixed names, `quote`, `match?/2`; in `:full` also every `|>` stage.
  """

  @doc "A manifest (string keys, as decoded from JSON) for `files`."
  def manifest(files, mode) when mode in [:minimal, :debug, :full] do
    {nodes, modules} =
      Enum.reduce(files, {[], []}, fn path, {nodes, modules} ->
        text = File.read!(path)
        hash = Base.encode16(:crypto.hash(:sha, text), case: :lower)

        Enum.reduce(modules(text, path, mode), {nodes, modules}, fn {module, clauses}, {nodes, modules} ->
          empty = %{
            "module" => module,
            "file" => path,
            "sourceHash" => hash,
            "clauses" => [],
            "bindings" => [],
            "expressions" => []
          }

          Enum.reduce(clauses, {nodes, modules ++ [empty]}, fn {clause, inner}, {nodes, modules} ->
            {entry, modules} = List.pop_at(modules, -1)
            first = length(nodes)
            entry = Map.update!(entry, "clauses", &(&1 ++ [first]))

            entry =
              inner
              |> Enum.with_index(first + 1)
              |> Enum.reduce(entry, fn {node, index}, entry ->
                field = if node["kind"] == "binding", do: "bindings", else: "expressions"
                Map.update!(entry, field, &(&1 ++ [index]))
              end)

            {nodes ++ [clause | inner], modules ++ [entry]}
          end)
        end)
      end)

    %{
      "version" => 1,
      "mode" => Atom.to_string(mode),
      "limits" => %{"depth" => 6, "items" => 32, "bytes" => 256},
      "nodes" => nodes,
      "modules" => modules,
      "traceProcesses" => false
    }
  end

  @doc "`[{module_name, [{clause_node, inner_nodes}]}]` for one source text."
  def modules(text, file, mode) do
    text |> Code.string_to_quoted!(columns: true, file: file) |> modules_in(nil, mode)
  end

  defp modules_in({:defmodule, _, [name, [do: body]]}, outer, mode) do
    module = if outer, do: "#{outer}.#{alias_name(name)}", else: alias_name(name)
    [{module, clauses_in(body, module, mode)} | modules_in(body, module, mode)]
  end

  defp modules_in({form, _, _}, _outer, _mode) when form in [:quote, :defimpl], do: []
  defp modules_in({_, _, args}, outer, mode) when is_list(args), do: Enum.flat_map(args, &modules_in(&1, outer, mode))
  defp modules_in({left, right}, outer, mode), do: modules_in([left, right], outer, mode)
  defp modules_in(list, outer, mode) when is_list(list), do: Enum.flat_map(list, &modules_in(&1, outer, mode))
  defp modules_in(_, _outer, _mode), do: []

  defp alias_name({:__aliases__, _, parts}), do: Enum.map_join(parts, ".", &Atom.to_string/1)

  defp clauses_in({kind, meta, [head, [{:do, _} | _] = blocks]}, module, mode) when kind in [:def, :defp] do
    case static_head(head) do
      {:ok, name, params} ->
        id = "#{module}.#{name}/#{length(params)}@#{meta[:line]}:#{meta[:column]}"
        clause = %{"id" => id, "kind" => "clause", "line" => meta[:line], "column" => meta[:column]}
        found = Enum.flat_map(params, &pattern/1) ++ Enum.flat_map(Keyword.values(blocks), &body/1)
        inner = for {kind, node_meta, name} <- found, planned?(kind, mode), do: inner_node(id, kind, node_meta, name)
        [{clause, inner}]

      :dynamic ->
        []
    end
  end

  defp clauses_in({kind, _, _}, _module, _mode) when kind in [:defmodule, :quote, :defmacro, :defmacrop], do: []
  defp clauses_in({_, _, args}, module, mode) when is_list(args), do: Enum.flat_map(args, &clauses_in(&1, module, mode))
  defp clauses_in({left, right}, module, mode), do: clauses_in([left, right], module, mode)
  defp clauses_in(list, module, mode) when is_list(list), do: Enum.flat_map(list, &clauses_in(&1, module, mode))
  defp clauses_in(_, _module, _mode), do: []

  defp planned?(:binding, mode), do: mode in [:debug, :full]
  defp planned?(:expression, mode), do: mode == :full

  defp inner_node(clause_id, kind, meta, name) do
    node = %{
      "id" => "#{clause_id}:#{meta[:line]}:#{meta[:column]}",
      "kind" => Atom.to_string(kind),
      "line" => meta[:line],
      "column" => meta[:column]
    }

    if name, do: Map.put(node, "name", Atom.to_string(name)), else: node
  end

  defp static_head({:when, _, [call, _guard]}), do: static_head(call)

  defp static_head({name, _, params} = head) when is_atom(name) do
    if unquoted?(head), do: :dynamic, else: {:ok, name, if(is_list(params), do: params, else: [])}
  end

  defp static_head(_), do: :dynamic

  defp unquoted?(ast) do
    {_, found} =
      Macro.prewalk(ast, false, fn node, found ->
        {node, found or match?({name, _, [_]} when name in [:unquote, :unquote_splicing], node)}
      end)

    found
  end

  # `{:binding | :expression, meta, name}` inside an expression, in source order.
  defp body({:=, _, [left, right]}), do: body(right) ++ pattern(left)
  defp body({form, _, _}) when form in [:quote, :unquote, :unquote_splicing, :^, :@, :defmodule], do: []
  defp body({:match?, _, [_pattern, value]}), do: body(value)
  defp body({:|>, meta, [_, _] = args}), do: Enum.flat_map(args, &body/1) ++ [{:expression, meta, nil}]
  defp body({:cond, _, [[do: clauses]]}), do: Enum.flat_map(clauses, &expression_clause/1)

  defp body({:receive, _, [blocks]}) do
    Enum.flat_map(blocks, fn
      {:after, clauses} -> Enum.flat_map(clauses, &expression_clause/1)
      {_, clauses} -> body(clauses)
    end)
  end

  defp body({:try, _, [blocks]}) do
    Enum.flat_map(blocks, fn
      {:rescue, clauses} -> Enum.flat_map(clauses, &rescue_clause/1)
      {_, block} -> body(block)
    end)
  end

  defp body({:->, _, [heads, result]}), do: Enum.flat_map(heads, &pattern/1) ++ body(result)
  defp body({:<-, _, [left, right]}), do: body(right) ++ pattern(left)
  defp body({callee, _, args}) when is_list(args), do: body(callee) ++ Enum.flat_map(args, &body/1)
  defp body({left, right}), do: body(left) ++ body(right)
  defp body(list) when is_list(list), do: Enum.flat_map(list, &body/1)
  defp body(_), do: []

  defp expression_clause({:->, _, [conditions, result]}), do: Enum.flat_map(conditions, &body/1) ++ body(result)

  defp rescue_clause({:->, _, [[{:in, _, [variable, _]}], result]}), do: pattern(variable) ++ body(result)

  defp rescue_clause({:->, _, [[{_, _, context} = variable], result]}) when is_atom(context),
    do: pattern(variable) ++ body(result)

  defp rescue_clause({:->, _, [_, result]}), do: body(result)

  # The variables a pattern binds.
  defp pattern({name, meta, context}) when is_atom(name) and is_atom(context) do
    if String.starts_with?(Atom.to_string(name), "_"), do: [], else: [{:binding, meta, name}]
  end

  defp pattern({form, _, _}) when form in [:^, :@, :unquote, :unquote_splicing, :__aliases__], do: []
  defp pattern({:"::", _, [value, _type]}), do: pattern(value)
  defp pattern({:\\, _, [value, _default]}), do: pattern(value)
  defp pattern({:when, _, args}), do: args |> Enum.drop(-1) |> Enum.flat_map(&pattern/1)
  defp pattern({callee, _, args}) when is_list(args), do: pattern(callee) ++ Enum.flat_map(args, &pattern/1)
  defp pattern({left, right}), do: pattern(left) ++ pattern(right)
  defp pattern(list) when is_list(list), do: Enum.flat_map(list, &pattern/1)
  defp pattern(_), do: []
end
