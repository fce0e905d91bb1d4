/**
 * The calls each function clause makes and the variables it binds, read from its AST with
 * Elixir's rules: aliases are lexically scoped, `x |> f(y)` calls `f/2`, `&M.f/2` is a capture,
 * code under `quote` is flagged as built rather than run (except inside `unquote`), and only
 * pattern positions bind (`=`, heads, `<-`, `->` clauses, `rescue e in …`), never guards, pins or
 * binary size specs.
 *
 * Local calls are reported only when the module defines that name/arity, exactly as the oracle
 * does. Alongside, the same walk records every call site of the clause for the call graph
 * (`CallSite` in `graph.ts`): the remote and local calls above, plus `imported` calls with the
 * modules whose `import` is lexically in scope (module-body imports before the `def`, imports in
 * the body's blocks before the call) and `dynamic` calls (`var.f()`, `fun.()`, `apply/2,3`).
 * Which unqualified names count as syntax rather than calls is `callGraph.ts`'s rule.
 */
import {
  type AstNode,
  type ListNode,
  childrenOf,
  isCall,
  keywordEntries,
  keywordValue,
  splitKeywords,
} from '../syntax/ast';
import type { VarBinding } from '../../common/inventory';
import type { NodePath } from '../../common/nodeId';
import { type ImportScope, applyImport, applyUse, importCandidates, isSyntaxCall } from './callGraph';
import { DEFINITION_KINDS, type FunctionClause } from './definitions';
import { nodePathsOf } from './nodePaths';
import type { CallKind, CallSite } from './graph';
import { type AliasScope, type ModuleName, applyAlias, applyRequire, definedModuleName, expandAlias, moduleFromAtom, withAlias } from './moduleNames';

export interface CallReference {
  readonly caller: string;
  readonly calleeModule: string;
  readonly callee: string;
  readonly arity: number;
  readonly line: number;
  readonly column: number;
  readonly local: boolean;
  readonly piped?: true;
  readonly capture?: true;
  readonly delegate?: true;
  readonly inQuote?: true;
  readonly noParens?: true;
  /** The call's AST node (the `def` node for a delegate). */
  readonly node: AstNode;
}

/** How a variable got bound: the construct whose pattern binds it (the oracle's `via`). */
export type BindingKind = VarBinding;

export interface VariableBinding {
  readonly function: string;
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly via: BindingKind;
  readonly node: AstNode;
}

export interface ClauseReferences {
  readonly calls: CallReference[];
  readonly variables: VariableBinding[];
  /** Every call site of the clause for the call graph, sorted by position. */
  readonly callSites: CallSite[];
}

const SPECIAL_VARIABLES = new Set(['__MODULE__', '__ENV__', '__DIR__', '__CALLER__', '__STACKTRACE__']);

// Never reported as local calls, even where the module defines a function of that name.
const SPECIAL_FORMS = new Set([
  '__block__', '__aliases__', '{}', '%{}', '%', '<<>>', 'fn', '->', '.', '=', '^', '&', '::', 'case',
  'cond', 'try', 'receive', 'for', 'with', 'quote', 'unquote', 'unquote_splicing', 'import', 'alias',
  'require', 'super', '__MODULE__', '__ENV__', '__DIR__', '__CALLER__', '__STACKTRACE__', 'defmodule',
  'defprotocol', 'defimpl', '@',
]);

// Elixir's operators by arity (`Macro.operator?/2`).
const UNARY_OPERATORS = new Set(['!', '@', '^', 'not', '+', '-', '~~~', '&']);
const BINARY_OPERATORS = new Set([
  '===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<>', '++', '--', '+++', '---', '**', '//', '::', '<-',
  '..', '|>', '=~', '<', '>', '->', '+', '-', '*', '/', '=', '|', '.', 'and', 'or', 'when', 'in', '~>>',
  '<<~', '~>', '<~', '<~>', '<|>', '<<<', '>>>', '|||', '&&&', '^^^', '\\\\',
]);

const NON_CALL_PATTERN_FORMS = new Set(['{}', '%{}', '%', '<<>>', '<>', '|', '-', '+', '..', '..//']);

function isOperator(name: string, arity: number): boolean {
  return (arity === 1 && UNARY_OPERATORS.has(name)) || (arity === 2 && BINARY_OPERATORS.has(name)) || (arity === 3 && name === '..//');
}

interface Context extends AliasScope {
  readonly imports: ImportScope;
  readonly inventory: ReadonlySet<string>;
  readonly caller: string;
  readonly inQuote: boolean;
  /** Whether `unquote` inside the current `quote` escapes back to real code. */
  readonly unquote: boolean;
  /** Inside an `unquote` fragment outside `quote`: identifiers are module-body variables. */
  readonly fragment: boolean;
}

/** `name/arity` keys of every static definition of a module, all default-expanded arities included. */
export function moduleInventories(functions: readonly FunctionClause[]): Map<string, Set<string>> {
  const inventories = new Map<string, Set<string>>();
  for (const clause of functions) {
    if (clause.dynamic || clause.arity === null) continue;
    let inventory = inventories.get(clause.module);
    if (!inventory) inventories.set(clause.module, (inventory = new Set()));
    for (const arity of clause.arities) inventory.add(`${clause.name}/${arity}`);
  }
  return inventories;
}

export function findClauseReferences(
  clause: FunctionClause,
  inventory: ReadonlySet<string>,
  sourceText: (node: AstNode) => string,
): ClauseReferences {
  const walker = new ReferenceWalker(sourceText);
  return walker.clause(clause, inventory);
}

interface SiteFlags {
  readonly piped?: boolean;
  readonly capture?: boolean;
  readonly delegate?: boolean;
  /** The node the site's path names, when it is not the node carrying the position (a capture's `&`). */
  readonly pathNode?: AstNode;
}

class ReferenceWalker {
  private calls: CallReference[] = [];
  private variables: VariableBinding[] = [];
  private sites: CallSite[] = [];
  private paths: ReadonlyMap<AstNode, NodePath> = new Map();
  /** Heads of definitions met in the body (`def f(x)` inside `quote`): names being defined, not calls. */
  private readonly definitionHeads = new Set<AstNode>();
  private readonly bound = new Set<string>();
  private readonly bare: { name: string; node: AstNode }[] = [];

  constructor(private readonly sourceText: (node: AstNode) => string) {}

  clause(clause: FunctionClause, inventory: ReadonlySet<string>): ClauseReferences {
    this.paths = nodePathsOf(clause.node);
    const context: Context = {
      module: clause.scope.module,
      aliases: clause.scope.aliases,
      imports: clause.imports,
      inventory,
      caller: clause.id,
      inQuote: false,
      unquote: true,
      fragment: false,
    };
    for (const param of clause.params) this.pattern(param, 'param', context);
    if (clause.guard) this.expression(clause.guard, context);
    if (clause.body) {
      for (const [key, value] of keywordEntries(clause.body)) {
        if (key === 'rescue') this.clauses(value, 'rescue', context);
        else if (key === 'catch') this.clauses(value, 'catch', context);
        else if (key === 'else') this.clauses(value, 'else', context);
        else this.expression(value, context);
      }
    }
    // Elixir 1.14 still turns an unbound bare identifier `foo` into the call `foo()` (deprecated).
    for (const { name, node } of this.bare) {
      if (!this.bound.has(name)) this.addCall(context, context.module, name, 0, node, { local: true, noParens: true });
    }
    if (clause.kind === 'defdelegate' && !clause.dynamic && clause.arity !== null) this.delegate(clause, context);
    return { calls: sortByPosition(this.calls), variables: sortByPosition(this.variables), callSites: sortByPosition(this.sites) };
  }

  private addSite(
    context: Context,
    kind: CallKind,
    module: string | null,
    name: string | null,
    arity: number,
    node: AstNode,
    flags: SiteFlags,
    candidates: readonly string[] = [],
  ): void {
    this.sites.push({
      caller: context.caller,
      path: this.paths.get(flags.pathNode ?? node) ?? [],
      kind,
      module,
      name,
      arity,
      candidates,
      line: node.line,
      column: node.column,
      piped: flags.piped ?? false,
      capture: flags.capture ?? false,
      delegate: flags.delegate ?? false,
      inQuote: context.inQuote,
    });
  }

  /** An unqualified call that is not a local definition: imported, unless it is syntax. */
  private importedCall(context: Context, name: string, arity: number, node: AstNode, flags: SiteFlags): void {
    if (isSyntaxCall(name, arity, context.imports) || this.definitionHeads.has(node)) return;
    const candidates = importCandidates(context.imports, name, arity);
    this.addSite(context, 'imported', null, name, arity, node, flags, candidates);
    if (name === 'apply' && candidates[candidates.length - 1] === 'Kernel' && node.kind === 'call') {
      this.applySite(context, node, node.args, flags);
    }
  }

  /**
   * `apply(fun, args)` and `apply(mod, name, args)` (Kernel's, `:erlang`'s): a dynamic site with
   * whatever is static of the target. The arity is the length of a literal argument list, else -1.
   */
  private applySite(context: Context, node: AstNode, args: readonly AstNode[], flags: SiteFlags): void {
    // On the right of `|>` the piped value is the first argument, which is not in the tree here.
    const all: (AstNode | null)[] = flags.piped ? [null, ...args] : [...args];
    if (all.length !== 2 && all.length !== 3) return;
    const argumentList = all[all.length - 1];
    const arity = argumentList?.kind === 'list' && !argumentList.items.some((item) => isCall(item, '|')) ? argumentList.items.length : -1;
    let module: string | null = null;
    let name: string | null = null;
    if (all.length === 3) {
      module = all[0] ? (receiverModule(all[0], context)?.text ?? null) : null;
      name = all[1]?.kind === 'atom' ? all[1].value : null;
    }
    this.addSite(context, 'dynamic', module, name, arity, node, { piped: flags.piped ?? false });
  }

  private markDefinitionHead(head: AstNode | undefined): void {
    if (head !== undefined && isCall(head, 'when') && head.args.length === 2) head = head.args[0];
    if (head !== undefined) this.definitionHeads.add(head);
  }

  /** `receiver.name(args)` where the receiver is not a static module. */
  private dynamicRemote(context: Context, node: AstNode & { kind: 'remote' }, arity: number, flags: SiteFlags): void {
    // `map.field` without parentheses reads a map field (or a struct's); it is not a call, unless
    // it is captured (`&mod.fun/2`) or piped into (`x |> mod.fun`).
    if (!node.parens && node.args.length === 0 && !flags.capture && !flags.piped) return;
    this.addSite(context, 'dynamic', null, node.name, arity, node, flags);
  }

  private delegate(clause: FunctionClause, context: Context): void {
    const to = expandAlias(keywordValue(clause.delegateOptions ?? undefined, 'to'), context);
    const asNode = keywordValue(clause.delegateOptions ?? undefined, 'as');
    const target = asNode === undefined ? clause.name : asNode.kind === 'atom' ? asNode.value : null;
    if (to === null || target === null) return;
    this.calls.push({
      caller: clause.id,
      calleeModule: to.text,
      callee: target,
      arity: clause.arity!,
      line: clause.line,
      column: clause.column,
      local: false,
      delegate: true,
      node: clause.node,
    });
    this.addSite(context, 'remote', to.text, target, clause.arity!, clause.node, { delegate: true });
  }

  private addCall(
    context: Context,
    module: ModuleName | null,
    name: string,
    arity: number,
    node: AstNode,
    flags: { local?: boolean; piped?: boolean; capture?: boolean; noParens?: boolean; pathNode?: AstNode },
  ): void {
    this.addSite(context, flags.local ? 'local' : 'remote', module?.text ?? null, name, arity, node, flags);
    const call: CallReference = {
      caller: context.caller,
      calleeModule: module?.text ?? '',
      callee: name,
      arity,
      line: node.line,
      column: node.column,
      local: flags.local ?? false,
      node,
      ...(flags.piped ? { piped: true as const } : {}),
      ...(flags.capture ? { capture: true as const } : {}),
      ...(flags.noParens ? { noParens: true as const } : {}),
      ...(context.inQuote ? { inQuote: true as const } : {}),
    };
    this.calls.push(call);
  }

  private addVariable(context: Context, name: string, node: AstNode, via: BindingKind): void {
    if (context.inQuote) return;
    this.bound.add(name);
    if (name.startsWith('_') || SPECIAL_VARIABLES.has(name)) return;
    this.variables.push({ function: context.caller, name, line: node.line, column: node.column, via, node });
  }

  private localCall(
    context: Context,
    name: string,
    arity: number,
    node: AstNode,
    flags: { piped?: boolean; capture?: boolean; pathNode?: AstNode } = {},
  ): void {
    if (SPECIAL_FORMS.has(name) || isOperator(name, arity) || !context.inventory.has(`${name}/${arity}`)) {
      this.importedCall(context, name, arity, node, flags);
      return;
    }
    this.addCall(context, context.module, name, arity, node, { ...flags, local: true });
  }

  private remoteCall(
    context: Context,
    receiver: AstNode,
    name: string,
    arity: number,
    node: AstNode,
    flags: { piped?: boolean; capture?: boolean; pathNode?: AstNode } = {},
  ): void {
    const module = receiverModule(receiver, context);
    if (module !== null) {
      this.addCall(context, module, name, arity, node, flags);
      if (name === 'apply' && (module.text === 'Kernel' || module.text === ':erlang') && node.kind === 'remote') {
        this.applySite(context, node, node.args, flags);
      }
    } else if (node.kind === 'remote') {
      this.dynamicRemote(context, node, arity, flags);
    }
  }

  /** Walks an expression; returns the context for the following siblings (changed by `alias`). */
  private expression(node: AstNode, context: Context): Context {
    switch (node.kind) {
      case 'call':
        return this.callExpression(node, context);
      case 'remote':
        if (DEFINITION_KINDS.has(node.name) && node.receiver.kind === 'alias') this.markDefinitionHead(node.args[0]);
        this.remoteCall(context, node.receiver, node.name, node.args.length, node);
        this.expression(node.receiver, context);
        for (const arg of node.args) this.expression(arg, context);
        return context;
      case 'variable':
        if (
          !context.inQuote &&
          !context.fragment &&
          !SPECIAL_VARIABLES.has(node.name) &&
          context.inventory.has(`${node.name}/0`)
        ) {
          this.bare.push({ name: node.name, node });
        }
        return context;
      case 'alias':
        return context;
      case 'anonymousCall':
        this.addSite(context, 'dynamic', null, null, node.args.length, node, {});
        for (const child of childrenOf(node)) this.expression(child, context);
        return context;
      case 'dynamicCall':
        this.addSite(context, 'dynamic', null, null, node.args.length, node, {});
        for (const child of childrenOf(node)) this.expression(child, context);
        return context;
      default:
        for (const child of childrenOf(node)) this.expression(child, context);
        return context;
    }
  }

  private callExpression(node: AstNode & { kind: 'call' }, context: Context): Context {
    const { name, args } = node;
    switch (name) {
      case '__block__': {
        let inner = context;
        for (const expression of args) inner = this.expression(expression, inner);
        return context;
      }
      case 'alias':
        return { ...context, ...applyAlias(args, context) };
      case 'require':
        return { ...context, ...applyRequire(args, context) };
      case 'import':
        return { ...context, imports: applyImport(args, context, context.imports) };
      case 'use':
        if (args.length > 0) {
          this.localAndArgs(node, context);
          return { ...context, imports: applyUse(args, context, context.imports) };
        }
        break;
      case '@':
      case '^':
        return context;
      case 'defmodule':
      case 'defprotocol':
        if (args.length === 2 && args[1]!.kind === 'list') {
          const { autoAlias } = definedModuleName(args[0]!, context, this.sourceText);
          return autoAlias ? { ...context, ...withAlias(context, autoAlias[0], autoAlias[1]) } : context;
        }
        break;
      case 'defimpl':
        if (args.length >= 2) return context;
        break;
      case 'quote':
        this.quote(args, context);
        return context;
      case 'unquote':
      case 'unquote_splicing':
        if (args.length === 1) {
          if (context.inQuote && context.unquote) this.expression(args[0]!, { ...context, inQuote: false });
          else if (!context.inQuote) this.expression(args[0]!, { ...context, fragment: true });
          else this.localAndArgs(node, context);
          return context;
        }
        break;
      case '=':
        if (args.length === 2) {
          this.pattern(args[0]!, 'match', context);
          this.expression(args[1]!, context);
          return context;
        }
        break;
      case '|>':
        if (args.length === 2) {
          this.expression(args[0]!, context);
          this.piped(args[1]!, context);
          return context;
        }
        break;
      case '&':
        if (args.length === 1 && isCall(args[0]!, '/') && args[0].args.length === 2) {
          this.capture(node, args[0].args[0]!, args[0].args[1]!, context);
          return context;
        }
        break;
      case '::':
        if (args.length === 2) {
          this.expression(args[0]!, context);
          return context;
        }
        break;
      case 'case':
        this.withOptions(args, context, (key, value) => (key === 'do' ? this.clauses(value, 'case', context) : this.expression(value, context)));
        return context;
      case 'receive':
        this.withOptions(args, context, (key, value) => {
          if (key === 'do') this.clauses(value, 'receive', context);
          else if (key === 'after') this.expressionClauses(value, context);
          else this.expression(value, context);
        });
        return context;
      case 'try':
        this.withOptions(args, context, (key, value) => {
          if (key === 'rescue' || key === 'catch' || key === 'else') this.clauses(value, key, context);
          else this.expression(value, context);
        });
        return context;
      case 'with': {
        const { leading, options } = splitKeywords(args);
        for (const arg of leading) this.generator(arg, context);
        for (const [key, value] of options) {
          if (key === 'else') this.clauses(value, 'else', context);
          else this.expression(value, context);
        }
        return context;
      }
      case 'for': {
        const { leading, options } = splitKeywords(args);
        for (const arg of leading) this.generator(arg, context);
        const reduce = options.some(([key]) => key === 'reduce');
        for (const [key, value] of options) {
          if (key === 'do' && reduce) this.clauses(value, 'reduce', context);
          else this.expression(value, context);
        }
        return context;
      }
      case 'fn':
        this.clauses(args, 'fn', context);
        return context;
      case 'cond':
        this.withOptions(args, context, (key, value) => (key === 'do' ? this.expressionClauses(value, context) : this.expression(value, context)));
        return context;
      case '->':
        if (args.length === 2) {
          this.clauses([node], 'clause', context);
          return context;
        }
        break;
      case 'super':
        for (const arg of args) this.expression(arg, context);
        return context;
    }
    this.localAndArgs(node, context);
    return context;
  }

  private localAndArgs(node: AstNode & { kind: 'call' }, context: Context): void {
    if (DEFINITION_KINDS.has(node.name)) this.markDefinitionHead(node.args[0]);
    this.localCall(context, node.name, node.args.length, node);
    for (const arg of node.args) this.expression(arg, context);
  }

  /** `case x do … end` and friends: walks the leading arguments, then each option. */
  private withOptions(args: readonly AstNode[], context: Context, option: (key: string, value: AstNode) => void): void {
    const { leading, options } = splitKeywords(args);
    for (const arg of leading) this.expression(arg, context);
    for (const [key, value] of options) option(key, value);
  }

  private quote(args: readonly AstNode[], context: Context): void {
    const { leading, options } = splitKeywords(args);
    const unquoteOption = options.find(([key]) => key === 'unquote')?.[1];
    const bindQuoted = options.some(([key]) => key === 'bind_quoted');
    const unquote =
      unquoteOption === undefined ? !bindQuoted : unquoteOption.kind === 'atom' && unquoteOption.value === 'true';
    const quoted: Context = { ...context, inQuote: true, unquote };
    for (const [key, value] of options) this.expression(value, key === 'do' ? quoted : context);
    for (const arg of leading) this.expression(arg, quoted);
  }

  private capture(node: AstNode, reference: AstNode, arityNode: AstNode, context: Context): void {
    const arity = arityNode.kind === 'number' ? integerValue(arityNode.text) : null;
    if (reference.kind === 'remote' && reference.args.length === 0) {
      if (arity !== null) this.remoteCall(context, reference.receiver, reference.name, arity, reference, { capture: true, pathNode: node });
      else this.expression(arityNode, context);
      this.expression(reference.receiver, context);
      return;
    }
    if (reference.kind === 'variable') {
      if (arity !== null) this.localCall(context, reference.name, arity, reference, { capture: true, pathNode: node });
      else this.expression(arityNode, context);
      return;
    }
    for (const child of childrenOf(node)) this.expression(child, context);
  }

  /** The right side of `|>`: the call gets the piped value as an extra first argument. */
  private piped(node: AstNode, context: Context): void {
    if (node.kind === 'remote') {
      this.remoteCall(context, node.receiver, node.name, node.args.length + 1, node, { piped: true });
      this.expression(node.receiver, context);
      for (const arg of node.args) this.expression(arg, context);
    } else if (node.kind === 'call' && !SPECIAL_FORMS.has(node.name)) {
      this.localCall(context, node.name, node.args.length + 1, node, { piped: true });
      for (const arg of node.args) this.expression(arg, context);
    } else if (node.kind === 'variable') {
      this.localCall(context, node.name, 1, node, { piped: true });
    } else if (node.kind === 'anonymousCall') {
      this.addSite(context, 'dynamic', null, null, node.args.length + 1, node, { piped: true });
      for (const child of childrenOf(node)) this.expression(child, context);
    } else {
      this.expression(node, context);
    }
  }

  /** `for`/`with` arguments: `pattern <- expr`, `<<pattern <- expr>>`, `pattern = expr`, filters. */
  private generator(node: AstNode, context: Context): void {
    let arrow: AstNode | undefined;
    if (isCall(node, '<-') && node.args.length === 2) arrow = node;
    else if (isCall(node, '<<>>') && node.args.length === 1 && isCall(node.args[0]!, '<-') && node.args[0].args.length === 2) {
      arrow = node.args[0];
    }
    if (arrow === undefined || arrow.kind !== 'call') {
      this.expression(node, context);
      return;
    }
    const [pattern, source] = arrow.args;
    this.expression(source!, context);
    if (isCall(pattern!, 'when') && pattern.args.length === 2) {
      this.pattern(pattern.args[0]!, 'generator', context);
      this.expression(pattern.args[1]!, context);
    } else {
      this.pattern(pattern!, 'generator', context);
    }
  }

  /** `->` clauses whose left sides are patterns. */
  private clauses(node: AstNode | readonly AstNode[], via: BindingKind, context: Context): void {
    const list = Array.isArray(node) ? node : (node as AstNode).kind === 'list' ? (node as ListNode).items : null;
    if (list === null) {
      this.expression(node as AstNode, context);
      return;
    }
    for (const item of list) {
      if (isCall(item, '->') && item.args.length === 2 && item.args[0]!.kind === 'list') {
        this.clauseHead(item.args[0].items, via, context);
        this.expression(item.args[1]!, context);
      } else {
        this.expression(item, context);
      }
    }
  }

  private clauseHead(patterns: readonly AstNode[], via: BindingKind, context: Context): void {
    if (patterns.length === 1 && isCall(patterns[0]!, 'when') && patterns[0].args.length > 0) {
      const whenArgs = patterns[0].args;
      for (const pattern of whenArgs.slice(0, -1)) this.clausePattern(pattern, via, context);
      this.expression(whenArgs[whenArgs.length - 1]!, context);
      return;
    }
    for (const pattern of patterns) this.clausePattern(pattern, via, context);
  }

  private clausePattern(node: AstNode, via: BindingKind, context: Context): void {
    if (via === 'rescue') {
      if (isCall(node, 'in') && node.args.length === 2 && node.args[0]!.kind === 'variable') {
        this.addVariable(context, node.args[0].name, node.args[0], 'rescue');
        this.expression(node.args[1]!, context);
        return;
      }
      if (node.kind === 'alias') return;
    }
    this.pattern(node, via, context);
  }

  /** `->` clauses whose left sides are expressions (`cond`, `receive … after`). */
  private expressionClauses(node: AstNode, context: Context): void {
    if (node.kind !== 'list') {
      this.expression(node, context);
      return;
    }
    for (const item of node.items) {
      if (isCall(item, '->') && item.args.length === 2 && item.args[0]!.kind === 'list') {
        for (const condition of item.args[0].items) this.expression(condition, context);
        this.expression(item.args[1]!, context);
      } else {
        this.expression(item, context);
      }
    }
  }

  /** Walks a pattern, recording the variables it binds. */
  private pattern(node: AstNode, via: BindingKind, context: Context): void {
    switch (node.kind) {
      case 'variable':
        this.addVariable(context, node.name, node, via);
        return;
      case 'alias':
        return;
      case 'remote':
        this.remoteCall(context, node.receiver, node.name, node.args.length, node);
        for (const arg of node.args) this.pattern(arg, via, context);
        return;
      case 'call':
        this.callPattern(node, via, context);
        return;
      default:
        for (const child of childrenOf(node)) this.pattern(child, via, context);
    }
  }

  private callPattern(node: AstNode & { kind: 'call' }, via: BindingKind, context: Context): void {
    const { name, args } = node;
    switch (name) {
      case '^':
      case '@':
        return;
      case '=':
        for (const arg of args) this.pattern(arg, via, context);
        return;
      case '::':
        if (args.length === 2) {
          this.pattern(args[0]!, via, context);
          return;
        }
        break;
      case '\\\\':
        if (args.length === 2) {
          this.pattern(args[0]!, via, context);
          this.expression(args[1]!, context);
          return;
        }
        break;
      case 'when':
        if (args.length > 0) {
          for (const arg of args.slice(0, -1)) this.pattern(arg, via, context);
          this.expression(args[args.length - 1]!, context);
          return;
        }
        break;
      case 'unquote':
      case 'unquote_splicing':
        if (args.length === 1) {
          this.expression(args[0]!, context.inQuote && context.unquote ? { ...context, inQuote: false } : context);
          return;
        }
        break;
      case 'quote':
        this.expression(node, context);
        return;
    }
    if (!NON_CALL_PATTERN_FORMS.has(name)) this.localCall(context, name, args.length, node);
    for (const arg of args) this.pattern(arg, via, context);
  }
}

function receiverModule(receiver: AstNode, context: Context): ModuleName | null {
  if (receiver.kind === 'atom') return moduleFromAtom(receiver.value);
  if (receiver.kind === 'alias') return expandAlias(receiver, context);
  if (receiver.kind === 'variable' && receiver.name === '__MODULE__') return context.module;
  return null;
}


function integerValue(text: string): number | null {
  const cleaned = text.replace(/_/g, '');
  if (/^\d+$/.test(cleaned)) return Number(cleaned);
  if (/^0x[0-9a-fA-F]+$/.test(cleaned) || /^0b[01]+$/.test(cleaned) || /^0o[0-7]+$/.test(cleaned)) return Number(cleaned);
  return null;
}

function sortByPosition<T extends { line: number; column: number }>(items: T[]): T[] {
  // Stable: entries at the same position keep their discovery order, as in Elixir's Enum.sort_by.
  return items.sort((a, b) => a.line - b.line || a.column - b.column);
}
