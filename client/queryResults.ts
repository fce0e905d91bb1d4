/**
 * How a query's answer is shown, decided as data: a list whose every item has a place in the
 * source (callers, functions, messages) becomes a quick pick that opens each place; anything
 * else becomes a JSON document. Also the history of recent queries.
 *
 * Pure (no 'vscode') so it is unit-tested; `commands.ts` turns the answer into UI.
 */

/** An answer item with a source position. Positions are Elixir's: 1-based line, column in code points. */
export interface LocatedItem {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  readonly file: string;
  readonly line: number;
  readonly column: number | null;
}

export type QueryPresentation =
  | { readonly kind: 'locations'; readonly items: LocatedItem[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'json'; readonly text: string };

/** The fields that name an answer item, most telling first (see the query forms in docs/protocol.md). */
const LABEL_FIELDS = ['function', 'caller', 'from', 'clause', 'node', 'id', 'module', 'name'];
const POSITION_FIELDS = new Set(['file', 'line', 'column']);
const DETAIL_LENGTH = 160;

export function presentQueryResult(result: unknown): QueryPresentation {
  if (Array.isArray(result)) {
    if (result.length === 0) return { kind: 'empty' };
    const items = result.map(locatedItem);
    if (items.every((item): item is LocatedItem => item !== null)) return { kind: 'locations', items };
  }
  return { kind: 'json', text: `${JSON.stringify(result, null, 2)}\n` };
}

export const QUERY_HISTORY_LENGTH = 20;

/** The history after running `query`: most recent first, no duplicates, at most `QUERY_HISTORY_LENGTH`. */
export function rememberQuery(history: readonly string[], query: string): string[] {
  return [query, ...history.filter((previous) => previous !== query)].slice(0, QUERY_HISTORY_LENGTH);
}

/** A history read back from storage, which may hold anything after a version change. */
export function validHistory(stored: unknown): string[] {
  return Array.isArray(stored) ? stored.filter((entry): entry is string => typeof entry === 'string').slice(0, QUERY_HISTORY_LENGTH) : [];
}

/**
 * Checks the query text before it is sent: the server takes a JSON object, and a message about
 * JSON syntax is better said here, with an example of what to write.
 */
export function checkQueryText(text: string): { ok: true; query: unknown } | { ok: false; message: string } {
  const trimmed = text.trim();
  const example = 'for example {"callers": "MyApp.Accounts.get_user/1"}';
  if (trimmed === '') return { ok: false, message: `Write a query as a JSON object, ${example}.` };
  let query: unknown;
  try {
    query = JSON.parse(trimmed);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `The query is not valid JSON (${reason}). Write a JSON object, ${example}.` };
  }
  if (typeof query !== 'object' || query === null || Array.isArray(query)) {
    return { ok: false, message: `A query is a JSON object with one key, ${example}.` };
  }
  return { ok: true, query };
}

function locatedItem(value: unknown): LocatedItem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const { file, line, column } = record;
  if (typeof file !== 'string' || typeof line !== 'number' || !Number.isInteger(line) || line < 1) return null;
  const labelField = LABEL_FIELDS.find((field) => typeof record[field] === 'string');
  const label = labelField === undefined ? file : (record[labelField] as string);
  const detail = Object.entries(record)
    .filter(([key, entry]) => key !== labelField && !POSITION_FIELDS.has(key) && isScalar(entry))
    .map(([key, entry]) => `${key}: ${String(entry)}`)
    .join(' · ');
  return {
    label,
    description: `${file}:${line}`,
    detail: detail.length > DETAIL_LENGTH ? `${detail.slice(0, DETAIL_LENGTH - 1)}…` : detail,
    file,
    line,
    column: typeof column === 'number' && Number.isInteger(column) && column >= 1 ? column : null,
  };
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
