defmodule ElixirScope.Instrumenter.Rewrite do
  @moduledoc """
  The AST rewrite behind `ElixirScope.Instrumenter`: takes the forms of one source file, as
  `Code.string_to_quoted!/2` returns them with `columns: true`, and the file's plan (the manifest
  nodes of the modules to record, by position), and returns the forms to compile with the
  recording calls injected. Pure: no I/O, no compilation, deterministic output (the output is
  cached by the plan).

  ## What it produces

  A planned clause `def name(p1, …, pn) when guard, do: body` becomes

      def name(p1 = arg1, …, pn = argn) when guard do
        call = Runtime.enter(clause_index, [arg1, …, argn])
        Runtime.bind(binding_index, variable)      # one per planned binding of the head
        Runtime.return(call, try do
          body
        catch
          kind, reason ->
            Runtime.raise(call, kind, reason)
            :erlang.raise(kind, reason, __STACKTRACE__)
        end)
      end

  (defaults keep their place: `(p = arg) \\\\ default`; a clause with `rescue`/`catch`/`else`/
  `after` has its implicit `try` made explicit inside the wrapper). The generated variables have
  this module as their context and `generated: true`, so they cannot clash with the user's
  variables and produce no warnings.

  **Tail calls are kept.** A body wrapped in `try` is no tail call: a `defp loop(n)` recursion
  of 1e6 iterations would need a million stack frames (about 90 MB, measured), and a hand-written
  `receive` loop would grow forever. So when a clause's body has calls to the module's own
  functions in tail position (local calls, `__MODULE__.f(…)`, `x |> f(…)`), the `try` evaluates
  the body only up to those calls and hands back what to do next, and the call itself is made
  after the `try`, as a real tail call:

      case try do ...{0, value} or {k, a1, …, an} at each tail position... catch ... end do
        {0, value} -> Runtime.return(call, value)
        {k, a1, …, an} -> Runtime.return(call, {:"$elixir_scope_tail_call", :name, n}); name(a1, …, an)
      end

  The arguments are still evaluated inside the `try` (an exception there is the caller's), and
  the caller's call ends (its `return` carries the `:"$elixir_scope_tail_call"` marker) just
  before the callee starts — as on the BEAM, where the callee replaces the caller's frame. Stack
  traces are then the uninstrumented ones too.

  A planned binding is reported with `Runtime.bind/2` right after the pattern that binds it has
  matched: `pattern = value` becomes `(tmp = (pattern = value); bind(i, v); tmp)` (same value,
  same variables); a clause head (`case`, `fn`, `receive`, `rescue`, `catch`, `else`, `for …
  reduce`, a function head) reports at the start of the clause's body; a `<-` of `for` adds a
  filter `(bind(i, v); true)` after the generator and a `<-` of `with` a bare expression.
  A planned expression `e` becomes `Runtime.value(i, e)`; patterns, guards, `quote` and
  `unquote` fragments are never touched.

  Top-level forms of the file that neither define a planned clause nor set the lexical scope
  (`alias`, `import`, `require`) are dropped, so other modules of the file stay exactly as they
  were loaded and top-level script code does not run twice.
  """

  @typedoc "A 1-based Elixir position: `{line, column}`."
  @type position :: {pos_integer, pos_integer}

  @typedoc """
  What to instrument in one file: manifest node indices by position. `bindings` also holds the
  variable's name, when the manifest gives one, to check it.
  """
  @type plan :: %{
          runtime: module,
          clauses: %{position => non_neg_integer},
          bindings: %{position => {non_neg_integer, String.t() | nil}},
          expressions: %{position => non_neg_integer}
        }

  @typedoc """
  `found`: the planned node indices that were instrumented; `skipped`: planned nodes that were
  found but deliberately left alone, with why.
  """
  @type outcome :: %{found: MapSet.t(non_neg_integer), skipped: %{non_neg_integer => String.t()}}

  @def_kinds [:def, :defp, :defmacro, :defmacrop]
  @module_kinds [:defmodule, :defimpl, :defprotocol]
  @directives [:alias, :import, :require]
  @tail_call_tag ElixirScope.Protocol.tail_call_tag()

  @doc "Instruments the planned nodes of a file's forms; see the module doc."
  @spec file(Macro.t(), plan) :: {Macro.t(), outcome}
  def file(forms, plan) do
    state = %{plan: plan, found: MapSet.new(), skipped: %{}, counter: 0, sites: []}

    kept =
      forms
      |> top_level_forms()
      |> Enum.filter(fn form -> directive?(form) or defines_planned_clause?(form, plan) end)

    {kept, state} = Enum.map_reduce(kept, state, &module_level(&1, %{functions: %{}}, &2))
    {{:__block__, [], kept}, %{found: state.found, skipped: state.skipped}}
  end

  # ---- the file and module level ----

  defp top_level_forms({:__block__, _, forms}) when is_list(forms), do: forms
  defp top_level_forms(form), do: [form]

  defp directive?({name, _, args}) when name in @directives and is_list(args), do: true
  defp directive?(_), do: false

  defp defines_planned_clause?(form, plan) do
    {_, found?} =
      Macro.prewalk(form, false, fn
        node, true ->
          {node, true}

        {kind, meta, args} = node, false when kind in @def_kinds and is_list(args) ->
          {node, Map.has_key?(plan.clauses, position(meta))}

        node, false ->
          {node, false}
      end)

    found?
  end

  # Walks module bodies (and whatever wraps definitions there: `if`, `for`, `unless`…) for the
  # planned `def` nodes; knows the functions of the innermost module, for tail calls.
  defp module_level({kind, meta, args}, _module, state) when kind in @module_kinds and is_list(args) do
    module = %{functions: functions_of(do_body(args))}
    {args, state} = Enum.map_reduce(args, state, &module_level(&1, module, &2))
    {{kind, meta, args}, state}
  end

  defp module_level({:quote, _, _} = node, _module, state), do: {node, state}

  defp module_level({kind, meta, args} = node, module, state) when kind in @def_kinds and is_list(args) do
    case Map.fetch(state.plan.clauses, position(meta)) do
      {:ok, index} ->
        case clause(kind, meta, args, index, module, state) do
          {:ok, node, state} -> {node, found(state, index)}
          {:skip, reason} -> {node, skip(state, index, reason)}
        end

      :error ->
        {node, state}
    end
  end

  defp module_level({:defdelegate, meta, args} = node, _module, state) when is_list(args) do
    case Map.fetch(state.plan.clauses, position(meta)) do
      {:ok, index} -> {node, skip(state, index, "a delegate is recorded at its target")}
      :error -> {node, state}
    end
  end

  defp module_level({callee, meta, args}, module, state) when is_list(args) do
    {callee, state} = module_level(callee, module, state)
    {args, state} = Enum.map_reduce(args, state, &module_level(&1, module, &2))
    {{callee, meta, args}, state}
  end

  defp module_level({left, right}, module, state) do
    {left, state} = module_level(left, module, state)
    {right, state} = module_level(right, module, state)
    {{left, right}, state}
  end

  defp module_level(list, module, state) when is_list(list),
    do: Enum.map_reduce(list, state, &module_level(&1, module, &2))

  defp module_level(other, _module, state), do: {other, state}

  defp do_body(args) do
    Enum.find_value(args, fn
      list when is_list(list) -> Keyword.keyword?(list) && Keyword.get(list, :do)
      _ -> nil
    end)
  end

  # `%{{name, arity} => :def | :defp}` for the static definitions of a module body, every arity
  # a default argument adds included. Nested modules and quotes are not this module's. (Only the
  # accumulator is kept: replacing a node by the atom `:skip` stops the walk descending into it.)
  defp functions_of(body) do
    {_, functions} =
      Macro.prewalk(body, %{}, fn
        {kind, _, _}, functions when kind in @module_kinds -> {:skip, functions}
        {:quote, _, _}, functions -> {:skip, functions}
        {kind, _, [head | _]}, functions when kind in [:def, :defp] -> {:skip, add_function(functions, kind, head)}
        node, functions -> {node, functions}
      end)

    functions
  end

  defp add_function(functions, kind, {:when, _, [call, _guard]}), do: add_function(functions, kind, call)

  defp add_function(functions, kind, {name, _, params}) when is_atom(name) do
    params = if is_list(params), do: params, else: []
    defaults = Enum.count(params, &match?({:\\, _, [_, _]}, &1))
    arity = length(params)
    Enum.reduce((arity - defaults)..arity, functions, &Map.put_new(&2, {name, &1}, kind))
  end

  defp add_function(functions, _kind, _head), do: functions

  # ---- clauses ----

  defp clause(kind, _meta, _args, _index, _module, _state) when kind in [:defmacro, :defmacrop],
    do: {:skip, "macros run at compile time and are not recorded"}

  defp clause(kind, meta, [head, blocks], index, module, state) when is_list(blocks) do
    with true <-
           (Keyword.keyword?(blocks) and Keyword.has_key?(blocks, :do)) ||
             {:skip, "the clause's body is not a do block"},
         {:ok, name, call_meta, params, guard} <- split_head(head),
         false <- has_unquote?(params) && {:skip, "its head is built with unquote"} do
      {params, arguments, state} = capture_params(params, state)
      {head_binds, state} = patterns(Enum.map(params, &default_pattern/1), state)
      {call, state} = fresh(:elixir_scope_call, state)
      {body, state} = wrapped_body(blocks, call, module, %{state | sites: []})

      enter = {:=, generated(meta), [call, runtime(state, :enter, [index, arguments], meta)]}
      body = {:__block__, generated(meta), [enter | bind_calls(head_binds, state)] ++ [body]}
      {:ok, {kind, meta, [join_head(name, call_meta, params, guard), [do: body]]}, state}
    end
  end

  defp clause(_kind, _meta, [_head], _index, _module, _state), do: {:skip, "a bodiless clause has nothing to record"}
  defp clause(_kind, _meta, _args, _index, _module, _state), do: {:skip, "the clause's shape is not recognised"}

  defp split_head({:when, meta, [call, guard]}) do
    with {:ok, name, call_meta, params, nil} <- split_head(call), do: {:ok, name, call_meta, params, {meta, guard}}
  end

  defp split_head({name, meta, params}) when is_atom(name) and name not in [:unquote, :unquote_splicing] do
    cond do
      is_list(params) -> {:ok, name, meta, params, nil}
      is_atom(params) -> {:ok, name, meta, [], nil}
      true -> {:skip, "the clause's head is not recognised"}
    end
  end

  defp split_head(_), do: {:skip, "its name is built with unquote"}

  defp join_head(name, meta, params, nil), do: {name, meta, params}
  defp join_head(name, meta, params, {when_meta, guard}), do: {:when, when_meta, [{name, meta, params}, guard]}

  defp has_unquote?(ast) do
    {_, found?} =
      Macro.prewalk(ast, false, fn
        {name, _, [_]} = node, acc when name in [:unquote, :unquote_splicing] -> {node, true or acc}
        node, acc -> {node, acc}
      end)

    found?
  end

  # `p` becomes `p = argN`, `p \\ d` becomes `(p = argN) \\ d`: the argument's value is captured
  # whatever the pattern, and the pattern still binds what it bound.
  defp capture_params(params, state) do
    {pairs, state} =
      Enum.map_reduce(params, state, fn param, state ->
        {argument, state} = fresh(:elixir_scope_arg, state)

        param =
          case param do
            {:\\, meta, [pattern, default]} -> {:\\, meta, [{:=, generated(meta), [pattern, argument]}, default]}
            pattern -> {:=, generated(meta_of(pattern)), [pattern, argument]}
          end

        {{param, argument}, state}
      end)

    {params, arguments} = Enum.unzip(pairs)
    {params, arguments, state}
  end

  defp default_pattern({:\\, _, [pattern, _default]}), do: pattern
  defp default_pattern(pattern), do: pattern

  defp wrapped_body(blocks, call, module, state) do
    meta = generated([])

    if Keyword.keys(blocks) == [:do] do
      body = Keyword.fetch!(blocks, :do)
      {tail_body, tail_state} = tail(body, module, state)

      case tail_state.sites do
        [] ->
          {body, state} = expr(body, state)
          {guarded, state} = guarded(body, call, state)
          {runtime(state, :return, [call, guarded], []), state}

        sites ->
          {guarded, state} = guarded(tail_body, call, %{tail_state | sites: []})
          dispatch(guarded, Enum.reverse(sites), call, state)
      end
    else
      # `def f do … rescue … end`: the implicit try, made explicit, inside the recording one.
      {blocks, state} = try_blocks(blocks, state)
      {guarded, state} = guarded({:try, meta, [blocks]}, call, state)
      {runtime(state, :return, [call, guarded], []), state}
    end
  end

  defp guarded(body, call, state) do
    meta = generated([])
    {kind, state} = fresh(:elixir_scope_kind, state)
    {reason, state} = fresh(:elixir_scope_reason, state)
    stacktrace = {:__STACKTRACE__, meta, nil}
    reraise = {{:., meta, [:erlang, :raise]}, meta, [kind, reason, stacktrace]}
    handler = {:__block__, meta, [runtime(state, :raise, [call, kind, reason], []), reraise]}
    {{:try, meta, [[do: body, catch: [{:->, meta, [[kind, reason], handler]}]]]}, state}
  end

  defp dispatch(guarded, sites, call, state) do
    meta = generated([])
    {value, state} = fresh(:elixir_scope_value, state)
    returned = {:->, meta, [[{0, value}], runtime(state, :return, [call, value], [])]}

    {continued, state} =
      Enum.map_reduce(sites, state, fn {site, name, call_meta, rebuild, arity}, state ->
        {arguments, state} = Enum.map_reduce(1..arity//1, state, fn _, state -> fresh(:elixir_scope_arg, state) end)
        # What the call's `return` carries: it ended by tail-calling `name/arity`.
        marker = {:{}, meta, [@tail_call_tag, name, arity]}
        tail_call = rebuild.(arguments)
        ended = runtime(state, :return, [call, marker], call_meta)
        {{:->, meta, [[{:{}, meta, [site | arguments]}], {:__block__, meta, [ended, tail_call]}]}, state}
      end)

    {{:case, meta, [guarded, [do: [returned | continued]]]}, state}
  end

  # ---- tail positions (only for bodies that make tail calls to their module's functions) ----

  # Walks the positions whose value is the body's value. At each, either a call to this module's
  # functions becomes `{site, arguments…}` (recorded in `state.sites`, made after the try), or
  # the value becomes `{0, value}`. Everything else is instrumented by `expr/2` as usual.
  defp tail(ast, module, state) do
    if planned_expression?(ast, state), do: tail_leaf(ast, module, state), else: tail_node(ast, module, state)
  end

  defp tail_node({:__block__, meta, [_ | _] = exprs}, module, state) do
    {init, [last]} = Enum.split(exprs, -1)
    {init, state} = Enum.map_reduce(init, state, &expr/2)
    {last, state} = tail(last, module, state)
    {{:__block__, meta, init ++ [last]}, state}
  end

  defp tail_node({:case, meta, [subject, [do: clauses]]}, module, state) when is_list(clauses) do
    {subject, state} = expr(subject, state)
    {clauses, state} = tail_clauses(clauses, :case, module, state)
    {{:case, meta, [subject, [do: clauses]]}, state}
  end

  defp tail_node({:cond, meta, [[do: clauses]]}, module, state) when is_list(clauses) do
    {clauses, state} = tail_clauses(clauses, :cond, module, state)
    {{:cond, meta, [[do: clauses]]}, state}
  end

  defp tail_node({:receive, meta, [blocks]} = node, module, state) when is_list(blocks) do
    if Keyword.keyword?(blocks) and Enum.all?(blocks, fn {key, value} -> key in [:do, :after] and is_list(value) end) do
      {blocks, state} =
        Enum.map_reduce(blocks, state, fn
          {:do, clauses}, state ->
            with {clauses, state} <- tail_clauses(clauses, :receive, module, state), do: {{:do, clauses}, state}

          {:after, clauses}, state ->
            with {clauses, state} <- tail_clauses(clauses, :cond, module, state), do: {{:after, clauses}, state}
        end)

      {{:receive, meta, [blocks]}, state}
    else
      tail_leaf(node, module, state)
    end
  end

  defp tail_node({branch, meta, [condition, blocks]} = node, module, state)
       when branch in [:if, :unless] and is_list(blocks) do
    if Keyword.keyword?(blocks) and Keyword.has_key?(blocks, :do) and
         Enum.all?(Keyword.keys(blocks), &(&1 in [:do, :else])) do
      {condition, state} = expr(condition, state)
      {then, state} = tail(Keyword.fetch!(blocks, :do), module, state)
      # A missing `else` is `nil`; it must be tagged like every other result.
      {otherwise, state} = tail(Keyword.get(blocks, :else), module, state)
      {{branch, meta, [condition, [do: then, else: otherwise]]}, state}
    else
      tail_leaf(node, module, state)
    end
  end

  defp tail_node({:with, meta, args} = node, module, state) when is_list(args) do
    {clauses, options} = split_options(args)

    # Without `else`, a clause that does not match is the `with`'s value: no tail position to tag.
    if Keyword.has_key?(options, :else) and Keyword.has_key?(options, :do) and
         Keyword.keys(options) -- [:do, :else] == [] do
      {clauses, state} = with_clauses(clauses, state)
      {body, state} = tail(Keyword.fetch!(options, :do), module, state)
      {otherwise, state} = tail_clauses(Keyword.fetch!(options, :else), :else, module, state)
      {{:with, meta, clauses ++ [[do: body, else: otherwise]]}, state}
    else
      tail_leaf(node, module, state)
    end
  end

  defp tail_node(ast, module, state), do: tail_leaf(ast, module, state)

  defp tail_clauses(clauses, via, module, state) when is_list(clauses) do
    Enum.map_reduce(clauses, state, fn
      {:->, meta, [heads, body]}, state when is_list(heads) ->
        {heads, binds, state} = clause_heads(heads, via, state)
        {body, state} = tail(body, module, state)
        {{:->, meta, [heads, prefix_binds(binds, body, state)]}, state}

      other, state ->
        expr(other, state)
    end)
  end

  defp tail_clauses(other, _via, _module, state), do: expr(other, state)

  defp tail_leaf(ast, module, state) do
    case tail_call(ast, module, state) do
      {:ok, name, meta, arguments, rebuild} ->
        {arguments, state} = Enum.map_reduce(arguments, state, &expr/2)
        site = length(state.sites) + 1
        state = %{state | sites: [{site, name, meta, rebuild, length(arguments)} | state.sites]}
        {{:{}, generated(meta), [site | arguments]}, state}

      :error ->
        {ast, state} = expr(ast, state)
        {{0, ast}, state}
    end
  end

  # A call to one of the module's own functions: `{:ok, name, meta, argument_asts, rebuild}`.
  defp tail_call(ast, module, state) do
    if planned_expression?(ast, state), do: :error, else: own_call(ast, module)
  end

  defp own_call({name, meta, args}, module) when is_atom(name) and is_list(args) do
    if Map.has_key?(module.functions, {name, length(args)}),
      do: {:ok, name, meta, args, fn arguments -> {name, meta, arguments} end},
      else: :error
  end

  defp own_call({{:., dot_meta, [{:__MODULE__, _, context} = receiver, name]}, meta, args}, module)
       when is_atom(name) and is_atom(context) and is_list(args) do
    if Map.get(module.functions, {name, length(args)}) == :def,
      do: {:ok, name, meta, args, fn arguments -> {{:., dot_meta, [receiver, name]}, meta, arguments} end},
      else: :error
  end

  defp own_call({:|>, _, [left, {name, meta, args}]}, module) when is_atom(name) and is_list(args) do
    own_call({name, meta, [left | args]}, module)
  end

  defp own_call(_ast, _module), do: :error

  # ---- expressions ----

  # Instruments an expression: planned expressions are wrapped, matches report their bindings,
  # clause heads report at the start of their bodies. Returns the same value in every case.
  defp expr(ast, state) do
    case planned_expression(ast, state) do
      {:ok, index} ->
        {ast, state} = expr_node(ast, found(state, index))
        {runtime(state, :value, [index, ast], meta_of(ast)), state}

      :error ->
        expr_node(ast, state)
    end
  end

  defp expr_node({:=, meta, [pattern, value]}, state) do
    {value, state} = expr(value, state)
    {binds, state} = patterns([pattern], state)
    match = {:=, meta, [pattern, value]}

    if binds == [] do
      {match, state}
    else
      {result, state} = fresh(:elixir_scope_value, state)
      g = generated(meta)
      {{:__block__, g, [{:=, g, [result, match]} | bind_calls(binds, state)] ++ [result]}, state}
    end
  end

  defp expr_node({form, _, _} = node, state)
       when form in [:quote, :unquote, :unquote_splicing, :^, :@, :__aliases__] or form in @module_kinds,
       do: {node, state}

  defp expr_node({:fn, meta, clauses}, state) when is_list(clauses) do
    {clauses, state} = pattern_clauses(clauses, :fn, state)
    {{:fn, meta, clauses}, state}
  end

  defp expr_node({:case, meta, [subject, blocks]}, state) when is_list(blocks) do
    {subject, state} = expr(subject, state)
    {blocks, state} = blocks(blocks, state, %{do: &pattern_clauses(&1, :case, &2)})
    {{:case, meta, [subject, blocks]}, state}
  end

  defp expr_node({:receive, meta, [blocks]}, state) when is_list(blocks) do
    {blocks, state} = blocks(blocks, state, %{do: &pattern_clauses(&1, :receive, &2), after: &expression_clauses/2})

    {{:receive, meta, [blocks]}, state}
  end

  defp expr_node({:cond, meta, [blocks]}, state) when is_list(blocks) do
    {blocks, state} = blocks(blocks, state, %{do: &expression_clauses/2})
    {{:cond, meta, [blocks]}, state}
  end

  defp expr_node({:try, meta, [blocks]}, state) when is_list(blocks) do
    {blocks, state} = try_blocks(blocks, state)
    {{:try, meta, [blocks]}, state}
  end

  defp expr_node({:with, meta, args}, state) when is_list(args) do
    {clauses, options} = split_options(args)
    {clauses, state} = with_clauses(clauses, state)
    {options, state} = blocks(options, state, %{else: &pattern_clauses(&1, :else, &2)})
    {{:with, meta, clauses ++ if(options == [], do: [], else: [options])}, state}
  end

  defp expr_node({:for, meta, args}, state) when is_list(args) do
    {clauses, options} = split_options(args)
    {clauses, state} = for_clauses(clauses, state)
    handlers = if Keyword.has_key?(options, :reduce), do: %{do: &pattern_clauses(&1, :reduce, &2)}, else: %{}
    {options, state} = blocks(options, state, handlers)
    {{:for, meta, clauses ++ if(options == [], do: [], else: [options])}, state}
  end

  defp expr_node({:match?, meta, [pattern, value]}, state) do
    {value, state} = expr(value, state)
    {{:match?, meta, [pattern, value]}, state}
  end

  defp expr_node({:&, _, [{:/, _, [_, arity]}]} = node, state) when is_integer(arity), do: {node, state}

  defp expr_node({:<<>>, meta, segments}, state) when is_list(segments) do
    {segments, state} =
      Enum.map_reduce(segments, state, fn
        {:"::", segment_meta, [value, type]}, state ->
          {value, state} = expr(value, state)
          {{:"::", segment_meta, [value, type]}, state}

        segment, state ->
          expr(segment, state)
      end)

    {{:<<>>, meta, segments}, state}
  end

  # The clauses of a construct not known here (a user macro's `do` block): their heads may not be
  # patterns, so they are left alone; their bodies are code.
  defp expr_node({:->, meta, [heads, body]}, state) do
    {body, state} = expr(body, state)
    {{:->, meta, [heads, body]}, state}
  end

  defp expr_node({callee, meta, args}, state) when is_list(args) do
    {callee, state} = callee(callee, state)
    {args, state} = Enum.map_reduce(args, state, &expr/2)
    {{callee, meta, args}, state}
  end

  defp expr_node({left, right}, state) do
    {left, state} = expr(left, state)
    {right, state} = expr(right, state)
    {{left, right}, state}
  end

  defp expr_node(list, state) when is_list(list), do: Enum.map_reduce(list, state, &expr/2)
  defp expr_node(other, state), do: {other, state}

  defp callee(name, state) when is_atom(name), do: {name, state}

  defp callee({:., meta, [receiver, name]}, state) when is_atom(name) do
    {receiver, state} = if is_atom(receiver), do: {receiver, state}, else: expr(receiver, state)
    {{:., meta, [receiver, name]}, state}
  end

  defp callee({:., meta, [function]}, state) do
    {function, state} = expr(function, state)
    {{:., meta, [function]}, state}
  end

  defp callee(other, state), do: {other, state}

  defp try_blocks(blocks, state) do
    blocks(blocks, state, %{
      rescue: &pattern_clauses(&1, :rescue, &2),
      catch: &pattern_clauses(&1, :catch, &2),
      else: &pattern_clauses(&1, :else, &2)
    })
  end

  # Maps a keyword list of blocks; `handlers` (by key) instruments the blocks that hold clauses,
  # the other keys (`do`, `after`, options) are plain expressions.
  defp blocks(blocks, state, handlers) when is_list(blocks) do
    Enum.map_reduce(blocks, state, fn
      {key, value}, state when is_atom(key) ->
        handler = Map.get(handlers, key, fn value, state -> expr(value, state) end)
        {value, state} = handler.(value, state)
        {{key, value}, state}

      other, state ->
        expr(other, state)
    end)
  end

  defp blocks(other, state, _handlers), do: expr(other, state)

  defp split_options(args) do
    {options, clauses} =
      args |> Enum.reverse() |> Enum.split_while(&(is_list(&1) and &1 != [] and Keyword.keyword?(&1)))

    {Enum.reverse(clauses), options |> Enum.reverse() |> Enum.concat()}
  end

  defp with_clauses(clauses, state) do
    {clauses, state} =
      Enum.map_reduce(clauses, state, fn clause, state ->
        case generator(clause, state) do
          {:ok, clause, [], state} -> {[clause], state}
          {:ok, clause, binds, state} -> {[clause | bind_calls(binds, state)], state}
          :error -> with {clause, state} <- expr(clause, state), do: {[clause], state}
        end
      end)

    {Enum.concat(clauses), state}
  end

  defp for_clauses(clauses, state) do
    {clauses, state} =
      Enum.map_reduce(clauses, state, fn clause, state ->
        case generator(clause, state) do
          {:ok, clause, [], state} ->
            {[clause], state}

          {:ok, clause, binds, state} ->
            filter = {:__block__, generated([]), bind_calls(binds, state) ++ [true]}
            {[clause, filter], state}

          :error ->
            with {clause, state} <- expr(clause, state), do: {[clause], state}
        end
      end)

    {Enum.concat(clauses), state}
  end

  defp generator({:<-, meta, [pattern, source]}, state) do
    {source, state} = expr(source, state)
    {binds, state} = patterns([pattern], state)
    {:ok, {:<-, meta, [pattern, source]}, binds, state}
  end

  defp generator({:<<>>, meta, [{:<-, _, [_, _]} = inner]}, state) do
    {:ok, inner, binds, state} = generator(inner, state)
    {:ok, {:<<>>, meta, [inner]}, binds, state}
  end

  defp generator(_clause, _state), do: :error

  defp pattern_clauses(clauses, via, state) when is_list(clauses) do
    Enum.map_reduce(clauses, state, fn
      {:->, meta, [heads, body]}, state when is_list(heads) ->
        {heads, binds, state} = clause_heads(heads, via, state)
        {body, state} = expr(body, state)
        {{:->, meta, [heads, prefix_binds(binds, body, state)]}, state}

      other, state ->
        expr(other, state)
    end)
  end

  defp pattern_clauses(other, _via, state), do: expr(other, state)

  # `cond` and `receive … after`: the left sides are expressions.
  defp expression_clauses(clauses, state) when is_list(clauses) do
    Enum.map_reduce(clauses, state, fn
      {:->, meta, [heads, body]}, state when is_list(heads) ->
        {heads, state} = Enum.map_reduce(heads, state, &expr/2)
        {body, state} = expr(body, state)
        {{:->, meta, [heads, body]}, state}

      other, state ->
        expr(other, state)
    end)
  end

  defp expression_clauses(other, state), do: expr(other, state)

  # The heads of one `->` clause: patterns, except `cond`'s conditions; a `rescue` head binds only
  # the variable of `var in Exceptions` or a bare variable.
  defp clause_heads(heads, :cond, state) do
    {heads, state} = Enum.map_reduce(heads, state, &expr/2)
    {heads, [], state}
  end

  defp clause_heads(heads, :rescue, state) do
    {binds, state} =
      heads
      |> Enum.map(fn
        {:in, _, [variable, _exceptions]} -> variable
        {name, _, context} = variable when is_atom(name) and is_atom(context) -> variable
        _ -> nil
      end)
      |> patterns(state)

    {heads, binds, state}
  end

  defp clause_heads(heads, _via, state) do
    {binds, state} = patterns(heads, state)
    {heads, binds, state}
  end

  defp prefix_binds([], body, _state), do: body
  defp prefix_binds(binds, body, state), do: {:__block__, generated([]), bind_calls(binds, state) ++ [body]}

  # ---- patterns ----

  # The planned bindings among the variables a list of patterns binds, in source order, as
  # `{index, variable}`. Pins, guards, bitstring sizes, attributes and unquotes bind nothing.
  defp patterns(patterns, state) do
    {binds, state} = Enum.reduce(patterns, {[], state}, &pattern/2)
    {Enum.reverse(binds), state}
  end

  defp pattern({name, meta, context} = variable, {binds, state}) when is_atom(name) and is_atom(context) do
    with {:ok, {index, expected}} <- Map.fetch(state.plan.bindings, position(meta)),
         true <- is_nil(expected) or expected == Atom.to_string(name),
         false <- String.starts_with?(Atom.to_string(name), "_") do
      {[{index, variable} | binds], found(state, index)}
    else
      _ -> {binds, state}
    end
  end

  defp pattern({form, _, _}, acc) when form in [:^, :@, :unquote, :unquote_splicing, :quote, :__aliases__], do: acc
  defp pattern({:"::", _, [value, _type]}, acc), do: pattern(value, acc)
  defp pattern({:\\, _, [value, _default]}, acc), do: pattern(value, acc)

  defp pattern({:when, _, [_ | _] = args}, acc) do
    {patterns, [_guard]} = Enum.split(args, -1)
    Enum.reduce(patterns, acc, &pattern/2)
  end

  defp pattern({callee, _, args}, acc) when is_list(args), do: Enum.reduce(args, pattern(callee, acc), &pattern/2)
  defp pattern({left, right}, acc), do: pattern(right, pattern(left, acc))
  defp pattern(list, acc) when is_list(list), do: Enum.reduce(list, acc, &pattern/2)
  defp pattern(_literal, acc), do: acc

  # ---- helpers ----

  defp planned_expression({callee, meta, args}, state) when is_list(args) and is_list(meta) and callee != :__block__ do
    with {:ok, index} <- Map.fetch(state.plan.expressions, position(meta)),
         false <- MapSet.member?(state.found, index) do
      {:ok, index}
    else
      _ -> :error
    end
  end

  defp planned_expression(_ast, _state), do: :error

  defp planned_expression?(ast, state), do: planned_expression(ast, state) != :error

  defp bind_calls(binds, state),
    do: Enum.map(binds, fn {index, variable} -> runtime(state, :bind, [index, variable], meta_of(variable)) end)

  defp runtime(state, function, args, meta) do
    meta = generated(Keyword.take(meta, [:line]))
    {{:., meta, [state.plan.runtime, function]}, meta, args}
  end

  # A variable no user code can name: its context is this module and its counter is ours.
  defp fresh(name, state) do
    counter = state.counter + 1
    {{name, [generated: true, counter: counter], __MODULE__}, %{state | counter: counter}}
  end

  defp found(state, index), do: %{state | found: MapSet.put(state.found, index)}
  defp skip(state, index, reason), do: %{state | skipped: Map.put(state.skipped, index, reason)}

  defp generated(meta), do: [generated: true] ++ Keyword.take(meta, [:line])

  defp meta_of({_, meta, _}) when is_list(meta), do: meta
  defp meta_of(_), do: []

  defp position(meta) when is_list(meta), do: {Keyword.get(meta, :line), Keyword.get(meta, :column)}
  defp position(_), do: nil
end
