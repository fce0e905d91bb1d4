/**
 * The Elixir-shaped AST: tree-sitter's concrete tree recast into the shape of Elixir's own quoted
 * form (`Code.string_to_quoted/2`), so that rules written against Elixir's AST (how `defmodule`
 * names modules, how `alias` scopes, what a `->` clause binds) carry over one to one.
 *
 * The mapping, where it is not obvious:
 * - `{form, meta, args}` with an atom form is a `call`: local calls, operators (`=`, `|>`, `when`,
 *   `::`, `\\`, `..`, `..//`, `not`, `in`, ...), special forms (`case`, `fn`, `__block__`, `{}`,
 *   `%{}`, `%`, `<<>>`, `->`, `@`, `&`, `^`), and sigils (`sigil_r`).
 * - `{{:., _, [receiver, name]}, meta, args}` is a `remote` call; `receiver.name` without
 *   parentheses is one with `parens: false` and no arguments, as in Elixir.
 * - `{{:., _, [fun]}, meta, args}` is an `anonymousCall` (`fun.(args)`).
 * - `foo[key]` is an `access` node rather than Elixir's synthesised `Access.get/2` call.
 * - A `do`-block becomes a trailing keyword list argument (`[do: ..., else: ...]`) exactly as in
 *   Elixir; `->` clauses are `call` nodes named `->` whose first argument is the list of patterns.
 * - 2-tuples and n-tuples are both `tuple` (Elixir writes n-tuples as `{:{}, _, items}`), and
 *   `key: value` pairs are `keyword` nodes (Elixir's `{:key, value}` 2-tuples).
 * - Strings, charlists, quoted atoms and sigil contents are `string` nodes carrying their
 *   interpolations; Elixir's synthesised `Kernel.to_string/1` wrappers are not materialised.
 *
 * Every node has a source span (UTF-16 offsets into the parsed text) and the Elixir-style
 * position that Elixir's parser would put in its metadata (for a call, its name token).
 */

export type AstNode =
  | CallNode
  | RemoteCallNode
  | AnonymousCallNode
  | DynamicCallNode
  | VariableNode
  | AliasNode
  | AtomNode
  | NumberNode
  | StringNode
  | ListNode
  | TupleNode
  | KeywordNode
  | AccessNode
  | ErrorNode;

export interface NodeBase {
  /** UTF-16 offset of the node's first character. */
  readonly start: number;
  /** UTF-16 offset just past the node. */
  readonly end: number;
  /** Elixir-style position (1-based, code points) of the token Elixir's metadata points at. */
  readonly line: number;
  readonly column: number;
}

export interface CallNode extends NodeBase {
  readonly kind: 'call';
  readonly name: string;
  readonly args: AstNode[];
  /** Written with parentheses (`f(x)`), as opposed to `f x` or an operator. */
  readonly parens: boolean;
  readonly operator: boolean;
  /** The last argument is a keyword list written as a `do … end` block. */
  readonly doBlock: boolean;
  /** Line of the `end` keyword of a `do … end` block. */
  readonly endLine: number | null;
}

export interface RemoteCallNode extends NodeBase {
  readonly kind: 'remote';
  readonly receiver: AstNode;
  readonly name: string;
  readonly args: AstNode[];
  readonly parens: boolean;
  readonly doBlock: boolean;
  readonly endLine: number | null;
}

export interface AnonymousCallNode extends NodeBase {
  readonly kind: 'anonymousCall';
  readonly fun: AstNode;
  readonly args: AstNode[];
}

/** A call whose name is itself an expression, such as `unquote(name)(args)`. */
export interface DynamicCallNode extends NodeBase {
  readonly kind: 'dynamicCall';
  readonly form: AstNode;
  readonly args: AstNode[];
  readonly doBlock: boolean;
  readonly endLine: number | null;
}

export interface VariableNode extends NodeBase {
  readonly kind: 'variable';
  readonly name: string;
}

/** `Foo.Bar`, `__MODULE__.Bar`, `unquote(x).Bar`: Elixir's `{:__aliases__, _, segments}`. */
export interface AliasNode extends NodeBase {
  readonly kind: 'alias';
  /** Plain segments are strings; a leading expression (`__MODULE__`, `unquote(x)`) is a node. */
  readonly segments: (string | AstNode)[];
}

/** `:ok`, `:"quoted"`, `true`, `false`, `nil`. An interpolated atom is a `string` node. */
export interface AtomNode extends NodeBase {
  readonly kind: 'atom';
  readonly value: string;
}

export interface NumberNode extends NodeBase {
  readonly kind: 'number';
  /** The literal as written: `1_000`, `0x1F`, `1.0e3`, `?a`. */
  readonly text: string;
}

export interface StringNode extends NodeBase {
  readonly kind: 'string';
  readonly flavor: 'string' | 'charlist' | 'atom' | 'sigil';
  /** The interpolated expressions, in order; empty for a plain literal. */
  readonly interpolations: AstNode[];
  readonly heredoc: boolean;
}

export interface ListNode extends NodeBase {
  readonly kind: 'list';
  readonly items: AstNode[];
}

export interface TupleNode extends NodeBase {
  readonly kind: 'tuple';
  readonly items: AstNode[];
}

/** `key: value` in a keyword list (also the `do:` of a `do … end` block). */
export interface KeywordNode extends NodeBase {
  readonly kind: 'keyword';
  readonly key: string;
  readonly value: AstNode;
}

/** `target[key]`. */
export interface AccessNode extends NodeBase {
  readonly kind: 'access';
  readonly target: AstNode;
  readonly key: AstNode;
}

/** Source tree-sitter could not make sense of; holds whatever it could still recognise inside. */
export interface ErrorNode extends NodeBase {
  readonly kind: 'error';
  readonly children: AstNode[];
}

export interface SyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** What parsing a file gives: always a tree, plus the errors found on the way. */
export interface ParsedSource {
  /** The top-level forms of the file, in order. */
  readonly forms: AstNode[];
  readonly errors: SyntaxError[];
}

const NO_CHILDREN: readonly AstNode[] = [];

/**
 * The children of a node, in the order node-ID paths count them. For calls this is the order of
 * Elixir's argument list, with the receiver (or the called expression) first.
 */
export function childrenOf(node: AstNode): readonly AstNode[] {
  switch (node.kind) {
    case 'call':
      return node.args;
    case 'remote':
      return [node.receiver, ...node.args];
    case 'anonymousCall':
      return [node.fun, ...node.args];
    case 'dynamicCall':
      return [node.form, ...node.args];
    case 'alias':
      return node.segments.filter((segment): segment is AstNode => typeof segment !== 'string');
    case 'string':
      return node.interpolations;
    case 'list':
    case 'tuple':
      return node.items;
    case 'keyword':
      return [node.value];
    case 'access':
      return [node.target, node.key];
    case 'error':
      return node.children;
    case 'variable':
    case 'atom':
    case 'number':
      return NO_CHILDREN;
  }
}

/** The value under `key` in a keyword list node (`[do: x]`), if the node is one and has it. */
export function keywordValue(list: AstNode | undefined, key: string): AstNode | undefined {
  if (list?.kind !== 'list') return undefined;
  for (const item of list.items) {
    if (item.kind === 'keyword' && item.key === key) return item.value;
    if (item.kind === 'tuple' && item.items.length === 2) {
      const [first, second] = item.items;
      if (first!.kind === 'atom' && first!.value === key) return second;
    }
  }
  return undefined;
}

/** True for a non-empty list made only of `key: value` pairs. */
export function isKeywordList(node: AstNode): node is ListNode {
  return (
    node.kind === 'list' &&
    node.items.length > 0 &&
    node.items.every(
      (item) =>
        item.kind === 'keyword' ||
        (item.kind === 'tuple' && item.items.length === 2 && item.items[0]!.kind === 'atom'),
    )
  );
}

/** The entries of a keyword list as `[key, value]` pairs, in order. */
export function keywordEntries(list: ListNode): [string, AstNode][] {
  const entries: [string, AstNode][] = [];
  for (const item of list.items) {
    if (item.kind === 'keyword') entries.push([item.key, item.value]);
    else if (item.kind === 'tuple' && item.items[0]?.kind === 'atom') {
      entries.push([item.items[0].value, item.items[1]!]);
    }
  }
  return entries;
}

/**
 * Splits call arguments into the leading ones and the merged trailing keyword lists:
 * `for x <- xs, into: %{}, do: …` has one leading argument and the options `into`, `do`.
 */
export function splitKeywords(args: readonly AstNode[]): { leading: AstNode[]; options: [string, AstNode][] } {
  let split = args.length;
  while (split > 0 && isKeywordList(args[split - 1]!)) split--;
  const options: [string, AstNode][] = [];
  for (const list of args.slice(split)) options.push(...keywordEntries(list as ListNode));
  return { leading: args.slice(0, split), options };
}

/** Call-like nodes: the ones with an argument list. */
export type ArgumentsNode = CallNode | RemoteCallNode | AnonymousCallNode | DynamicCallNode;

export function isCall(node: AstNode, name: string): node is CallNode {
  return node.kind === 'call' && node.name === name;
}

/** Elixir's `__block__` contents: the expressions of a block, or the single expression. */
export function blockExpressions(node: AstNode | undefined): readonly AstNode[] {
  if (node === undefined) return NO_CHILDREN;
  return isCall(node, '__block__') ? node.args : [node];
}
