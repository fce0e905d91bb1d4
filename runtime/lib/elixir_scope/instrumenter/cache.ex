defmodule ElixirScope.Instrumenter.Cache do
  @moduledoc """
  The on-disk cache of instrumented binaries (`ELIXIRSCOPE_CACHE`), one entry per source file:
  every module the file's compilation produced and what the rewrite reported. The key covers
  everything the binaries depend on — the source hash, the file's plan (positions, node
  indices, kinds), the mode, the runtime module, the rewrite's own code and the Elixir and OTP
  versions — so an entry is never stale; it is only ever missing. A damaged or unreadable entry
  counts as missing; a cache that cannot be written is skipped, never an error.
  """

  @format 1

  @typedoc "What one file's compilation left: its modules' binaries and the rewrite's outcome."
  @type entry :: %{modules: [{module, binary}], outcome: map}

  @doc "The key of a file's entry: a hex digest of everything its binaries depend on."
  @spec key(term) :: String.t()
  def key(inputs) do
    versions = {System.version(), :erlang.system_info(:otp_release), ElixirScope.Instrumenter.Rewrite.module_info(:md5)}
    ElixirScope.Instrumenter.SourceHash.sha1_hex(:erlang.term_to_binary({@format, versions, inputs}))
  end

  @doc "The entry stored under `key` in `directory`, or `:miss`."
  @spec read(String.t() | nil, String.t()) :: {:ok, entry} | :miss
  def read(nil, _key), do: :miss

  def read(directory, key) do
    with {:ok, bytes} <- File.read(path(directory, key)),
         {@format, %{modules: modules, outcome: outcome}} <- safe_decode(bytes),
         true <-
           is_list(modules) and
             Enum.all?(modules, &match?({module, binary} when is_atom(module) and is_binary(binary), &1)) do
      {:ok, %{modules: modules, outcome: outcome}}
    else
      _ -> :miss
    end
  end

  @doc "Stores an entry; written to a temporary file and renamed, so readers never see half of one."
  @spec write(String.t() | nil, String.t(), entry) :: :ok
  def write(nil, _key, _entry), do: :ok

  def write(directory, key, entry) do
    final = path(directory, key)
    temporary = "#{final}.#{System.unique_integer([:positive])}.tmp"

    with :ok <- File.mkdir_p(directory),
         :ok <- File.write(temporary, :erlang.term_to_binary({@format, entry})),
         :ok <- File.rename(temporary, final) do
      :ok
    else
      _ ->
        File.rm(temporary)
        :ok
    end
  end

  defp path(directory, key), do: Path.join(directory, "#{key}.etf")

  defp safe_decode(bytes) do
    :erlang.binary_to_term(bytes, [:safe])
  rescue
    ArgumentError -> :error
  end
end
