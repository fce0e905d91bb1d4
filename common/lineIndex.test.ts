/**
 * Unit tests for `LineIndex`: Elixir positions count code points, LSP positions count UTF-16
 * units, a tab is one column, `\r\n` ends a line like `\n`, and offsets or positions past the end
 * give a defined answer rather than a crash.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { LineIndex } from './lineIndex';

const grin = '\u{1F600}'; // 😀, one code point, two UTF-16 units

test('an ASCII text maps offsets to 1-based lines and columns and back', () => {
  const text = 'ab\ncd\n';
  const lines = new LineIndex(text);
  assert.equal(lines.lineCount, 3);
  assert.deepEqual(lines.elixirPosition(0), { line: 1, column: 1 });
  assert.deepEqual(lines.elixirPosition(2), { line: 1, column: 3 });
  assert.deepEqual(lines.elixirPosition(3), { line: 2, column: 1 });
  assert.deepEqual(lines.elixirPosition(6), { line: 3, column: 1 });
  for (let offset = 0; offset <= text.length; offset++) {
    assert.equal(lines.offsetOfElixirPosition(lines.elixirPosition(offset)), offset, `offset ${offset}`);
    assert.equal(lines.offsetOfLspPosition(lines.lspPosition(offset)), offset, `offset ${offset}`);
  }
});

test('astral characters count as one Elixir column but two LSP characters', () => {
  const text = `x = "${grin}${grin}" <> y\n${grin}z`;
  const lines = new LineIndex(text);
  const y = text.indexOf('y');
  assert.deepEqual(lines.elixirPosition(y), { line: 1, column: 13 });
  assert.deepEqual(lines.lspPosition(y), { line: 0, character: 14 });
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 13 }), y);
  assert.equal(lines.offsetOfLspPosition({ line: 0, character: 14 }), y);
  const z = text.indexOf('z');
  assert.deepEqual(lines.elixirPosition(z), { line: 2, column: 2 });
  assert.deepEqual(lines.lspPosition(z), { line: 1, character: 2 });
  assert.equal(lines.offsetOfElixirPosition({ line: 2, column: 2 }), z);
  // Every code point boundary round-trips; the counting agrees with the string's own iterator.
  let offset = 0;
  for (const character of text) {
    const position = lines.elixirPosition(offset);
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    assert.equal(position.column, [...text.slice(lineStart, offset)].length + 1, `offset ${offset}`);
    assert.equal(lines.offsetOfElixirPosition(position), offset, `offset ${offset}`);
    offset += character.length;
  }
});

test('a line without astral characters is not affected by one on another line', () => {
  const lines = new LineIndex(`${grin}${grin}\nabc`);
  assert.deepEqual(lines.elixirPosition(5 + 2), { line: 2, column: 3 });
  assert.deepEqual(lines.elixirPosition(4), { line: 1, column: 3 });
});

test('a tab is one column, as in Elixir', () => {
  const text = '\t\tfoo(\tbar)';
  const lines = new LineIndex(text);
  assert.deepEqual(lines.elixirPosition(text.indexOf('foo')), { line: 1, column: 3 });
  assert.deepEqual(lines.elixirPosition(text.indexOf('bar')), { line: 1, column: 8 });
  assert.deepEqual(lines.lspPosition(text.indexOf('bar')), { line: 0, character: 7 });
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 8 }), text.indexOf('bar'));
});

test('CRLF ends a line like LF, and columns on the next line start at 1', () => {
  const text = 'ab\r\ncd\r\n\r\nef';
  const lines = new LineIndex(text);
  assert.equal(lines.lineCount, 4);
  assert.deepEqual(lines.elixirPosition(text.indexOf('c')), { line: 2, column: 1 });
  assert.deepEqual(lines.elixirPosition(text.indexOf('d')), { line: 2, column: 2 });
  assert.deepEqual(lines.elixirPosition(text.indexOf('e')), { line: 4, column: 1 });
  assert.deepEqual(lines.lspPosition(text.indexOf('f')), { line: 3, character: 1 });
  assert.equal(lines.offsetOfElixirPosition({ line: 2, column: 2 }), text.indexOf('d'));
  assert.equal(lines.offsetOfLspPosition({ line: 3, character: 0 }), text.indexOf('e'));
  // The `\r` is the last column of its line.
  assert.deepEqual(lines.elixirPosition(2), { line: 1, column: 3 });
});

test('CRLF: a column past the end of a line is clamped before the \\r', () => {
  const text = 'ab\r\ncd';
  const lines = new LineIndex(text);
  // LSP clamps a character past the line's end to the line's length, which excludes the line
  // terminator, so a range ending there never splits the CRLF.
  assert.equal(lines.offsetOfLspPosition({ line: 0, character: 99 }), 2);
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 99 }), 2);
});

test('positions past the end of the text', () => {
  const text = 'ab\ncd';
  const lines = new LineIndex(text);
  // A line past the end has no offset in Elixir terms, and clamps to the end in LSP terms.
  assert.equal(lines.offsetOfElixirPosition({ line: 3, column: 1 }), undefined);
  assert.equal(lines.offsetOfElixirPosition({ line: 0, column: 1 }), undefined);
  assert.equal(lines.offsetOfLspPosition({ line: 2, character: 0 }), text.length);
  assert.equal(lines.offsetOfLspPosition({ line: -1, character: 5 }), 0);
  // A column past the end of the last line clamps to the end of the text.
  assert.equal(lines.offsetOfElixirPosition({ line: 2, column: 50 }), text.length);
  assert.equal(lines.offsetOfLspPosition({ line: 1, character: 50 }), text.length);
  // Column 0 and below clamp to the line's start.
  assert.equal(lines.offsetOfElixirPosition({ line: 2, column: 0 }), 3);
  assert.equal(lines.offsetOfLspPosition({ line: 1, character: -4 }), 3);
  // Offsets past the end are not clamped: they extend the last line.
  assert.deepEqual(lines.elixirPosition(text.length), { line: 2, column: 3 });
  assert.deepEqual(lines.elixirPosition(text.length + 2), { line: 2, column: 5 });
  assert.deepEqual(lines.lspPosition(text.length + 2), { line: 1, character: 4 });
});

test('a column past the end of a line with astral characters clamps to the line end', () => {
  const text = `${grin}a\nb`;
  const lines = new LineIndex(text);
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 3 }), 3);
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 40 }), 3);
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 2 }), 2);
});

test('an empty text has one line', () => {
  const lines = new LineIndex('');
  assert.equal(lines.lineCount, 1);
  assert.deepEqual(lines.elixirPosition(0), { line: 1, column: 1 });
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 1 }), 0);
  assert.equal(lines.offsetOfElixirPosition({ line: 2, column: 1 }), undefined);
});

test('a lone high surrogate is one code point', () => {
  // JavaScript strings from an editor can hold a lone surrogate; `[...text]` counts it as one
  // code point, and so should the column count.
  const text = '\uD800ab';
  const lines = new LineIndex(text);
  assert.deepEqual(lines.elixirPosition(1), { line: 1, column: 2 });
  // The character after the lone surrogate is not swallowed as the second half of a pair.
  assert.deepEqual(lines.elixirPosition(2), { line: 1, column: 3 });
  assert.equal(lines.offsetOfElixirPosition({ line: 1, column: 3 }), 2);
});

test('LSP positions skip a byte-order mark on the first line, as editors hide it', () => {
  const index = new LineIndex('\uFEFFdefmodule A do\nend\n');
  assert.deepEqual(index.lspPosition(1), { line: 0, character: 0 });
  assert.deepEqual(index.lspPosition(11), { line: 0, character: 10 });
  assert.equal(index.offsetOfLspPosition({ line: 0, character: 10 }), 11);
  assert.deepEqual(index.lspPosition(16), { line: 1, character: 0 });
  assert.equal(index.offsetOfLspPosition({ line: 1, character: 2 }), 18);
});
