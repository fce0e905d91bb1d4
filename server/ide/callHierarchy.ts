/**
 * The call hierarchy: the function at the cursor (its definition, or the function a call there
 * calls) as an item, its callers grouped by calling function and its callees grouped by called
 * function, each with the call sites' ranges. Items carry only the function ID as data, so the
 * LSP layer can send them to the client and back as plain JSON.
 */
import { CALL_FLAGS } from '../cpg/fileFacts';
import type { LinkedCall } from '../cpg/callGraphIndex';
import { cursorAt } from './cursor';
import {
  type FunctionRow,
  type Position,
  type Range,
  clauseFullRange,
  clauseNameLocation,
  definedFunction,
  functionRows,
  orElse,
  splitFunctionId,
  storedTokenRange,
} from './positions';
import type { WorkspaceView } from './workspaceView';

export interface CallHierarchyItemData {
  /** `Mod.f/2`. */
  readonly functionId: string;
}

export interface CallHierarchyItem {
  /** `f/2`. */
  readonly name: string;
  /** The module, and the kind: `Mod · defp`. */
  readonly detail: string;
  /** The definition keyword of the first clause (`def`, `defp`, `defmacro`, …). */
  readonly definitionKind: string;
  readonly path: string;
  /** The first clause, `def` to `end`. */
  readonly range: Range;
  /** Its name. */
  readonly selectionRange: Range;
  readonly data: CallHierarchyItemData;
}

export interface IncomingCall {
  readonly from: CallHierarchyItem;
  /** The call sites, in `from.path`. */
  readonly fromRanges: Range[];
}

export interface OutgoingCall {
  readonly to: CallHierarchyItem;
  /** The call sites, in the path of the item asked about. */
  readonly fromRanges: Range[];
}

/** The function at the cursor as call-hierarchy items (one per file defining it); `[]` when there is none. */
export function prepareCallHierarchy(view: WorkspaceView, path: string, position: Position): CallHierarchyItem[] {
  return orElse([], () => {
    const cursor = cursorAt(view, path, position);
    const target = cursor?.target;
    let functionId: string | null = null;
    if (target?.kind === 'call') functionId = target.target;
    else if (target?.kind === 'definition') functionId = target.functionId;
    if (functionId === null) return [];
    return functionItems(view, definedFunction(view, functionId));
  });
}

/** The callers of an item's function, one entry per calling function and file. */
export function incomingCalls(view: WorkspaceView, item: { readonly data?: unknown }): IncomingCall[] {
  return orElse([], () => {
    const functionId = functionIdOf(item);
    if (functionId === undefined) return [];
    const callGraph = view.queries.callGraph;
    const groups = groupBy(callGraph.callsTo(definedFunction(view, functionId)), (call) => `${call.fileId}\u0000${call.callerFunction}`);
    const name = splitFunctionId(definedFunction(view, functionId))?.name ?? '';
    const results: IncomingCall[] = [];
    for (const calls of groups.values()) {
      const first = calls[0]!;
      const path = callGraph.filePath(first.fileId);
      const from = functionItems(view, first.callerFunction).find((candidate) => candidate.path === path);
      if (!from) continue;
      results.push({ from, fromRanges: callRanges(view, path, calls, () => name) });
    }
    return results.sort((a, b) => compareItems(a.from, b.from));
  });
}

/** The functions an item's function calls, one entry per callee, with the call sites in the item's file. */
export function outgoingCalls(view: WorkspaceView, item: { readonly data?: unknown; readonly path?: unknown }): OutgoingCall[] {
  return orElse([], () => {
    const functionId = functionIdOf(item);
    if (functionId === undefined) return [];
    const callGraph = view.queries.callGraph;
    const path = typeof item.path === 'string' ? item.path : undefined;
    const calls = callGraph
      .callsFrom(definedFunction(view, functionId))
      .filter((call) => call.target !== null && (path === undefined || callGraph.filePath(call.fileId) === path));
    const results: OutgoingCall[] = [];
    for (const [target, targetCalls] of groupBy(calls, (call) => call.target!)) {
      // A callee outside the workspace (Erlang, a dependency) has no place to open.
      const to = functionItems(view, target)[0];
      if (!to) continue;
      const callerPath = callGraph.filePath(targetCalls[0]!.fileId);
      const name = splitFunctionId(target)?.name ?? '';
      results.push({ to, fromRanges: callRanges(view, callerPath, targetCalls, () => name) });
    }
    return results.sort((a, b) => compareItems(a.to, b.to));
  });
}

/** The item of a function in each file that defines it, built from its first clause there. */
export function functionItems(view: WorkspaceView, functionId: string): CallHierarchyItem[] {
  const rows = functionRows(view, functionId);
  const items: CallHierarchyItem[] = [];
  for (const [index, row] of rows.entries()) {
    if (index > 0 && rows[index - 1]!.path === row.path) continue;
    const item = itemOf(view, functionId, row);
    if (item) items.push(item);
  }
  return items;
}

function itemOf(view: WorkspaceView, functionId: string, row: FunctionRow): CallHierarchyItem | undefined {
  const selection = clauseNameLocation(view, row);
  const range = clauseFullRange(view, row);
  if (!selection || !range) return undefined;
  return {
    name: functionId.slice(row.module.length + 1),
    detail: `${row.module} · ${row.kind}`,
    definitionKind: row.kind,
    path: row.path,
    // The selection must lie inside the range; a stale stored position could break that.
    range: contains(range, selection.range) ? range : selection.range,
    selectionRange: selection.range,
    data: { functionId },
  };
}

function callRanges(view: WorkspaceView, path: string, calls: readonly LinkedCall[], name: () => string): Range[] {
  const lines = view.lines(path);
  if (!lines) return [];
  const ranges: Range[] = [];
  for (const call of calls) {
    const length = (call.flags & CALL_FLAGS.delegate) !== 0 ? 'defdelegate'.length : name().length;
    const range = storedTokenRange(lines, call.line, call.column, length);
    if (range) ranges.push(range);
  }
  return ranges.sort((a, b) => a.start.line - b.start.line || a.start.character - b.start.character);
}

function functionIdOf(item: { readonly data?: unknown }): string | undefined {
  const data = item?.data;
  if (data === null || typeof data !== 'object') return undefined;
  const functionId = (data as { functionId?: unknown }).functionId;
  return typeof functionId === 'string' && splitFunctionId(functionId) ? functionId : undefined;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const value = key(item);
    const group = groups.get(value);
    if (group) group.push(item);
    else groups.set(value, [item]);
  }
  return groups;
}

function contains(outer: Range, inner: Range): boolean {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

function compareItems(a: CallHierarchyItem, b: CallHierarchyItem): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}
