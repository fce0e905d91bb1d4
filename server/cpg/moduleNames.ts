/**
 * Module names and alias scopes, resolved the way Elixir resolves them at compile time
 * (`Kernel.defmodule/2`, `alias`, `require … as:`, `__MODULE__`), but from syntax alone.
 *
 * A static module name is written as Elixir's `inspect/1` writes the atom: `Foo.Bar` for an alias,
 * `:lists` for an Erlang module. A name that is not static (`defmodule name do`) is `dynamic` and
 * carries the source text instead.
 */
import type { AstNode } from '../syntax/ast';
import { keywordValue } from '../syntax/ast';

export interface ModuleName {
  readonly text: string;
  readonly dynamic: boolean;
}

/** The alias scope in force at a point of the program: which short names stand for which modules. */
export interface AliasScope {
  readonly module: ModuleName | null;
  readonly aliases: ReadonlyMap<string, ModuleName>;
}

export function staticModule(text: string): ModuleName {
  return { text, dynamic: false };
}

export function dynamicModule(text: string): ModuleName {
  return { text, dynamic: true };
}

/** `Module.concat/1` over a base module and further alias segments. */
export function concatModule(base: ModuleName | null, segments: readonly string[]): ModuleName {
  if (base === null) return staticModule(joinSegments(segments));
  if (segments.length === 0) return base;
  if (base.dynamic) return dynamicModule([base.text, ...segments].join('.'));
  return staticModule(joinSegments([atomSegment(base.text), ...segments]));
}

function atomSegment(moduleText: string): string {
  // `:lists` concatenated with an alias gives `:"Elixir.lists.X"`: the atom's text is the segment.
  if (moduleText.startsWith(':"')) return moduleText.slice(2, -1).replace(/^Elixir\./, '');
  if (moduleText.startsWith(':')) return moduleText.slice(1);
  return moduleText;
}

// `Module.concat/1`: only a leading `Elixir` segment is dropped, and each segment loses an
// `Elixir.` prefix; the result is written as `inspect/1` writes that atom.
function joinSegments(segments: readonly string[]): string {
  const parts = segments[0] === 'Elixir' ? segments.slice(1) : segments;
  const joined = parts.map((segment) => segment.replace(/^Elixir\./, '')).join('.');
  return ALIAS_NAME.test(joined) ? joined : `:"Elixir.${escapeAtom(joined)}"`;
}

const ALIAS_NAME = /^[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*$/;

function escapeAtom(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** An atom used as a module (`:lists`, `:"Elixir.Foo"`), written as `inspect/1` writes it. */
export function moduleFromAtom(value: string): ModuleName | null {
  if (value === 'nil' || value === 'true' || value === 'false') return null;
  if (value.startsWith('Elixir.') && value.length > 7) return staticModule(joinSegments([value.slice(7)]));
  return staticModule(/^[a-z_][a-zA-Z0-9_@]*[?!]?$/.test(value) ? `:${value}` : `:"${escapeAtom(value)}"`);
}

/**
 * Resolves an alias expression to a module, or `null` when it is not statically a module
 * (a variable, an attribute, a call).
 */
export function expandAlias(node: AstNode | undefined, scope: AliasScope): ModuleName | null {
  if (node === undefined) return null;
  switch (node.kind) {
    case 'alias': {
      const [head, ...rest] = node.segments;
      if (typeof head === 'string') {
        const tail = rest.filter((segment): segment is string => typeof segment === 'string');
        if (tail.length !== rest.length) return null;
        if (head === 'Elixir' && tail.length > 0) return concatModule(null, tail);
        const aliased = scope.aliases.get(head);
        return aliased ? concatModule(aliased, tail) : concatModule(null, [head, ...tail]);
      }
      if (head !== undefined && head.kind === 'variable' && head.name === '__MODULE__') {
        const tail = rest.filter((segment): segment is string => typeof segment === 'string');
        return scope.module ? concatModule(scope.module, tail) : null;
      }
      return null;
    }
    case 'variable':
      return node.name === '__MODULE__' ? scope.module : null;
    case 'atom':
      return moduleFromAtom(node.value);
    default:
      return null;
  }
}

/** The last segment of a static Elixir module name, which `alias Foo.Bar` binds (`Bar`). */
export function lastSegment(module: ModuleName): string | null {
  if (module.dynamic || module.text.startsWith(':')) return null;
  const segments = module.text.split('.');
  return segments[segments.length - 1]!;
}

export function withAlias(scope: AliasScope, key: string | null, module: ModuleName | null): AliasScope {
  if (key === null || module === null) return scope;
  const aliases = new Map(scope.aliases);
  aliases.set(key, module);
  return { ...scope, aliases };
}

/**
 * Applies `alias …` (args of the alias call): `alias A.B`, `alias A.B, as: C`, `alias A.{B, C.D}`,
 * `alias __MODULE__.X`, `alias :mod, as: M`.
 */
export function applyAlias(args: readonly AstNode[], scope: AliasScope): AliasScope {
  if (args.length === 1) return aliasTarget(args[0]!, undefined, scope);
  if (args.length === 2 && args[1]!.kind === 'list') return aliasTarget(args[0]!, keywordValue(args[1], 'as'), scope);
  return scope;
}

/** `require A.B, as: C` aliases too; a plain `require` does not. */
export function applyRequire(args: readonly AstNode[], scope: AliasScope): AliasScope {
  if (args.length !== 2 || args[1]!.kind !== 'list') return scope;
  const as = keywordValue(args[1], 'as');
  return as === undefined ? scope : aliasTarget(args[0]!, as, scope);
}

function aliasTarget(target: AstNode, as: AstNode | undefined, scope: AliasScope): AliasScope {
  if (target.kind === 'remote' && target.name === '{}') {
    const base = expandAlias(target.receiver, scope);
    if (base === null) return scope;
    let result = scope;
    for (const entry of target.args) {
      if (entry.kind !== 'alias' || !entry.segments.every((segment) => typeof segment === 'string')) continue;
      const segments = entry.segments as string[];
      result = withAlias(result, segments[segments.length - 1]!, concatModule(base, segments));
    }
    return result;
  }
  const full = expandAlias(target, scope);
  if (full === null) return scope;
  if (as !== undefined) {
    if (as.kind === 'alias' && as.segments.length === 1 && typeof as.segments[0] === 'string') {
      return withAlias(scope, as.segments[0], full);
    }
    return scope;
  }
  return full.dynamic ? scope : withAlias(scope, lastSegment(full), full);
}

/**
 * The name `defmodule`/`defprotocol` gives a module, and the alias it creates for the code that
 * follows (`defmodule Bar` inside `Foo` aliases `Bar` to `Foo.Bar`). Mirrors
 * `Kernel.defmodule/2`'s `expand_module/3` in Elixir 1.14.
 */
export function definedModuleName(
  nameNode: AstNode,
  scope: AliasScope,
  sourceText: (node: AstNode) => string,
): { name: ModuleName; autoAlias: [string, ModuleName] | null } {
  if (nameNode.kind === 'alias') {
    const [head, ...rest] = nameNode.segments;
    if (typeof head === 'string' && rest.every((segment) => typeof segment === 'string')) {
      const tail = rest as string[];
      if (head === 'Elixir' && tail.length > 0) return { name: concatModule(null, tail), autoAlias: null };
      if (scope.module === null) {
        return { name: expandAlias(nameNode, scope) ?? dynamicModule(sourceText(nameNode)), autoAlias: null };
      }
      return {
        name: concatModule(scope.module, [head, ...tail]),
        autoAlias: [head, concatModule(scope.module, [head])],
      };
    }
  }
  if (nameNode.kind === 'atom') {
    return { name: moduleFromAtom(nameNode.value) ?? dynamicModule(sourceText(nameNode)), autoAlias: null };
  }
  return { name: expandAlias(nameNode, scope) ?? dynamicModule(sourceText(nameNode)), autoAlias: null };
}
