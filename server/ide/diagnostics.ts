/**
 * Editor diagnostics that the graph proves, worded as Elixir 1.14's compiler words them:
 * - `unused-variable`: a binding no read ever sees (a data-flow definition without a `reach`
 *   edge), with Elixir's own corrections for what the data-flow graph models differently;
 * - `unreachable-clause`: a function clause after one whose parameters are all plain variables
 *   and which has no guard, so it always matches first.
 *
 * The rule is "no noisy guesses": whenever the graph cannot be sure what the compiler will see
 * (code built by `unquote` outside `quote`, `binding()`, a pattern handed to an unknown macro,
 * syntax errors in the clause), nothing is reported. `test/diagnostics.test.ts` holds the result
 * to `elixirc` on the fixtures and to silence on Elixir's own warning-free source.
 *
 * Pure: plain data in, plain data out; positions are LSP's (0-based line, UTF-16 character).
 */
import type { NodePath } from '../../common/nodeId';
import { type AstNode, blockExpressions, childrenOf, isCall, keywordValue, splitKeywords } from '../syntax/ast';
import type { ParseResult } from '../syntax/parser';
import type { FileDefinitions, FunctionClause } from '../cpg/definitions';
import type { ClauseGraphCache } from '../cpg/fileFacts';
import type { DataFlowGraph, VariableDefinition } from '../cpg/graph';

export interface LspRange {
  readonly start: { readonly line: number; readonly character: number };
  readonly end: { readonly line: number; readonly character: number };
}

export type DiagnosticCode = 'unused-variable' | 'unreachable-clause';

export interface GraphDiagnostic {
  readonly range: LspRange;
  readonly severity: 'warning' | 'information';
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly tags?: readonly ('unnecessary' | 'deprecated')[];
  readonly related?: readonly { readonly range: LspRange; readonly message: string }[];
}

/**
 * What `diagnose` reads of a document: exactly what `WorkspaceGraph.document(path)` keeps for an
 * open document after `updateDocument`, so the language server calls it without parsing again.
 */
export interface DiagnosticsInput {
  readonly path: string;
  readonly text: string;
  readonly parse: ParseResult;
  readonly definitions: FileDefinitions;
}

/**
 * The diagnostics of one document, sorted by position. `dataFlowOf` gives a clause's data-flow
 * graph (from the editor's per-clause cache, see `dataFlowFromCache`); `undefined` skips the
 * clause's variables.
 */
export function diagnose(input: DiagnosticsInput, dataFlowOf: (clause: FunctionClause) => DataFlowGraph | undefined): GraphDiagnostic[] {
  const document = new DocumentFacts(input);
  const diagnostics: GraphDiagnostic[] = [];
  for (const clause of input.definitions.functions) {
    if (!document.variablesCheckable(clause)) continue;
    const graph = dataFlowOf(clause);
    if (graph !== undefined) diagnostics.push(...unusedVariables(clause, graph, document));
  }
  diagnostics.push(...unreachableClauses(input.definitions, document));
  return diagnostics.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/**
 * A `dataFlowOf` for `diagnose` that reuses the graphs the editor's `ClauseGraphCache` already
 * built for the same text (`WorkspaceGraph.updateDocument` fills it), building only what is missing.
 */
export function dataFlowFromCache(cache: ClauseGraphCache, text: string): (clause: FunctionClause) => DataFlowGraph {
  return (clause) => cache.dataFlowOf(clause, text);
}

export const UNUSED_VARIABLE_MESSAGE = (name: string) =>
  `variable "${name}" is unused (if the variable is not meant to be used, prefix it with an underscore)`;

/** Elixir's wording when the unused binding shadows a variable already visible at that point. */
export const SHADOWING_UNUSED_VARIABLE_MESSAGE = (name: string) =>
  `variable "${name}" is unused (there is a variable with the same name in the context, use the pin operator (^) to match on it or prefix this variable with underscore if it is not meant to be used)`;

// ---- unused variables ----

/** Definition kinds whose bodies Elixir expands as ordinary code (not `defguard`, `defdelegate`, `defn`). */
const CHECKED_KINDS = new Set(['def', 'defp', 'defmacro', 'defmacrop']);

/**
 * Calls whose arguments the data-flow pass models with Elixir's own scoping. A pattern inside
 * any other call's arguments may belong to a macro (`assert {:ok, x} = …`, `destructure`) that
 * binds or discards it in ways syntax cannot tell, so its bindings are not judged.
 */
const MODELLED_CALLS = new Set([
  '__block__', '=', '->', '<-', 'case', 'cond', 'if', 'unless', 'with', 'for', 'fn', 'try', 'receive',
  '&&', '||', 'and', 'or', 'not', '!', '|>', '{}', '%{}', '%', '<<>>', '^', '::', '\\\\', 'when', '|',
]);

/** Constructs whose keyword blocks (`do:`, `else:`, `after:` …) are each a scope of their own. */
const BLOCK_SCOPED_CALLS = new Set(['if', 'unless', 'try', 'with', 'for', 'case', 'cond', 'receive']);

function unusedVariables(clause: FunctionClause, graph: DataFlowGraph, document: DocumentFacts): GraphDiagnostic[] {
  const read = new Set<string>();
  for (const edge of graph.edges) if (edge.kind === 'reach') read.add(edge.from.join('.'));
  const unread = graph.definitions.filter((definition) => !read.has(definition.path.join('.')));
  if (unread.length === 0) return [];

  const placements = new Map<VariableDefinition, Placement>();
  const placementOf = (definition: VariableDefinition): Placement => {
    let placement = placements.get(definition);
    if (!placement) placements.set(definition, (placement = placeDefinition(clause.node, definition.path)));
    return placement;
  };

  const diagnostics: GraphDiagnostic[] = [];
  for (const definition of unread) {
    const placement = placementOf(definition);
    if (placement.node === null || placement.node.kind !== 'variable' || placement.underUnknownCall) continue;
    const sameName = graph.definitions.filter((other) => other !== definition && other.name === definition.name);
    // A name repeated in one pattern (`{x, x}`) is one variable whose later occurrences read it.
    if (sameName.some((other) => placementOf(other).pattern === placement.pattern)) continue;
    const shadows = sameName.some((other) => {
      const earlier = placementOf(other);
      return isBefore(other, definition) && placement.scopes.includes(earlier.scopes[earlier.scopes.length - 1]!);
    });
    diagnostics.push({
      range: document.range(placement.node),
      severity: 'warning',
      code: 'unused-variable',
      message: shadows ? SHADOWING_UNUSED_VARIABLE_MESSAGE(definition.name) : UNUSED_VARIABLE_MESSAGE(definition.name),
      tags: ['unnecessary'],
    });
  }
  return diagnostics;
}

/** Where a definition sits in its clause, as far as Elixir's scoping is concerned. */
interface Placement {
  readonly node: AstNode | null;
  /** Key of the pattern it belongs to: occurrences with the same key are one variable. */
  readonly pattern: string;
  /** Keys of the scopes enclosing it, outermost first (`''` is the clause). */
  readonly scopes: readonly string[];
  /** Inside the arguments of a call whose handling of patterns is unknown (a macro, perhaps). */
  readonly underUnknownCall: boolean;
}

/**
 * Walks from the clause's `def` node down `path`, noting the scopes entered (the same scopes the
 * data-flow pass opens), the pattern being matched and whether an unknown call lies in between.
 */
function placeDefinition(root: AstNode, path: NodePath): Placement {
  const scopes: string[] = [''];
  let pattern = '';
  let inPattern = false;
  let underUnknownCall = false;
  let node: AstNode | null = root;
  let keyPrefix = '';
  // `name(params)` (perhaps under `when`) is the head, no call: its arguments are the parameters.
  let head = root.kind === 'call' ? root.args[0] : undefined;
  if (head !== undefined && isCall(head, 'when')) head = head.args[0];
  for (let depth = 0; depth < path.length && node !== null; depth++) {
    const index = path[depth]!;
    const here = keyPrefix;
    const children: readonly AstNode[] = childrenOf(node);
    const child = children[index];
    if (child === undefined) return { node: null, pattern, scopes, underUnknownCall: true };
    if (depth === 0) {
      // The `def` node: its first argument is the head (parameters and guard), the rest the body.
      if (index === 0) {
        inPattern = true;
        pattern = 'head';
      }
    } else if (node.kind === 'call') {
      const { name, args } = node;
      const last = index === args.length - 1;
      if (name === 'fn') underUnknownCall = false;
      else if (!MODELLED_CALLS.has(name) && !node.operator && node !== head) underUnknownCall = true;
      if (name === '->') {
        scopes.push(here);
        inPattern = index === 0;
        if (inPattern) pattern = here;
      } else if (name === '<-') {
        inPattern = index === 0;
        if (inPattern) pattern = here;
      } else if (name === '=') {
        if (!inPattern && index === 0) {
          inPattern = true;
          pattern = here;
        }
      } else if (inPattern && ((name === '\\\\' && index === 1) || (name === '::' && index === 1) || (name === 'when' && last))) {
        inPattern = false;
      } else if ((name === '&&' || name === '||' || name === 'and' || name === 'or') && index === 1) {
        scopes.push(here);
      } else if (name === 'with' || name === 'for') {
        const { leading } = splitKeywords(args);
        // Generators (and `do`) share one scope that `else`, `into:` and `reduce:` do not see.
        if (index < leading.length) scopes.push(`${here}/g`);
        else if (child.kind === 'list') {
          const entry = childOnPath(child, path[depth + 1]);
          if (entry?.kind === 'keyword' && entry.key === 'do') scopes.push(`${here}/g`);
        }
      }
    } else if (node.kind === 'remote' || node.kind === 'anonymousCall' || node.kind === 'dynamicCall') {
      underUnknownCall = true;
    } else if (node.kind === 'keyword' && depth >= 2) {
      // `do:`/`else:`/`after:`… of a block construct, or the body keywords of the `def` itself.
      const owner = nodeAt(root, path, depth - 2);
      const defBody = depth === 2 && path[0] !== 0;
      if (defBody || (owner?.kind === 'call' && BLOCK_SCOPED_CALLS.has(owner.name))) scopes.push(here);
    }
    node = child;
    keyPrefix = here === '' ? String(index) : `${here}.${index}`;
  }
  return { node, pattern: inPattern ? pattern : `expression:${keyPrefix}`, scopes, underUnknownCall };
}

function childOnPath(node: AstNode, index: number | undefined): AstNode | undefined {
  return index === undefined ? undefined : childrenOf(node)[index];
}

function nodeAt(root: AstNode, path: NodePath, length: number): AstNode | undefined {
  let node: AstNode | undefined = root;
  for (let depth = 0; depth < length && node !== undefined; depth++) node = childrenOf(node)[path[depth]!];
  return node;
}

function isBefore(a: VariableDefinition, b: VariableDefinition): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

// ---- unreachable clauses ----

function unreachableClauses(definitions: FileDefinitions, document: DocumentFacts): GraphDiagnostic[] {
  // Only clauses written directly in a module body are certainly all compiled: one under a
  // module-level `if` may be the only one of its function that is.
  const direct = directModuleForms(definitions);
  const byFunction = new Map<string, FunctionClause[]>();
  for (const clause of definitions.functions) {
    // Keyed by the module's definition, not its name: a file may define a module twice (tests
    // redefine modules), and each definition is compiled on its own.
    const module = direct.get(clause.node);
    if (module === undefined || !CHECKED_KINDS.has(clause.kind) || clause.dynamic || clause.arity === null || clause.bodiless) continue;
    if (document.hasSyntaxErrors(clause) || document.mentions(clause, 'unquote')) continue;
    // `defimpl P, for: [A, B]` yields the same clauses once per target module.
    const key = `${module}\u0000${clause.module}\u0000${clause.kind}\u0000${clause.name}/${clause.arity}`;
    const clauses = byFunction.get(key);
    if (clauses) clauses.push(clause);
    else byFunction.set(key, [clause]);
  }
  const diagnostics: GraphDiagnostic[] = [];
  for (const clauses of byFunction.values()) {
    const catchAll = clauses.findIndex((clause) => clause.guard === null && alwaysMatches(clause.params));
    if (catchAll === -1) continue;
    const previous = clauses[catchAll]!;
    for (const clause of clauses.slice(catchAll + 1)) {
      // After `defoverridable`, a new definition replaces the function instead of adding clauses.
      if (document.occursBetween('defoverridable', previous.node.end, clause.node.start)) break;
      // Defaults declared again in a later clause are a compile error, not a shadowed clause.
      if (clause.params.some((param) => isCall(param, '\\\\'))) continue;
      diagnostics.push({
        range: document.range(clause.node, headEnd(clause)),
        severity: 'warning',
        code: 'unreachable-clause',
        message: `this clause for ${clause.name}/${clause.arity} cannot match because a previous clause at line ${previous.line} always matches`,
        related: [{ range: document.range(previous.node, headEnd(previous)), message: 'this clause always matches' }],
      });
    }
  }
  return diagnostics;
}

/** Parameters the Erlang compiler knows to match anything: distinct variables, `_`, defaults. */
function alwaysMatches(params: readonly AstNode[]): boolean {
  const names = new Set<string>();
  const variable = (node: AstNode): boolean => {
    if (isCall(node, '\\\\') && node.args.length === 2) return variable(node.args[0]!);
    if (isCall(node, '=') && node.args.length === 2) return variable(node.args[0]!) && variable(node.args[1]!);
    if (node.kind !== 'variable') return false;
    if (node.name === '_') return true;
    if (names.has(node.name)) return false;
    names.add(node.name);
    return true;
  };
  return params.every(variable);
}

/** End of a clause's head (`def name(params) when guard`), where its range stops. */
function headEnd(clause: FunctionClause): number {
  return clause.node.args[0]?.end ?? clause.node.end;
}

/**
 * The definition forms written directly in a module body (not under `if`, `for`, `quote` …),
 * each with the index of the module definition holding it.
 */
function directModuleForms(definitions: FileDefinitions): Map<AstNode, number> {
  const forms = new Map<AstNode, number>();
  definitions.modules.forEach((module, index) => {
    for (const arg of module.node.args) {
      if (arg.kind !== 'list') continue;
      const body = keywordValue(arg, 'do');
      for (const form of blockExpressions(body)) forms.set(form, index);
    }
  });
  return forms;
}

// ---- the document ----

/** Lookups over one document's text shared by every clause: positions, syntax errors, words. */
class DocumentFacts {
  private readonly offsetsOf = new Map<string, number[]>();

  constructor(private readonly input: DiagnosticsInput) {}

  range(node: AstNode, end: number = node.end): LspRange {
    return { start: this.input.parse.lines.lspPosition(node.start), end: this.input.parse.lines.lspPosition(end) };
  }

  /** Whether the clause's variables can be judged at all (see the module comment). */
  variablesCheckable(clause: FunctionClause): boolean {
    if (!CHECKED_KINDS.has(clause.kind) || clause.bodiless || clause.dynamic || clause.body === null) return false;
    if (this.hasSyntaxErrors(clause)) return false;
    // `unquote` outside `quote` reads module-body variables at compile time, and `binding()`
    // reads every variable in scope: neither shows as a read in the graph.
    if (this.mentions(clause, 'unquote') && hasCompileTimeFragment(clause.node, 'unquote')) return false;
    if (this.mentions(clause, 'binding') && hasCompileTimeFragment(clause.node, 'binding')) return false;
    // `IEx.pry()` expands to a call with `binding()`.
    if (this.mentions(clause, 'pry') && hasCompileTimeFragment(clause.node, 'pry')) return false;
    return true;
  }

  hasSyntaxErrors(clause: FunctionClause): boolean {
    const last = clause.endLine ?? clause.line;
    return this.input.parse.errors.some((error) => error.line <= last && error.endLine >= clause.line);
  }

  /** Whether `word` occurs in the clause's text: a cheap filter before walking its tree. */
  mentions(clause: FunctionClause, word: string): boolean {
    return this.occursBetween(word, clause.node.start, clause.node.end);
  }

  /** Whether `word` occurs in the text between two offsets (each word's offsets are found once). */
  occursBetween(word: string, start: number, end: number): boolean {
    let offsets = this.offsetsOf.get(word);
    if (!offsets) {
      offsets = [];
      for (let at = this.input.text.indexOf(word); at !== -1; at = this.input.text.indexOf(word, at + 1)) offsets.push(at);
      this.offsetsOf.set(word, offsets);
    }
    // The first occurrence at or after `start`, by binary search.
    let low = 0;
    let high = offsets.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (offsets[middle]! < start) low = middle + 1;
      else high = middle;
    }
    return low < offsets.length && offsets[low]! < end;
  }
}

/**
 * Whether the clause calls `name` (`unquote`, `unquote_splicing`, `binding`) outside `quote`,
 * including in its head; an `error` node counts too, since its contents are unknown.
 */
function hasCompileTimeFragment(root: AstNode, name: string): boolean {
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.kind === 'error') return true;
    if (node.kind === 'call') {
      if (node.name === 'quote') {
        // Only `quote`'s options run in the function; its block is data.
        const { options } = splitKeywords(node.args);
        for (const [key, value] of options) if (key !== 'do') stack.push(value);
        continue;
      }
      if (node.name === name || node.name === `${name}_splicing`) return true;
    }
    // `Mod.unquote(name)(…)`: a function name computed at compile time.
    if (node.kind === 'remote' && node.name === name) return true;
    for (const child of childrenOf(node)) stack.push(child);
  }
  return false;
}
