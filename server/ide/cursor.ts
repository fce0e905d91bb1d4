/**
 * What is under the cursor, shared by hover, navigation, references and the call hierarchy: a
 * call to a function, a function's definition, a variable, a module alias, or nothing known.
 *
 * A call is found the way the graph names it: the cursor's node ID (clause and node path) is
 * matched against the clause's stored call sites (`calls.caller` + `calls.path`), walking up from
 * the innermost node, and the site counts only when the cursor is on its name token (so the
 * cursor on an argument is about the argument, not the call around it). Variables are read from
 * the clause's data-flow graph, built from the document's own tree; aliases are expanded with
 * the alias scope in force at the cursor, computed by walking down to it the way `alias`,
 * `require … as:` and `defmodule` scope.
 */
import { parseNodeId } from '../../common/nodeId';
import type { LinkedCall } from '../cpg/callGraphIndex';
import type { FunctionClause, ModuleDefinition } from '../cpg/definitions';
import type { DataFlowGraph } from '../cpg/graph';
import { buildDataFlow } from '../cpg/dataFlow';
import { type AliasScope, applyAlias, applyRequire, definedModuleName, expandAlias, staticModule, withAlias } from '../cpg/moduleNames';
import type { NodeLocation } from '../cpg/nodeIds';
import { type AliasNode, type AstNode, childrenOf } from '../syntax/ast';
import { type Position, type Range, clauseNameSpan, fileIdOf, functionIdOfClause, lspRange, offsetOf } from './positions';
import type { IdeDocument, WorkspaceView } from './workspaceView';

export type CursorTarget =
  /** A call site; `target` is the called function (`Mod.f/2`, default arities resolved), `null` when unknown. */
  | { readonly kind: 'call'; readonly call: LinkedCall; readonly target: string | null; readonly range: Range }
  /** The name (or `def` keyword) of a function clause. */
  | { readonly kind: 'definition'; readonly clause: FunctionClause; readonly functionId: string; readonly range: Range }
  /** A variable, as a definition or a use in its clause's data-flow graph. */
  | {
      readonly kind: 'variable';
      readonly clause: FunctionClause;
      readonly name: string;
      /** Dotted node path inside the clause. */
      readonly path: string;
      readonly graph: DataFlowGraph;
      readonly range: Range;
    }
  /** A module alias (or `__MODULE__`), expanded. */
  | { readonly kind: 'module'; readonly module: string; readonly range: Range }
  | { readonly kind: 'none' };

export interface Cursor {
  readonly document: IdeDocument;
  readonly offset: number;
  /** The innermost node at the cursor, with its node ID. */
  readonly location: NodeLocation;
  /** The file's id in the repository; `undefined` when the graph does not hold it. */
  readonly fileId: number | undefined;
  readonly target: CursorTarget;
}

/** What the cursor is on; `undefined` outside every node or for a document that cannot be read. */
export function cursorAt(view: WorkspaceView, path: string, position: Position): Cursor | undefined {
  const document = view.document(path);
  if (!document) return undefined;
  const offset = offsetOf(document, position);
  if (offset === undefined) return undefined;
  const location = document.nodeIds.nodeAtOffset(offset);
  if (!location) return undefined;
  const fileId = fileIdOf(view, path);
  return { document, offset, location, fileId, target: targetAt(view, document, offset, location, fileId) };
}

function targetAt(view: WorkspaceView, document: IdeDocument, offset: number, location: NodeLocation, fileId: number | undefined): CursorTarget {
  const clause = location.clause;
  const nodePath = parseNodeId(location.nodeId)?.path ?? [];
  if (clause && fileId !== undefined) {
    const call = callAt(view, document, offset, clause, fileId, nodePath);
    if (call) return call;
  }
  if (clause) {
    const span = clauseNameSpan(document, clause);
    const onKeyword = offset >= clause.node.start && offset <= clause.node.start + clause.kind.length;
    if ((offset >= span.start && offset <= span.end) || onKeyword) {
      return { kind: 'definition', clause, functionId: functionIdOfClause(clause.id), range: lspRange(document.lines, span.start, span.end) };
    }
  }
  const node = location.node;
  if (node.kind === 'variable' && node.name === '__MODULE__') {
    const scope = scopeAt(document, offset);
    return scope.scope.module && !scope.scope.module.dynamic
      ? { kind: 'module', module: scope.scope.module.text, range: lspRange(document.lines, node.start, node.end) }
      : { kind: 'none' };
  }
  if (node.kind === 'variable' && clause && fileId !== undefined) {
    const dotted = nodePath.join('.');
    const graph = dataFlowOf(clause);
    if (graph && (graph.definitions.some((definition) => definition.path.join('.') === dotted) || graph.uses.some((use) => use.path.join('.') === dotted))) {
      return { kind: 'variable', clause, name: node.name, path: dotted, graph, range: lspRange(document.lines, node.start, node.end) };
    }
    return { kind: 'none' };
  }
  if (node.kind === 'alias') return moduleTarget(document, offset, node);
  return { kind: 'none' };
}

/** The stored call site whose node is the innermost node or one of its ancestors and whose name token holds the cursor. */
function callAt(
  view: WorkspaceView,
  document: IdeDocument,
  offset: number,
  clause: FunctionClause,
  fileId: number,
  nodePath: readonly number[],
): CursorTarget | undefined {
  const callGraph = view.queries.callGraph;
  const sites = callGraph.callsFrom(functionIdOfClause(clause.id)).filter((call) => call.caller === clause.id && call.fileId === fileId);
  if (sites.length === 0) return undefined;
  for (let length = nodePath.length; length >= 0; length--) {
    const dotted = nodePath.slice(0, length).join('.');
    // `apply/3` yields an imported site and a dynamic one on the same node; the linked one wins.
    const candidates = sites.filter((site) => site.path === dotted).sort((a, b) => Number(b.target !== null) - Number(a.target !== null));
    for (const site of candidates) {
      const token = nameToken(document, site);
      if (token && offset >= token.start && offset <= token.end) {
        return { kind: 'call', call: site, target: site.target, range: lspRange(document.lines, token.start, token.end) };
      }
    }
  }
  return undefined;
}

const IDENTIFIER = /[\p{L}\p{N}_]+[?!]?/uy;

/** The offsets of a call site's name token (the stored position points at it). */
export function nameToken(document: IdeDocument, site: { line: number; column: number }): { start: number; end: number } | undefined {
  const start = document.lines.offsetOfElixirPosition({ line: site.line, column: site.column });
  if (start === undefined) return undefined;
  IDENTIFIER.lastIndex = start;
  const match = IDENTIFIER.exec(document.text);
  return { start, end: start + (match ? match[0].length : 1) };
}

const dataFlowGraphs = new WeakMap<FunctionClause, DataFlowGraph>();

/**
 * The data-flow graph of a clause of the document, built from the document's own tree (so its
 * positions are the document's) and kept as long as the clause's tree is.
 */
export function dataFlowOf(clause: FunctionClause): DataFlowGraph {
  let graph = dataFlowGraphs.get(clause);
  if (!graph) dataFlowGraphs.set(clause, (graph = buildDataFlow(clause)));
  return graph;
}

/** Definitions (node paths, dotted) whose binding the variable node at `path` is or sees. */
export function bindingsOf(graph: DataFlowGraph, path: string): string[] {
  if (graph.definitions.some((definition) => definition.path.join('.') === path)) return [path];
  return graph.edges.filter((edge) => edge.kind === 'reach' && edge.to.join('.') === path).map((edge) => edge.from.join('.'));
}

/**
 * Every occurrence of the variable at `path`: the definitions it is or sees, and every use those
 * definitions reach (a use reached by several definitions, after a rebinding in branches, joins
 * them). Returned as dotted paths, definitions first.
 */
export function occurrencesOf(graph: DataFlowGraph, path: string): { definitions: string[]; uses: string[] } {
  const reach = graph.edges.filter((edge) => edge.kind === 'reach').map((edge) => [edge.from.join('.'), edge.to.join('.')] as const);
  const definitions = new Set(bindingsOf(graph, path));
  const uses = new Set<string>();
  if (definitions.size === 0) uses.add(path);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, to] of reach) {
      if (definitions.has(from) && !uses.has(to)) {
        uses.add(to);
        changed = true;
      }
      if (uses.has(to) && !definitions.has(from)) {
        definitions.add(from);
        changed = true;
      }
    }
  }
  return { definitions: [...definitions], uses: [...uses] };
}

function moduleTarget(document: IdeDocument, offset: number, node: AliasNode): CursorTarget {
  const { scope, chain } = scopeAt(document, offset);
  const range = lspRange(document.lines, node.start, node.end);
  const parent = chain[chain.length - 2];
  // The name of a `defmodule`: the module it defines, nesting included.
  const defined = parent && definitionOfModuleNode(document, parent);
  if (defined && parent.kind === 'call' && parent.args[0] === node) return { kind: 'module', module: defined.name, range };
  // `alias Foo.{Bar, Baz}`: each entry is relative to the receiver.
  if (parent?.kind === 'remote' && parent.name === '{}' && parent.receiver !== node) {
    const base = expandAlias(parent.receiver, scope);
    const segments = node.segments.filter((segment): segment is string => typeof segment === 'string');
    if (base && !base.dynamic && segments.length === node.segments.length) return { kind: 'module', module: `${base.text}.${segments.join('.')}`, range };
  }
  // On `Foo` in `Foo.Bar.Baz`, the module `Foo` (through the aliases) is meant.
  const segmentIndex = segmentAt(document.text, node, offset);
  const prefix: AliasNode = { ...node, segments: node.segments.slice(0, segmentIndex + 1) };
  const module = expandAlias(prefix, scope);
  return module && !module.dynamic ? { kind: 'module', module: module.text, range } : { kind: 'none' };
}

function segmentAt(text: string, node: AliasNode, offset: number): number {
  const written = text.slice(node.start, Math.min(offset, node.end));
  const dots = (written.match(/\./g) ?? []).length;
  return Math.min(dots, node.segments.length - 1);
}

function definitionOfModuleNode(document: IdeDocument, node: AstNode): ModuleDefinition | undefined {
  return document.definitions.modules.find((module) => module.node === node);
}

/**
 * The alias scope in force at an offset, and the chain of nodes from the top form down to the
 * innermost one holding it. Walks down as `definitions.ts` and `references.ts` scope: the
 * statements of a block before the one holding the cursor apply their `alias`/`require … as:` and
 * the alias a nested `defmodule` creates; a module's body sees its own name and auto-alias.
 */
export function scopeAt(document: IdeDocument, offset: number): { scope: AliasScope; chain: AstNode[] } {
  const sourceText = (node: AstNode) => document.text.slice(node.start, node.end);
  let scope: AliasScope = { module: null, aliases: new Map() };
  const chain: AstNode[] = [];
  let siblings: readonly AstNode[] = document.parse.forms;
  let threaded = true;
  let moduleBody: AliasScope | null = null;
  for (let depth = 0; depth < 2000; depth++) {
    const index = indexContaining(siblings, offset);
    if (index === -1) break;
    if (threaded) for (const sibling of siblings.slice(0, index)) scope = afterStatement(sibling, scope, sourceText);
    const node = siblings[index]!;
    // A module's body (its `do:` keyword) sees the module; its name and `for:` do not.
    if (moduleBody && node.kind === 'list' && chain.length > 0 && isModuleNode(document, chain[chain.length - 1]!)) {
      const [keyword] = node.items.filter((item) => item.start <= offset && offset <= item.end);
      if (keyword?.kind === 'keyword' && keyword.key === 'do') scope = moduleBody;
    }
    moduleBody = null;
    chain.push(node);
    const module = definitionOfModuleNode(document, node);
    if (module && node.kind === 'call') {
      const autoAlias = node.name === 'defimpl' ? null : definedModuleName(node.args[0]!, scope, sourceText).autoAlias;
      const outer = autoAlias ? withAlias(scope, autoAlias[0], autoAlias[1]) : scope;
      moduleBody = { module: module.dynamic ? { text: module.name, dynamic: true } : staticModule(module.name), aliases: outer.aliases };
    }
    threaded = node.kind === 'call' && node.name === '__block__';
    siblings = childrenOf(node);
  }
  return { scope, chain };
}

function isModuleNode(document: IdeDocument, node: AstNode): boolean {
  return definitionOfModuleNode(document, node) !== undefined;
}

function afterStatement(node: AstNode, scope: AliasScope, sourceText: (node: AstNode) => string): AliasScope {
  if (node.kind !== 'call') return scope;
  switch (node.name) {
    case 'alias':
      return { module: scope.module, aliases: applyAlias(node.args, scope).aliases };
    case 'require':
      return { module: scope.module, aliases: applyRequire(node.args, scope).aliases };
    case 'defmodule':
    case 'defprotocol': {
      if (node.args.length !== 2 || node.args[1]!.kind !== 'list') return scope;
      const { autoAlias } = definedModuleName(node.args[0]!, scope, sourceText);
      return autoAlias ? withAlias(scope, autoAlias[0], autoAlias[1]) : scope;
    }
    default:
      return scope;
  }
}

// As `FileNodeIds` finds the child holding an offset, so the chain agrees with node IDs: children
// are in source order, a node holds its start and its end (a cursor just after `foo`), and
// zero-width synthetic nodes hold nothing.
function indexContaining(nodes: readonly AstNode[], offset: number): number {
  let low = 0;
  let high = nodes.length - 1;
  let candidate = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (nodes[middle]!.start <= offset) {
      candidate = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  for (let index = candidate; index >= 0; index--) {
    const node = nodes[index]!;
    if (node.start <= offset && offset <= node.end && node.end > node.start) return index;
    if (node.end < offset && index < candidate) break;
  }
  return -1;
}
