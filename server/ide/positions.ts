/**
 * The plain shapes the editor features return (`Location`, LSP ranges), and the conversions from
 * what the graph stores to them: stored positions are Elixir's (1-based line, code-point column),
 * results are LSP's (0-based line, UTF-16 character), and `LineIndex` is the only converter.
 *
 * Also the few reads of the `functions` and `modules` tables the features share; each goes
 * through an indexed column (`function`, `file_id`, `name`), never a scan.
 */
import type { LineIndex } from '../../common/lineIndex';
import type { Position, Range } from '../../common/lspProtocol';
import type { FunctionClause } from '../cpg/definitions';
import type { IdeDocument, WorkspaceView } from './workspaceView';

export type { Position, Range };

/** A range in a workspace file (`path` is workspace-relative with forward slashes). */
export interface Location {
  readonly path: string;
  readonly range: Range;
}

/** One stored clause of a function, as the `functions` table has it. */
export interface FunctionRow {
  readonly id: string;
  readonly function: string;
  readonly fileId: number;
  readonly path: string;
  readonly module: string;
  readonly name: string | null;
  readonly kind: string;
  readonly clause: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number | null;
  readonly complexity: number;
}

const FUNCTION_ROW_SQL = `SELECT f.id, f.function, f.file_id AS fileId, files.path, f.module, f.name, f.kind, f.clause, f.line, f."column", f.end_line AS endLine, f.complexity
  FROM functions f JOIN files ON files.id = f.file_id`;

/** Every stored clause of a function, by file and clause number. */
export function functionRows(view: WorkspaceView, functionId: string): FunctionRow[] {
  return view.repository.rows<FunctionRow>(`${FUNCTION_ROW_SQL} WHERE f.function = ? ORDER BY files.path, f.clause`, [functionId]);
}

/** Every stored clause of one file, in source order. */
export function fileFunctionRows(view: WorkspaceView, fileId: number): FunctionRow[] {
  return view.repository.rows<FunctionRow>(`${FUNCTION_ROW_SQL} WHERE f.file_id = ? ORDER BY f.line, f."column"`, [fileId]);
}

export interface ModuleRow {
  readonly name: string;
  readonly kind: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export function moduleRows(view: WorkspaceView, name: string): ModuleRow[] {
  return view.repository.rows<ModuleRow>(
    'SELECT m.name, m.kind, files.path, m.line, m."column" FROM modules m JOIN files ON files.id = m.file_id WHERE m.name = ? ORDER BY files.path, m.line',
    [name],
  );
}

export function fileIdOf(view: WorkspaceView, path: string): number | undefined {
  return view.repository.fileByPath(path)?.id;
}

/** `Mod.f/2` into its parts; `undefined` for text that is not a function ID. */
export function splitFunctionId(functionId: string): { module: string; name: string; arity: string } | undefined {
  const match = /^(.+)\.([^./][^/]*|\/)\/(\d+|\?)$/s.exec(functionId);
  return match ? { module: match[1]!, name: match[2]!, arity: match[3]! } : undefined;
}

/** `Mod.f/2` from `Mod.f/2#1`. */
export function functionIdOfClause(clauseId: string): string {
  return clauseId.slice(0, clauseId.lastIndexOf('#'));
}

export function lspRange(lines: LineIndex, start: number, end: number): Range {
  return { start: lines.lspPosition(start), end: lines.lspPosition(Math.max(start, end)) };
}

/**
 * The range of a token of `length` UTF-16 units at a stored Elixir position; `undefined` when the
 * position is not in the file (the file changed on disk since the graph stored it).
 */
export function storedTokenRange(lines: LineIndex, line: number, column: number, length: number): Range | undefined {
  const offset = lines.offsetOfElixirPosition({ line, column });
  if (offset === undefined) return undefined;
  const start = lines.lspPosition(offset);
  // A token never spans lines; the end is computed on the start's line, so a token that does not
  // match the text (a stale stored position) cannot run into the next line.
  return { start, end: { line: start.line, character: start.character + length } };
}

/** The offset of an LSP position in a document, clamped to the text; `undefined` for a nonsense position. */
export function offsetOf(document: IdeDocument, position: Position): number | undefined {
  if (!Number.isFinite(position?.line) || !Number.isFinite(position?.character)) return undefined;
  return document.lines.offsetOfLspPosition({ line: Math.trunc(position.line), character: Math.trunc(position.character) });
}

/**
 * Where a clause's name is written, as offsets: the name token (or the `unquote(…)` expression of a
 * generated name), else the `def…` keyword.
 */
export function clauseNameSpan(document: IdeDocument, clause: FunctionClause): { start: number; end: number } {
  if (clause.nameLine !== null && clause.nameColumn !== null) {
    const start = document.lines.offsetOfElixirPosition({ line: clause.nameLine, column: clause.nameColumn });
    if (start !== undefined) {
      const length = clause.name !== null && clause.nameExpression === null ? clause.name.length : (clause.nameExpression ?? '').length;
      // An operator definition (`def left + right`) is positioned on its operator, whose text
      // matches the name; anything else falls back to the written length.
      return { start, end: Math.min(start + Math.max(length, 1), document.text.length) };
    }
  }
  const start = clause.node.start;
  return { start, end: start + clause.kind.length };
}

/**
 * The location of a stored clause's name. In the document at hand the parse gives it exactly;
 * elsewhere it is taken to follow the `def…` keyword and one space, as formatted code has it.
 */
export function clauseNameLocation(view: WorkspaceView, row: FunctionRow, document?: IdeDocument): Location | undefined {
  if (document && document.path === row.path) {
    const clause = document.definitions.functions.find((candidate) => candidate.id === row.id && candidate.line === row.line);
    if (clause) {
      const span = clauseNameSpan(document, clause);
      return { path: row.path, range: lspRange(document.lines, span.start, span.end) };
    }
  }
  const lines = view.lines(row.path);
  if (!lines) return undefined;
  const range =
    row.name === null
      ? storedTokenRange(lines, row.line, row.column, row.kind.length)
      : storedTokenRange(lines, row.line, row.column + row.kind.length + 1, row.name.length);
  return range && { path: row.path, range };
}

/** The full span of a stored clause: from its `def…` keyword to the end of its `end` line (or of its first line). */
export function clauseFullRange(view: WorkspaceView, row: FunctionRow, document?: IdeDocument): Range | undefined {
  if (document && document.path === row.path) {
    const clause = document.definitions.functions.find((candidate) => candidate.id === row.id && candidate.line === row.line);
    if (clause) return lspRange(document.lines, clause.node.start, clause.node.end);
  }
  const lines = view.lines(row.path);
  if (!lines) return undefined;
  const start = lines.offsetOfElixirPosition({ line: row.line, column: row.column });
  if (start === undefined) return undefined;
  const lastLine = row.endLine ?? row.line;
  // Column past the end is clamped to the line's end by `LineIndex`.
  const end = lines.offsetOfElixirPosition({ line: lastLine, column: Number.MAX_SAFE_INTEGER }) ?? start;
  return lspRange(lines, start, end);
}

/** The location of a stored module's `defmodule`/`defprotocol`/`defimpl` keyword. */
export function moduleKeywordLocation(view: WorkspaceView, row: ModuleRow): Location | undefined {
  const lines = view.lines(row.path);
  const range = lines && storedTokenRange(lines, row.line, row.column, row.kind.length);
  return range && { path: row.path, range };
}

/** A stable order for results: by path, then position. */
export function compareLocations(a: Location, b: Location): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/** Runs a feature and turns an unexpected failure into its empty answer: one request must never take the server down. */
export function orElse<T>(fallback: T, body: () => T): T {
  try {
    return body();
  } catch {
    return fallback;
  }
}

/**
 * The function a call by this ID runs: the ID itself when the workspace defines it, else the
 * function whose default arguments generate that arity (`f/1` → `f/2` for `def f(a, b \\ 1)`).
 * `CallGraphIndex.canonical` alone maps `f/2` to `f/3` even where `f/2` is defined too
 * (`Supervisor.start_link/2` and `start_link/3` with a default).
 */
export function definedFunction(view: WorkspaceView, functionId: string): string {
  if (view.repository.rows('SELECT 1 AS found FROM functions WHERE function = ? LIMIT 1', [functionId]).length > 0) return functionId;
  return view.queries.callGraph.canonical(functionId);
}
