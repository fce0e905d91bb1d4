/**
 * The node-ID format shared by the analyzer, the recorder and the timeline.
 *
 * A function clause reads `Module.name/arity#clause` (the oracle's function id), for example
 * `MyApp.Worker.handle_call/3#2`. A node inside that clause extends it with the structural path
 * from the clause's definition node: child indices joined by dots after a colon, for example
 * `MyApp.Worker.handle_call/3#2:1.0.3`. The path counts children in the Elixir-shaped AST (see
 * `server/syntax/ast.ts`), never lines or columns, so reformatting a file or editing other
 * functions leaves it unchanged.
 *
 * Nodes outside any function (module bodies, scripts) are named after the innermost module, or
 * the file's relative path outside any module, followed by `@` and the child-index path from
 * the module's `defmodule` node (or from the file's list of forms). The `defmodule` node itself
 * is named from outside: `lib/a.ex@0` for the first module of `lib/a.ex`.
 * Those IDs are only as stable as the module body around them, and say so by their different
 * separator.
 */

/** One clause of one function: what every node ID inside a function starts with. */
export interface FunctionClauseRef {
  readonly module: string;
  /** The function name, or the source text of a dynamic name such as `unquote(name)`. */
  readonly name: string;
  /** `null` when the argument list uses `unquote_splicing`, printed as `?`. */
  readonly arity: number | null;
  /** 1-based position among the clauses (bodiless heads included) of the same module/name/arity. */
  readonly clause: number;
}

export type NodePath = readonly number[];

export interface ParsedNodeId {
  /** `Module.name/arity#clause`, or for a module-level node the owner before `@`. */
  readonly owner: string;
  readonly path: NodePath;
  readonly moduleLevel: boolean;
}

export function functionClauseId(ref: FunctionClauseRef): string {
  const arity = ref.arity === null ? '?' : String(ref.arity);
  return `${ref.module}.${ref.name}/${arity}#${ref.clause}`;
}

export function nodeIdOf(clauseId: string, path: NodePath): string {
  return path.length === 0 ? clauseId : `${clauseId}:${path.join('.')}`;
}

export function moduleLevelNodeId(owner: string, path: NodePath): string {
  return `${owner}@${path.join('.')}`;
}

// Read from the right: module and function names may contain dots, slashes, colons and (for
// dynamic names) almost anything, but the clause number and the path never do.
const CLAUSE_NODE_ID = /^(.+\/(?:\d+|\?)#\d+)(?::(\d+(?:\.\d+)*))?$/s;
const MODULE_LEVEL_NODE_ID = /^(.+)@(\d+(?:\.\d+)*)$/s;

/** Splits a node ID into its owner and path; `undefined` when the text is not a node ID. */
export function parseNodeId(text: string): ParsedNodeId | undefined {
  const clauseMatch = CLAUSE_NODE_ID.exec(text);
  if (clauseMatch) {
    return { owner: clauseMatch[1]!, path: splitPath(clauseMatch[2]), moduleLevel: false };
  }
  const moduleMatch = MODULE_LEVEL_NODE_ID.exec(text);
  if (moduleMatch) {
    return { owner: moduleMatch[1]!, path: splitPath(moduleMatch[2]), moduleLevel: true };
  }
  return undefined;
}

function splitPath(text: string | undefined): NodePath {
  return text ? text.split('.').map(Number) : [];
}
