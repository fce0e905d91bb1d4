/**
 * Converts between offsets into a JavaScript string (UTF-16 code units) and the positions each
 * consumer wants: Elixir's (1-based line, 1-based column in Unicode code points, the way
 * `Code.string_to_quoted/2` reports them) and LSP's (0-based line and UTF-16 character).
 *
 * Tree-sitter parses the same JavaScript string, so its indices are UTF-16 offsets; converting
 * them here, once, keeps byte/UTF-16/code-point confusion out of every other module.
 */

export interface ElixirPosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in Unicode code points. */
  readonly column: number;
}

export class LineIndex {
  /** Offset of the first code unit of each line. */
  private readonly lineStarts: number[];
  /** Per line: true when the line holds a surrogate pair, so UTF-16 and code points differ. */
  private readonly astralLines: Uint8Array;

  private lastLine = 0;
  /** 1 when the text starts with a byte-order mark: editors hide it, Elixir columns skip it. */
  private readonly byteOrderMark: number;

  constructor(private readonly text: string) {
    this.byteOrderMark = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
    this.astralLines = new Uint8Array(starts.length);
    // Surrogates are rare; one regex pass finds the lines that need code-point counting.
    const surrogate = /[\uD800-\uDBFF]/g;
    for (let match = surrogate.exec(text); match; match = surrogate.exec(text)) {
      this.astralLines[this.lineOf(match.index)] = 1;
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    const starts = this.lineStarts;
    // Lookups come in source order, so the previous answer or the line after it usually holds.
    const hint = this.lastLine;
    if (starts[hint]! <= offset && (hint + 1 >= starts.length || offset < starts[hint + 1]!)) return hint;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    this.lastLine = low;
    return low;
  }

  elixirPosition(offset: number): ElixirPosition {
    const line = this.lineOf(offset);
    const start = this.lineStarts[line]! + (line === 0 && offset > 0 ? this.byteOrderMark : 0);
    const column = this.astralLines[line] ? countCodePoints(this.text, start, offset) + 1 : offset - start + 1;
    return { line: line + 1, column };
  }

  /** Offset of an Elixir position; clamped to the line, `undefined` for a line past the end. */
  offsetOfElixirPosition(position: ElixirPosition): number | undefined {
    const line = position.line - 1;
    if (line < 0 || line >= this.lineStarts.length) return undefined;
    const start = this.lineStarts[line]! + (line === 0 ? this.byteOrderMark : 0);
    const end = this.lineEnd(line);
    if (!this.astralLines[line]) return Math.min(start + Math.max(position.column - 1, 0), end);
    let offset = start;
    for (let column = 1; column < position.column && offset < end; column++) {
      offset += this.isSurrogatePair(offset) ? 2 : 1;
    }
    return offset;
  }

  /** Offset just past the last character of a 0-based line, before its `\n` or `\r\n`. */
  private lineEnd(line: number): number {
    if (line + 1 >= this.lineStarts.length) return this.text.length;
    const newline = this.lineStarts[line + 1]! - 1;
    return newline > this.lineStarts[line]! && this.text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
  }

  private isSurrogatePair(offset: number): boolean {
    return isHighSurrogate(this.text.charCodeAt(offset)) && isLowSurrogate(this.text.charCodeAt(offset + 1));
  }

  /** Editors hide a byte-order mark, so LSP characters on the first line start after it. */
  lspPosition(offset: number): { line: number; character: number } {
    const line = this.lineOf(offset);
    const start = this.lineStarts[line]! + (line === 0 ? this.byteOrderMark : 0);
    return { line, character: Math.max(offset - start, 0) };
  }

  offsetOfLspPosition(position: { line: number; character: number }): number {
    if (position.line < 0) return 0;
    if (position.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[position.line]! + (position.line === 0 ? this.byteOrderMark : 0);
    return Math.min(start + Math.max(position.character, 0), this.lineEnd(position.line));
  }
}

function countCodePoints(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    count++;
    if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < end && isLowSurrogate(text.charCodeAt(i + 1))) i++;
  }
  return count;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
