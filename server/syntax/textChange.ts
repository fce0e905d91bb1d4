/**
 * The one range an edit replaced, found by comparing two texts: what both the clause-level
 * reparse (`cpg/incrementalParse.ts`) and tree-sitter's own incremental parse (`parser.ts`) need.
 */

export interface TextChange {
  /** Start of the replaced range, the same in the old and the new text (UTF-16 offset). */
  readonly start: number;
  /** End of the replaced range in the old text. */
  readonly oldEnd: number;
  /** End of the replacement in the new text. */
  readonly newEnd: number;
}

/** The smallest single change that turns `before` into `after` (common prefix and suffix). */
export function textChange(before: string, after: string): TextChange | null {
  if (before === after) return null;
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let suffix = 0;
  while (
    suffix < shorter - start &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  return { start, oldEnd: before.length - suffix, newEnd: after.length - suffix };
}
