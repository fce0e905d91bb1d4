defmodule ElixirScope.ValueTest do
  @moduledoc "How `ElixirScope.Value.bound/2` cuts terms to the recording's limits."
  use ExUnit.Case, async: true

  alias ElixirScope.Value

  @tag_atom :"$elixirscope_truncated"
  @limits {6, 32, 256}

  defmodule Point do
    @moduledoc false
    defstruct [:x, :y, :z]
  end

  test "small terms come back unchanged" do
    for term <- [
          1,
          -5,
          3.5,
          :ok,
          nil,
          "text",
          <<1::3>>,
          [],
          {},
          %{},
          [1, "a", :b],
          {:ok, %{a: [1, 2]}},
          [1, 2 | 3],
          self(),
          make_ref(),
          %Point{x: 1, y: 2, z: 3},
          &Enum.map/2,
          fn x -> x end
        ] do
      assert Value.bound(term, @limits) === term
    end
  end

  test "the limits may be given as the manifest's map" do
    assert Value.bound([1, 2, 3], %{depth: 6, items: 2, bytes: 10}) == [
             1,
             2,
             {@tag_atom, :items, 1}
           ]
  end

  test "lists keep their first items elements and end with a marker counting the rest" do
    assert Value.bound(Enum.to_list(1..10), {6, 3, 256}) == [1, 2, 3, {@tag_atom, :items, 7}]
  end

  test "an improper list keeps its tail when every element fits, and counts only elements when cut" do
    assert Value.bound([1, 2 | :tail], {6, 2, 256}) == [1, 2 | :tail]
    assert Value.bound([1, 2, 3 | :tail], {6, 2, 256}) == [1, 2, {@tag_atom, :items, 1}]
  end

  test "tuples keep their first items elements plus a marker" do
    assert Value.bound({1, 2, 3, 4, 5}, {6, 2, 256}) == {1, 2, {@tag_atom, :items, 3}}
  end

  test "maps keep items entries and carry the marker as a key; structs keep __struct__ on top" do
    bounded = Value.bound(Map.new(1..10, &{&1, &1}), {6, 4, 256})
    assert map_size(bounded) == 5
    assert bounded[{@tag_atom, :items, 6}] == {@tag_atom, :items, 6}

    assert bounded
           |> Map.delete({@tag_atom, :items, 6})
           |> Enum.all?(fn {key, value} -> key == value end)

    struct = Value.bound(%Point{x: 1, y: 2, z: 3}, {6, 2, 256})
    assert struct.__struct__ == Point
    assert map_size(struct) == 4
    assert Map.get(struct, {@tag_atom, :items, 1}) == {@tag_atom, :items, 1}
  end

  test "containers nested deeper than depth are replaced by a marker with their size" do
    nested = [[[[1, 2]]]]
    assert Value.bound(nested, {2, 32, 256}) == [[{@tag_atom, :depth, 1}]]
    assert Value.bound(nested, {0, 32, 256}) == {@tag_atom, :depth, 1}
    assert Value.bound(%{a: {1, 2, 3}}, {1, 32, 256}) == %{a: {@tag_atom, :depth, 3}}
    # Leaves are not containers: they stay at any depth.
    assert Value.bound([[:leaf, "binary"]], {2, 32, 256}) == [[:leaf, "binary"]]
  end

  test "long binaries keep a copied prefix and say how many bytes were left out" do
    long = String.duplicate("a", 1000)
    assert {@tag_atom, :bytes, 990, prefix} = Value.bound(long, {6, 32, 10})
    assert prefix == "aaaaaaaaaa"
    # A copy, not a sub-binary that would keep the 1000 bytes alive.
    assert :binary.referenced_byte_size(prefix) == 10
    # A partial last byte counts as a byte left out.
    assert {@tag_atom, :bytes, 3, <<255>>} = Value.bound(<<255, 255, 255, 1::3>>, {6, 32, 1})
  end

  test "a value never keeps more than the element budget, whatever depth and items allow" do
    wide_and_deep = List.duplicate(List.duplicate(List.duplicate(1, 100), 100), 100)
    bounded = Value.bound(wide_and_deep, {6, 100, 256})
    assert count_leaves(bounded) <= Value.element_budget(100)
  end

  test "closures whose captured values do not fit are replaced by a marker" do
    big = Enum.to_list(1..1000)
    closure = fn -> length(big) end
    assert {@tag_atom, :depth, 1} = Value.bound(closure, {6, 32, 256})
    small = 5
    keeps = fn -> small end
    assert Value.bound(keeps, {6, 32, 256}) === keeps
  end

  test "limits_from_manifest fills missing or malformed entries with the defaults" do
    assert Value.limits_from_manifest(%{"depth" => 2, "items" => 3, "bytes" => 4}) == {2, 3, 4}
    assert Value.limits_from_manifest(%{"depth" => -1, "items" => "x"}) == {6, 32, 256}
    assert Value.limits_from_manifest(nil) == {6, 32, 256}
  end

  test "bounding a small argument list is fast" do
    args = [42, "hello", %{id: 7, name: "x"}, [:a, :b]]
    iterations = 20_000

    {microseconds, _} =
      :timer.tc(fn -> Enum.each(1..iterations, fn _ -> Value.bound(args, @limits) end) end)

    # Generous (measured at well under 1 µs); this only catches an accidental blow-up.
    assert microseconds / iterations < 20
  end

  defp count_leaves(list) when is_list(list), do: Enum.sum(Enum.map(list, &count_leaves/1))
  defp count_leaves(_leaf), do: 1
end
