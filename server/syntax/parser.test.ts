/**
 * The parser's promises: it never throws, whatever the text, and its syntax errors say what
 * Elixir would say about the usual mistakes of code being typed.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ElixirParser } from './parser';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

function messages(text: string): string[] {
  return parser.parse(text).errors.map((error) => `${error.line}:${error.column} ${error.message}`);
}

test('a missing end names the innermost unclosed do or fn, like Elixir', () => {
  assert.deepEqual(messages('defmodule A do\n  def f(x), do: x\n  def g(y) do\n    y\n'), [
    '3:12 missing terminator: end (for "do" starting at line 3)',
  ]);
  assert.deepEqual(messages('defmodule A do\n  def g(y) do\n    Enum.map(y, fn x ->\n      x\n'), [
    '3:17 missing terminator: end (for "fn" starting at line 3)',
  ]);
  // `do:`, `:end` and words inside strings and comments are not block keywords.
  assert.deepEqual(messages('defmodule A do\n  def f(x), do: {:end, "do end"} # end\n'), [
    '3:1 missing terminator: end (for "do" starting at line 1)',
  ]);
});

test('well-formed code has no errors, and a stray end is one', () => {
  assert.deepEqual(messages('defmodule A do\n  def f(x) do\n    fn y -> y end\n  end\nend\n'), []);
  assert.deepEqual(messages('x = 1\nend\n'), ['2:1 unexpected reserved word: end']);
});

test('parse never throws and always returns a tree, on random token soup', () => {
  const tokens = [
    'defmodule', 'A', 'do', 'end', 'def', 'f(', ')', 'x', '->', 'fn', '"', "'", '"""', '#{', '}', '[', ']',
    '{', '%{', '<<', '>>', '|>', '=', ',', ':ok', 'when', '\\\\', '~r/', '/', '@doc', '\n', ' ', '#', 'ü', '😀',
    '&', '&1', '.', '..', 'case', 'with', '<-', 'else', 'rescue', 'catch', 'after', 'quote', 'unquote(', '\t',
  ];
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let sample = 0; sample < 300; sample++) {
    const length = Math.floor(random() * 80);
    let text = '';
    for (let index = 0; index < length; index++) text += tokens[Math.floor(random() * tokens.length)];
    const result = parser.parse(text);
    assert.ok(Array.isArray(result.forms), text);
    for (const error of result.errors) {
      assert.ok(error.line >= 1 && error.column >= 1 && error.message.length > 0, `${JSON.stringify(text)}: ${JSON.stringify(error)}`);
    }
  }
});
