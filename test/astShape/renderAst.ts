/**
 * Our AST rendered in the normalized shape that `quotedShape.exs` renders Elixir's quoted form in,
 * so the two can be compared node by node. Children come from `childrenOf`, the function node-ID
 * paths count with, so a match also proves that a path means the same node in Elixir's AST.
 */
import { type AstNode, childrenOf } from '../../server/syntax/ast';

/** One node of the normalized shape; the JSON of `quotedShape.exs` has exactly these fields. */
export interface ShapeNode {
  /** Our node kinds: `call`, `remote`, `variable`, `alias`, `atom`, `string`, `keyword`, ... */
  readonly k: string;
  /** Call, variable and keyword names, atom values, alias segments (`*` for an expression). */
  readonly n: string | null;
  /** Position, only for the kinds Elixir keeps metadata on (see `POSITIONED_KINDS`). */
  readonly l: number | null;
  readonly c: number | null;
  readonly ch: readonly ShapeNode[];
}

/**
 * The kinds whose Elixir form carries `line`/`column` metadata: calls and operators, variables,
 * aliases, remote, anonymous and dynamic calls, and `Access.get` (our `access`). Literals,
 * lists, tuples and keyword pairs carry none in the plain quoted form.
 */
export const POSITIONED_KINDS: ReadonlySet<string> = new Set([
  'call',
  'remote',
  'anonymousCall',
  'dynamicCall',
  'variable',
  'alias',
  'access',
]);

export function renderAst(node: AstNode): ShapeNode {
  const positioned = POSITIONED_KINDS.has(node.kind);
  return {
    k: node.kind,
    n: nameOf(node),
    l: positioned ? node.line : null,
    c: positioned ? node.column : null,
    ch: childrenOf(node).map(renderAst),
  };
}

function nameOf(node: AstNode): string | null {
  switch (node.kind) {
    case 'call':
    case 'remote':
    case 'variable':
      return node.name;
    case 'alias':
      return node.segments.map((segment) => (typeof segment === 'string' ? segment : '*')).join('.');
    case 'atom':
      return node.value;
    case 'keyword':
      return node.key;
    default:
      return null;
  }
}
