/**
 * Code lenses: one per function (above its first clause in the document, not one per clause)
 * reading "complexity N · M callers". Complexity is the sum over the function's clauses in this
 * file, from the stored graph; callers are the call sites the linked call graph knows, with
 * default-argument arities folded in. A lens carries what a click needs to show the references:
 * the function ID and the position of its name.
 */
import { clauseNameSpan, definedFunction, fileFunctionRows, fileIdOf, functionIdOfClause, lspRange, orElse, type Position, type Range } from './positions';
import type { WorkspaceView } from './workspaceView';

export interface CodeLens {
  /** Above the first clause: its name. */
  readonly range: Range;
  /** `complexity 4 · 2 callers`. */
  readonly title: string;
  readonly functionId: string;
  /** The clauses' summed complexity; `null` when the graph does not hold the file yet. */
  readonly complexity: number | null;
  readonly callers: number;
  /** Where the references view opens: the definition's name. */
  readonly path: string;
  readonly position: Position;
}

export function codeLenses(view: WorkspaceView, path: string): CodeLens[] {
  return orElse([], () => {
    const document = view.document(path);
    if (!document) return [];
    const fileId = fileIdOf(view, path);
    const complexities = new Map<string, number>();
    if (fileId !== undefined) {
      for (const row of fileFunctionRows(view, fileId)) complexities.set(row.function, (complexities.get(row.function) ?? 0) + row.complexity);
    }
    const callGraph = view.queries.callGraph;
    const seen = new Set<string>();
    const lenses: CodeLens[] = [];
    for (const clause of document.definitions.functions) {
      const functionId = functionIdOfClause(clause.id);
      if (seen.has(functionId)) continue;
      seen.add(functionId);
      const span = clauseNameSpan(document, clause);
      const range = lspRange(document.lines, span.start, span.end);
      const callers = callGraph.callsTo(definedFunction(view, functionId)).length;
      const complexity = complexities.get(functionId) ?? null;
      const parts = [];
      if (complexity !== null) parts.push(`complexity ${complexity}`);
      parts.push(callers === 0 ? 'no callers' : callers === 1 ? '1 caller' : `${callers} callers`);
      lenses.push({ range, title: parts.join(' · '), functionId, complexity, callers, path, position: range.start });
    }
    return lenses;
  });
}
