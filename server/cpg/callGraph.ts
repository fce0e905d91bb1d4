/**
 * The call-graph rules that are not a walk of the tree: which `import`s are in scope and what
 * they admit (Elixir's `elixir_import` semantics, read from syntax), which unqualified names are
 * syntax rather than calls, what a module exports, and the linking rule that turns an `imported`
 * call site into the module it calls.
 *
 * The walk itself is `references.ts` (one walker for the oracle's calls and variables and for the
 * call sites, so that alias and import scoping are shared); module-level imports are tracked by
 * `definitions.ts`, which hands each clause the imports in force at its `def`.
 *
 * **Unqualified names that are not call sites.** The special forms (`Kernel.SpecialForms`: `case`,
 * `fn`, `=`, `^`, `&`, `{}`, `<<>>`, `import`, `quote`, `super`, …, plus the clause arrow `->` and
 * the syntax-only operators `when`, `<-`, `\\`, `|`, `::`) are never calls. Kernel's operators
 * (`+`, `|>`, `and`, `in`, `..`, `@`, …) and Kernel's definition and conditional macros
 * (`KERNEL_SYNTAX_MACROS`: `def…`, `defmodule`, `defstruct`, `use`, `if`, `unless`, …) are skipped
 * while Kernel's import admits them, since they are then Kernel's (another import of the same name
 * would be an ambiguity error); after `import Kernel, except: [+: 2]` a `+` is an imported call
 * like any other. Every other Kernel export — functions such as `elem/2`, `send/2`, `apply/3` and
 * macros such as `is_nil/1`, `raise/1`, `to_string/1`, `sigil_r/2` — is an `imported` call site
 * whose candidates end in Kernel.
 */
import type { AstNode } from '../syntax/ast';
import { isKeywordList, keywordEntries } from '../syntax/ast';
import type { CallSite, ImportDirective } from './graph';
import type { FunctionClause } from './definitions';
import { KERNEL_FUNCTIONS, KERNEL_MACROS, KERNEL_OPERATORS, SPECIAL_FORMS } from './kernelExports';
import { type AliasScope, type ModuleName, concatModule, expandAlias } from './moduleNames';

/** The imports in force at a point, in the order they were made (one entry per module). */
export type ImportScope = readonly ImportDirective[];

export const NO_IMPORTS: ImportScope = [];

/** `only: :functions | :macros | :sigils` as stored in `ImportDirective.only`. */
const ONLY_FUNCTIONS = ':functions';
const ONLY_MACROS = ':macros';
const ONLY_SIGILS = ':sigils';

/**
 * Applies `import …` (the import call's arguments) to a scope, as `elixir_import:import/4` does:
 * the new import of a module replaces its previous one, except that a bare `except:` filters what
 * the previous import of that module admitted. An import whose module is not static (`import
 * unquote(m)`) or whose options cannot be read leaves the scope unchanged, or admits everything.
 */
export function applyImport(args: readonly AstNode[], aliases: AliasScope, imports: ImportScope): ImportScope {
  if (args.length === 0 || args.length > 2) return imports;
  const options = args.length === 2 && isKeywordList(args[1]!) ? new Map(keywordEntries(args[1])) : new Map<string, AstNode>();
  const target = args[0]!;
  // `import A.{B, C}` imports each module, with the same options.
  if (target.kind === 'remote' && target.name === '{}') {
    const base = expandAlias(target.receiver, aliases);
    if (base === null || base.dynamic) return imports;
    let result = imports;
    for (const entry of target.args) {
      if (entry.kind !== 'alias' || !entry.segments.every((segment) => typeof segment === 'string')) continue;
      result = importModule(concatModule(base, entry.segments as string[]), options, result);
    }
    return result;
  }
  const module = expandAlias(target, aliases);
  if (module === null || module.dynamic) return imports;
  return importModule(module, options, imports);
}

function importModule(module: ModuleName, options: ReadonlyMap<string, AstNode>, imports: ImportScope): ImportScope {
  const onlyNode = options.get('only');
  const exceptNode = options.get('except');
  const previous = imports.find((directive) => directive.module === module.text);
  let directive: ImportDirective;
  if (onlyNode !== undefined) {
    const only = selector(onlyNode);
    // `only: []` imports nothing: Elixir drops the module's import altogether.
    if (only !== null && only.length === 0) return withoutModule(imports, module.text);
    directive = { module: module.text, only, except: null };
  } else if (exceptNode !== undefined) {
    const except = exceptNode.kind === 'list' ? selector(exceptNode) : null;
    if (previous === undefined || except === null) directive = { module: module.text, only: null, except };
    else directive = exceptOnPrevious(previous, except);
  } else {
    directive = { module: module.text, only: null, except: null };
  }
  return [...withoutModule(imports, module.text), directive];
}

/**
 * Applies `use Module, …`: the imports that the `__using__/1` of a few standard modules makes
 * (the rest of `use` is invisible to syntax). A project's own `__using__` is not followed.
 */
export function applyUse(args: readonly AstNode[], aliases: AliasScope, imports: ImportScope): ImportScope {
  if (args.length === 0) return imports;
  const module = expandAlias(args[0], aliases);
  if (module === null) return imports;
  const made = USING_IMPORTS[module.text];
  if (made === undefined) return imports;
  let result = imports;
  for (const directive of made) result = [...withoutModule(result, directive.module), directive];
  return result;
}

/** What `use X` imports, for the standard modules whose `__using__/1` imports anything (Elixir 1.14). */
export const USING_IMPORTS: Readonly<Record<string, readonly ImportDirective[]>> = {
  'ExUnit.Case': [
    { module: 'ExUnit.Callbacks', only: null, except: null },
    { module: 'ExUnit.Assertions', only: null, except: null },
    { module: 'ExUnit.Case', only: ['describe/2', 'test/1', 'test/2', 'test/3'], except: null },
    { module: 'ExUnit.DocTest', only: null, except: null },
  ],
  'ExUnit.CaseTemplate': [
    { module: 'ExUnit.Callbacks', only: null, except: null },
    { module: 'ExUnit.Assertions', only: null, except: null },
    { module: 'ExUnit.CaseTemplate', only: null, except: null },
  ],
  'ExUnit.Callbacks': [{ module: 'ExUnit.Callbacks', only: null, except: null }],
  Supervisor: [{ module: 'Supervisor.Spec', only: null, except: null }],
  Bitwise: [{ module: 'Bitwise', only: null, except: null }],
  'Mix.Config': [{ module: 'Mix.Config', only: ['config/2', 'config/3', 'import_config/1'], except: null }],
};

/**
 * The modules whose import in `imports` admits `name/arity`, innermost (latest) first, then
 * Kernel unless an `import Kernel` in scope excludes it. Admission is what syntax can tell:
 * `only:`/`except:` lists by name and arity, `only: :sigils` by name; `only: :functions` and
 * `only: :macros` admit every name, since only the module's exports say which kind it is.
 */
export function importCandidates(imports: ImportScope, name: string, arity: number): string[] {
  const candidates: string[] = [];
  let kernel: ImportDirective | undefined;
  for (let index = imports.length - 1; index >= 0; index--) {
    const directive = imports[index]!;
    if (directive.module === 'Kernel') kernel = directive;
    else if (admits(directive, name, arity)) candidates.push(directive.module);
  }
  if (kernel === undefined || admits(kernel, name, arity)) candidates.push('Kernel');
  return candidates;
}

/**
 * Kernel macros that are the language's syntax for definitions and conditionals rather than
 * calls worth a call-graph edge; skipped while Kernel's import admits them.
 */
export const KERNEL_SYNTAX_MACROS: ReadonlySet<string> = new Set([
  'def',
  'defp',
  'defmacro',
  'defmacrop',
  'defguard',
  'defguardp',
  'defdelegate',
  'defmodule',
  'defprotocol',
  'defimpl',
  'defstruct',
  'defexception',
  'defoverridable',
  'use',
  'if',
  'unless',
]);

/** Syntax that parses as a call but is never one: special forms and structural operators. */
const SYNTAX_FORMS: ReadonlySet<string> = new Set([
  ...SPECIAL_FORMS.map((key) => key.slice(0, key.lastIndexOf('/'))),
  '->',
  'when',
  '<-',
  '\\\\',
  '|',
  '=>',
  '__aliases__',
]);

const KERNEL_OPERATOR_KEYS: ReadonlySet<string> = new Set(KERNEL_OPERATORS);

/**
 * Whether an unqualified `name/arity` that is not a local definition is syntax rather than a call
 * site, given the imports in force (see the module comment for the rule).
 */
export function isSyntaxCall(name: string, arity: number, imports: ImportScope): boolean {
  if (SYNTAX_FORMS.has(name)) return true;
  const kernelSyntax = KERNEL_OPERATOR_KEYS.has(`${name}/${arity}`) || KERNEL_SYNTAX_MACROS.has(name);
  if (!kernelSyntax) return false;
  const kernel = imports.find((directive) => directive.module === 'Kernel');
  return kernel === undefined || admits(kernel, name, arity);
}

/** Every `name/arity` Kernel exports (functions and macros) in Elixir 1.14. */
export const KERNEL_EXPORTS: ReadonlySet<string> = new Set([...KERNEL_FUNCTIONS, ...KERNEL_MACROS]);

/**
 * Public export keys (`name/arity`) per module: `def`, `defmacro`, `defguard`, `defdelegate`
 * and Nx-style `defn`, with every arity default arguments give. Private kinds are left out;
 * exports made by macros (`defstruct`'s `__struct__/1`, `use GenServer`'s defaults) are unknown.
 */
export function moduleExports(functions: readonly FunctionClause[]): Map<string, Set<string>> {
  const exports = new Map<string, Set<string>>();
  for (const clause of functions) {
    if (clause.dynamic || clause.arity === null || !PUBLIC_KINDS.has(clause.kind)) continue;
    let keys = exports.get(clause.module);
    if (!keys) exports.set(clause.module, (keys = new Set()));
    for (const arity of clause.arities) keys.add(`${clause.name}/${arity}`);
  }
  return exports;
}

const PUBLIC_KINDS: ReadonlySet<string> = new Set(['def', 'defmacro', 'defguard', 'defdelegate', 'defn']);

/**
 * The module an `imported` call site calls: the first candidate that exports `name/arity`.
 * When no candidate with known exports has it and exactly one candidate's exports are unknown
 * (a dependency outside the workspace), that one: code that compiles calls something. `null`
 * when the site is not an imported call or nothing fits.
 */
export function resolveImportedCall(
  site: CallSite,
  exportsOf: (module: string) => ReadonlySet<string> | undefined,
): string | null {
  if (site.kind !== 'imported' || site.name === null) return null;
  const key = `${site.name}/${site.arity}`;
  const unknown: string[] = [];
  for (const candidate of site.candidates) {
    const exports = exportsOf(candidate);
    if (exports === undefined) unknown.push(candidate);
    else if (exports.has(key)) return candidate;
  }
  return unknown.length === 1 ? unknown[0]! : null;
}

/**
 * `exportsOf` with Kernel's bundled exports for workspaces that do not define Kernel; where the
 * workspace does (Elixir's own source), the union, since some Kernel exports are generated.
 */
export function withKernelExports(
  exportsOf: (module: string) => ReadonlySet<string> | undefined,
): (module: string) => ReadonlySet<string> | undefined {
  let merged: ReadonlySet<string> | undefined;
  return (module) => {
    if (module !== 'Kernel') return exportsOf(module);
    if (merged === undefined) {
      const own = exportsOf('Kernel');
      merged = own === undefined ? KERNEL_EXPORTS : new Set([...KERNEL_EXPORTS, ...own]);
    }
    return merged;
  };
}

// ---------------------------------------------------------------------------------------------

function admits(directive: ImportDirective, name: string, arity: number): boolean {
  const key = `${name}/${arity}`;
  if (directive.except !== null && directive.except.includes(key)) return false;
  if (directive.only === null) return !name.startsWith('_');
  return directive.only.some((entry) => {
    if (entry === ONLY_FUNCTIONS || entry === ONLY_MACROS) return !name.startsWith('_');
    if (entry === ONLY_SIGILS) return /^sigil_[a-zA-Z]$/.test(name);
    return entry === key;
  });
}

/**
 * An `only:`/`except:` value: a keyword list as `name/arity` entries, or `:functions`,
 * `:macros`, `:sigils`; `null` when it is not one of those (computed at compile time).
 */
function selector(node: AstNode): string[] | null {
  if (node.kind === 'atom') {
    return node.value === 'functions' || node.value === 'macros' || node.value === 'sigils' ? [`:${node.value}`] : null;
  }
  if (node.kind !== 'list') return null;
  if (node.items.length === 0) return [];
  if (!isKeywordList(node)) return null;
  const entries: string[] = [];
  for (const [key, value] of keywordEntries(node)) {
    if (value.kind !== 'number' || !/^\d+$/.test(value.text)) return null;
    entries.push(`${key}/${Number(value.text)}`);
  }
  return entries;
}

/** `import M, except: …` after an earlier import of M filters what that import admitted. */
function exceptOnPrevious(previous: ImportDirective, except: readonly string[]): ImportDirective {
  if (previous.only !== null && previous.only.every((entry) => !entry.startsWith(':'))) {
    return { module: previous.module, only: previous.only.filter((entry) => !except.includes(entry)), except: null };
  }
  return { module: previous.module, only: previous.only, except: [...(previous.except ?? []), ...except] };
}

function withoutModule(imports: ImportScope, module: string): ImportScope {
  return imports.some((directive) => directive.module === module)
    ? imports.filter((directive) => directive.module !== module)
    : imports;
}
