defmodule ElixirScope.JSONTest do
  @moduledoc "The manifest's JSON decoder against RFC 8259 and what the planner writes."
  use ExUnit.Case, async: true

  alias ElixirScope.JSON

  test "objects become maps with string keys, arrays lists, literals atoms" do
    assert JSON.decode(~s({"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "d"}, "": 0})) ==
             {:ok, %{"a" => [1, 2.5, -300.0, true, false, nil], "b" => %{"c" => "d"}, "" => 0}}
  end

  test "whitespace is allowed around every token" do
    assert JSON.decode(" \n\t{ \"a\" :\r\n [ ] , \"b\" : { } } \n") ==
             {:ok, %{"a" => [], "b" => %{}}}
  end

  test "string escapes, including surrogate pairs and lone surrogates" do
    assert JSON.decode(~S("q\"b\\s\/n\nt\tr\rb\bf\f")) == {:ok, "q\"b\\s/n\nt\tr\rb\bf\f"}
    assert JSON.decode(~S("\u00e9\u4e2d\ud83d\ude00")) == {:ok, "é中😀"}
    assert JSON.decode(~S("\ud83d x")) == {:ok, "\uFFFD x"}
    assert JSON.decode(~S("\ude00")) == {:ok, "\uFFFD"}
    assert JSON.decode(~s("raw ünïcødé")) == {:ok, "raw ünïcødé"}
  end

  test "numbers: integers stay integers (any size), the rest are floats" do
    assert JSON.decode("0") == {:ok, 0}
    assert JSON.decode("-0") == {:ok, 0}

    assert JSON.decode("123456789012345678901234567890") ==
             {:ok, 123_456_789_012_345_678_901_234_567_890}

    assert JSON.decode("1E3") == {:ok, 1000.0}
    assert JSON.decode("1.5e-2") == {:ok, 0.015}
    assert JSON.decode("2e+2") == {:ok, 200.0}
  end

  test "duplicate keys: the last one wins, as in JSON.parse" do
    assert JSON.decode(~s({"a": 1, "a": 2})) == {:ok, %{"a" => 2}}
  end

  test "malformed input is an error with the byte offset, never an exception" do
    for bad <- [
          "",
          "{",
          "[1,]",
          "{\"a\" 1}",
          "{\"a\":1,}",
          "01",
          "1.",
          "-",
          "1e",
          "tru",
          "\"unterminated",
          "\"bad \\x escape\"",
          "\"\\u12G4\"",
          "\"control \n char\"",
          "[1] 2",
          "{1: 2}",
          "1e999"
        ] do
      assert {:error, message} = JSON.decode(bad), "expected an error for #{inspect(bad)}"
      assert message =~ ~r/at byte \d+/
    end

    assert_raise ArgumentError, fn -> JSON.decode!("[") end
  end

  test "a manifest as the planner writes it" do
    manifest = """
    {"version":1,"mode":"debug","limits":{"depth":6,"items":32,"bytes":256},
     "nodes":[{"id":"Bank.Account.deposit/2#1","kind":"clause","line":12,"column":3},
              {"id":"Bank.Account.deposit/2#1:1.0","kind":"binding","line":13,"column":5,"name":"balance"}],
     "modules":[{"module":"Bank.Account","file":"/p/lib/bank/account.ex","sourceHash":"ab12",
                 "clauses":[0],"bindings":[1],"expressions":[]}],
     "traceProcesses":true}
    """

    assert {:ok, decoded} = JSON.decode(manifest)
    assert decoded["traceProcesses"] == true

    assert [%{"module" => "Bank.Account", "clauses" => [0], "bindings" => [1]}] =
             decoded["modules"]

    assert Enum.at(decoded["nodes"], 1)["name"] == "balance"
  end

  test "a large document decodes quickly" do
    nodes =
      for index <- 1..20_000,
          do: ~s({"id":"M.f/1#1:#{index}","kind":"binding","line":#{index},"column":3,"name":"v"})

    text = "{\"nodes\":[" <> Enum.join(nodes, ",") <> "]}"
    {microseconds, {:ok, %{"nodes" => decoded}}} = :timer.tc(fn -> JSON.decode(text) end)
    assert length(decoded) == 20_000
    assert microseconds < 2_000_000
  end
end
