defmodule ElixirScope.InstrumenterTest.Recorder do
  @moduledoc """
  A test double of `ElixirScope.Runtime` for the instrumenter's tests: the same five functions,
  recording into ETS. It calls only `:ets`, `:erlang` and `:persistent_term`, never an Elixir
  module, because the tests instrument Elixir's own modules (`Keyword`, `Path`…) and a runtime
  that called them would recurse into itself.

  Two levels: `:events` keeps every event in order (small snippets), `:counts` only counts per
  node (whole test suites of the standard library).
  """

  @events :elixir_scope_instrumenter_events
  @counts :elixir_scope_instrumenter_counts
  @level {__MODULE__, :level}

  @doc "Creates the tables (owned by a process of their own, so they outlive the caller)."
  def start(level \\ :events) when level in [:events, :counts] do
    :persistent_term.put(@level, level)

    if :ets.whereis(@events) == :undefined do
      parent = self()

      spawn(fn ->
        :ets.new(@events, [:ordered_set, :public, :named_table, write_concurrency: true])
        :ets.new(@counts, [:set, :public, :named_table, write_concurrency: true])
        send(parent, :ready)
        Process.sleep(:infinity)
      end)

      receive do
        :ready -> :ok
      end
    end

    reset()
  end

  def reset do
    :ets.delete_all_objects(@events)
    :ets.delete_all_objects(@counts)
    :ok
  end

  # A call ID carries its clause's node index in its high bits, so that returns and raises can
  # be counted per clause.
  def enter(node_index, args) do
    call_id = :erlang.bor(:erlang.bsl(node_index, 40), :erlang.unique_integer([:positive, :monotonic]))
    record(:call, node_index, call_id, args)
    call_id
  end

  def return(call_id, result) do
    record(:return, :erlang.bsr(call_id, 40), call_id, result)
    result
  end

  def raise(call_id, kind, reason) do
    record(:raise, :erlang.bsr(call_id, 40), call_id, {kind, reason})
    :ok
  end

  def bind(node_index, value) do
    record(:bind, node_index, 0, value)
    value
  end

  def value(node_index, value) do
    record(:value, node_index, 0, value)
    value
  end

  @doc "Every event so far, in order: `{type, node_index, call_id, value}`."
  def events, do: :ets.select(@events, [{{:_, :"$1"}, [], [:"$1"]}])

  @doc "How many events of `type` were recorded for `node_index`."
  def count(type, node_index) do
    case :ets.lookup(@counts, {type, node_index}) do
      [{_, count}] -> count
      [] -> 0
    end
  end

  @doc "All counts: `%{{type, node_index} => count}`."
  def counts, do: :maps.from_list(:ets.tab2list(@counts))

  defp record(type, node_index, call_id, value) do
    key = {type, node_index}
    :ets.update_counter(@counts, key, 1, {key, 0})

    if :persistent_term.get(@level) == :events do
      :ets.insert(@events, {:erlang.unique_integer([:monotonic]), {type, node_index, call_id, value}})
    end

    :ok
  end
end
