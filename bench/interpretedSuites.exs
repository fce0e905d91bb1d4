# The peer the recorder is measured against in the `recorder` section of bench/run.mjs: the same
# stdlib suites as bench/timedSuites.exs, with the modules of the given source files run under
# OTP's interpreter (`:int`), as ElixirLS's debugger runs the modules it can break in.
#
#   elixir bench/interpretedSuites.exs DEBUGGER_EBIN BEAM_DIR CORPUS_ROOT SOURCE,SOURCE,... NAME...
#
# DEBUGGER_EBIN is the ebin folder of OTP's `debugger` application (where `:int` lives), or `-` when
# it is on the code path already. The sources (the corpus's own lib/elixir/lib/*.ex files) are
# compiled into BEAM_DIR on the first run and loaded from there on later ones, so a measured run
# pays, like a recorded run with a warm cache, only for loading: `:int` wants a .beam file with
# debug info on disk and a source file that exists, which the installed Elixir's modules lack.
# Then every module of those files is interpreted (`:int.ni/1`) and bench/timedSuites.exs runs
# with CORPUS_ROOT and the NAMEs. Prints `INTERPRETED modules=N` before the suites' output.

[debugger_ebin, beam_directory, corpus, sources_argument | names] = System.argv()

if debugger_ebin != "-", do: true = Code.prepend_path(debugger_ebin)
sources = String.split(sources_argument, ",", trim: true)
marker = Path.join(beam_directory, "compiled-sources.txt")
marker_text = Enum.join(sources, "\n")

unless File.read(marker) == {:ok, marker_text} do
  File.rm_rf!(beam_directory)
  File.mkdir_p!(beam_directory)
  # The installed Elixir holds modules of the same names; the corpus's copies replace them.
  Code.put_compiler_option(:ignore_module_conflict, true)
  {:ok, _modules, _warnings} = Kernel.ParallelCompiler.compile_to_path(sources, beam_directory)
  File.write!(marker, marker_text)
end

modules =
  for beam <- Path.wildcard(Path.join(beam_directory, "*.beam")) do
    module = beam |> Path.basename(".beam") |> String.to_atom()
    :code.purge(module)
    {:module, ^module} = :code.load_abs(String.to_charlist(Path.rootname(beam)))
    module
  end

for module <- modules do
  case :int.ni(module) do
    {:module, ^module} -> :ok
    other -> raise "could not interpret #{inspect(module)}: #{inspect(other)}"
  end
end

IO.puts("INTERPRETED modules=#{length(modules)}")
System.argv([corpus | names])
Code.require_file("timedSuites.exs", __DIR__)
