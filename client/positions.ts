/**
 * Elixir positions (1-based line, 1-based column counted in Unicode code points, as the graph and
 * the query answers give them) to editor positions (0-based line, UTF-16 character).
 *
 * Pure, for the same reason `common/lineIndex.ts` is: the code-point/UTF-16 difference is easy
 * to get wrong and only shows on lines with emoji or other astral characters.
 */

/** The UTF-16 index in `lineText` of the character at 1-based code-point `column`; clamped to the line. */
export function utf16Character(lineText: string, column: number): number {
  let character = 0;
  for (let codePoint = 1; codePoint < column && character < lineText.length; codePoint += 1) {
    character += lineText.codePointAt(character)! > 0xffff ? 2 : 1;
  }
  return Math.min(character, lineText.length);
}

/** A 1-based line clamped to a document of `lineCount` lines, as a 0-based index. */
export function lineIndexOf(line: number, lineCount: number): number {
  return Math.min(Math.max(line - 1, 0), Math.max(lineCount - 1, 0));
}
