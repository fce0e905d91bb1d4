/**
 * The control-flow graph of one function clause (types in `graph.ts`): which expression can run
 * after which, with the branches of `case cond if unless with receive try for`, short-circuit
 * operators, raises, and one region of its own per closure. It is what the data-flow layer, the
 * complexity figures and the debugger's "where can control go from here" questions are built on.
 *
 * **What is a node.** Every expression that does something at run time, in evaluation order:
 * calls, operators, variable reads, constructors that hold something computed (`{:ok, x}`,
 * `%{a: x}`, `"a#{x}"`), patterns and conditions. Left out, because nothing runs there: literals
 * and any constructor made only of literals (`:ok`, `1`, `"text"`, `{:error, :closed}`, module
 * names, `__MODULE__`), `__block__`s, keyword pairs (their list holds them), the pipe operator
 * (the call on its right is the call), the `::` type of a binary segment, and the contents of a
 * pattern (a pattern is matched as one node; pins and size variables inside it are read by it).
 * Arguments are evaluated before their call (post-order), the left side of `|>` before the call
 * on its right, the right side of `=` before the match. `quote`, a module attribute `@name` and
 * a `defmodule` inside a function are one step each (a `quote`'s `bind_quoted:`/`location:`
 * options are evaluated first).
 *
 * **Constructs.** The node of `case`, `if` and `unless` follows their subject or condition, like
 * any call its arguments, and carries the branches: `case` tries its clause heads in order
 * (`next` into the first, `nomatch` from each failing pattern or guard to the next), `if`
 * goes `match` to `do` and `nomatch` to `else`. The node of `cond`, `with`, `receive`, `try` and
 * `for` comes first, since their arguments are already clauses. `cond` tests each condition at
 * the clause's `->` node. `with` matches each `<-` (node: the `<-`) and sends a mismatch to
 * `else` or, without one, to whatever follows the `with`. `receive` evaluates the `after`
 * timeout first and leaves through a `timeout` edge; a message no clause matches stays in the
 * mailbox, so the last clause has no failure edge. `&&`, `||`, `and`, `or` (and a second `when`
 * in a guard, which is an `or`) are `condition` nodes between their operands. A guard is
 * evaluated like an expression and tested at its `when` node. `for` evaluates its
 * `into:`/`uniq:`/`reduce:` options once, then each generator's enumerable; the `<-` node is the
 * generator (take the next element and match it): `match` goes in, running out goes back to the
 * previous generator or, for the first, on past the `for` (`nomatch`); an element the pattern
 * does not match is skipped inside the generator node; a failed filter or generator guard and
 * the end of the body go back to the innermost generator. Every back edge is a `loop` edge and
 * every `loop` edge is a back edge. A filter is tested where its value is produced.
 *
 * **Clause heads.** Each parameter is a `pattern` node, matched left to right, then the guard.
 * A head that can fail (anything but a plain variable, with or without a default) has a `nomatch` edge
 * to the abnormal exit: the caller then tries the next clause of the function, which is outside
 * this graph, and raises `FunctionClauseError` after the last. The same holds for every match
 * that can fail with no clause left to try (`=`, the last clause of `case`/`cond`/`with else`/`fn`).
 *
 * **Raises.** `raise`, `reraise`, `throw`, `exit` (also `Kernel.…` and `:erlang.error/throw/
 * exit/raise`) end the path with a `raise` edge: to the abnormal exit, or inside the `do` block of
 * a `try` to its first `rescue`/`catch` clause (to its `after` block when it has none). Any call
 * can raise, so the `try` node has that `raise` edge too, standing for everything else in its `do`
 * block (failed matches there get no edge of their own). Handlers are tried in order; the last
 * one's failure lets the exception go on. An `after` block runs on both paths: it is entered from
 * the normal ends and from every exception leaving the `try`, and its end continues and, when an
 * exception can reach it, re-raises. `else` clauses and handlers are outside the protected body.
 *
 * **Closures.** An `fn` or a `&(…)` capture is one step where it is created; its body is a
 * region of its own (owner: the `fn`/`&` node, with its own entry, exit and abnormal nodes that
 * carry the owner's path), so the step-paths are unique across the graph and no edge joins two
 * regions. `&name/arity` and `&Mod.name/arity` are plain steps.
 *
 * **Cyclomatic complexity** (`complexity`, the clause region only) is E − N + 2 over the nodes the
 * entry reaches, with the abnormal exit merged into the exit and the failure edges left out.
 * Failure edges are the ones a failed match with no clause left to try takes (a head, `=`, the last
 * clause of `case`/`cond`/`with else`/`try else`/`fn`), the one of an exception no handler matched,
 * and the re-raise at the end of an `after` that normal paths run through as well: wherever they go
 * (abnormal exit or `after`), they are errors beside a normal way on, not decisions of the code. An
 * explicit `raise`/`reraise`/`throw`/`exit` counts, and with the exits merged it is like an early
 * return: a `raise` in one branch of an `if` adds nothing to the `if`. So a function without
 * branches has 1. Read as decision points: 1, plus one per `if`/`unless`, `&&`/`||`/`and`/`or`,
 * `for` generator, filter or generator guard, `receive … after`, and one per clause pattern, guard
 * or `cond` condition that can fail and has an alternative: the next clause, or for `with` whatever
 * follows. So a `case` (`receive`, `fn`, `with else`, `try else`) with k clauses adds k−1 when
 * their patterns can fail, plus one per guard, but a clause whose pattern is a plain variable
 * decides only by its guard. A `try` adds one per `rescue`/`catch` clause, or one for the exception
 * path when it has `after` and no handlers.
 *
 * Half-typed code (error nodes, missing `do` blocks, odd shapes) degrades to sequential steps;
 * building never throws.
 */
import type { NodePath } from '../../common/nodeId';
import {
  type AstNode,
  type ArgumentsNode,
  type CallNode,
  type ListNode,
  childrenOf,
  isCall,
  isKeywordList,
  keywordEntries,
  splitKeywords,
} from '../syntax/ast';
import type { FunctionClause } from './definitions';
import type { CfgEdge, CfgEdgeKind, CfgNode, CfgNodeKind, CfgRegion, ControlFlowGraph } from './graph';
import { nodePathsOf } from './nodePaths';

export function buildControlFlow(clause: FunctionClause): ControlFlowGraph {
  try {
    return new ControlFlowBuilder(clause).build();
  } catch (error) {
    // The parser cuts nesting at 1,000 levels, so the recursion below stays far from the
    // stack limit; should some shape still exhaust it, the clause gets a bare entry → exit graph.
    if (!(error instanceof RangeError)) throw error;
    return bareGraph(clause);
  }
}

/**
 * The graph as text, for golden files and the CLI: a header with the complexity, the nodes
 * (index, kind, position, path, label), then the edges of each region, one per line, as
 * `#index line:column label --kind--> #index line:column label`.
 */
export function renderControlFlow(clauseId: string, graph: ControlFlowGraph): string {
  const lines = [`${clauseId} complexity ${graph.complexity}`, 'nodes'];
  const indexWidth = String(graph.nodes.length - 1).length + 1;
  const positionWidth = Math.max(...graph.nodes.map((node) => `${node.line}:${node.column}`.length));
  const pathWidth = Math.max(...graph.nodes.map((node) => pathText(node.path).length));
  graph.nodes.forEach((node, index) => {
    const position = `${node.line}:${node.column}`;
    const columns = [
      `#${index}`.padEnd(indexWidth),
      node.kind.padEnd(10),
      position.padEnd(positionWidth),
      pathText(node.path).padEnd(pathWidth),
    ];
    lines.push(`  ${columns.join(' ')} ${node.label}`);
  });
  const regionOf = regionOfNodes(graph);
  const edgesByRegion = graph.regions.map((): CfgEdge[] => []);
  for (const edge of graph.edges) edgesByRegion[regionOf[edge.from]!]!.push(edge);
  const describe = (index: number) => {
    const node = graph.nodes[index]!;
    return `#${index} ${node.line}:${node.column} ${node.label}`;
  };
  graph.regions.forEach((region, regionIndex) => {
    const owner = regionIndex === 0 ? 'clause' : `closure ${pathText(region.owner)}`;
    lines.push(`region ${owner} (entry #${region.entry}, exit #${region.exit}, abnormal #${region.abnormal})`);
    for (const edge of edgesByRegion[regionIndex]!) {
      lines.push(`  ${describe(edge.from)} --${edge.kind}--> ${describe(edge.to)}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The index in `graph.regions` of the region each node belongs to. A region's boundary nodes are
 * its own; any other node belongs to the region of the innermost closure strictly containing it
 * (so an `fn` node, the closure's creation, belongs to the region around it).
 */
export function regionOfNodes(graph: ControlFlowGraph): number[] {
  const regionByOwner = new Map<string, number>();
  graph.regions.forEach((region, regionIndex) => regionByOwner.set(region.owner.join('.'), regionIndex));
  const boundaries = new Map<number, number>();
  graph.regions.forEach((region, regionIndex) => {
    for (const index of [region.entry, region.exit, region.abnormal]) boundaries.set(index, regionIndex);
  });
  return graph.nodes.map((node, index) => {
    const boundary = boundaries.get(index);
    if (boundary !== undefined) return boundary;
    for (let length = node.path.length - 1; length > 0; length--) {
      const owner = regionByOwner.get(node.path.slice(0, length).join('.'));
      if (owner !== undefined) return owner;
    }
    return 0;
  });
}

/** Where control goes next from the end of an expression: an edge whose target is not known yet. */
interface PendingEdge {
  readonly from: number;
  readonly kind: CfgEdgeKind;
  /** What is known of the value along this edge, for a `for` filter that tests it. */
  readonly truth?: 'truthy' | 'falsy';
  /** A failure edge on its way into an `after` block: left out of the complexity. */
  readonly failure?: true;
}

type Frontier = readonly PendingEdge[];

/**
 * Where an exception goes from here:
 * - `abnormal`: the region's abnormal exit;
 * - `protected`: the `do` block of a `try` with handlers or `after`; explicit raises are collected
 *   to join the `try` node's own `raise` edge, other failures are covered by that edge;
 * - `after`: the `else`/handler bodies of a `try` with `after`, which every exception runs through.
 */
type RaiseTarget =
  | { readonly kind: 'abnormal' }
  | { readonly kind: 'protected'; readonly pending: PendingEdge[] }
  | { readonly kind: 'after'; readonly pending: PendingEdge[] };

interface Scope {
  readonly region: DraftRegion;
  readonly raiseTarget: RaiseTarget;
}

interface DraftNode {
  readonly path: NodePath;
  kind: CfgNodeKind;
  readonly line: number;
  readonly column: number;
  readonly label: string;
}

interface DraftEdge {
  readonly from: number;
  readonly to: number;
  readonly kind: CfgEdgeKind;
  /** False for failure edges, which the complexity leaves out. */
  readonly counted: boolean;
}

interface DraftRegion {
  readonly owner: NodePath;
  readonly entry: number;
  readonly exit: number;
  readonly abnormal: number;
  /** Indices of the region's other nodes, in evaluation order. */
  readonly steps: number[];
}

/** A closure whose body becomes a region once the region creating it is laid out. */
interface PendingClosure {
  readonly node: CallNode;
  readonly kind: 'fn' | 'capture';
}

/** One `->` clause's head: its patterns, and its guard with the `when` node testing it. */
interface ClauseHead {
  readonly patterns: readonly AstNode[];
  readonly guard: AstNode | null;
  readonly whenNode: AstNode | null;
}

const CONSTRUCT_WITH_CLAUSES = new Set(['case', 'cond', 'receive', 'try', 'with', 'for']);
const SHORT_CIRCUIT_OPERATORS = new Set(['&&', '||', 'and', 'or', 'when']);
/** Calls that never return normally, by name and the arities that raise. */
const RAISING_KERNEL_FUNCTIONS = new Map([
  ['raise', [1, 2]],
  ['reraise', [2, 3]],
  ['throw', [1]],
  ['exit', [1]],
]);
const RAISING_ERLANG_FUNCTIONS = new Map([
  ['error', [1, 2, 3]],
  ['throw', [1]],
  ['exit', [1]],
  ['raise', [3]],
]);
/** Variables that are compile-time constants. */
const CONSTANT_VARIABLES = new Set(['__MODULE__', '__DIR__', '__ENV__']);
/** Constructors whose value is a literal when all their parts are. */
const CONSTANT_CONSTRUCTORS = new Set(['%{}', '{}', '%', '<<>>', '::', '|', '..', '..//']);
/** Forms run as one step, without looking inside: code as data, or modules defined at run time. */
const OPAQUE_FORMS = new Set(['defmodule', 'defprotocol', 'defimpl']);
const BINARY_OPERATORS = new Set([
  '===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<>', '++', '--', '+++', '---', '**', '//', '::', '<-', '..', '|>',
  '=~', '<', '>', '->', '+', '-', '*', '/', '=', '|', 'and', 'or', 'when', 'in', '~>>', '<<~', '~>', '<~',
  '<~>', '<|>', '<<<', '>>>', '|||', '&&&', '^^^', '\\\\',
]);
const UNARY_OPERATORS = new Set(['!', '^', 'not', '+', '-', '~~~']);
const LABEL_LENGTH = 32;
const LABEL_DEPTH = 3;
const LABEL_ITEMS = 4;

class ControlFlowBuilder {
  private readonly nodes: DraftNode[] = [];
  private readonly edges: DraftEdge[] = [];
  private readonly edgeKeys = new Set<string>();
  private readonly regions: DraftRegion[] = [];
  private readonly closures: PendingClosure[] = [];
  private readonly paths: ReadonlyMap<AstNode, NodePath>;
  private readonly constants = new Map<AstNode, boolean>();

  constructor(private readonly clause: FunctionClause) {
    this.paths = nodePathsOf(clause.node);
  }

  build(): ControlFlowGraph {
    this.clauseRegion();
    // Closure bodies are laid out after the region that creates them, so each region's steps stay
    // together; closures found inside closures join the queue.
    for (let next = 0; next < this.closures.length; next++) this.closureRegion(this.closures[next]!);
    return this.assemble();
  }

  // ---- regions -------------------------------------------------------------------------------

  private newRegion(owner: AstNode): DraftRegion {
    const path = this.pathOf(owner);
    const boundary = (kind: CfgNodeKind) => this.addNode({ path, kind, line: owner.line, column: owner.column, label: kind });
    const region: DraftRegion = {
      owner: path,
      entry: boundary('entry'),
      exit: boundary('exit'),
      abnormal: boundary('abnormal'),
      steps: [],
    };
    this.regions.push(region);
    return region;
  }

  private clauseRegion(): void {
    const { clause } = this;
    const region = this.newRegion(clause.node);
    const scope: Scope = { region, raiseTarget: { kind: 'abnormal' } };
    let frontier: Frontier = [{ from: region.entry, kind: 'next' }];
    for (const param of clause.params) {
      const matched = this.patternStep(param, shortSource(param), frontier, scope);
      if (!isIrrefutable(param)) this.escape({ from: matched, kind: 'nomatch' }, scope);
      frontier = [{ from: matched, kind: 'match' }];
    }
    if (clause.guard !== null) frontier = this.headGuard(clause, frontier, scope);
    if (clause.body !== null) frontier = this.clauseBody(clause.body, frontier, scope);
    this.connect(frontier, region.exit);
  }

  private headGuard(clause: FunctionClause, frontier: Frontier, scope: Scope): Frontier {
    const guard = clause.guard!;
    // A `defguard` has no body: its guard expression is what it returns.
    if (clause.kind === 'defguard' || clause.kind === 'defguardp') return this.expression(guard, frontier, scope);
    const afterGuard = this.expression(guard, frontier, scope);
    const head = clause.node.args[0];
    if (head === undefined || !isCall(head, 'when') || head.args[head.args.length - 1] !== guard) return afterGuard;
    const test = this.step(head, 'condition', `when ${shortSource(guard)}`, afterGuard, scope);
    this.escape({ from: test, kind: 'nomatch' }, scope);
    return [{ from: test, kind: 'match' }];
  }

  /** The `[do: …, rescue: …]` list of a clause: a function-level `rescue`/`catch`/`else`/`after` is an implicit `try`. */
  private clauseBody(body: ListNode, frontier: Frontier, scope: Scope): Frontier {
    const entries = keywordEntries(body);
    if (entries.some(([key]) => key === 'rescue' || key === 'catch' || key === 'else' || key === 'after')) {
      return this.tryConstruct(body, entries, frontier, scope);
    }
    let current = frontier;
    for (const [, value] of entries) current = this.expression(value, current, scope);
    return current;
  }

  private closureRegion(closure: PendingClosure): void {
    const region = this.newRegion(closure.node);
    const scope: Scope = { region, raiseTarget: { kind: 'abnormal' } };
    const start: Frontier = [{ from: region.entry, kind: 'next' }];
    if (closure.kind === 'capture') {
      this.connect(this.expression(closure.node.args[0]!, start, scope), region.exit);
      return;
    }
    const { ends, unmatched } = this.clauseChain(closure.node.args, start, scope);
    for (const pending of unmatched) this.escape(pending, scope);
    this.connect(ends, region.exit);
  }

  // ---- expressions ---------------------------------------------------------------------------

  /** Lays out `node` after `frontier`; returns where control goes once its value is computed. */
  private expression(node: AstNode, frontier: Frontier, scope: Scope): Frontier {
    if (this.isConstant(node)) return frontier;
    switch (node.kind) {
      case 'variable':
        return this.single(node, 'expression', node.name, frontier, scope);
      case 'call':
        return this.callExpression(node, frontier, scope, 0);
      case 'remote':
      case 'anonymousCall':
      case 'dynamicCall':
        return this.invocation(node, frontier, scope, 0);
      case 'keyword':
        return this.expression(node.value, frontier, scope);
      case 'list':
      case 'tuple':
      case 'string':
      case 'access':
        return this.single(node, 'expression', shortSource(node), this.sequence(childrenOf(node), frontier, scope), scope);
      case 'alias':
      case 'error':
        return this.sequence(childrenOf(node), frontier, scope);
      case 'atom':
      case 'number':
        return frontier;
    }
  }

  private sequence(expressions: readonly AstNode[], frontier: Frontier, scope: Scope): Frontier {
    let current = frontier;
    for (const expression of expressions) current = this.expression(expression, current, scope);
    return current;
  }

  /** `pipedArity` is 1 when the call is on the right of `|>` and gets the piped value first. */
  private callExpression(node: CallNode, frontier: Frontier, scope: Scope, pipedArity: number): Frontier {
    const { name, args } = node;
    switch (name) {
      case '__block__':
        return this.sequence(args, frontier, scope);
      case '=':
        if (args.length === 2) return this.matchExpression(node, frontier, scope);
        break;
      case '|>':
        if (args.length === 2) return this.pipe(args[0]!, args[1]!, frontier, scope);
        break;
      case 'if':
      case 'unless':
        if (args.length >= 2 && isKeywordList(args[args.length - 1]!)) return this.ifConstruct(node, frontier, scope);
        break;
      case 'fn':
        return this.closureStep(node, 'fn', `fn/${fnArity(node)}`, frontier, scope);
      case '&':
        if (args.length === 1) return this.capture(node, frontier, scope);
        break;
      case 'quote':
        return this.opaque(node, optionValues(args), 'quote', frontier, scope);
      case '@':
        return this.opaque(node, [], shortSource(node), frontier, scope);
      case '%':
        if (args.length === 2) return this.struct(node, frontier, scope);
        break;
      case '%{}':
        return this.single(node, 'expression', shortSource(node), this.mapItems(args, frontier, scope), scope);
      case '<<>>':
        return this.single(node, 'expression', shortSource(node), this.binarySegments(args, frontier, scope), scope);
      case '->':
        return this.strayClause(node, frontier, scope);
    }
    if (SHORT_CIRCUIT_OPERATORS.has(name) && args.length === 2) return this.shortCircuit(node, frontier, scope);
    if (OPAQUE_FORMS.has(name)) return this.opaque(node, [], `${name}/${args.length}`, frontier, scope);
    if (CONSTRUCT_WITH_CLAUSES.has(name)) {
      const construct = this.construct(node, frontier, scope, pipedArity);
      if (construct !== undefined) return construct;
    }
    return this.invocation(node, frontier, scope, pipedArity);
  }

  /**
   * `case cond receive try with for`, or `undefined` when the shape is too broken to read as one.
   * `value |> case do … end` has its subject evaluated already (`pipedArity` 1).
   */
  private construct(node: CallNode, frontier: Frontier, scope: Scope, pipedArity: number): Frontier | undefined {
    const { leading, options } = splitKeywords(node.args);
    const hasDo = options.some(([key]) => key === 'do');
    switch (node.name) {
      case 'case':
        if (leading.length + pipedArity !== 1 || !hasDo) return undefined;
        return this.caseConstruct(node, leading[0], options, frontier, scope);
      case 'cond':
        return leading.length === 0 && hasDo ? this.condConstruct(node, options, frontier, scope) : undefined;
      case 'receive':
        return leading.length === 0 && options.length > 0 ? this.receiveConstruct(node, options, frontier, scope) : undefined;
      case 'try':
        return leading.length === 0 && hasDo ? this.tryConstruct(node, options, frontier, scope) : undefined;
      case 'with':
        return hasDo ? this.withConstruct(node, leading, options, frontier, scope) : undefined;
      case 'for':
        return hasDo ? this.forConstruct(node, leading, options, frontier, scope) : undefined;
    }
    return undefined;
  }

  /** A call of anything: its receiver or called expression, its arguments, then the call itself. */
  private invocation(node: ArgumentsNode, frontier: Frontier, scope: Scope, pipedArity: number): Frontier {
    let current = frontier;
    const children = childrenOf(node);
    const doBlock = 'doBlock' in node && node.doBlock;
    children.forEach((child, index) => {
      // A `do` block handed to an unknown macro: its forms run in order; the list is syntax.
      if (doBlock && index === children.length - 1 && child.kind === 'list') current = this.sequence(child.items, current, scope);
      else current = this.expression(child, current, scope);
    });
    const arity = node.args.length + pipedArity;
    const call = this.step(node, 'expression', callLabel(node, arity), current, scope);
    if (isRaisingCall(node, arity)) {
      this.raiseFrom(call, scope);
      return [];
    }
    return [{ from: call, kind: 'next' }];
  }

  private pipe(left: AstNode, right: AstNode, frontier: Frontier, scope: Scope): Frontier {
    const afterLeft = this.expression(left, frontier, scope);
    if (right.kind === 'call') return this.callExpression(right, afterLeft, scope, 1);
    if (right.kind === 'remote' || right.kind === 'anonymousCall' || right.kind === 'dynamicCall') {
      return this.invocation(right, afterLeft, scope, 1);
    }
    return this.expression(right, afterLeft, scope);
  }

  /** `pattern = value`: the value, then the `=` node matching it. */
  private matchExpression(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const [pattern, value] = node.args;
    const afterValue = this.expression(value!, frontier, scope);
    const match = this.patternStep(node, `${shortSource(pattern!)} = …`, afterValue, scope);
    if (!isIrrefutable(pattern!)) this.escape({ from: match, kind: 'nomatch' }, scope);
    return [{ from: match, kind: 'match' }];
  }

  /** `a && b`: `a`, then the operator tests it and either evaluates `b` or is done. */
  private shortCircuit(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const [left, right] = node.args;
    const test = this.step(node, 'condition', node.name, this.expression(left!, frontier, scope), scope);
    const rightOnTruthy = node.name === '&&' || node.name === 'and';
    const rightEnds = this.expression(right!, [{ from: test, kind: rightOnTruthy ? 'match' : 'nomatch' }], scope);
    const shortCut: PendingEdge = rightOnTruthy
      ? { from: test, kind: 'nomatch', truth: 'falsy' }
      : { from: test, kind: 'match', truth: 'truthy' };
    return [shortCut, ...rightEnds];
  }

  private ifConstruct(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const { leading, options } = splitKeywords(node.args);
    const test = this.step(node, 'branch', node.name, this.sequence(leading, frontier, scope), scope);
    const doValue = optionValue(options, 'do');
    const elseValue = optionValue(options, 'else');
    const [onTruthy, onFalsy] = node.name === 'if' ? [doValue, elseValue] : [elseValue, doValue];
    // A missing branch yields `nil`.
    const branch = (value: AstNode | undefined, kind: 'match' | 'nomatch'): Frontier =>
      value === undefined ? [{ from: test, kind, truth: 'falsy' }] : this.expression(value, [{ from: test, kind }], scope);
    const ends = [...branch(onTruthy, 'match'), ...branch(onFalsy, 'nomatch')];
    return this.leftoverOptions(options, ['do', 'else'], ends, scope);
  }

  /** `subject` is `undefined` when it is piped in. */
  private caseConstruct(
    node: CallNode,
    subject: AstNode | undefined,
    options: readonly [string, AstNode][],
    frontier: Frontier,
    scope: Scope,
  ): Frontier {
    const afterSubject = subject === undefined ? frontier : this.expression(subject, frontier, scope);
    const dispatch = this.step(node, 'branch', 'case', afterSubject, scope);
    const ends = this.clausesOf(optionValue(options, 'do')!, [{ from: dispatch, kind: 'next' }], scope);
    return this.leftoverOptions(options, ['do'], ends, scope);
  }

  /** `->` clauses that must match (`case`, `with else`, `try else`): failing the last one raises. */
  private clausesOf(value: AstNode, frontier: Frontier, scope: Scope, rule: HeadRule = plainHead): Frontier {
    const items = clauseItems(value);
    if (items === null) return this.expression(value, frontier, scope);
    const { ends, unmatched } = this.clauseChain(items, frontier, scope, rule);
    for (const pending of unmatched) this.escape(pending, scope);
    return ends;
  }

  private condConstruct(node: CallNode, options: readonly [string, AstNode][], frontier: Frontier, scope: Scope): Frontier {
    const start = this.step(node, 'branch', 'cond', frontier, scope);
    const doValue = optionValue(options, 'do')!;
    const items = clauseItems(doValue);
    if (items === null) return this.expression(doValue, [{ from: start, kind: 'next' }], scope);
    const ends: PendingEdge[] = [];
    let incoming: Frontier = [{ from: start, kind: 'next' }];
    for (const item of items) {
      const arrow = clauseArrow(item);
      if (arrow === null) {
        incoming = this.expression(item, incoming, scope);
        continue;
      }
      const conditions = (arrow.args[0] as ListNode).items;
      const afterCondition = this.sequence(conditions, incoming, scope);
      const label = conditions.length > 0 ? `${shortSource(conditions[0]!)} ->` : '->';
      const test = this.step(arrow, 'condition', label, afterCondition, scope);
      ends.push(...this.expression(arrow.args[1]!, [{ from: test, kind: 'match' }], scope));
      // `true ->` (or any truthy literal) is the idiomatic last clause: it cannot fail.
      incoming = conditions.length === 1 && literalTruth(conditions[0]!) === 'truthy' ? [] : [{ from: test, kind: 'nomatch' }];
    }
    for (const pending of incoming) this.escape(pending, scope);
    return this.leftoverOptions(options, ['do'], ends, scope);
  }

  private receiveConstruct(node: CallNode, options: readonly [string, AstNode][], frontier: Frontier, scope: Scope): Frontier {
    const afterValue = optionValue(options, 'after');
    const afterItems = afterValue === undefined ? null : clauseItems(afterValue);
    const afterArrow = afterItems === null ? null : afterItems.map(clauseArrow).find((arrow) => arrow !== null) ?? null;
    // The timeout is computed before waiting starts.
    let current = frontier;
    if (afterArrow !== null) current = this.sequence((afterArrow.args[0] as ListNode).items, current, scope);
    const wait = this.step(node, 'branch', 'receive', current, scope);
    const ends: PendingEdge[] = [];
    const doValue = optionValue(options, 'do');
    // `receive do after … end` has an empty block for clauses: no message is ever taken.
    if (doValue !== undefined && !isEmptyBlock(doValue)) {
      const items = clauseItems(doValue);
      if (items === null) ends.push(...this.expression(doValue, [{ from: wait, kind: 'next' }], scope));
      // A message no clause matches stays in the mailbox: the unmatched edges are dropped.
      else ends.push(...this.clauseChain(items, [{ from: wait, kind: 'next' }], scope).ends);
    }
    if (afterValue !== undefined) {
      const timeout: Frontier = [{ from: wait, kind: 'timeout' }];
      if (afterArrow !== null) ends.push(...this.expression(afterArrow.args[1]!, timeout, scope));
      else ends.push(...this.expression(afterValue, timeout, scope));
    }
    return this.leftoverOptions(options, ['do', 'after'], ends, scope);
  }

  /**
   * `try`, or a clause body with `rescue`/`catch`/`else`/`after` (then `node` is the body's
   * keyword list, standing for the implicit `try`).
   */
  private tryConstruct(node: AstNode, options: readonly [string, AstNode][], frontier: Frontier, scope: Scope): Frontier {
    const start = this.step(node, 'branch', 'try', frontier, scope);
    const handlers = options.filter(([key]) => key === 'rescue' || key === 'catch');
    const elseValue = optionValue(options, 'else');
    const afterValue = optionValue(options, 'after');
    const hasAfter = afterValue !== undefined && !this.isConstant(afterValue);
    const protectedBody = handlers.length > 0 || hasAfter;

    const bodyRaises: PendingEdge[] = [];
    const bodyScope: Scope = protectedBody ? { ...scope, raiseTarget: { kind: 'protected', pending: bodyRaises } } : scope;
    const doValue = optionValue(options, 'do');
    const bodyStart: Frontier = [{ from: start, kind: 'next' }];
    const bodyEnds = doValue === undefined ? bodyStart : this.expression(doValue, bodyStart, bodyScope);

    // Outside the protected body, every exception goes through `after` first, when there is one.
    const afterRaises: PendingEdge[] = [];
    const outerScope: Scope = hasAfter ? { ...scope, raiseTarget: { kind: 'after', pending: afterRaises } } : scope;
    const raised: Frontier = protectedBody ? [{ from: start, kind: 'raise' }, ...bodyRaises] : [];
    if (handlers.length === 0) afterRaises.push(...raised);
    // The handlers (all `rescue` and `catch` clauses, one chain) and `else` in the order written.
    const normalEnds: PendingEdge[] = elseValue === undefined ? [...bodyEnds] : [];
    const firstHandlerKey = handlers[0]?.[0];
    for (const [key, value] of options) {
      if (key === firstHandlerKey && value === handlers[0]![1]) {
        normalEnds.push(...this.handlerChain(handlers, raised, outerScope));
      } else if (key === 'else' && value === elseValue) normalEnds.push(...this.clausesOf(elseValue, bodyEnds, outerScope));
    }

    const handled = this.leftoverOptions(options, ['do', 'rescue', 'catch', 'else', 'after'], normalEnds, scope);
    if (!hasAfter) return handled;
    // One copy of the `after` block serves both paths: its end continues, and re-raises when an
    // exception can have got there.
    const afterEnds = this.expression(afterValue!, [...handled, ...afterRaises], scope);
    if (afterRaises.length === 0) return afterEnds;
    if (handled.length === 0) {
      // Only exceptions get here: re-raising is the only way on, an edge like any raise.
      for (const end of afterEnds) this.raiseFrom(end.from, scope);
      return [];
    }
    // Beside the normal way on, the re-raise is a failure edge.
    for (const end of afterEnds) this.escape({ from: end.from, kind: 'raise' }, scope);
    return afterEnds;
  }

  /** `rescue`/`catch` clauses tried in order on an exception; if none matches, it goes on. */
  private handlerChain(handlers: readonly [string, AstNode][], raised: Frontier, scope: Scope): PendingEdge[] {
    const items: AstNode[] = [];
    const catchClauses = new Set<AstNode>();
    for (const [key, value] of handlers) {
      const clauses = clauseItems(value) ?? [value];
      items.push(...clauses);
      if (key === 'catch') for (const clause of clauses) catchClauses.add(clause);
    }
    const rule: HeadRule = (item, pattern, patternCount) =>
      // `catch value ->` catches throws only; `catch kind, value ->` can catch anything.
      catchClauses.has(item) && patternCount === 1 ? true : !isIrrefutable(pattern);
    const { ends, unmatched } = this.clauseChain(items, raised, scope, rule);
    for (const pending of unmatched) this.escape(pending, scope);
    return ends;
  }

  private withConstruct(
    node: CallNode,
    leading: readonly AstNode[],
    options: readonly [string, AstNode][],
    frontier: Frontier,
    scope: Scope,
  ): Frontier {
    const start = this.step(node, 'branch', 'with', frontier, scope);
    const mismatched: PendingEdge[] = [];
    let current: Frontier = [{ from: start, kind: 'next' }];
    for (const argument of leading) {
      if (!isCall(argument, '<-') || argument.args.length !== 2) {
        current = this.expression(argument, current, scope);
        continue;
      }
      const [left, source] = argument.args;
      const head = splitWhen(left!);
      const afterSource = this.expression(source!, current, scope);
      const pattern = head.patterns[0] ?? left!;
      const match = this.patternStep(argument, `${shortSource(pattern)} <- …`, afterSource, scope);
      if (!isIrrefutable(pattern)) mismatched.push({ from: match, kind: 'nomatch' });
      current = [{ from: match, kind: 'match' }];
      if (head.guard !== null) {
        const test = this.guardTest(head, current, scope);
        mismatched.push({ from: test, kind: 'nomatch' });
        current = [{ from: test, kind: 'match' }];
      }
    }
    const ends = [...this.expression(optionValue(options, 'do')!, current, scope)];
    const elseValue = optionValue(options, 'else');
    // Without `else`, a value that does not match is the result of the `with`.
    if (elseValue === undefined) ends.push(...mismatched);
    else ends.push(...this.clausesOf(elseValue, mismatched, scope));
    return this.leftoverOptions(options, ['do', 'else'], ends, scope);
  }

  private forConstruct(
    node: CallNode,
    leading: readonly AstNode[],
    options: readonly [string, AstNode][],
    frontier: Frontier,
    scope: Scope,
  ): Frontier {
    const start = this.step(node, 'branch', 'for', frontier, scope);
    let current: Frontier = [{ from: start, kind: 'next' }];
    // `into:`, `uniq:` and the `reduce:` accumulator are evaluated once, before the first generator.
    for (const [key, value] of options) if (key !== 'do') current = this.expression(value, current, scope);
    const generators: number[] = [];
    const done: PendingEdge[] = [];
    for (const argument of leading) {
      const arrow = generatorArrow(argument);
      const innermost = generators[generators.length - 1];
      if (arrow === null) {
        const afterFilter = this.expression(argument, current, scope);
        current = innermost === undefined ? afterFilter : this.filterTest(afterFilter, innermost);
        continue;
      }
      const [left, source] = arrow.args;
      const head = splitWhen(left!);
      const afterSource = this.expression(source!, current, scope);
      const generator = this.patternStep(arrow, `${shortSource(head.patterns[0] ?? left!)} <- …`, afterSource, scope);
      // Running out of elements: back to the enclosing generator, or past the `for` from the first.
      if (innermost === undefined) done.push({ from: generator, kind: 'nomatch' });
      else this.addEdge(generator, innermost, 'loop');
      generators.push(generator);
      current = [{ from: generator, kind: 'match' }];
      if (head.guard !== null) {
        const test = this.guardTest(head, current, scope);
        this.addEdge(test, generator, 'loop');
        current = [{ from: test, kind: 'match' }];
      }
    }
    const doValue = optionValue(options, 'do')!;
    const reduce = options.some(([key]) => key === 'reduce');
    const bodyEnds = reduce ? this.clausesOf(doValue, current, scope) : this.expression(doValue, current, scope);
    const innermost = generators[generators.length - 1];
    if (innermost === undefined) return bodyEnds;
    for (const end of bodyEnds) this.addEdge(end.from, innermost, 'loop');
    return done;
  }

  /** A `for` filter's value is tested where it is produced; a falsy one goes to the next element. */
  private filterTest(frontier: Frontier, generator: number): Frontier {
    const passed: PendingEdge[] = [];
    for (const end of frontier) {
      if (end.truth === 'falsy') {
        this.addEdge(end.from, generator, 'loop');
      } else if (end.truth === undefined && end.kind === 'next') {
        const node = this.nodes[end.from]!;
        if (node.kind === 'expression') node.kind = 'condition';
        this.addEdge(end.from, generator, 'loop');
        passed.push({ from: end.from, kind: 'match' });
      } else {
        // Known truthy, or already the outcome of another test (a clause of a `case` used as a
        // filter whose body is a literal): it passes.
        passed.push(end);
      }
    }
    return passed;
  }

  // ---- clauses -------------------------------------------------------------------------------

  /**
   * `->` clauses tried in order: a clause's patterns left to right, then its guard; a failed
   * pattern or guard tries the next clause. Returns the ends of the bodies and the failure edges
   * of the last clause, for the caller to route.
   */
  private clauseChain(
    items: readonly AstNode[],
    frontier: Frontier,
    scope: Scope,
    rule: HeadRule = plainHead,
  ): { ends: PendingEdge[]; unmatched: Frontier } {
    const ends: PendingEdge[] = [];
    let incoming = frontier;
    for (const item of items) {
      const arrow = clauseArrow(item);
      if (arrow === null) {
        incoming = this.expression(item, incoming, scope);
        continue;
      }
      const head = splitWhen(...(arrow.args[0] as ListNode).items);
      const failed: PendingEdge[] = [];
      let current = incoming;
      for (const pattern of head.patterns) {
        const match = this.patternStep(pattern, shortSource(pattern), current, scope);
        if (rule(item, pattern, head.patterns.length)) failed.push({ from: match, kind: 'nomatch' });
        current = [{ from: match, kind: 'match' }];
      }
      if (head.guard !== null) {
        const test = this.guardTest(head, current, scope);
        failed.push({ from: test, kind: 'nomatch' });
        current = [{ from: test, kind: 'match' }];
      }
      ends.push(...this.expression(arrow.args[1]!, current, scope));
      incoming = failed;
    }
    return { ends, unmatched: incoming };
  }

  /** A guard's expression, then its `when` node testing it; returns the `when` node. */
  private guardTest(head: ClauseHead, frontier: Frontier, scope: Scope): number {
    const afterGuard = this.expression(head.guard!, frontier, scope);
    return this.step(head.whenNode!, 'condition', `when ${shortSource(head.guard!)}`, afterGuard, scope);
  }

  /** A `->` outside any construct this module knows (a macro's clauses): patterns, then body, in sequence. */
  private strayClause(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const [patterns, body] = node.args;
    if (node.args.length !== 2 || patterns!.kind !== 'list') return this.sequence(node.args, frontier, scope);
    let current = frontier;
    for (const pattern of patterns!.items) {
      current = [{ from: this.patternStep(pattern, shortSource(pattern), current, scope), kind: 'match' }];
    }
    return this.expression(body!, current, scope);
  }

  /** Keys a construct does not know (half-typed code): their values run after it, in order. */
  private leftoverOptions(
    options: readonly [string, AstNode][],
    known: readonly string[],
    frontier: Frontier,
    scope: Scope,
  ): Frontier {
    let current = frontier;
    for (const [key, value] of options) if (!known.includes(key)) current = this.expression(value, current, scope);
    return current;
  }

  // ---- closures, captures, opaque forms, constructors ----------------------------------------

  private closureStep(node: CallNode, kind: PendingClosure['kind'], label: string, frontier: Frontier, scope: Scope): Frontier {
    const created = this.single(node, 'expression', label, frontier, scope);
    this.closures.push({ node, kind });
    return created;
  }

  private capture(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const target = node.args[0]!;
    // `&1` inside a capture reads the argument.
    if (target.kind === 'number') return this.single(node, 'expression', shortSource(node), frontier, scope);
    if (isCall(target, '/') && target.args.length === 2) {
      const [reference] = target.args;
      if (reference!.kind === 'variable' || isCall(reference!, 'unquote')) {
        return this.single(node, 'expression', shortSource(node), frontier, scope);
      }
      if (reference!.kind === 'remote' && reference!.args.length === 0) {
        return this.single(node, 'expression', shortSource(node), this.expression(reference!.receiver, frontier, scope), scope);
      }
    }
    return this.closureStep(node, 'capture', shortSource(node), frontier, scope);
  }

  /** One step for the whole form; `evaluated` are the parts of it that do run first. */
  private opaque(node: CallNode, evaluated: readonly AstNode[], label: string, frontier: Frontier, scope: Scope): Frontier {
    return this.single(node, 'expression', label, this.sequence(evaluated, frontier, scope), scope);
  }

  private struct(node: CallNode, frontier: Frontier, scope: Scope): Frontier {
    const [name, fields] = node.args;
    let current = this.expression(name!, frontier, scope);
    current = isCall(fields!, '%{}') ? this.mapItems(fields!.args, current, scope) : this.expression(fields!, current, scope);
    return this.single(node, 'expression', shortSource(node), current, scope);
  }

  /** The contents of `%{…}`: `%{map | k: v}` reads the map, then the new values. */
  private mapItems(items: readonly AstNode[], frontier: Frontier, scope: Scope): Frontier {
    const [first] = items;
    if (items.length === 1 && isCall(first!, '|') && first!.args.length === 2) {
      const [map, updates] = first!.args;
      const afterMap = this.expression(map!, frontier, scope);
      if (updates!.kind === 'list') return this.sequence(updates!.items, afterMap, scope);
      return this.expression(updates!, afterMap, scope);
    }
    return this.sequence(items, frontier, scope);
  }

  /** `<<x::size(8), rest::binary>>`: the values; the types after `::` are not expressions. */
  private binarySegments(segments: readonly AstNode[], frontier: Frontier, scope: Scope): Frontier {
    let current = frontier;
    for (const segment of segments) {
      current = this.expression(isCall(segment, '::') && segment.args.length === 2 ? segment.args[0]! : segment, current, scope);
    }
    return current;
  }

  // ---- nodes and edges -----------------------------------------------------------------------

  private patternStep(node: AstNode, label: string, frontier: Frontier, scope: Scope): number {
    return this.step(node, 'pattern', label, frontier, scope);
  }

  private single(node: AstNode, kind: CfgNodeKind, label: string, frontier: Frontier, scope: Scope): Frontier {
    return [{ from: this.step(node, kind, label, frontier, scope), kind: 'next' }];
  }

  private step(node: AstNode, kind: CfgNodeKind, label: string, frontier: Frontier, scope: Scope): number {
    const index = this.addNode({ path: this.pathOf(node), kind, line: node.line, column: node.column, label });
    scope.region.steps.push(index);
    this.connect(frontier, index);
    return index;
  }

  private addNode(node: DraftNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  private connect(frontier: Frontier, to: number): void {
    for (const pending of frontier) this.addEdge(pending.from, to, pending.kind, pending.failure !== true);
  }

  private addEdge(from: number, to: number, kind: CfgEdgeKind, counted = true): void {
    const key = `${from} ${to} ${kind}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push({ from, to, kind, counted });
  }

  /** An explicit `raise`/`throw`/`exit` at `from`. */
  private raiseFrom(from: number, scope: Scope): void {
    const target = scope.raiseTarget;
    if (target.kind === 'abnormal') this.addEdge(from, scope.region.abnormal, 'raise');
    else target.pending.push({ from, kind: 'raise' });
  }

  /**
   * A failure edge: a failed match with nothing left to try, an exception no handler matched, the
   * re-raise at the end of `after`. It goes to the abnormal exit, or into `after`, or, in a
   * protected `try` body, nowhere: the `try` node's own `raise` edge covers it.
   */
  private escape(pending: PendingEdge, scope: Scope): void {
    const target = scope.raiseTarget;
    const kind: CfgEdgeKind = pending.kind === 'raise' ? 'raise' : 'nomatch';
    if (target.kind === 'abnormal') this.addEdge(pending.from, scope.region.abnormal, kind, false);
    else if (target.kind === 'after') target.pending.push({ from: pending.from, kind, failure: true });
  }

  private pathOf(node: AstNode): NodePath {
    return this.paths.get(node) ?? [];
  }

  private isConstant(node: AstNode): boolean {
    const known = this.constants.get(node);
    if (known !== undefined) return known;
    const constant = this.computeConstant(node);
    this.constants.set(node, constant);
    return constant;
  }

  private computeConstant(node: AstNode): boolean {
    switch (node.kind) {
      case 'atom':
      case 'number':
        return true;
      case 'variable':
        return CONSTANT_VARIABLES.has(node.name);
      case 'string':
        return node.interpolations.length === 0;
      case 'alias':
      case 'list':
      case 'tuple':
      case 'keyword':
        return childrenOf(node).every((child) => this.isConstant(child));
      case 'call':
        if ((node.name === '-' || node.name === '+') && node.args.length === 1) return node.args[0]!.kind === 'number';
        if (node.name === '::' && node.args.length === 2) return this.isConstant(node.args[0]!);
        return CONSTANT_CONSTRUCTORS.has(node.name) && node.args.every((child) => this.isConstant(child));
      default:
        return false;
    }
  }

  // ---- the result ----------------------------------------------------------------------------

  /** Renumbers the nodes: every region's entry/exit/abnormal first, then each region's steps. */
  private assemble(): ControlFlowGraph {
    const [clauseRegion, ...closureRegions] = this.regions;
    const regions = [clauseRegion!, ...closureRegions.sort((a, b) => comparePaths(a.owner, b.owner))];
    const order: number[] = [];
    for (const region of regions) order.push(region.entry, region.exit, region.abnormal);
    for (const region of regions) order.push(...region.steps);
    const renumbered = new Array<number>(this.nodes.length);
    order.forEach((old, index) => (renumbered[old] = index));

    const nodes: CfgNode[] = order.map((old) => {
      const { path, kind, line, column, label } = this.nodes[old]!;
      return { path, kind, line, column, label };
    });
    const edges = this.edges
      .map((edge) => ({ from: renumbered[edge.from]!, to: renumbered[edge.to]!, kind: edge.kind, counted: edge.counted }))
      .sort((a, b) => a.from - b.from || a.to - b.to || EDGE_KIND_ORDER.indexOf(a.kind) - EDGE_KIND_ORDER.indexOf(b.kind));
    const finalRegions: CfgRegion[] = regions.map((region) => ({
      owner: region.owner,
      entry: renumbered[region.entry]!,
      exit: renumbered[region.exit]!,
      abnormal: renumbered[region.abnormal]!,
    }));
    return {
      nodes,
      edges: edges.map(({ from, to, kind }) => ({ from, to, kind })),
      regions: finalRegions,
      complexity: cyclomaticComplexity(edges, finalRegions[0]!),
    };
  }
}

const EDGE_KIND_ORDER: readonly CfgEdgeKind[] = ['next', 'match', 'nomatch', 'raise', 'timeout', 'loop'];

/** E − N + 2 over what the entry reaches, the abnormal exit merged into the exit, uncounted edges left out. */
function cyclomaticComplexity(edges: readonly (CfgEdge & { counted: boolean })[], region: CfgRegion): number {
  const successors = new Map<number, number[]>();
  for (const edge of edges) {
    if (!edge.counted) continue;
    const to = edge.to === region.abnormal ? region.exit : edge.to;
    let list = successors.get(edge.from);
    if (!list) successors.set(edge.from, (list = []));
    list.push(to);
  }
  const reached = new Set([region.entry]);
  const pending = [region.entry];
  let edgeCount = 0;
  while (pending.length > 0) {
    for (const to of successors.get(pending.pop()!) ?? []) {
      edgeCount++;
      if (!reached.has(to)) {
        reached.add(to);
        pending.push(to);
      }
    }
  }
  return edgeCount - reached.size + 2;
}

/** What decides whether a clause's pattern can fail: `(clause, pattern, number of patterns)`. */
type HeadRule = (item: AstNode, pattern: AstNode, patternCount: number) => boolean;

const plainHead: HeadRule = (_item, pattern) => !isIrrefutable(pattern);

/** A plain variable (or `_`), also with a default or bound twice, always matches. */
function isIrrefutable(pattern: AstNode): boolean {
  if (pattern.kind === 'variable') return true;
  if (isCall(pattern, '\\\\') && pattern.args.length === 2) return isIrrefutable(pattern.args[0]!);
  if (isCall(pattern, '=') && pattern.args.length === 2) return pattern.args.every(isIrrefutable);
  return false;
}

/** The truthiness of a literal condition, or `undefined` when it is computed. */
function literalTruth(node: AstNode): 'truthy' | 'falsy' | undefined {
  if (node.kind === 'atom') return node.value === 'nil' || node.value === 'false' ? 'falsy' : 'truthy';
  if (node.kind === 'number' || (node.kind === 'string' && node.interpolations.length === 0)) return 'truthy';
  return undefined;
}

function isRaisingCall(node: ArgumentsNode, arity: number): boolean {
  if (node.kind === 'call') return RAISING_KERNEL_FUNCTIONS.get(node.name)?.includes(arity) ?? false;
  if (node.kind !== 'remote') return false;
  const { receiver } = node;
  if (receiver.kind === 'alias' && receiver.segments.length === 1 && receiver.segments[0] === 'Kernel') {
    return RAISING_KERNEL_FUNCTIONS.get(node.name)?.includes(arity) ?? false;
  }
  if (receiver.kind === 'atom' && receiver.value === 'erlang') {
    return RAISING_ERLANG_FUNCTIONS.get(node.name)?.includes(arity) ?? false;
  }
  return false;
}

function isEmptyBlock(node: AstNode): boolean {
  return isCall(node, '__block__') && node.args.length === 0;
}

/** The items of a `do` list of `->` clauses, or `null` when the value is something else. */
function clauseItems(value: AstNode): readonly AstNode[] | null {
  if (value.kind !== 'list') return null;
  return value.items.length === 0 || value.items.some((item) => isCall(item, '->')) ? value.items : null;
}

/** `patterns -> body` in the shape every construct expects, or `null`. */
function clauseArrow(item: AstNode): CallNode | null {
  return isCall(item, '->') && item.args.length === 2 && item.args[0]!.kind === 'list' ? item : null;
}

/** A clause head's patterns: `a, b when guard` arrives as one `when` node holding all of them. */
function splitWhen(...patterns: AstNode[]): ClauseHead {
  const [only] = patterns;
  if (patterns.length === 1 && isCall(only!, 'when') && only!.args.length >= 2) {
    return { patterns: only!.args.slice(0, -1), guard: only!.args[only!.args.length - 1]!, whenNode: only! };
  }
  return { patterns, guard: null, whenNode: null };
}

/** `pattern <- enumerable` or `<<pattern <- bitstring>>`: the `<-` node, or `null` for a filter. */
function generatorArrow(argument: AstNode): CallNode | null {
  if (isCall(argument, '<-') && argument.args.length === 2) return argument;
  if (isCall(argument, '<<>>') && argument.args.length === 1) {
    const [inner] = argument.args;
    if (isCall(inner!, '<-') && inner!.args.length === 2) return inner!;
  }
  return null;
}


function optionValue(options: readonly [string, AstNode][], key: string): AstNode | undefined {
  return options.find(([optionKey]) => optionKey === key)?.[1];
}

/** A `quote`'s options other than its `do` block (`bind_quoted:`, `location:`): they run. */
function optionValues(args: readonly AstNode[]): AstNode[] {
  return splitKeywords(args)
    .options.filter(([key]) => key !== 'do')
    .map(([, value]) => value);
}

function fnArity(node: CallNode): number {
  const arrow = node.args.map(clauseArrow).find((clause) => clause !== null);
  return arrow ? splitWhen(...(arrow.args[0] as ListNode).items).patterns.length : 0;
}


function comparePaths(a: NodePath, b: NodePath): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
  return a.length - b.length;
}

function pathText(path: NodePath): string {
  return path.length === 0 ? '.' : path.join('.');
}

function callLabel(node: ArgumentsNode, arity: number): string {
  switch (node.kind) {
    case 'call':
      if (isOperator(node.name, node.args.length)) return node.name;
      return `${node.name}/${arity}`;
    case 'remote': {
      const receiver = receiverText(node.receiver);
      return !node.parens && node.args.length === 0 && arity === 0 ? `${receiver}.${node.name}` : `${receiver}.${node.name}/${arity}`;
    }
    case 'anonymousCall':
    case 'dynamicCall':
      return shortSource(node);
  }
}

function receiverText(receiver: AstNode): string {
  if (receiver.kind === 'alias' || receiver.kind === 'variable' || receiver.kind === 'atom') return printNode(receiver, 1);
  return '…';
}

function isOperator(name: string, arity: number): boolean {
  return name === '..//' || (arity === 2 && BINARY_OPERATORS.has(name)) || (arity === 1 && UNARY_OPERATORS.has(name));
}

/** A short rendering of a node, Elixir-like, for labels; cut with `…`. */
function shortSource(node: AstNode): string {
  const text = printNode(node, LABEL_DEPTH);
  return text.length <= LABEL_LENGTH ? text : `${text.slice(0, LABEL_LENGTH - 1)}…`;
}

function printNode(node: AstNode, depth: number): string {
  if (depth < 0) return '…';
  const print = (child: AstNode) => printNode(child, depth - 1);
  const items = (children: readonly AstNode[]) => {
    const shown = children.slice(0, LABEL_ITEMS).map(print);
    if (children.length > LABEL_ITEMS) shown.push('…');
    return shown.join(', ');
  };
  switch (node.kind) {
    case 'variable':
      return node.name;
    case 'atom':
      if (['true', 'false', 'nil'].includes(node.value)) return node.value;
      return /^[A-Za-z_][\w@]*[?!]?$/.test(node.value) ? `:${node.value}` : `:"${node.value}"`;
    case 'number':
      return node.text;
    case 'string':
      return { string: '"…"', charlist: "'…'", atom: ':"…"', sigil: '~…' }[node.flavor];
    case 'alias':
      return node.segments.map((segment) => (typeof segment === 'string' ? segment : print(segment))).join('.');
    case 'list':
      return `[${items(node.items)}]`;
    case 'tuple':
      return `{${items(node.items)}}`;
    case 'keyword':
      return `${node.key}: ${print(node.value)}`;
    case 'access':
      return `${print(node.target)}[${print(node.key)}]`;
    case 'error':
      return '…';
    case 'remote':
      if (!node.parens && node.args.length === 0) return `${print(node.receiver)}.${node.name}`;
      return `${print(node.receiver)}.${node.name}(${items(node.args)})`;
    case 'anonymousCall':
      return `${print(node.fun)}.(${items(node.args)})`;
    case 'dynamicCall':
      return `${print(node.form)}(${items(node.args)})`;
    case 'call':
      return printCall(node, depth, print, items);
  }
}

function printCall(
  node: CallNode,
  depth: number,
  print: (child: AstNode) => string,
  items: (children: readonly AstNode[]) => string,
): string {
  const { name, args } = node;
  const [first, second] = args;
  switch (name) {
    case '%{}':
      return `%{${items(args)}}`;
    case '{}':
      return `{${items(args)}}`;
    case '<<>>':
      return `<<${items(args)}>>`;
    case '%': {
      const fields = second !== undefined && isCall(second, '%{}') ? `{${items(second.args)}}` : '{…}';
      return `%${first ? print(first) : '…'}${fields}`;
    }
    case '@':
      return `@${first ? printNode(first, depth) : ''}`;
    case '&':
      if (first === undefined || first.kind === 'number') return `&${first ? print(first) : ''}`;
      // `&name/2` names a function; anything else is the body of an anonymous one.
      if (isCall(first, '/') && first.args.length === 2) return `&${print(first.args[0]!)}/${print(first.args[1]!)}`;
      return `&(${print(first)})`;
    case '^':
      return `^${first ? print(first) : ''}`;
    case '__block__':
      return '(…)';
    case 'fn':
      return 'fn … end';
  }
  // An operand that is itself an operation is parenthesised, so the label never misstates precedence.
  const operand = (child: AstNode) =>
    child.kind === 'call' && isOperator(child.name, child.args.length) ? `(${print(child)})` : print(child);
  if (args.length === 2 && BINARY_OPERATORS.has(name)) return `${operand(first!)} ${name} ${operand(second!)}`;
  if (args.length === 1 && UNARY_OPERATORS.has(name)) return name === 'not' ? `not ${operand(first!)}` : `${name}${operand(first!)}`;
  if (!node.parens && args.length === 0) return name;
  if (node.doBlock) return `${name} …`;
  return `${name}(${items(args)})`;
}

/** The graph of a clause whose tree could not be walked: entry straight to exit. */
function bareGraph(clause: FunctionClause): ControlFlowGraph {
  const boundary = (kind: CfgNodeKind): CfgNode => ({ path: [], kind, line: clause.line, column: clause.column, label: kind });
  return {
    nodes: [boundary('entry'), boundary('exit'), boundary('abnormal')],
    edges: [{ from: 0, to: 1, kind: 'next' }],
    regions: [{ owner: [], entry: 0, exit: 1, abnormal: 2 }],
    complexity: 1,
  };
}
