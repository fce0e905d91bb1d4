/**
 * Go to definition and find references.
 *
 * Calls are resolved by the graph, not by name: the call site under the cursor (`cursor.ts`)
 * carries its linked target — local calls with default-argument arities folded into the full
 * arity, remote calls through `alias`/`__MODULE__`, imported calls linked against what the
 * workspace exports, captures — and the target's clauses are looked up by function ID. References
 * of a function are its call sites across the workspace from the linked call graph; references of
 * a variable are the definitions and uses its clause's data-flow graph connects.
 */
import { CALL_FLAGS } from '../cpg/fileFacts';
import { type Cursor, bindingsOf, cursorAt, occurrencesOf } from './cursor';
import { followPath } from '../cpg/nodeIds';
import {
  type Location,
  type Position,
  clauseNameLocation,
  compareLocations,
  definedFunction,
  functionRows,
  lspRange,
  moduleKeywordLocation,
  moduleRows,
  orElse,
  splitFunctionId,
  storedTokenRange,
} from './positions';
import type { WorkspaceView } from './workspaceView';

/** Where the thing under the cursor is defined; `[]` when nothing is known. */
export function definition(view: WorkspaceView, path: string, position: Position): Location[] {
  return orElse([], () => {
    const cursor = cursorAt(view, path, position);
    if (!cursor) return [];
    const target = cursor.target;
    switch (target.kind) {
      case 'call':
        return target.target === null ? [] : functionDefinitions(view, target.target, cursor);
      case 'definition':
        return functionDefinitions(view, target.functionId, cursor);
      case 'variable':
        return variableLocations(cursor, bindingsOf(target.graph, target.path));
      case 'module':
        return moduleRows(view, target.module)
          .map((row) => moduleKeywordLocation(view, row))
          .filter((location) => location !== undefined);
      case 'none':
        return [];
    }
  });
}

/**
 * Every call site of the function under the cursor (at its definition or at a call) across the
 * workspace, with its definitions when `includeDeclaration`; for a variable, its occurrences in
 * the clause.
 */
export function references(view: WorkspaceView, path: string, position: Position, includeDeclaration: boolean): Location[] {
  return orElse([], () => {
    const cursor = cursorAt(view, path, position);
    if (!cursor) return [];
    const target = cursor.target;
    switch (target.kind) {
      case 'call':
        return target.target === null ? [] : functionReferences(view, target.target, includeDeclaration, cursor);
      case 'definition':
        return functionReferences(view, target.functionId, includeDeclaration, cursor);
      case 'variable': {
        const { definitions, uses } = occurrencesOf(target.graph, target.path);
        return variableLocations(cursor, includeDeclaration ? [...definitions, ...uses] : uses).sort(compareLocations);
      }
      case 'module':
      case 'none':
        return [];
    }
  });
}

/** Call sites of a function across the workspace (default arities folded in), as locations of the called name. */
export function callSiteLocations(view: WorkspaceView, functionId: string): Location[] {
  const callGraph = view.queries.callGraph;
  const canonical = definedFunction(view, functionId);
  const name = splitFunctionId(canonical)?.name ?? '';
  const locations: Location[] = [];
  for (const call of callGraph.callsTo(canonical)) {
    const path = callGraph.filePath(call.fileId);
    const lines = view.lines(path);
    // A delegate's site is its `defdelegate` keyword.
    const length = (call.flags & CALL_FLAGS.delegate) !== 0 ? 'defdelegate'.length : name.length;
    const range = lines && storedTokenRange(lines, call.line, call.column, length);
    if (range) locations.push({ path, range });
  }
  return locations.sort(compareLocations);
}

/** The name of the first clause of a function in each file that defines it. */
export function functionDefinitionLocations(view: WorkspaceView, functionId: string, cursor?: Cursor): Location[] {
  const rows = functionRows(view, definedFunction(view, functionId));
  const firstPerFile = rows.filter((row, index) => index === 0 || rows[index - 1]!.path !== row.path);
  return firstPerFile.map((row) => clauseNameLocation(view, row, cursor?.document)).filter((location) => location !== undefined);
}

function functionDefinitions(view: WorkspaceView, functionId: string, cursor: Cursor): Location[] {
  return functionDefinitionLocations(view, functionId, cursor);
}

function functionReferences(view: WorkspaceView, functionId: string, includeDeclaration: boolean, cursor: Cursor): Location[] {
  const sites = callSiteLocations(view, functionId);
  if (!includeDeclaration) return sites;
  const canonical = definedFunction(view, functionId);
  const declarations = functionRows(view, canonical)
    .map((row) => clauseNameLocation(view, row, cursor.document))
    .filter((location) => location !== undefined);
  return [...declarations, ...sites].sort(compareLocations);
}

/** Locations of variable occurrences (dotted node paths in the cursor's clause). */
function variableLocations(cursor: Cursor, paths: readonly string[]): Location[] {
  const clause = cursor.location.clause;
  if (!clause) return [];
  const locations: Location[] = [];
  for (const dotted of new Set(paths)) {
    const node = followPath(clause.node, dotted === '' ? [] : dotted.split('.').map(Number));
    if (node) locations.push({ path: cursor.document.path, range: lspRange(cursor.document.lines, node.start, node.end) });
  }
  return locations;
}
