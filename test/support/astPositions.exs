# Prints, for each file given, the positions Elixir's own parser gives the nodes the recording
# planner names: definition calls (`def`, `defp`, …), variables, and `|>` operators. One JSON line
# per node: {"file", "kind", "name", "line", "column"}. The recorder's agent finds nodes by these
# positions, so the planner's must be exactly Elixir's.
#
# Usage: elixir astPositions.exs FILE...

defmodule AstPositions do
  @definitions [:def, :defp, :defmacro, :defmacrop, :defguard, :defguardp, :defdelegate]

  def main(files), do: Enum.each(files, &print_file/1)

  defp print_file(file) do
    {:ok, ast} = Code.string_to_quoted(File.read!(file), columns: true, emit_warnings: false, file: file)

    Macro.prewalk(ast, fn
      {name, meta, args} = node when name in @definitions and is_list(args) ->
        emit(file, "definition", Atom.to_string(name), meta)
        node

      {:|>, meta, [_, _]} = node ->
        emit(file, "pipe", "|>", meta)
        node

      {name, meta, context} = node when is_atom(name) and is_list(meta) and is_atom(context) ->
        emit(file, "variable", Atom.to_string(name), meta)
        node

      node ->
        node
    end)
  end

  defp emit(file, kind, name, meta) do
    if meta[:line] && meta[:column] do
      IO.puts(~s({"file":#{inspect(file)},"kind":"#{kind}","name":#{inspect(name)},"line":#{meta[:line]},"column":#{meta[:column]}}))
    end
  end
end

AstPositions.main(System.argv())
