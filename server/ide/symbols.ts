/**
 * Document symbols (the outline) and workspace symbols (Go to Symbol in Workspace).
 *
 * The outline comes from the document's own definitions, so it follows the editor's text even
 * between saves: modules nest as they are written, each function (`name/arity`) is one symbol
 * whose children are its clauses. Complexities come from the stored graph when it holds the file.
 *
 * Workspace symbols search the stored graph (modules and functions of every file), read once per
 * repository generation and matched in memory: a case-insensitive subsequence match, ranked by how
 * good the match is (exact, prefix, word starts, contiguous, scattered), capped.
 */
import type { FunctionClause, ModuleDefinition } from '../cpg/definitions';
import type { GraphRepository } from '../cpg/repository';
import { type Location, type Range, clauseNameSpan, fileFunctionRows, fileIdOf, functionIdOfClause, lspRange, orElse, storedTokenRange } from './positions';
import type { IdeDocument, WorkspaceView } from './workspaceView';

export type SymbolKind = 'module' | 'protocol' | 'implementation' | 'function' | 'macro' | 'guard' | 'delegate' | 'clause';

export interface DocumentSymbol {
  readonly name: string;
  /** `def`, `defp 2 clauses · complexity 5`, `defprotocol`, … */
  readonly detail: string;
  readonly kind: SymbolKind;
  /** The definition keyword: `defmodule`, `def`, `defp`, `defmacro`, … */
  readonly definitionKind: string;
  /** The whole definition, `def` to `end` (all clauses for a function). */
  readonly range: Range;
  /** The name. */
  readonly selectionRange: Range;
  /** `Mod.f/2` for functions, `Mod.f/2#1` for clauses, the module name for modules. */
  readonly id: string;
  readonly children: DocumentSymbol[];
}

export interface WorkspaceSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly definitionKind: string;
  /** The module of a function, the parent module of a module. */
  readonly containerName: string | null;
  readonly id: string;
  readonly location: Location;
}

/** The outline of a document: modules (nested), functions grouped by name/arity, clauses below them. */
export function documentSymbols(document: IdeDocument, view?: WorkspaceView): DocumentSymbol[] {
  return orElse([], () => outline(document, view ? storedComplexities(view, document.path) : new Map()));
}

const WORKSPACE_SYMBOL_LIMIT = 500;

/** Modules and functions of the whole workspace matching `query`, best first, at most `limit`. */
export function workspaceSymbols(view: WorkspaceView, query: string, limit = WORKSPACE_SYMBOL_LIMIT): WorkspaceSymbol[] {
  return orElse([], () => searchSymbols(view, typeof query === 'string' ? query : '', limit));
}

// ---------------------------------------------------------------------------------------------
// Document symbols

interface MutableSymbol extends DocumentSymbol {
  readonly children: MutableSymbol[];
  readonly start: number;
  readonly end: number;
}

function outline(document: IdeDocument, complexities: ReadonlyMap<string, number>): DocumentSymbol[] {
  const roots: MutableSymbol[] = [];
  const moduleSymbols: { module: ModuleDefinition; symbol: MutableSymbol }[] = [];
  // Modules in source order; a module is the child of the innermost module whose span holds it.
  const modules = [...document.definitions.modules].sort((a, b) => a.node.start - b.node.start || b.node.end - a.node.end);
  for (const module of modules) {
    const symbol = moduleSymbol(document, module);
    const parent = innermostContaining(moduleSymbols, module.node.start, module.node.end, (entry) => entry.module !== module && entry.module.node !== module.node);
    (parent ? parent.symbol.children : roots).push(symbol);
    moduleSymbols.push({ module, symbol });
  }

  const byFunction = new Map<string, FunctionClause[]>();
  for (const clause of document.definitions.functions) {
    const key = `${clause.module}\u0000${functionIdOfClause(clause.id)}`;
    const list = byFunction.get(key);
    if (list) list.push(clause);
    else byFunction.set(key, [clause]);
  }
  for (const clauses of byFunction.values()) {
    const first = clauses[0]!;
    const symbol = functionSymbol(document, clauses, complexities);
    const owner = innermostContaining(moduleSymbols, first.node.start, first.node.end, (entry) => entry.module.name === first.module);
    (owner ? owner.symbol.children : roots).push(symbol);
  }
  const sort = (symbols: MutableSymbol[]) => {
    symbols.sort((a, b) => a.start - b.start || b.end - a.end);
    for (const symbol of symbols) sort(symbol.children);
  };
  sort(roots);
  return roots;
}

function innermostContaining<T extends { symbol: MutableSymbol }>(entries: readonly T[], start: number, end: number, accept: (entry: T) => boolean): T | undefined {
  let found: T | undefined;
  for (const entry of entries) {
    if (entry.symbol.start <= start && end <= entry.symbol.end && accept(entry)) {
      if (!found || entry.symbol.end - entry.symbol.start <= found.symbol.end - found.symbol.start) found = entry;
    }
  }
  return found;
}

const MODULE_KINDS: Record<ModuleDefinition['kind'], SymbolKind> = { defmodule: 'module', defprotocol: 'protocol', defimpl: 'implementation' };

function moduleSymbol(document: IdeDocument, module: ModuleDefinition): MutableSymbol {
  const node = module.node;
  const nameNode = node.kind === 'call' || node.kind === 'remote' ? node.args[0] : undefined;
  const nameStart = nameNode?.start ?? node.start;
  const nameEnd = nameNode?.end ?? node.start + module.kind.length;
  const detail = module.kind === 'defimpl' ? `defimpl ${module.protocol ?? ''} for ${module.for ?? '?'}` : module.kind;
  return {
    name: module.name,
    detail,
    kind: MODULE_KINDS[module.kind],
    definitionKind: module.kind,
    range: lspRange(document.lines, node.start, node.end),
    selectionRange: lspRange(document.lines, nameStart, nameEnd),
    id: module.name,
    children: [],
    start: node.start,
    end: node.end,
  };
}

const FUNCTION_KINDS: Record<string, SymbolKind> = {
  def: 'function',
  defp: 'function',
  defn: 'function',
  defnp: 'function',
  defmacro: 'macro',
  defmacrop: 'macro',
  defguard: 'guard',
  defguardp: 'guard',
  defdelegate: 'delegate',
};

function functionSymbol(document: IdeDocument, clauses: readonly FunctionClause[], complexities: ReadonlyMap<string, number>): MutableSymbol {
  const first = clauses[0]!;
  const functionId = functionIdOfClause(first.id);
  const displayName = functionId.slice(first.module.length + 1);
  const clauseComplexities = clauses.map((clause) => complexities.get(clause.id));
  const known = clauseComplexities.every((value) => value !== undefined);
  const total = known ? clauseComplexities.reduce<number>((sum, value) => sum + value!, 0) : undefined;
  const parts = [first.kind];
  if (clauses.length > 1) parts.push(`${clauses.length} clauses`);
  if (total !== undefined) parts.push(`complexity ${total}`);
  const children = clauses.map((clause, index): MutableSymbol => {
    const name = clauseNameSpan(document, clause);
    const complexity = clauseComplexities[index];
    return {
      name: `${displayName}#${clause.clause}`,
      detail: [clause.kind, clause.bodiless ? 'head' : null, complexity !== undefined ? `complexity ${complexity}` : null].filter((part) => part !== null).join(' · '),
      kind: 'clause',
      definitionKind: clause.kind,
      range: lspRange(document.lines, clause.node.start, clause.node.end),
      selectionRange: lspRange(document.lines, name.start, name.end),
      id: clause.id,
      children: [],
      start: clause.node.start,
      end: clause.node.end,
    };
  });
  const start = Math.min(...clauses.map((clause) => clause.node.start));
  const end = Math.max(...clauses.map((clause) => clause.node.end));
  const name = clauseNameSpan(document, first);
  return {
    name: displayName,
    detail: parts.join(' · '),
    kind: FUNCTION_KINDS[first.kind] ?? 'function',
    definitionKind: first.kind,
    range: lspRange(document.lines, start, end),
    selectionRange: lspRange(document.lines, name.start, name.end),
    id: functionId,
    // One clause is the function itself: listing it again below adds nothing.
    children: clauses.length > 1 ? children : [],
    start,
    end,
  };
}

/** Stored complexity per clause ID of a file, when the graph holds the file. */
function storedComplexities(view: WorkspaceView, path: string): Map<string, number> {
  const fileId = fileIdOf(view, path);
  const complexities = new Map<string, number>();
  if (fileId === undefined) return complexities;
  for (const row of fileFunctionRows(view, fileId)) complexities.set(row.id, row.complexity);
  return complexities;
}

// ---------------------------------------------------------------------------------------------
// Workspace symbols

interface SymbolEntry {
  readonly name: string;
  /** What the query is matched against, lower-cased. */
  readonly searchName: string;
  readonly qualifiedSearchName: string;
  readonly kind: SymbolKind;
  readonly definitionKind: string;
  readonly containerName: string | null;
  readonly id: string;
  readonly path: string;
  readonly line: number;
  /** Elixir column of the name token. */
  readonly column: number;
  readonly nameLength: number;
}

const symbolTables = new WeakMap<GraphRepository, { generation: number; entries: SymbolEntry[] }>();

function symbolEntries(view: WorkspaceView): SymbolEntry[] {
  const repository = view.repository;
  const cached = symbolTables.get(repository);
  if (cached && cached.generation === repository.generation) return cached.entries;
  const entries: SymbolEntry[] = [];
  const modules = repository.values(
    'SELECT m.name, m.kind, m.parent, files.path, m.line, m."column", m.dynamic FROM modules m JOIN files ON files.id = m.file_id ORDER BY files.path, m.line',
  );
  for (const [name, kind, parent, path, line, column] of modules as [string, ModuleDefinition['kind'], string | null, string, number, number][]) {
    entries.push({
      name,
      searchName: name.toLowerCase(),
      qualifiedSearchName: name.toLowerCase(),
      kind: MODULE_KINDS[kind] ?? 'module',
      definitionKind: kind,
      containerName: parent,
      id: name,
      path,
      line,
      column,
      nameLength: kind.length,
    });
  }
  // One entry per function and file: its first clause.
  const functions = repository.values(
    `SELECT f.function, f.module, f.name, f.kind, files.path, f.line, f."column" FROM functions f JOIN files ON files.id = f.file_id
     WHERE f.clause = 1 ORDER BY files.path, f.line`,
  );
  for (const [functionId, module, name, kind, path, line, column] of functions as [string, string, string | null, string, string, number, number][]) {
    const displayName = functionId.slice(module.length + 1);
    entries.push({
      name: displayName,
      searchName: displayName.toLowerCase(),
      qualifiedSearchName: functionId.toLowerCase(),
      kind: FUNCTION_KINDS[kind] ?? 'function',
      definitionKind: kind,
      containerName: module,
      id: functionId,
      path,
      line,
      column: name === null ? column : column + kind.length + 1,
      nameLength: name === null ? kind.length : name.length,
    });
  }
  symbolTables.set(repository, { generation: repository.generation, entries });
  return entries;
}

function searchSymbols(view: WorkspaceView, query: string, limit: number): WorkspaceSymbol[] {
  const needle = query.trim().toLowerCase();
  // A dotted query (`enum.map`, `String.Chars`) is matched against qualified names.
  const qualified = needle.includes('.');
  const scored: { entry: SymbolEntry; score: number }[] = [];
  for (const entry of symbolEntries(view)) {
    const haystack = qualified ? entry.qualifiedSearchName : entry.searchName;
    const score = matchScore(needle, haystack);
    if (score !== null) scored.push({ entry, score });
  }
  scored.sort((a, b) => b.score - a.score || a.entry.name.length - b.entry.name.length || compare(a.entry.id, b.entry.id) || compare(a.entry.path, b.entry.path));
  const results: WorkspaceSymbol[] = [];
  for (const { entry } of scored) {
    if (results.length >= limit) break;
    const lines = view.lines(entry.path);
    const range = lines && storedTokenRange(lines, entry.line, entry.column, entry.nameLength);
    if (!range) continue;
    results.push({
      name: entry.name,
      kind: entry.kind,
      definitionKind: entry.definitionKind,
      containerName: entry.containerName,
      id: entry.id,
      location: { path: entry.path, range },
    });
  }
  return results;
}

/**
 * How well `needle` matches `haystack` as a subsequence, higher is better; `null` for no match.
 * Exact beats prefix beats contiguous beats scattered; characters at word starts (after `.`,
 * `_`, `/` or at the start) and runs of consecutive characters earn more.
 */
export function matchScore(needle: string, haystack: string): number | null {
  if (needle === '') return 0;
  if (haystack === needle) return 10_000;
  if (haystack.startsWith(needle)) return 5_000 - haystack.length;
  const contiguous = haystack.indexOf(needle);
  if (contiguous !== -1) return 2_000 + (isWordStart(haystack, contiguous) ? 500 : 0) - contiguous - haystack.length;
  let score = 0;
  let position = 0;
  let previous = -2;
  for (const character of needle) {
    const found = haystack.indexOf(character, position);
    if (found === -1) return null;
    score += 1 + (found === previous + 1 ? 5 : 0) + (isWordStart(haystack, found) ? 8 : 0);
    previous = found;
    position = found + 1;
  }
  return score - haystack.length / 100;
}

function isWordStart(text: string, index: number): boolean {
  if (index === 0) return true;
  const before = text[index - 1]!;
  return before === '.' || before === '_' || before === '/';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
