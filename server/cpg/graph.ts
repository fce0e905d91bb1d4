/**
 * The per-function layers of the code property graph, as plain data: the control-flow graph
 * (`controlFlow.ts`) and the data-flow graph (`dataFlow.ts`) of one function clause.
 *
 * Both are built over the clause's AST and name their nodes by **node path** relative to the
 * clause's `def` node (the part of a node ID after the colon, see `common/nodeId.ts`), so a graph
 * is as stable as the node IDs are and can be stored without repeating the clause ID on every
 * node. `nodeIdOf` (`common/nodeId.ts`) turns a graph node into the full ID users see.
 *
 * A clause has one graph of each kind. `fn` bodies are graphs of their own inside it: each `fn`
 * node owns `entry`/`exit` nodes (named after the `fn` node) and the graphs are disjoint except
 * that the `fn` node itself (the closure's creation) is a step of the enclosing graph.
 */
import type { NodePath } from '../../common/nodeId';

/** What a control-flow node stands for. */
export type CfgNodeKind =
  /** Where a graph starts: the clause (or `fn`) is called. */
  | 'entry'
  /** Normal return of the clause or `fn`. */
  | 'exit'
  /** Abnormal exit: `raise`, `reraise`, `throw`, `exit`, or a failed match nobody rescues. */
  | 'abnormal'
  /** An expression evaluated for its value: a call, an operator, a variable read, a literal, a constructor. */
  | 'expression'
  /** A pattern matched against a value (`=`, a function head, a `->` clause head, `<-`); may fail. */
  | 'pattern'
  /** A guard (`when …`) or a `cond`/`if` condition tested for truthiness. */
  | 'condition'
  /** A control construct whose successors are its branches: `case`, `cond`, `if`, `with`, `receive`, `try`, `for`. */
  | 'branch';

/** Why control goes from one node to the next. */
export type CfgEdgeKind =
  /** Plain sequence. */
  | 'next'
  /** A pattern matched, a guard or condition held. */
  | 'match'
  /** A pattern did not match, a guard or condition failed: try the next clause. */
  | 'nomatch'
  /** A raise, throw or exit leaves the construct (to a `rescue`/`catch`, or the abnormal exit). */
  | 'raise'
  /** `receive … after`: the timeout fired. */
  | 'timeout'
  /** Back to the next element of a comprehension's generator. */
  | 'loop';

export interface CfgNode {
  /** Path from the clause's `def` node; `[]` is the `def` node itself. */
  readonly path: NodePath;
  readonly kind: CfgNodeKind;
  /** Elixir-style position (the node's `line`/`column` in the AST). */
  readonly line: number;
  readonly column: number;
  /** A short description for display: `case`, `x = …`, `Enum.map/2`, `entry`. */
  readonly label: string;
}

export interface CfgEdge {
  /** Indices into `ControlFlowGraph.nodes`. */
  readonly from: number;
  readonly to: number;
  readonly kind: CfgEdgeKind;
}

/** One graph (the clause's, or an `fn`'s) inside a `ControlFlowGraph`. */
export interface CfgRegion {
  /** Path of the node owning the region: `[]` for the clause, the `fn` node's path for a closure. */
  readonly owner: NodePath;
  /** Indices into `nodes`. */
  readonly entry: number;
  readonly exit: number;
  readonly abnormal: number;
}

export interface ControlFlowGraph {
  /** Nodes in a deterministic order: region entry/exit/abnormal first, then evaluation order. */
  readonly nodes: CfgNode[];
  readonly edges: CfgEdge[];
  /** The clause's region first, then one per `fn`, in source order. */
  readonly regions: CfgRegion[];
  /**
   * McCabe's cyclomatic complexity of the clause region: edges − nodes + 2 over the nodes its
   * entry reaches, with the abnormal exit merged into the exit and failure edges left out (a
   * match with no clause left, an exception no handler takes, the re-raise after `after`);
   * explicit raises count, like early returns. `fn` regions are not included. A function with
   * no branches is 1, one `if` is 2, a three-clause `case` is 3.
   */
  readonly complexity: number;
}

/** How a definition came to be: the construct whose pattern binds it (the oracle's `via`). */
export type DefinitionKind =
  | 'param'
  | 'match'
  | 'generator'
  | 'case'
  | 'receive'
  | 'fn'
  | 'catch'
  | 'rescue'
  | 'else'
  | 'reduce'
  | 'clause';

/** A binding occurrence of a variable. */
export interface VariableDefinition {
  readonly path: NodePath;
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly via: DefinitionKind;
}

/** A read of a variable: a plain occurrence in an expression, or a pin `^x` in a pattern. */
export interface VariableUse {
  readonly path: NodePath;
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly pinned: boolean;
  /** Read from the enclosing scope by an `fn` (a captured variable). */
  readonly captured: boolean;
}

export type DfgEdgeKind =
  /** A definition reaches a use (reaching definitions). */
  | 'reach'
  /** A value flows into the pattern variable it is matched against (`x = value`, `case value do x ->`). */
  | 'bind'
  /** An operand or argument flows into the expression that consumes it (`a` into `a + b`, `x` into `f(x)`). */
  | 'operand'
  /** A clause's (or `fn`'s) last expression is its return value: flows to the region's exit. */
  | 'return';

export interface DfgEdge {
  /** Paths of the source and target nodes (a region exit is the region owner's path). */
  readonly from: NodePath;
  readonly to: NodePath;
  readonly kind: DfgEdgeKind;
}

export interface DataFlowGraph {
  readonly definitions: VariableDefinition[];
  readonly uses: VariableUse[];
  readonly edges: DfgEdge[];
}

/**
 * How a call site names its target, before workspace-wide linking:
 * - `remote`: `Mod.f(…)`, `:mod.f(…)`, `__MODULE__.f(…)`, `&Mod.f/2`, a `defdelegate` target;
 *   the module is resolved through aliases already.
 * - `local`: `f(…)` where the clause's own module defines `f` with that arity.
 * - `imported`: `f(…)` not defined locally; `candidates` lists the modules whose import is in
 *   scope and admits `f/arity` by its `only:`/`except:` (Kernel last, unless excluded). Linking
 *   picks the first candidate that exports `f/arity`.
 * - `dynamic`: the target is only known at run time: `var.f(…)`, `mod.f(…)`, `fun.(…)`,
 *   `apply/2,3`, `unquote(x).f(…)`. `callee`/`module` hold what is static, if anything.
 */
export type CallKind = 'remote' | 'local' | 'imported' | 'dynamic';

export interface CallSite {
  /** The calling clause's ID. */
  readonly caller: string;
  /** Path of the call node inside the caller (the `def` node for a `defdelegate` target). */
  readonly path: NodePath;
  readonly kind: CallKind;
  /** Resolved module for `remote`/`local`; `null` when unknown. */
  readonly module: string | null;
  /** Function name; `null` for an anonymous or fully dynamic call. */
  readonly name: string | null;
  /**
   * Argument count as called: +1 on the right of `|>`, the written arity for a capture. For the
   * `dynamic` site of an `apply/2,3` it is the length of the argument list, `-1` when that list
   * is not a literal.
   */
  readonly arity: number;
  /** Import candidates, for `imported` calls only. */
  readonly candidates: readonly string[];
  /** Elixir-style position of the callee name token (as the oracle reports it). */
  readonly line: number;
  readonly column: number;
  readonly piped: boolean;
  readonly capture: boolean;
  readonly delegate: boolean;
  /** Inside a `quote` (code the function builds rather than runs). */
  readonly inQuote: boolean;
}

/** An `import` in force somewhere in a file, for linking and display. */
export interface ImportDirective {
  readonly module: string;
  /** `only: [f: 1]` entries as `f/1`, or `:functions`/`:macros`/`:sigils`; `null` without `only:`. */
  readonly only: readonly string[] | null;
  readonly except: readonly string[] | null;
}

/** OTP behaviours and their callbacks, sends and receives: the process layer of the graph. */
export interface OtpBehaviourUse {
  readonly module: string;
  /** `GenServer`, `Supervisor`, `Agent`, `Task`, `Application`, `DynamicSupervisor`, `Registry`… as used/declared. */
  readonly behaviour: string;
  /** `use` or `@behaviour`. */
  readonly via: 'use' | 'behaviour';
  readonly line: number;
  readonly column: number;
}

export interface OtpCallback {
  /** The implementing clause's ID. */
  readonly clause: string;
  readonly behaviour: string;
  /** `handle_call/3`. */
  readonly callback: string;
}

export type MessageKind = 'send' | 'call' | 'cast' | 'send_after' | 'reply' | 'info';

export interface MessageSend {
  readonly caller: string;
  /** Path of the sending call node. */
  readonly path: NodePath;
  readonly kind: MessageKind;
  /** The API used: `Kernel.send/2`, `GenServer.call/3`, `Process.send_after/3`, … */
  readonly via: string;
  /** The destination module when it is static (`__MODULE__`, an alias, a `name:` registered as a module), else `null`. */
  readonly targetModule: string | null;
  /** Source text of the destination argument, shortened. */
  readonly target: string;
  /** Source text of the message, shortened. */
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export interface ReceiveSite {
  readonly clause: string;
  readonly path: NodePath;
  /** Source text of each clause pattern, shortened. */
  readonly patterns: readonly string[];
  readonly hasAfter: boolean;
  readonly line: number;
  readonly column: number;
}
