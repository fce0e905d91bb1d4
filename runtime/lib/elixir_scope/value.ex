defmodule ElixirScope.Value do
  @moduledoc """
  Cuts a term down to what the recorder keeps of it, so that one event can never carry an
  unbounded value across the socket (or hold a large structure alive in the agent's queues).

  The limits are the manifest's `limits` (`{depth, items, bytes}`, or a map with those keys):

    * `depth`: the term itself is at depth 1; a non-empty list, tuple or map nested deeper is
      replaced by `{:"$elixirscope_truncated", :depth, count}`, `count` being its element count.
    * `items`: a list, tuple or map keeps its first `items` elements. The rest is replaced by
      one `{:"$elixirscope_truncated", :items, count}` put where the rest would be: as the last
      element of the list (an improper tail is kept when every element fitted) or of the tuple
      (so the tuple has `items + 1` elements), and in a map as a key (with itself as the value),
      which is where the recorder's `inspect` looks for it. A struct keeps its `__struct__` key on top of `items`.
    * `bytes`: a binary or bitstring longer than `bytes` bytes becomes
      `{:"$elixirscope_truncated", :bytes, count, prefix}`: `count` bytes were left out and
      `prefix` holds the first `bytes` (the protocol's three-element tag, plus the kept part,
      because the start of a long string is what a reader wants to see).

  A whole value also keeps at most `element_budget/1` elements in total, because `depth` and
  `items` alone still allow `items ^ depth` of them; containers met after the budget is spent
  are cut as `:items`. A closure whose captured variables do not fit the limits is replaced by
  `{:"$elixirscope_truncated", :depth, captured_count}`, since its environment would otherwise
  travel in full (funs defined in scripts capture the whole evaluator binding).

  Cutting never creates atoms and never raises for any term. Map keys are cut like values, so
  two long keys that share their first `bytes` bytes can collapse into one entry.
  """

  @tag ElixirScope.Protocol.truncated_tag()

  @typedoc "`{depth, items, bytes}` as kept by the agent, or the manifest's map."
  @type limits ::
          {non_neg_integer(), non_neg_integer(), non_neg_integer()}
          | %{depth: non_neg_integer(), items: non_neg_integer(), bytes: non_neg_integer()}

  @doc "Returns `term` cut to `limits` (see the module documentation for the shapes of cut parts)."
  @spec bound(term(), limits()) :: term()
  def bound(term, {depth, items, bytes})
      when is_integer(depth) and is_integer(items) and is_integer(bytes) do
    budget = element_budget(items)

    # Most values fit. Checking that allocates nothing, and then the value itself is the answer;
    # only a value that does not fit is rebuilt.
    if fit(term, depth, budget, items, bytes) >= 0 do
      term
    else
      {bounded, _budget_left} = walk(term, depth, budget, items, bytes)
      bounded
    end
  end

  def bound(term, %{depth: depth, items: items, bytes: bytes}),
    do: bound(term, {depth, items, bytes})

  @doc """
  Turns the manifest's `limits` object (string keys, possibly missing or malformed entries) into
  the tuple `bound/2` is fastest with, filling gaps from `ElixirScope.Protocol.default_value_limits/0`.
  """
  @spec limits_from_manifest(term()) :: {non_neg_integer(), non_neg_integer(), non_neg_integer()}
  def limits_from_manifest(manifest_limits) do
    %{depth: depth, items: items, bytes: bytes} = ElixirScope.Protocol.default_value_limits()

    {
      limit_or_default(manifest_limits, "depth", depth),
      limit_or_default(manifest_limits, "items", items),
      limit_or_default(manifest_limits, "bytes", bytes)
    }
  end

  defp limit_or_default(%{} = manifest_limits, key, default) do
    case manifest_limits do
      %{^key => value} when is_integer(value) and value >= 0 -> value
      _ -> default
    end
  end

  defp limit_or_default(_not_a_map, _key, default), do: default

  @doc "How many elements one bounded value keeps at most, over all its nesting levels."
  @spec element_budget(non_neg_integer()) :: pos_integer()
  def element_budget(items), do: max(2048, items * 8)

  # The element budget left after `term`, or -1 as soon as some part of it would be cut. Leaves
  # first, in rough order of how often they occur in arguments.
  defp fit(term, _depth, budget, _items, _bytes) when is_atom(term) or is_number(term), do: budget

  defp fit(term, _depth, budget, _items, bytes)
       when is_bitstring(term) and byte_size(term) <= bytes,
       do: budget

  defp fit(term, _depth, _budget, _items, _bytes) when is_bitstring(term), do: -1
  defp fit([], _depth, budget, _items, _bytes), do: budget
  defp fit({}, _depth, budget, _items, _bytes), do: budget

  defp fit(term, _depth, budget, _items, _bytes) when is_map(term) and map_size(term) == 0,
    do: budget

  defp fit(term, _depth, budget, _items, _bytes)
       when is_pid(term) or is_reference(term) or is_port(term),
       do: budget

  defp fit(term, _depth, budget, _items, _bytes) when is_function(term) do
    if :erlang.fun_info(term, :env) == {:env, []}, do: budget, else: -1
  end

  defp fit(_container, depth, _budget, _items, _bytes) when depth <= 0, do: -1

  defp fit(list, depth, budget, items, bytes) when is_list(list),
    do: fit_list(list, depth - 1, budget, items, items, bytes)

  defp fit(tuple, _depth, _budget, items, _bytes) when tuple_size(tuple) > items, do: -1

  defp fit(tuple, depth, budget, items, bytes) when is_tuple(tuple),
    do: fit_tuple(tuple, tuple_size(tuple), depth - 1, budget, items, bytes)

  defp fit(map, depth, budget, items, bytes) when is_map(map) do
    case map do
      %{__struct__: struct_name} when is_atom(struct_name) and map_size(map) - 1 > items ->
        -1

      %{__struct__: struct_name} when is_atom(struct_name) ->
        fit_map(map, depth - 1, budget, items, bytes)

      _ when map_size(map) > items ->
        -1

      _ ->
        fit_map(map, depth - 1, budget, items, bytes)
    end
  end

  defp fit_list(_list, _depth, budget, _left, _items, _bytes) when budget < 0, do: -1
  defp fit_list([], _depth, budget, _left, _items, _bytes), do: budget
  defp fit_list([_ | _], _depth, _budget, 0, _items, _bytes), do: -1

  defp fit_list([head | tail], depth, budget, left, items, bytes),
    do: fit_list(tail, depth, fit(head, depth, budget - 1, items, bytes), left - 1, items, bytes)

  defp fit_list(improper_tail, depth, budget, _left, items, bytes),
    do: fit(improper_tail, depth, budget, items, bytes)

  defp fit_tuple(_tuple, _index, _depth, budget, _items, _bytes) when budget < 0, do: -1
  defp fit_tuple(_tuple, 0, _depth, budget, _items, _bytes), do: budget

  defp fit_tuple(tuple, index, depth, budget, items, bytes),
    do:
      fit_tuple(
        tuple,
        index - 1,
        depth,
        fit(:erlang.element(index, tuple), depth, budget - 1, items, bytes),
        items,
        bytes
      )

  # Keys and values as lists (two BIF calls) are cheaper than a map iterator for the small maps
  # arguments mostly hold; their sizes were checked against `items` already.
  defp fit_map(map, depth, budget, items, bytes) do
    budget = fit_all(:maps.keys(map), depth, budget, items, bytes)
    fit_all(:maps.values(map), depth, budget - map_size(map), items, bytes)
  end

  defp fit_all(_terms, _depth, budget, _items, _bytes) when budget < 0, do: -1
  defp fit_all([], _depth, budget, _items, _bytes), do: budget

  defp fit_all([term | rest], depth, budget, items, bytes),
    do: fit_all(rest, depth, fit(term, depth, budget, items, bytes), items, bytes)

  defp walk(term, _depth, budget, _items, _bytes) when is_atom(term) or is_number(term),
    do: {term, budget}

  defp walk(term, _depth, budget, _items, bytes)
       when is_bitstring(term) and byte_size(term) <= bytes,
       do: {term, budget}

  defp walk(term, _depth, budget, _items, bytes) when is_bitstring(term),
    do: {cut_bitstring(term, bytes), budget}

  defp walk([], _depth, budget, _items, _bytes), do: {[], budget}
  defp walk({}, _depth, budget, _items, _bytes), do: {{}, budget}

  defp walk(term, _depth, budget, _items, _bytes) when is_map(term) and map_size(term) == 0,
    do: {term, budget}

  defp walk(term, _depth, budget, _items, _bytes)
       when is_pid(term) or is_reference(term) or is_port(term),
       do: {term, budget}

  defp walk(term, _depth, budget, items, bytes) when is_function(term),
    do: walk_function(term, budget, items, bytes)

  defp walk(term, depth, budget, _items, _bytes) when depth <= 0,
    do: {cut_whole(term, :depth), budget}

  defp walk(term, _depth, budget, _items, _bytes) when budget <= 0,
    do: {cut_whole(term, :items), budget}

  defp walk(term, depth, budget, items, bytes) when is_list(term),
    do: walk_list(term, depth - 1, budget, items, items, bytes)

  defp walk(term, depth, budget, items, bytes) when is_tuple(term),
    do: walk_tuple(term, depth - 1, budget, items, bytes)

  defp walk(term, depth, budget, items, bytes) when is_map(term),
    do: walk_map(term, depth - 1, budget, items, bytes)

  defp walk_list([], _depth, budget, _left, _items, _bytes), do: {[], budget}

  defp walk_list([head | tail], depth, budget, left, items, bytes) when left > 0 and budget > 0 do
    {bounded_head, budget} = walk(head, depth, budget - 1, items, bytes)
    {bounded_tail, budget} = walk_list(tail, depth, budget, left - 1, items, bytes)
    {[bounded_head | bounded_tail], budget}
  end

  defp walk_list([_ | _] = rest, _depth, budget, _left, _items, _bytes),
    do: {[{@tag, :items, list_element_count(rest, 0)}], budget}

  # An improper tail is not an element, so it is kept (cut like any term) whatever `left` is.
  defp walk_list(improper_tail, depth, budget, _left, items, bytes),
    do: walk(improper_tail, depth, budget, items, bytes)

  defp walk_tuple(tuple, depth, budget, items, bytes) do
    size = tuple_size(tuple)
    kept = min(size, min(items, max(budget, 0)))
    {elements, budget} = walk_tuple_elements(tuple, 1, kept, depth, budget, items, bytes, [])
    elements = if kept < size, do: [{@tag, :items, size - kept} | elements], else: elements
    {:erlang.list_to_tuple(:lists.reverse(elements)), budget}
  end

  defp walk_tuple_elements(_tuple, index, kept, _depth, budget, _items, _bytes, acc)
       when index > kept,
       do: {acc, budget}

  defp walk_tuple_elements(tuple, index, kept, depth, budget, items, bytes, acc) do
    {element, budget} = walk(:erlang.element(index, tuple), depth, budget - 1, items, bytes)
    walk_tuple_elements(tuple, index + 1, kept, depth, budget, items, bytes, [element | acc])
  end

  defp walk_map(map, depth, budget, items, bytes) do
    size = map_size(map)

    case map do
      %{__struct__: struct_name} when is_atom(struct_name) ->
        {entries, kept, budget} =
          take_entries(:maps.next(:maps.iterator(map)), depth, budget, items, bytes, [], 0, true)

        entries = [{:__struct__, struct_name} | entries]
        finish_map(entries, size - 1 - kept, budget)

      _ ->
        {entries, kept, budget} =
          take_entries(:maps.next(:maps.iterator(map)), depth, budget, items, bytes, [], 0, false)

        finish_map(entries, size - kept, budget)
    end
  end

  defp finish_map(entries, 0, budget), do: {:maps.from_list(entries), budget}

  defp finish_map(entries, left_out, budget) do
    marker = {@tag, :items, left_out}
    {:maps.from_list([{marker, marker} | entries]), budget}
  end

  defp take_entries(:none, _depth, budget, _items, _bytes, acc, kept, _struct?),
    do: {acc, kept, budget}

  defp take_entries(
         {:__struct__, _value, iterator},
         depth,
         budget,
         items,
         bytes,
         acc,
         kept,
         true
       ),
       do: take_entries(:maps.next(iterator), depth, budget, items, bytes, acc, kept, true)

  defp take_entries({key, value, iterator}, depth, budget, items, bytes, acc, kept, struct?)
       when kept < items and budget > 0 do
    {bounded_key, budget} = walk(key, depth, budget, items, bytes)
    {bounded_value, budget} = walk(value, depth, budget - 1, items, bytes)

    take_entries(
      :maps.next(iterator),
      depth,
      budget,
      items,
      bytes,
      [{bounded_key, bounded_value} | acc],
      kept + 1,
      struct?
    )
  end

  defp take_entries(_more, _depth, budget, _items, _bytes, acc, kept, _struct?),
    do: {acc, kept, budget}

  defp walk_function(function, budget, items, bytes) do
    case :erlang.fun_info(function, :env) do
      {:env, []} ->
        {function, budget}

      {:env, captured} ->
        # The captured values fit when cutting them (at the depth of a nested term) changes nothing.
        {bounded, _} = walk(captured, 3, element_budget(items), items, bytes)

        if bounded === captured,
          do: {function, budget},
          else: {{@tag, :depth, length(captured)}, budget}
    end
  end

  defp cut_whole(list, what) when is_list(list), do: {@tag, what, list_element_count(list, 0)}
  defp cut_whole(tuple, what) when is_tuple(tuple), do: {@tag, what, tuple_size(tuple)}
  defp cut_whole(map, what) when is_map(map), do: {@tag, what, map_size(map)}

  # Only for a bitstring longer than `bytes` bytes. The prefix is copied, so the event does not
  # keep a large binary alive while it waits to be written.
  defp cut_bitstring(bits, bytes) do
    <<prefix::binary-size(bytes), _rest::bitstring>> = bits
    {@tag, :bytes, byte_size(bits) - bytes, :binary.copy(prefix)}
  end

  defp list_element_count([_ | tail], count), do: list_element_count(tail, count + 1)
  defp list_element_count(_end_or_improper_tail, count), do: count
end
