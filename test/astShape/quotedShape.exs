# Elixir's own AST of each file, rendered in the normalized shape that `renderAst.ts` renders our
# AST in, so that `astShape.test.ts` can compare the two node by node.
#
# Usage:  elixir quotedShape.exs PATH...
#
# Each PATH is a file, or a directory searched recursively for .ex/.exs files (sorted). For each
# file one JSON line is printed: {"file": PATH, "forms": [NODE, ...]}, or {"file": PATH, "error":
# MESSAGE} when Elixir cannot parse it. A NODE is {"k": kind, "n": name or null, "l": line or null,
# "c": column or null, "ch": [NODE, ...]}.
#
# The shape is the one of `Code.string_to_quoted(src, columns: true, token_metadata: false,
# emit_warnings: false)`, normalized only where `server/syntax/ast.ts` documents a deliberate
# difference: `foo[k]` is `access`; interpolated strings, charlists and atoms are `string` nodes
# whose children are the interpolated expressions; charlist literals are `string` leaves; tuples of
# any size are `tuple`; `key: value` pairs are `keyword` nodes whose one child is the value; sigils
# are calls whose children are the content (a `string`) and the modifiers (an empty `list`);
# `__aliases__` is `alias` with children only for its non-atom segments. Everything else, including
# what Elixir's parser folds or wraps unexpectedly, is rendered as it is.
#
# The plain quoted form cannot tell `'ab'` from `[97, 98]`, nor `[a: 1]` from `[{:a, 1}]`, so each
# file is parsed a second time with a `literal_encoder` that wraps literals with their metadata.
# That tree is the one rendered, after checking that, with the wrappers removed, it is exactly the
# plain one: the encoder only adds information, never a different shape.
#
# Needs nothing beyond Elixir itself (written against Elixir 1.14).

defmodule QuotedShape.Json do
  @moduledoc false

  def encode(nil), do: "null"
  def encode(value) when is_integer(value), do: Integer.to_string(value)
  def encode(value) when is_binary(value), do: [?", escape(value), ?"]
  def encode(value) when is_list(value), do: [?[, Enum.intersperse(Enum.map(value, &encode/1), ?,), ?]]

  # Objects are keyword lists, so their keys come out in the order written.
  def encode({:object, pairs}) do
    members = Enum.map(pairs, fn {key, value} -> [encode(Atom.to_string(key)), ?:, encode(value)] end)
    [?{, Enum.intersperse(members, ?,), ?}]
  end

  defp escape(text) do
    for <<byte <- text>>, into: "" do
      case byte do
        ?" -> "\\\""
        ?\\ -> "\\\\"
        byte when byte < 0x20 -> "\\u00" <> Base.encode16(<<byte>>)
        byte -> <<byte>>
      end
    end
  end
end

defmodule QuotedShape do
  @moduledoc false

  @options [columns: true, token_metadata: false, emit_warnings: false]
  @literal :"$quoted_shape_literal"
  @do_block_keys [:do, :else, :after, :rescue, :catch]

  def main(paths) do
    for path <- paths, file <- expand(path) do
      IO.write([QuotedShape.Json.encode({:object, [file: file] ++ render_file(file)}), ?\n])
    end
  end

  defp expand(path) do
    if File.dir?(path) do
      Path.join(path, "**/*.{ex,exs}") |> Path.wildcard(match_dot: true) |> Enum.sort()
    else
      [path]
    end
  end

  defp render_file(file) do
    source = File.read!(file)
    encoder = fn literal, meta -> {:ok, {@literal, meta, [literal]}} end

    with {:ok, plain} <- Code.string_to_quoted(source, @options),
         {:ok, encoded} <- Code.string_to_quoted(source, [literal_encoder: encoder] ++ @options) do
      if strip(encoded) == plain do
        lines = source |> :binary.split("\n", [:global]) |> List.to_tuple()
        [forms: Enum.map(top_level_forms(encoded), &node(&1, lines))]
      else
        [error: "the literal-encoded tree differs from the plain one"]
      end
    else
      {:error, {meta, message, token}} -> [error: "#{inspect(meta)}: #{inspect(message)} #{token}"]
    end
  end

  defp top_level_forms({:__block__, [], forms}), do: forms
  defp top_level_forms(form), do: [form]

  # The encoded tree with every literal wrapper replaced by the literal it wraps.
  defp strip({@literal, _meta, [literal]}), do: strip(literal)
  defp strip({left, meta, right}), do: {strip(left), meta, strip(right)}
  defp strip({left, right}), do: {strip(left), strip(right)}
  defp strip(list) when is_list(list), do: Enum.map(list, &strip/1)
  defp strip(other), do: other

  # --- rendering --------------------------------------------------------------------------------

  defp node({@literal, meta, [literal]}, lines), do: literal(literal, meta, lines)

  # `key: value`, as written in a list, map or argument list, or as a `do … end` section.
  defp node({{@literal, key_meta, [key]}, value} = pair, lines) when is_atom(key) do
    if keyword?(key, key_meta, lines) do
      shape_node("keyword", Atom.to_string(key), nil, [node(value, lines)])
    else
      tuple(Tuple.to_list(pair), lines)
    end
  end

  defp node({left, right}, lines), do: tuple([left, right], lines)
  defp node(list, lines) when is_list(list), do: shape_node("list", nil, nil, nodes(list, lines))

  defp node({:__aliases__, meta, segments}, lines) do
    name = Enum.map_join(segments, ".", fn segment -> if is_atom(segment), do: Atom.to_string(segment), else: "*" end)
    children = for segment <- segments, not is_atom(segment), do: node(segment, lines)
    shape_node("alias", name, meta, children)
  end

  defp node({:{}, _meta, items}, lines), do: tuple(items, lines)

  defp node({:<<>>, meta, parts} = form, lines) do
    case interpolations(parts) do
      {:ok, expressions} -> shape_node("string", nil, nil, nodes(expressions, lines))
      :error -> call(form, meta, lines)
    end
  end

  # `~r/a#{b}/i` is `sigil_r(<<"a", b::binary>>, 'i')`: content and modifiers.
  defp node({name, meta, [{:<<>>, _, parts}, modifiers]} = form, lines) when is_atom(name) and is_list(modifiers) do
    with "sigil_" <> _ <- Atom.to_string(name),
         true <- Enum.all?(modifiers, &is_integer/1),
         {:ok, expressions} <- sigil_interpolations(parts) do
      content = shape_node("string", nil, nil, nodes(expressions, lines))
      shape_node("call", Atom.to_string(name), meta, [content, shape_node("list", nil, nil, [])])
    else
      _ -> call(form, meta, lines)
    end
  end

  # `target[key]`: a call on the bare module atom `Access`, which no source spelling produces.
  defp node({{:., _, [Access, :get]}, meta, [target, key]}, lines) do
    shape_node("access", nil, meta, [node(target, lines), node(key, lines)])
  end

  # `'a#{b}'`
  defp node({{:., _, [List, :to_charlist]}, meta, [parts]} = form, lines) when is_list(parts) do
    case charlist_interpolations(parts) do
      {:ok, expressions} -> shape_node("string", nil, nil, nodes(expressions, lines))
      :error -> remote(form, meta, lines)
    end
  end

  # `:"a#{b}"`
  defp node({{:., _, [:erlang, :binary_to_atom]}, meta, [{:<<>>, _, parts}, :utf8]} = form, lines) do
    case interpolations(parts) do
      {:ok, expressions} -> shape_node("string", nil, nil, nodes(expressions, lines))
      :error -> remote(form, meta, lines)
    end
  end

  defp node({{:., _, [_receiver, name]}, meta, args} = form, lines) when is_atom(name) and is_list(args) do
    remote(form, meta, lines)
  end

  defp node({{:., _, [fun]}, meta, args}, lines) when is_list(args) do
    shape_node("anonymousCall", nil, meta, nodes([fun | args], lines))
  end

  defp node({name, meta, context}, _lines) when is_atom(name) and is_atom(context) do
    shape_node("variable", Atom.to_string(name), meta, [])
  end

  defp node({name, meta, args} = form, lines) when is_atom(name) and is_list(args), do: call(form, meta, lines)

  defp node({form, meta, args}, lines) when is_list(args) do
    shape_node("dynamicCall", nil, meta, nodes([form | args], lines))
  end

  defp node(literal, _lines), do: plain_literal(literal)

  defp nodes(list, lines), do: Enum.map(list, &node(&1, lines))

  defp literal(list, meta, lines) when is_list(list) do
    if source_char(lines, meta) == ?', do: shape_node("string", nil, nil, []), else: node(list, lines)
  end

  defp literal({left, right}, _meta, lines), do: tuple([left, right], lines)
  defp literal(literal, _meta, _lines), do: plain_literal(literal)

  defp plain_literal(atom) when is_atom(atom), do: shape_node("atom", Atom.to_string(atom), nil, [])
  defp plain_literal(number) when is_number(number), do: shape_node("number", nil, nil, [])
  defp plain_literal(binary) when is_binary(binary), do: shape_node("string", nil, nil, [])

  defp call({name, _, args}, meta, lines), do: shape_node("call", Atom.to_string(name), meta, nodes(args, lines))

  defp remote({{:., _, [receiver, name]}, _, args}, meta, lines) do
    shape_node("remote", Atom.to_string(name), meta, nodes([receiver | args], lines))
  end

  defp tuple(items, lines), do: shape_node("tuple", nil, nil, nodes(items, lines))

  defp shape_node(kind, name, meta, children) do
    {line, column} = if meta, do: {meta[:line], meta[:column]}, else: {nil, nil}
    {:object, [k: kind, n: name, l: line, c: column, ch: children]}
  end

  # The parser marks `key: value` keys with `format: :keyword`, except the keys of `do … end`
  # sections, which are recognised by their word standing in the source (`%{:do => 1}` has a colon).
  defp keyword?(key, meta, lines) do
    meta[:format] == :keyword or
      (key in @do_block_keys and source_char(lines, meta) == hd(Atom.to_charlist(key)))
  end

  # The interpolated expressions of `<<"a", Kernel.to_string(b)::binary>>`, the parser's rendering
  # of `"a#{b}"`. The bare module atom `Kernel` (not `{:__aliases__, _, [:Kernel]}`) marks the
  # synthesised call. A plain bitstring such as `<<"a">>` has none and is no interpolation, except
  # as a sigil's content.
  defp interpolations(parts) do
    case sigil_interpolations(parts) do
      {:ok, []} -> :error
      found -> found
    end
  end

  defp sigil_interpolations(parts) do
    collect(parts, fn
      {:"::", _, [{{:., _, [Kernel, :to_string]}, _, [expression]}, {:binary, _, _}]} -> {:ok, expression}
      _ -> :error
    end)
  end

  # `'a#{b}'` is `List.to_charlist(["a", Kernel.to_string(b)])`.
  defp charlist_interpolations(parts) do
    collect(parts, fn
      {{:., _, [Kernel, :to_string]}, _, [expression]} -> {:ok, expression}
      _ -> :error
    end)
  end

  defp collect(parts, interpolated) do
    Enum.reduce_while(Enum.reverse(parts), {:ok, []}, fn
      binary, found when is_binary(binary) ->
        {:cont, found}

      part, {:ok, expressions} ->
        case interpolated.(part) do
          {:ok, expression} -> {:cont, {:ok, [expression | expressions]}}
          :error -> {:halt, :error}
        end
    end)
  end

  # The character at a literal's position (1-based line, column in code points).
  defp source_char(lines, meta) do
    with line when is_integer(line) <- meta[:line],
         column when is_integer(column) <- meta[:column],
         true <- line <= tuple_size(lines),
         [char | _] <- lines |> elem(line - 1) |> String.to_charlist() |> Enum.drop(column - 1) do
      char
    else
      _ -> nil
    end
  end
end

QuotedShape.main(System.argv())
