/**
 * Hover: what the graph knows about the thing under the cursor, as markdown. Always the node ID
 * (the handle the recorder and the queries use); on a function (its definition or a call to it)
 * its kind, clauses, complexity and callers; on a variable where it was bound (from the clause's
 * data-flow graph); on a module alias the module and where it is defined.
 */
import { type Cursor, type CursorTarget, bindingsOf, cursorAt } from './cursor';
import { type Position, type Range, definedFunction, functionRows, lspRange, moduleRows, orElse, splitFunctionId } from './positions';
import type { WorkspaceView } from './workspaceView';

export interface HoverResult {
  readonly markdown: string;
  /** The hovered token (a function's name) or node. */
  readonly range: Range;
  readonly nodeId: string;
}

export function hover(view: WorkspaceView, path: string, position: Position): HoverResult | null {
  return orElse(null, () => {
    const cursor = cursorAt(view, path, position);
    if (!cursor) return null;
    const sections = describe(view, cursor);
    sections.push(`node \`${cursor.location.nodeId}\``);
    return { markdown: sections.join('\n\n'), range: rangeOf(cursor), nodeId: cursor.location.nodeId };
  });
}

function rangeOf(cursor: Cursor): Range {
  const target = cursor.target;
  if (target.kind !== 'none') return target.range;
  return lspRange(cursor.document.lines, cursor.location.node.start, cursor.location.node.end);
}

function describe(view: WorkspaceView, cursor: Cursor): string[] {
  const target: CursorTarget = cursor.target;
  switch (target.kind) {
    case 'call':
      if (target.target === null) return [`call to a function not known statically (${target.call.kind})`];
      return describeFunction(view, target.target);
    case 'definition':
      return describeFunction(view, target.functionId);
    case 'variable':
      return [describeVariable(cursor, target)];
    case 'module':
      return [describeModule(view, target.module)];
    case 'none':
      return [];
  }
}

function describeFunction(view: WorkspaceView, target: string): string[] {
  const functionId = definedFunction(view, target);
  const rows = functionRows(view, functionId);
  const calls = view.queries.callGraph.callsTo(functionId);
  const callerFunctions = new Set(calls.map((call) => call.callerFunction)).size;
  const callers =
    calls.length === 0 ? 'no callers' : `${plural(calls.length, 'call site')} in ${plural(callerFunctions, 'function')}`;
  if (rows.length === 0) {
    const external = splitFunctionId(functionId)?.module.startsWith(':') ? ' (Erlang)' : '';
    return [`\`${functionId}\`${external} — not defined in the workspace`, callers];
  }
  const kinds = [...new Set(rows.map((row) => row.kind))].join('/');
  const files = [...new Set(rows.map((row) => row.path))];
  const lines = [`\`${functionId}\` — ${kinds}, ${plural(rows.length, 'clause')}`];
  const total = rows.reduce((sum, row) => sum + row.complexity, 0);
  lines.push(rows.length > 1 ? `complexity ${total} (clauses: ${rows.map((row) => row.complexity).join(', ')})` : `complexity ${total}`);
  lines.push(callers);
  lines.push(`defined in ${files.map((file) => `\`${file}\``).join(', ')}`);
  if (target !== functionId) lines.unshift(`\`${target}\` is \`${functionId}\` with its default arguments`);
  return lines;
}

function describeVariable(cursor: Cursor, target: Extract<CursorTarget, { kind: 'variable' }>): string {
  const bindings = bindingsOf(target.graph, target.path);
  if (bindings.length === 1 && bindings[0] === target.path) {
    const definition = target.graph.definitions.find((candidate) => candidate.path.join('.') === target.path);
    const uses = target.graph.edges.filter((edge) => edge.kind === 'reach' && edge.from.join('.') === target.path).length;
    return `variable \`${target.name}\` — bound here${definition ? ` (${definition.via})` : ''}, ${plural(uses, 'use')}`;
  }
  if (bindings.length === 0) return `variable \`${target.name}\` — no binding reaches it`;
  const lines = cursor.document.lines;
  const places = bindings
    .map((path) => target.graph.definitions.find((definition) => definition.path.join('.') === path))
    .filter((definition) => definition !== undefined)
    .map((definition) => {
      const offset = lines.offsetOfElixirPosition({ line: definition.line, column: definition.column });
      const line = offset === undefined ? definition.line : lines.lspPosition(offset).line + 1;
      return `line ${line} (${definition.via})`;
    });
  return `variable \`${target.name}\` — bound at ${places.join(', ')}`;
}

function describeModule(view: WorkspaceView, module: string): string {
  const rows = moduleRows(view, module);
  if (rows.length === 0) return `module \`${module}\` — not defined in the workspace`;
  return `${rows[0]!.kind} \`${module}\` — defined at ${rows.map((row) => `\`${row.path}:${row.line}\``).join(', ')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
