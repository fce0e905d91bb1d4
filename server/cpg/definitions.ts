/**
 * Finds the modules and function clauses a file defines, from syntax alone: `defmodule`,
 * `defprotocol`, `defimpl` (with `for:` lists and without `for:`), and every definition form
 * (`def defp defmacro defmacrop defguard defguardp defdelegate`, `Kernel.def`, Nx-style
 * `defn defnp`) that runs in a module body, directly or under module-level `if`/`for`/blocks.
 *
 * Names are resolved as Elixir resolves them (nesting, aliases in scope, `__MODULE__`), clauses
 * are numbered per module/name/arity (bodiless heads included), and each clause keeps its AST
 * node and the alias and import scopes in force at its definition, which the passes that follow
 * start from. Module bodies also yield their `use` and `@behaviour` directives and each clause the
 * `@impl` that precedes it, for the OTP layer.
 */
import { functionClauseId } from '../../common/nodeId';
import {
  type AstNode,
  type ArgumentsNode,
  type ListNode,
  childrenOf,
  isCall,
  isKeywordList,
  keywordEntries,
  keywordValue,
} from '../syntax/ast';
import { type ImportScope, NO_IMPORTS, applyImport, applyUse } from './callGraph';
import {
  type AliasScope,
  type ModuleName,
  applyAlias,
  applyRequire,
  concatModule,
  definedModuleName,
  dynamicModule,
  expandAlias,
  withAlias,
} from './moduleNames';

const NESTED_MODULE = /\bdef(?:module|protocol|impl)\b/;

export const DEFINITION_KINDS = new Set([
  'def',
  'defp',
  'defmacro',
  'defmacrop',
  'defguard',
  'defguardp',
  'defdelegate',
  'defn',
  'defnp',
]);

export interface ModuleDefinition {
  readonly name: string;
  readonly kind: 'defmodule' | 'defprotocol' | 'defimpl';
  readonly line: number;
  readonly column: number;
  readonly endLine: number | null;
  readonly parent: string | null;
  readonly dynamic: boolean;
  readonly protocol?: string;
  readonly for?: string | null;
  readonly node: ArgumentsNode;
  /** `use X` and `@behaviour X` in the module body (also under module-level `if`s), in order. */
  readonly directives: ModuleDirective[];
}

/** A `use` or `@behaviour` in a module body, with its module resolved through the aliases in scope. */
export interface ModuleDirective {
  readonly kind: 'use' | 'behaviour';
  /** The used or declared module, as written by `inspect/1`, or the source text when not static. */
  readonly module: string;
  readonly line: number;
  readonly column: number;
}

export interface FunctionClause {
  /** `Module.name/arity#clause`. */
  readonly id: string;
  readonly module: string;
  readonly moduleName: ModuleName;
  /** `null` for a dynamic name. */
  readonly name: string | null;
  /** Source text of an `unquote(...)` name. */
  readonly nameExpression: string | null;
  readonly arity: number | null;
  readonly arities: number[];
  readonly kind: string;
  readonly clause: number;
  readonly line: number;
  readonly column: number;
  readonly nameLine: number | null;
  readonly nameColumn: number | null;
  readonly endLine: number | null;
  readonly hasGuard: boolean;
  readonly bodiless: boolean;
  readonly dynamic: boolean;
  readonly qualified: boolean;
  /** The `def …` call node: the root of every node ID in the clause. */
  readonly node: ArgumentsNode;
  readonly params: readonly AstNode[];
  readonly guard: AstNode | null;
  /** The `[do: …, rescue: …]` keyword list, absent for bodiless heads and `defdelegate`. */
  readonly body: ListNode | null;
  /** The options of a `defdelegate` (`to:`, `as:`). */
  readonly delegateOptions: ListNode | null;
  readonly scope: AliasScope;
  /** The imports in force at the definition (module body imports and known `use` imports before it). */
  readonly imports: ImportScope;
  /**
   * The `@impl` value set just before this definition: `true`, `false` or the behaviour module
   * (alias-resolved); `null` without one. Later clauses of the same function do not repeat it.
   */
  readonly impl: string | null;
}

export interface FileDefinitions {
  readonly modules: ModuleDefinition[];
  readonly functions: FunctionClause[];
}

interface Scope extends AliasScope {
  readonly inFunction: boolean;
  readonly imports: ImportScope;
  /** The module whose body is being scanned, to which `use`/`@behaviour` directives belong. */
  readonly definition: ModuleDefinition | null;
}

type Draft = Omit<FunctionClause, 'id' | 'clause'>;

export function findDefinitions(forms: readonly AstNode[], sourceText: (node: AstNode) => string): FileDefinitions {
  const finder = new DefinitionFinder(sourceText);
  let scope: Scope = { module: null, aliases: new Map(), inFunction: false, imports: NO_IMPORTS, definition: null };
  for (const form of forms) scope = finder.scan(form, scope);
  return { modules: finder.modules, functions: numberClauses(finder.drafts) };
}

class DefinitionFinder {
  readonly modules: ModuleDefinition[] = [];
  readonly drafts: Draft[] = [];
  /** `@impl` values waiting for the next definition of their module. */
  private readonly pendingImpl = new Map<ModuleDefinition, string>();

  constructor(private readonly sourceText: (node: AstNode) => string) {}

  /** Returns the scope for the following siblings: `alias`, `require`, `import`, `use` and `defmodule` change it. */
  scan(node: AstNode, scope: Scope): Scope {
    if (node.kind === 'call') {
      switch (node.name) {
        case '__block__': {
          let inner = scope;
          for (const expression of node.args) inner = this.scan(expression, inner);
          return scope;
        }
        case 'alias':
          return { ...scope, aliases: applyAlias(node.args, scope).aliases };
        case 'require':
          return { ...scope, aliases: applyRequire(node.args, scope).aliases };
        case 'import':
          return { ...scope, imports: applyImport(node.args, scope, scope.imports) };
        case 'use':
          if (node.args.length > 0) {
            this.directive(node, 'use', node.args[0]!, scope);
            return { ...scope, imports: applyUse(node.args, scope, scope.imports) };
          }
          break;
        case '@':
          this.attribute(node, scope);
          return scope;
        case 'quote':
          return scope;
        case 'defmodule':
        case 'defprotocol':
          if (node.args.length === 2 && node.args[1]!.kind === 'list') return this.module(node, node.name, scope);
          break;
        case 'defimpl':
          if (node.args.length >= 2) {
            this.implementation(node, scope);
            return scope;
          }
          break;
        default:
          if (DEFINITION_KINDS.has(node.name) && node.args.length > 0 && scope.module !== null && !scope.inFunction) {
            this.definition(node, node.name, false, scope);
            return scope;
          }
      }
    } else if (
      node.kind === 'remote' &&
      DEFINITION_KINDS.has(node.name) &&
      node.args.length > 0 &&
      scope.module !== null &&
      !scope.inFunction &&
      expandAlias(node.receiver, scope)?.text === 'Kernel' &&
      node.receiver.kind === 'alias'
    ) {
      this.definition(node, node.name, true, scope);
      return scope;
    }
    for (const child of childrenOf(node)) this.scan(child, scope);
    return scope;
  }

  private module(node: ArgumentsNode & { name: string }, kind: string, scope: Scope): Scope {
    const { name, autoAlias } = definedModuleName(node.args[0]!, scope, this.sourceText);
    const definition: ModuleDefinition = {
      name: name.text,
      kind: kind as 'defmodule' | 'defprotocol',
      line: node.line,
      column: node.column,
      endLine: endLineOf(node),
      parent: scope.module?.text ?? null,
      dynamic: name.dynamic,
      node,
      directives: [],
    };
    this.modules.push(definition);
    const outer: Scope = autoAlias ? { ...scope, aliases: withAlias(scope, autoAlias[0], autoAlias[1]).aliases } : scope;
    const body = keywordValue(node.args[1], 'do');
    if (body) this.scan(body, { ...outer, module: name, inFunction: false, definition });
    return outer;
  }

  private implementation(node: ArgumentsNode & { name: string }, scope: Scope): void {
    const [protocolNode, ...rest] = node.args;
    const options = mergedKeywords(rest);
    const protocol = expandAlias(protocolNode, scope) ?? dynamicModule(this.sourceText(protocolNode!));
    const forOption = options.get('for');
    let targets: (ModuleName | null)[];
    if (forOption === undefined) targets = [scope.module];
    else if (forOption.kind === 'list') {
      targets = forOption.items.map((item) => expandAlias(item, scope) ?? dynamicModule(this.sourceText(item)));
    } else targets = [expandAlias(forOption, scope) ?? dynamicModule(this.sourceText(forOption))];

    for (const target of targets) {
      let full: ModuleName;
      if (target === null) full = dynamicModule(`${protocol.text}.?`);
      else if (!protocol.dynamic && !target.dynamic) full = concatModule(protocol, [target.text]);
      else full = dynamicModule(`${protocol.text}.${target.text}`);
      const definition: ModuleDefinition = {
        name: full.text,
        kind: 'defimpl',
        line: node.line,
        column: node.column,
        endLine: endLineOf(node),
        parent: scope.module?.text ?? null,
        dynamic: full.dynamic,
        protocol: protocol.text,
        for: target?.text ?? null,
        node,
        directives: [],
      };
      this.modules.push(definition);
      const body = options.get('do');
      if (body) this.scan(body, { ...scope, module: full, inFunction: false, definition });
    }
  }

  private definition(node: ArgumentsNode & { name: string }, kind: string, qualified: boolean, scope: Scope): void {
    let impl: string | null = null;
    if (scope.definition !== null) {
      impl = this.pendingImpl.get(scope.definition) ?? null;
      this.pendingImpl.delete(scope.definition);
    }
    const draft = { ...this.decompose(node, kind, qualified, scope), impl };
    this.drafts.push(draft);
    // Modules defined inside function bodies (ExUnit tests do this) are real modules. Most bodies
    // define none, which their text tells far faster than a walk of their tree.
    if (draft.body && NESTED_MODULE.test(this.sourceText(draft.body))) {
      for (const [, value] of keywordEntries(draft.body)) this.scan(value, { ...scope, inFunction: true });
    }
  }

  /** Records `use X`/`@behaviour X` for the module whose body this is; not inside its functions. */
  private directive(node: AstNode, kind: 'use' | 'behaviour', moduleNode: AstNode, scope: Scope): void {
    if (scope.definition === null || scope.inFunction) return;
    const module = expandAlias(moduleNode, scope);
    scope.definition.directives.push({
      kind,
      module: module?.text ?? normalizeSpace(this.sourceText(moduleNode)),
      line: node.line,
      column: node.column,
    });
  }

  /** `@behaviour X` and `@impl …` in a module body; other attributes are not definitions. */
  private attribute(node: ArgumentsNode & { name: string }, scope: Scope): void {
    const [attribute] = node.args;
    if (scope.definition === null || scope.inFunction || attribute?.kind !== 'call' || attribute.args.length !== 1) return;
    const value = attribute.args[0]!;
    if (attribute.name === 'behaviour') this.directive(node, 'behaviour', value, scope);
    else if (attribute.name === 'impl') {
      const impl = value.kind === 'atom' && (value.value === 'true' || value.value === 'false') ? value.value : expandAlias(value, scope)?.text;
      if (impl !== undefined) this.pendingImpl.set(scope.definition, impl);
    }
  }

  private decompose(node: ArgumentsNode & { name: string }, kind: string, qualified: boolean, scope: Scope): Omit<Draft, 'impl'> {
    const [headNode, ...rest] = node.args;
    let head = headNode!;
    let guard: AstNode | null = null;
    if (isCall(head, 'when') && head.args.length === 2) {
      guard = head.args[1]!;
      head = head.args[0]!;
    }

    let name: string | null = null;
    let nameExpression: string | null = null;
    let dynamic = false;
    let params: readonly AstNode[] = [];
    let namePosition: { line: number; column: number } | null = null;

    if (isCall(head, 'unquote') && head.args.length === 1) {
      const [unquoted] = head.args;
      nameExpression = normalizeSpace(this.sourceText(head));
      if (unquoted!.kind === 'atom') name = unquoted!.value;
      else dynamic = true;
      namePosition = head;
    } else if (
      head.kind === 'dynamicCall' &&
      isCall(head.form, 'unquote') &&
      head.form.args.length === 1
    ) {
      const unquoted = head.form.args[0]!;
      nameExpression = normalizeSpace(this.sourceText(head.form));
      if (unquoted.kind === 'atom') name = unquoted.value;
      else dynamic = true;
      params = head.args;
      namePosition = head;
    } else if (head.kind === 'call') {
      name = head.name;
      params = head.args;
      namePosition = head;
    } else if (head.kind === 'variable') {
      name = head.name;
      namePosition = head;
    } else {
      dynamic = true;
      nameExpression = normalizeSpace(this.sourceText(head));
    }

    const splice = params.some((param) => isCall(param, 'unquote_splicing'));
    const arity = splice ? null : params.length;
    const defaults = params.filter((param) => isCall(param, '\\\\') && param.args.length === 2).length;
    const arities: number[] = [];
    if (arity !== null) for (let n = arity - defaults; n <= arity; n++) arities.push(n);

    const keywordBody = rest.length === 1 && rest[0]!.kind === 'list' ? (rest[0] as ListNode) : null;
    const isDelegate = kind === 'defdelegate';
    const module = scope.module!;
    return {
      module: module.text,
      moduleName: module,
      name: dynamic ? null : name,
      nameExpression,
      arity,
      arities,
      kind,
      line: node.line,
      column: node.column,
      nameLine: namePosition?.line ?? null,
      nameColumn: namePosition?.column ?? null,
      endLine: endLineOf(node),
      hasGuard: guard !== null,
      bodiless: !isDelegate && kind !== 'defguard' && kind !== 'defguardp' && keywordBody === null,
      dynamic,
      qualified,
      node,
      params,
      guard,
      body: isDelegate ? null : keywordBody,
      delegateOptions: isDelegate ? keywordBody : null,
      scope: { module: scope.module, aliases: scope.aliases },
      imports: scope.imports,
    };
  }
}

function numberClauses(drafts: readonly Draft[]): FunctionClause[] {
  const seen = new Map<string, number>();
  return drafts.map((draft) => {
    const displayName = draft.dynamic ? draft.nameExpression! : draft.name!;
    const key = `${draft.module}\u0000${draft.name ?? draft.nameExpression}\u0000${draft.arity}`;
    const clause = (seen.get(key) ?? 0) + 1;
    seen.set(key, clause);
    const id = functionClauseId({ module: draft.module, name: displayName, arity: draft.arity, clause });
    return { ...draft, id, clause };
  });
}

/** Merges the keyword lists among trailing arguments (`for: X` and `do: …` are separate lists). */
function mergedKeywords(args: readonly AstNode[]): Map<string, AstNode> {
  const merged = new Map<string, AstNode>();
  for (let index = args.length - 1; index >= 0; index--) {
    const arg = args[index]!;
    if (!isKeywordList(arg)) break;
    for (const [key, value] of keywordEntries(arg)) if (!merged.has(key)) merged.set(key, value);
  }
  return merged;
}

function endLineOf(node: AstNode): number | null {
  return 'endLine' in node ? node.endLine : null;
}

function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
