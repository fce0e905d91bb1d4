/**
 * The data-flow graph of one function clause (`DataFlowGraph` in `graph.ts`): which binding of a
 * variable each read sees, which value each pattern variable is matched against, and how values
 * flow from operands into the expressions that consume them and out of the clause as its result.
 *
 * Definitions are exactly the binding occurrences `references.ts` reports (same walk, same `via`,
 * same exclusions: `_`-prefixed and special variables, guards, pins, size specs, `quote`), so the
 * two passes can never disagree about what a clause binds. On top of that this pass models
 * Elixir's lexical scoping, which `references.ts` deliberately leaves out:
 * - a rebinding is a new definition; a read sees the latest definition visible at that point;
 * - `case`/`receive`/`cond`/`fn`/`->` clauses, `if`/`unless` branches, `try` blocks, `with` and
 *   `for` bodies are scopes of their own: nothing bound inside is visible after the construct;
 *   bindings in a `case` subject or an `if` condition (ordinary expressions) stay visible;
 * - `with`/`for` clauses see the bindings of the clauses before them; `with … else` does not;
 * - reads inside an `fn` (or an `&(…)` capture) of variables bound outside it are `captured`;
 * - pins and guards see the scope before the pattern and after it respectively; a binary size
 *   (`<<n::8, data::binary-size(n)>>`) also sees variables bound earlier in the same pattern.
 * Code under `quote` is data, except `unquote(…)` inside it, which runs in the function.
 * `unquote(…)` outside any `quote` (a `def` generated in a module-level `for`) is an unquote
 * fragment: it reads module-body variables at compile time, so it yields no reads here.
 *
 * Value edges (`bind`, `operand`, `return`) use node paths. Besides call arguments and operator
 * operands, the result (last expression) of each branch of a `case`/`if`/`cond`/`receive`/`try`/
 * `with`/`for`, and the last expression of a block, is an `operand` of the construct, because the
 * construct's value is that result. Values that come from outside the clause (parameters, received
 * messages, rescued exceptions) have no incoming edge; a default argument (`x \\ value`) binds its
 * parameter. Conditions and `case` subjects pick a branch but are not its value: no `operand` edge.
 *
 * The pass never throws on half-typed code: anything it does not recognise is walked as an
 * ordinary expression, `error` nodes included.
 */
import type { NodePath } from '../../common/nodeId';
import {
  type AstNode,
  type CallNode,
  type ListNode,
  type VariableNode,
  childrenOf,
  isCall,
  keywordEntries,
  splitKeywords,
} from '../syntax/ast';
import type { FunctionClause } from './definitions';
import type {
  DataFlowGraph,
  DefinitionKind,
  DfgEdge,
  DfgEdgeKind,
  VariableDefinition,
  VariableUse,
} from './graph';
import { nodePathsOf } from './nodePaths';

/** The data-flow graph of one clause. Pure; never throws on bad code. */
export function buildDataFlow(clause: FunctionClause): DataFlowGraph {
  return new DataFlowBuilder(clause.node).clause(clause);
}

/** Position and a short label of a node, for display (`Enum.map/2`, `case`, `{…}`, `x`). */
export interface DataFlowNodeDescription {
  readonly line: number;
  readonly column: number;
  readonly label: string;
}

/** Looks up the description of a node of `clause` by its path; `undefined` for unknown paths. */
export function dataFlowNodeDescriber(clause: FunctionClause): (path: NodePath) => DataFlowNodeDescription | undefined {
  const nodes = new Map<string, AstNode>();
  for (const [node, path] of nodePathsOf(clause.node)) {
    const key = pathKey(path);
    if (!nodes.has(key)) nodes.set(key, node);
  }
  return (path) => {
    const node = nodes.get(pathKey(path));
    return node === undefined ? undefined : { line: node.line, column: node.column, label: nodeLabel(node) };
  };
}

/**
 * A deterministic text form of a clause's graph, for golden files and the CLI: definitions, uses
 * (with the definitions that reach them) and edges grouped by kind. Variables are shown with
 * their names and positions; other nodes by `describe` when given, else by path alone.
 */
export function renderDataFlow(
  clauseId: string,
  graph: DataFlowGraph,
  describe?: (path: NodePath) => DataFlowNodeDescription | undefined,
): string {
  const definitionsByPath = new Map(graph.definitions.map((definition) => [pathKey(definition.path), definition]));
  const usesByPath = new Map(graph.uses.map((use) => [pathKey(use.path), use]));
  const endpoint = (path: NodePath): string => {
    const shown = `[${pathKey(path)}]`;
    const definition = definitionsByPath.get(pathKey(path));
    if (definition) return `def ${definition.name} ${definition.line}:${definition.column} ${shown}`;
    const use = usesByPath.get(pathKey(path));
    if (use) return `${use.pinned ? '^' : ''}${use.name} ${use.line}:${use.column} ${shown}`;
    if (path.length === 0) return 'clause []';
    const description = describe?.(path);
    return description ? `${description.label} ${description.line}:${description.column} ${shown}` : shown;
  };

  const lines = [`clause ${clauseId}`];
  lines.push(`  definitions (${graph.definitions.length})`);
  for (const definition of graph.definitions) {
    lines.push(`    ${definition.name} ${definition.line}:${definition.column} ${definition.via} [${pathKey(definition.path)}]`);
  }
  const reachingByUse = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (edge.kind !== 'reach') continue;
    const definition = definitionsByPath.get(pathKey(edge.from));
    const reaching = reachingByUse.get(pathKey(edge.to)) ?? [];
    reaching.push(definition ? `${definition.name} ${definition.line}:${definition.column}` : `[${pathKey(edge.from)}]`);
    reachingByUse.set(pathKey(edge.to), reaching);
  }
  lines.push(`  uses (${graph.uses.length})`);
  for (const use of graph.uses) {
    const flags = [use.pinned ? 'pinned' : '', use.captured ? 'captured' : ''].filter((flag) => flag !== '');
    const source = reachingByUse.get(pathKey(use.path))?.join(', ') ?? 'UNBOUND';
    lines.push(
      `    ${use.pinned ? '^' : ''}${use.name} ${use.line}:${use.column}${flags.length ? ` ${flags.join(' ')}` : ''} [${pathKey(use.path)}] <- ${source}`,
    );
  }
  lines.push(`  edges (${graph.edges.length})`);
  for (const kind of EDGE_KIND_ORDER) {
    for (const edge of graph.edges) {
      if (edge.kind === kind) lines.push(`    ${kind.padEnd(7)} ${endpoint(edge.from)} -> ${endpoint(edge.to)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const EDGE_KIND_ORDER: readonly DfgEdgeKind[] = ['reach', 'bind', 'operand', 'return'];

// Never variables of the function: they read compile-time environment, as in `references.ts`.
const SPECIAL_VARIABLES = new Set(['__MODULE__', '__ENV__', '__DIR__', '__CALLER__', '__STACKTRACE__']);

/** What a name is bound to in a scope: a reported definition, or `null` for one that is not reported (`_x`). */
interface Binding {
  readonly definition: number | null;
  /** How many `fn`/`&(…)` bodies enclose the binding; a read from deeper in is a capture. */
  readonly closureDepth: number;
}

/** One lexical scope; bindings made in it are dropped when the construct that opened it ends. */
class Scope {
  private readonly bindings = new Map<string, Binding>();

  constructor(
    private readonly parent: Scope | null,
    readonly closureDepth: number,
  ) {}

  lookup(name: string): Binding | undefined {
    for (let scope: Scope | null = this; scope !== null; scope = scope.parent) {
      const binding = scope.bindings.get(name);
      if (binding !== undefined) return binding;
    }
    return undefined;
  }

  bind(name: string, definition: number | null): void {
    this.bindings.set(name, { definition, closureDepth: this.closureDepth });
  }

  /** A branch, clause or block whose bindings do not outlive it. */
  child(): Scope {
    return new Scope(this, this.closureDepth);
  }

  /** The body of an `fn` or `&(…)`: reads of outer variables from here on are captures. */
  closure(): Scope {
    return new Scope(this, this.closureDepth + 1);
  }
}

/**
 * The bindings one pattern (or a clause head of several patterns) makes. They are committed to
 * the scope only after the whole pattern is walked, because a pin inside it must still see the
 * variable's previous binding, while a guard after it sees the new ones.
 */
class PatternMatch {
  readonly pending: [string, number | null][] = [];
  /** Reported definitions, for the `bind` edges from the matched value. */
  readonly definitions: number[] = [];
  /** Guards (`when …`), read once the pattern's bindings are in scope. */
  readonly guards: AstNode[] = [];
  /** Default arguments (`x \\ value`), evaluated before the head binds anything. */
  readonly defaults: { readonly value: AstNode; readonly definitions: number[] }[] = [];

  lookup(name: string): number | null | undefined {
    for (let index = this.pending.length - 1; index >= 0; index--) {
      const [pendingName, definition] = this.pending[index]!;
      if (pendingName === name) return definition;
    }
    return undefined;
  }
}

interface Context {
  readonly scope: Scope;
  /** Inside an `unquote(…)` fragment outside `quote`: names are compile-time module-body variables. */
  readonly fragment: boolean;
  /** While walking a binary size inside a pattern: the pattern's bindings so far are visible. */
  readonly pending: PatternMatch | null;
}

/** Where a value goes: a node consuming it (`operand`) or a region's exit (`return`). */
interface Sink {
  readonly node: AstNode;
  readonly kind: DfgEdgeKind;
}

class DataFlowBuilder {
  private readonly paths: ReadonlyMap<AstNode, NodePath>;
  private readonly definitions: VariableDefinition[] = [];
  private readonly uses: VariableUse[] = [];
  /** Edges by source and target path array (the shared index gives one array per node). */
  private readonly edgeIndex = new Map<NodePath, Map<NodePath, DfgEdgeKind[]>>();
  private readonly edgeList: DfgEdge[] = [];

  constructor(private readonly root: AstNode) {
    this.paths = nodePathsOf(root);
  }

  clause(clause: FunctionClause): DataFlowGraph {
    const context: Context = { scope: new Scope(null, 0), fragment: false, pending: null };
    const head = new PatternMatch();
    for (const param of clause.params) this.pattern(param, 'param', context, head);
    this.commit(head, context);
    if (clause.guard) {
      this.expression(clause.guard, context);
      // A `defguard`'s guard is its body: its value is what the guard returns.
      if (clause.kind === 'defguard' || clause.kind === 'defguardp') this.edge(clause.guard, this.root, 'return');
    }
    if (clause.body) this.tryBlocks(keywordEntries(clause.body), context, { node: this.root, kind: 'return' });
    return this.graph();
  }

  private graph(): DataFlowGraph {
    const definitions = [...this.definitions].sort(byPosition);
    const uses = [...this.uses].sort(byPosition);
    const sorted = this.edgeList.sort(
      (a, b) => comparePaths(a.from, b.from) || comparePaths(a.to, b.to) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
    );
    // Equal paths held in different arrays escape the identity check: drop them here.
    const edges = sorted.filter(
      (edge, index) => index === 0 || edge.kind !== sorted[index - 1]!.kind || comparePaths(edge.from, sorted[index - 1]!.from) !== 0 || comparePaths(edge.to, sorted[index - 1]!.to) !== 0,
    );
    return { definitions, uses, edges };
  }

  // ---- edges, definitions, uses ----

  private edge(from: AstNode, to: AstNode, kind: DfgEdgeKind): void {
    this.edgeBetween(this.paths.get(from), this.paths.get(to), kind);
  }

  private edgeBetween(from: NodePath | undefined, to: NodePath | undefined, kind: DfgEdgeKind): void {
    if (from === undefined || to === undefined) return;
    let targets = this.edgeIndex.get(from);
    if (!targets) this.edgeIndex.set(from, (targets = new Map()));
    const kinds = targets.get(to);
    if (kinds?.includes(kind)) return;
    if (kinds) kinds.push(kind);
    else targets.set(to, [kind]);
    this.edgeList.push({ from, to, kind });
  }

  private bindEdges(source: AstNode, definitions: readonly number[]): void {
    for (const definition of definitions) this.edgeBetween(this.paths.get(source), this.definitions[definition]!.path, 'bind');
  }

  /** A binding occurrence; `via === null` walks a pattern whose bindings are not reported (`match?/2`). */
  private define(node: VariableNode, via: DefinitionKind | null, match: PatternMatch): void {
    const path = this.paths.get(node);
    if (via === null || path === undefined || node.name.startsWith('_') || SPECIAL_VARIABLES.has(node.name)) {
      match.pending.push([node.name, null]);
      return;
    }
    const index = this.definitions.push({ path, name: node.name, line: node.line, column: node.column, via }) - 1;
    match.pending.push([node.name, index]);
    match.definitions.push(index);
  }

  private read(node: VariableNode, context: Context, pinned: boolean): void {
    const path = this.paths.get(node);
    if (path === undefined || context.fragment || node.name.startsWith('_') || SPECIAL_VARIABLES.has(node.name)) return;
    let definition: number | null | undefined = context.pending?.lookup(node.name);
    let captured = false;
    if (definition === undefined) {
      const binding = context.scope.lookup(node.name);
      definition = binding?.definition;
      captured = binding !== undefined && binding.closureDepth < context.scope.closureDepth;
    }
    // Bound, but by a binding this pass does not report (a `match?/2` pattern variable).
    if (definition === null) return;
    this.uses.push({ path, name: node.name, line: node.line, column: node.column, pinned, captured });
    if (definition !== undefined) this.edgeBetween(this.definitions[definition]!.path, path, 'reach');
  }

  /** Puts a pattern's bindings in scope: defaults first (they cannot see the head), then the guards. */
  private commit(match: PatternMatch, context: Context): void {
    for (const { value, definitions } of match.defaults) {
      this.expression(value, context);
      this.bindEdges(value, definitions);
    }
    for (const [name, definition] of match.pending) context.scope.bind(name, definition);
    for (const guard of match.guards) this.expression(guard, context);
  }

  // ---- expressions ----

  /** Walks `child` as a value and records that `consumer` consumes it. */
  private operand(child: AstNode, consumer: AstNode, context: Context): void {
    this.expression(child, context);
    this.edge(child, consumer, 'operand');
  }

  private expression(node: AstNode, context: Context): void {
    switch (node.kind) {
      case 'variable':
        this.read(node, context, false);
        return;
      case 'alias':
      case 'atom':
      case 'number':
        return;
      case 'call':
        this.callExpression(node, context, null);
        return;
      case 'remote':
        if (isStaticModule(node.receiver)) this.expression(node.receiver, context);
        else this.operand(node.receiver, node, context);
        // `Mod.unquote(name)(args)`: the function name is a compile-time fragment, not an argument.
        if (isUnquoteName(node)) this.expression(node.args[0]!, { ...context, fragment: true });
        else for (const arg of node.args) this.operand(arg, node, context);
        return;
      case 'error':
        for (const child of node.children) this.expression(child, context);
        return;
      default:
        for (const child of childrenOf(node)) this.operand(child, node, context);
    }
  }

  /** `piped` is the left side of `|>` when `node` is its right side (the subject of a piped `case`). */
  private callExpression(node: CallNode, context: Context, piped: AstNode | null): void {
    const { name, args } = node;
    switch (name) {
      case '__block__': {
        const result = this.body(node, context);
        if (result !== undefined && result !== node) this.edge(result, node, 'operand');
        return;
      }
      case '=':
        if (args.length === 2) {
          this.match(args[0]!, args[1]!, 'match', context);
          this.edge(args[1]!, node, 'operand');
          return;
        }
        break;
      case '^':
        // Outside a recognised pattern (a macro's pattern argument): still a read of the pinned variable.
        if (args.length === 1 && args[0]!.kind === 'variable') this.read(args[0], context, true);
        return;
      case '@':
        return;
      case 'alias':
      case 'require':
      case 'import':
        // The directives name modules; a local function of the same name
        // (`require(files, opts, elixirc_opts)` in Mix) is an ordinary call whose arguments are read.
        if (args.length <= 2 && (args.length === 0 || isModuleOperand(args[0]!))) return;
        break;
      case 'defmodule':
      case 'defprotocol':
        // A module body is a scope of its own that sees nothing of the function's; its name is
        // evaluated here (`defmodule name do … end` reads `name`).
        if (args.length === 2 && args[1]!.kind === 'list') {
          this.expression(args[0]!, context);
          return;
        }
        break;
      case 'defimpl':
        if (args.length >= 2) return;
        break;
      case '|>':
        if (args.length === 2) {
          this.expression(args[0]!, context);
          this.piped(args[1]!, args[0]!, context);
          this.edge(args[1]!, node, 'operand');
          return;
        }
        break;
      case '&':
        if (args.length === 1) {
          this.capture(node, args[0]!, context);
          return;
        }
        break;
      case '::':
        if (args.length === 2) {
          this.operand(args[0]!, node, context);
          this.bitstringSpec(args[1]!, context);
          return;
        }
        break;
      case 'case':
        this.caseExpression(node, context, piped);
        return;
      case 'receive':
        this.receiveExpression(node, context);
        return;
      case 'try':
        this.tryBlocks(splitKeywords(args).options, context, { node, kind: 'operand' });
        return;
      case 'with':
        this.withExpression(node, context);
        return;
      case 'for':
        this.forExpression(node, context);
        return;
      case 'fn':
        this.clauses(args, 'fn', context, { sources: [], sink: { node, kind: 'return' }, closure: true });
        return;
      case 'cond':
        for (const [key, value] of splitKeywords(args).options) {
          if (key === 'do') this.expressionClauses(value, context, node);
          else this.expression(value, context);
        }
        return;
      case 'if':
      case 'unless':
        if (this.conditional(node, context)) return;
        break;
      case '&&':
      case '||':
      case 'and':
      case 'or':
        if (args.length === 2) {
          // The right side runs in a `case` clause of the macro's expansion: its bindings stay there.
          this.operand(args[0]!, node, context);
          this.operand(args[1]!, node, { ...context, scope: context.scope.child() });
          return;
        }
        break;
      case 'match?':
        if (args.length === 2) {
          this.operand(args[1]!, node, context);
          const inner: Context = { ...context, scope: context.scope.child() };
          const match = new PatternMatch();
          this.pattern(args[0]!, null, inner, match);
          this.commit(match, inner);
          return;
        }
        break;
      case '->':
        if (args.length === 2) {
          this.clauses([node], 'clause', context, { sources: [], sink: null, closure: false });
          return;
        }
        break;
      case 'quote':
        this.quote(node, context);
        return;
      case 'unquote':
      case 'unquote_splicing':
        if (args.length === 1) {
          this.expression(args[0]!, { ...context, fragment: true });
          return;
        }
        break;
    }
    for (const arg of args) this.operand(arg, node, context);
  }

  /** `left |> right`: the left value is the first argument (or the subject) of the right side. */
  private piped(right: AstNode, left: AstNode, context: Context): void {
    // `x |> foo` calls `foo(x)`: `foo` names a function, it is no variable read.
    if (right.kind === 'call') this.callExpression(right, context, left);
    else if (right.kind !== 'variable') this.expression(right, context);
    // Piped into `case` the value is the subject its clauses match (`bind` edges), into `if` the
    // condition: neither is an operand of the construct's value.
    if (!isCall(right, 'case') && !isCall(right, 'if') && !isCall(right, 'unless')) this.edge(left, right, 'operand');
  }

  /** `&Mod.fun/2` and `&fun/2` name functions; `&(&1 + x)` is a closure over `x`. */
  private capture(node: CallNode, captured: AstNode, context: Context): void {
    if (isCall(captured, '/') && captured.args.length === 2) {
      const [reference, arity] = captured.args;
      if (reference!.kind === 'variable') return;
      if (reference!.kind === 'remote' && reference!.args.length === 0) {
        if (!isStaticModule(reference!.receiver)) this.operand(reference!.receiver, node, context);
        if (arity!.kind !== 'number') this.expression(arity!, context);
        return;
      }
    }
    if (captured.kind === 'number') return;
    this.operand(captured, node, { ...context, scope: context.scope.closure() });
  }

  /** The type side of `value::type` in a bitstring: only `size(…)` and `unit(…)` read values. */
  private bitstringSpec(node: AstNode, context: Context): void {
    if (node.kind !== 'call') return;
    if ((node.name === '-' || node.name === '*') && node.args.length === 2) {
      for (const arg of node.args) this.bitstringSpec(arg, context);
    } else if ((node.name === 'size' || node.name === 'unit') && node.args.length === 1) {
      this.expression(node.args[0]!, context);
    }
  }

  /** `pattern = value`: the value is evaluated first, then the pattern binds. */
  private match(pattern: AstNode, value: AstNode, via: DefinitionKind, context: Context): void {
    this.expression(value, context);
    const match = new PatternMatch();
    this.pattern(pattern, via, context, match);
    this.commit(match, context);
    this.bindEdges(value, match.definitions);
  }

  /** Walks a block's expressions in sequence; returns the one whose value is the block's. */
  private body(node: AstNode, context: Context): AstNode | undefined {
    if (!isCall(node, '__block__')) {
      this.expression(node, context);
      return node;
    }
    for (const expression of node.args) this.expression(expression, context);
    return node.args[node.args.length - 1];
  }

  private caseExpression(node: CallNode, context: Context, piped: AstNode | null): void {
    const { leading, options } = splitKeywords(node.args);
    for (const arg of leading) this.expression(arg, context);
    const subject = piped ?? (leading.length === 1 ? leading[0]! : null);
    for (const [key, value] of options) {
      if (key === 'do') {
        this.clauses(value, 'case', context, { sources: subject ? [subject] : [], sink: { node, kind: 'operand' }, closure: false });
      } else this.expression(value, context);
    }
  }

  private receiveExpression(node: CallNode, context: Context): void {
    const { leading, options } = splitKeywords(node.args);
    for (const arg of leading) this.expression(arg, context);
    for (const [key, value] of options) {
      // A message comes from outside the clause: its pattern variables have no incoming value.
      if (key === 'do') this.clauses(value, 'receive', context, { sources: [], sink: { node, kind: 'operand' }, closure: false });
      else if (key === 'after') this.expressionClauses(value, context, node);
      else this.expression(value, context);
    }
  }

  /** `if`/`unless` with `do`/`else`: the condition's bindings stay visible, the branches' do not. */
  private conditional(node: CallNode, context: Context): boolean {
    const { leading, options } = splitKeywords(node.args);
    if (!options.some(([key]) => key === 'do')) return false;
    // The condition decides which branch runs but is not the value: no `operand` edge, as for a `case` subject.
    for (const arg of leading) this.expression(arg, context);
    for (const [key, value] of options) {
      if (key === 'do' || key === 'else') {
        const result = this.body(value, { ...context, scope: context.scope.child() });
        if (result !== undefined) this.edge(result, node, 'operand');
      } else this.expression(value, context);
    }
    return true;
  }

  /**
   * A `try` (or a function body with `rescue`/`catch`/`else`/`after`): nothing bound in `do` is
   * visible in the other blocks; `else` clauses match the `do` block's value.
   */
  private tryBlocks(entries: readonly [string, AstNode][], context: Context, sink: Sink): void {
    const hasElse = entries.some(([key]) => key === 'else');
    let doResult: AstNode | undefined;
    for (const [key, value] of entries) {
      const inner: Context = { ...context, scope: context.scope.child() };
      switch (key) {
        case 'do':
          doResult = this.body(value, inner);
          if (doResult !== undefined && !hasElse) this.edge(doResult, sink.node, sink.kind);
          break;
        case 'rescue':
        case 'catch':
          this.clauses(value, key, context, { sources: [], sink, closure: false });
          break;
        case 'else':
          this.clauses(value, 'else', context, { sources: doResult ? [doResult] : [], sink, closure: false });
          break;
        case 'after':
          this.body(value, inner);
          break;
        default:
          this.expression(value, context);
      }
    }
  }

  /** `with`: each clause sees the ones before it, `do` sees them all, `else` sees none. */
  private withExpression(node: CallNode, context: Context): void {
    const { leading, options } = splitKeywords(node.args);
    const inner: Context = { ...context, scope: context.scope.child() };
    const sources: AstNode[] = [];
    for (const arg of leading) {
      const source = this.generator(arg, inner);
      if (source !== null) sources.push(source);
    }
    for (const [key, value] of options) {
      if (key === 'do') {
        const result = this.body(value, { ...inner, scope: inner.scope.child() });
        if (result !== undefined) this.edge(result, node, 'operand');
      } else if (key === 'else') {
        // A clause that does not match hands its value to `else`.
        this.clauses(value, 'else', context, { sources, sink: { node, kind: 'operand' }, closure: false });
      } else this.expression(value, context);
    }
  }

  /**
   * `for`: generators and filters see the generators before them, the body sees them all;
   * `into:`/`uniq:`/`reduce:` values are evaluated outside; `reduce` clauses bind the
   * accumulator, first from the `reduce:` value and then from the previous iteration's result.
   */
  private forExpression(node: CallNode, context: Context): void {
    const { leading, options } = splitKeywords(node.args);
    const inner: Context = { ...context, scope: context.scope.child() };
    for (const arg of leading) this.generator(arg, inner);
    const reduce = options.find(([key]) => key === 'reduce')?.[1];
    for (const [key, value] of options) {
      if (key === 'do' && reduce !== undefined) {
        const clauses = this.clauses(value, 'reduce', inner, { sources: [reduce], sink: { node, kind: 'operand' }, closure: false });
        const accumulators = clauses.flatMap((clause) => clause.definitions);
        for (const clause of clauses) if (clause.result !== undefined) this.bindEdges(clause.result, accumulators);
      } else if (key === 'do') {
        const result = this.body(value, { ...inner, scope: inner.scope.child() });
        if (result !== undefined) this.edge(result, node, 'operand');
      } else if (key === 'into') {
        this.operand(value, node, context);
      } else {
        this.expression(value, context);
      }
    }
  }

  /**
   * A `for`/`with` argument: `pattern <- source`, `<<pattern <- source>>`, or an expression
   * (a filter, or `pattern = value`). Returns the source of a `<-`, whose value the pattern matches.
   */
  private generator(node: AstNode, context: Context): AstNode | null {
    let arrow: AstNode | undefined;
    if (isCall(node, '<-') && node.args.length === 2) arrow = node;
    else if (isCall(node, '<<>>') && node.args.length === 1 && isCall(node.args[0]!, '<-') && node.args[0].args.length === 2) {
      arrow = node.args[0];
    }
    if (arrow === undefined || arrow.kind !== 'call') {
      this.expression(node, context);
      return null;
    }
    const [pattern, source] = arrow.args;
    this.expression(source!, context);
    const match = new PatternMatch();
    if (isCall(pattern!, 'when') && pattern.args.length === 2) {
      this.pattern(pattern.args[0]!, 'generator', context, match);
      match.guards.push(pattern.args[1]!);
    } else {
      this.pattern(pattern!, 'generator', context, match);
    }
    this.commit(match, context);
    this.bindEdges(source!, match.definitions);
    return source!;
  }

  /**
   * `->` clauses whose left sides are patterns, each its own scope. `sources` are the values the
   * patterns match; each clause's result goes to `sink`. Returns what each clause bound and its result.
   */
  private clauses(
    node: AstNode | readonly AstNode[],
    via: DefinitionKind,
    context: Context,
    options: { readonly sources: readonly AstNode[]; readonly sink: Sink | null; readonly closure: boolean },
  ): { definitions: number[]; result: AstNode | undefined }[] {
    const list = Array.isArray(node) ? node : (node as AstNode).kind === 'list' ? (node as ListNode).items : null;
    if (list === null) {
      this.expression(node as AstNode, context);
      return [];
    }
    const walked: { definitions: number[]; result: AstNode | undefined }[] = [];
    for (const item of list) {
      if (!(isCall(item, '->') && item.args.length === 2 && item.args[0]!.kind === 'list')) {
        this.expression(item, context);
        continue;
      }
      const inner: Context = { ...context, scope: options.closure ? context.scope.closure() : context.scope.child() };
      const match = new PatternMatch();
      this.clauseHead(item.args[0].items, via, inner, match);
      this.commit(match, inner);
      for (const source of options.sources) this.bindEdges(source, match.definitions);
      const result = this.body(item.args[1]!, inner);
      if (result !== undefined && options.sink !== null) this.edge(result, options.sink.node, options.sink.kind);
      walked.push({ definitions: match.definitions, result });
    }
    return walked;
  }

  private clauseHead(patterns: readonly AstNode[], via: DefinitionKind, context: Context, match: PatternMatch): void {
    if (patterns.length === 1 && isCall(patterns[0]!, 'when') && patterns[0].args.length > 0) {
      const whenArgs = patterns[0].args;
      for (const pattern of whenArgs.slice(0, -1)) this.clausePattern(pattern, via, context, match);
      match.guards.push(whenArgs[whenArgs.length - 1]!);
      return;
    }
    for (const pattern of patterns) this.clausePattern(pattern, via, context, match);
  }

  private clausePattern(node: AstNode, via: DefinitionKind, context: Context, match: PatternMatch): void {
    if (via === 'rescue') {
      if (isCall(node, 'in') && node.args.length === 2 && node.args[0]!.kind === 'variable') {
        this.define(node.args[0], 'rescue', match);
        this.expression(node.args[1]!, context);
        return;
      }
      if (node.kind === 'alias') return;
    }
    this.pattern(node, via, context, match);
  }

  /** `->` clauses whose left sides are expressions (`cond`, `receive … after`), each its own scope. */
  private expressionClauses(node: AstNode, context: Context, construct: AstNode): void {
    if (node.kind !== 'list') {
      this.expression(node, context);
      return;
    }
    for (const item of node.items) {
      if (isCall(item, '->') && item.args.length === 2 && item.args[0]!.kind === 'list') {
        const inner: Context = { ...context, scope: context.scope.child() };
        for (const condition of item.args[0].items) this.expression(condition, inner);
        const result = this.body(item.args[1]!, inner);
        if (result !== undefined) this.edge(result, construct, 'operand');
      } else {
        this.expression(item, context);
      }
    }
  }

  /** `quote`: data, except its options and (unless disabled) the `unquote(…)` fragments inside. */
  private quote(node: CallNode, context: Context): void {
    const { leading, options } = splitKeywords(node.args);
    const unquote = unquoteEnabled(options);
    for (const [key, value] of options) {
      if (key === 'do') this.quoted(value, unquote, node, context);
      else this.operand(value, node, context);
    }
    for (const arg of leading) this.quoted(arg, unquote, node, context);
  }

  /** Finds the `unquote(…)` fragments in quoted code; their values go into the quoted result. */
  private quoted(node: AstNode, unquote: boolean, quote: AstNode, context: Context): void {
    if (node.kind === 'call' && (node.name === 'unquote' || node.name === 'unquote_splicing') && node.args.length === 1) {
      if (unquote) {
        this.operand(node.args[0]!, quote, { ...context, fragment: false, pending: null });
        return;
      }
    } else if (node.kind === 'remote' && isUnquoteName(node)) {
      this.quoted(node.receiver, unquote, quote, context);
      if (unquote) this.operand(node.args[0]!, quote, { ...context, fragment: false, pending: null });
      else this.quoted(node.args[0]!, unquote, quote, context);
      return;
    } else if (isCall(node, 'quote')) {
      // A quote inside a quote is still data; its own `unquote:` option says what escapes.
      const { leading, options } = splitKeywords(node.args);
      const innerUnquote = unquoteEnabled(options);
      for (const [key, value] of options) this.quoted(value, key === 'do' ? innerUnquote : unquote, quote, context);
      for (const arg of leading) this.quoted(arg, innerUnquote, quote, context);
      return;
    }
    for (const child of childrenOf(node)) this.quoted(child, unquote, quote, context);
  }

  // ---- patterns ----

  /**
   * Walks a pattern, collecting its bindings in `match` with the same rules as `references.ts`;
   * pins are reads of the scope before the pattern, guards and defaults are deferred to `commit`.
   */
  private pattern(node: AstNode, via: DefinitionKind | null, context: Context, match: PatternMatch): void {
    switch (node.kind) {
      case 'variable':
        this.define(node, via, match);
        return;
      case 'alias':
        return;
      case 'remote':
        for (const arg of node.args) this.pattern(arg, via, context, match);
        return;
      case 'call':
        this.callPattern(node, via, context, match);
        return;
      default:
        for (const child of childrenOf(node)) this.pattern(child, via, context, match);
    }
  }

  private callPattern(node: CallNode, via: DefinitionKind | null, context: Context, match: PatternMatch): void {
    const { name, args } = node;
    switch (name) {
      case '^':
        if (args.length === 1 && args[0]!.kind === 'variable') this.read(args[0], context, true);
        return;
      case '@':
        return;
      case '=':
        if (via === null && args.length === 2) {
          // Inside a pattern `references.ts` does not report (`match?/2`), a nested `=` is walked
          // as an ordinary match, whose left side does bind.
          this.pattern(args[0]!, 'match', context, match);
          this.pattern(args[1]!, null, context, match);
          return;
        }
        for (const arg of args) this.pattern(arg, via, context, match);
        return;
      case '::':
        if (args.length === 2) {
          this.pattern(args[0]!, via, context, match);
          this.bitstringSpec(args[1]!, { ...context, pending: match });
          return;
        }
        break;
      case '\\\\':
        if (args.length === 2) {
          const firstDefinition = match.definitions.length;
          this.pattern(args[0]!, via, context, match);
          match.defaults.push({ value: args[1]!, definitions: match.definitions.slice(firstDefinition) });
          return;
        }
        break;
      case 'when':
        if (args.length > 0) {
          for (const arg of args.slice(0, -1)) this.pattern(arg, via, context, match);
          match.guards.push(args[args.length - 1]!);
          return;
        }
        break;
      case 'unquote':
      case 'unquote_splicing':
        // Patterns are never walked inside `quote` here, so this is a compile-time fragment.
        if (args.length === 1) {
          this.expression(args[0]!, { ...context, fragment: true });
          return;
        }
        break;
      case 'quote':
        this.expression(node, context);
        return;
    }
    for (const arg of args) this.pattern(arg, via, context, match);
  }
}


/** `__MODULE__`, `Foo`, `:lists`: a receiver that names a module rather than carrying a value. */
function isStaticModule(receiver: AstNode): boolean {
  return receiver.kind === 'alias' || receiver.kind === 'atom' || (receiver.kind === 'variable' && SPECIAL_VARIABLES.has(receiver.name));
}

/** The first argument of an `alias`/`require`/`import` directive: `Foo`, `:lists`, `__MODULE__`, `Foo.{A, B}`. */
function isModuleOperand(node: AstNode): boolean {
  return isStaticModule(node) || (node.kind === 'remote' && node.name === '{}');
}

/** `Mod.unquote(name)`, the callee of `Mod.unquote(name)(args)`: a function name computed at compile time. */
function isUnquoteName(node: AstNode & { kind: 'remote' }): boolean {
  return (node.name === 'unquote' || node.name === 'unquote_splicing') && node.args.length === 1;
}

/** Whether `unquote` escapes in a `quote` with these options (`references.ts`'s rule). */
function unquoteEnabled(options: readonly [string, AstNode][]): boolean {
  const unquoteOption = options.find(([key]) => key === 'unquote')?.[1];
  if (unquoteOption === undefined) return !options.some(([key]) => key === 'bind_quoted');
  return unquoteOption.kind === 'atom' && unquoteOption.value === 'true';
}


function pathKey(path: NodePath): string {
  return path.join('.');
}

function comparePaths(a: NodePath, b: NodePath): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    if (a[index] !== b[index]) return a[index]! - b[index]!;
  }
  return a.length - b.length;
}

function byPosition(a: { line: number; column: number; path: NodePath }, b: { line: number; column: number; path: NodePath }): number {
  return a.line - b.line || a.column - b.column || comparePaths(a.path, b.path);
}

const CONSTRUCTOR_LABELS: Record<string, string> = {
  '{}': '{…}',
  '%{}': '%{…}',
  '%': '%…{…}',
  '<<>>': '<<…>>',
  __block__: 'block',
};

/** A short description of a node for display. */
function nodeLabel(node: AstNode): string {
  switch (node.kind) {
    case 'call':
      if (CONSTRUCTOR_LABELS[node.name] !== undefined) return CONSTRUCTOR_LABELS[node.name]!;
      if (node.operator || ['case', 'cond', 'if', 'unless', 'with', 'for', 'try', 'receive', 'fn', 'quote'].includes(node.name)) {
        return node.name;
      }
      return `${node.name}/${node.args.length}`;
    case 'remote': {
      const receiver =
        node.receiver.kind === 'alias'
          ? node.receiver.segments.map((segment) => (typeof segment === 'string' ? segment : '…')).join('.')
          : node.receiver.kind === 'atom'
            ? `:${node.receiver.value}`
            : node.receiver.kind === 'variable'
              ? node.receiver.name
              : '…';
      return node.parens || node.args.length > 0 ? `${receiver}.${node.name}/${node.args.length}` : `${receiver}.${node.name}`;
    }
    case 'anonymousCall':
      return `.(${node.args.length})`;
    case 'dynamicCall':
      return `dynamic/${node.args.length}`;
    case 'variable':
      return node.name;
    case 'alias':
      return node.segments.map((segment) => (typeof segment === 'string' ? segment : '…')).join('.');
    case 'atom':
      return node.value === 'nil' || node.value === 'true' || node.value === 'false' ? node.value : `:${node.value}`;
    case 'number':
      return node.text;
    case 'string':
      return node.flavor === 'charlist' ? "'…'" : node.flavor === 'sigil' ? '~…' : '"…"';
    case 'list':
      return '[…]';
    case 'tuple':
      return '{…}';
    case 'keyword':
      return `${node.key}:`;
    case 'access':
      return '…[…]';
    case 'error':
      return 'error';
  }
}
