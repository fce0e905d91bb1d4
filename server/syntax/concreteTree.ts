/**
 * A plain-JavaScript copy of tree-sitter's named nodes. Every property read on a web-tree-sitter
 * node is a call into wasm, so the tree is copied once, in one walk that reads only what the AST
 * conversion needs (type, span, named children); everything after that runs on plain objects.
 */
import type { Node as TreeSitterNode, Tree } from 'web-tree-sitter';

export interface ConcreteNode {
  readonly type: string;
  /** UTF-16 offsets into the parsed text. */
  readonly start: number;
  readonly end: number;
  /** Named children without comments. */
  readonly children: ConcreteNode[];
  /** Set on a node whose children were not copied because it lies past the depth limit. */
  truncated?: true;
}

// Node types that never have named children: reading their child list would be a wasted wasm call.
const LEAF_TYPES = new Set([
  'identifier',
  'alias',
  'atom',
  'integer',
  'float',
  'char',
  'boolean',
  'nil',
  'keyword',
  'quoted_content',
  'escape_sequence',
  'sigil_name',
  'sigil_modifiers',
  'operator_identifier',
  'comment',
]);

/**
 * Copies the tree. Nodes deeper than `maxDepth` are copied without their children, so a
 * pathological file (thousands of nested brackets) cannot exhaust the stack of the recursive
 * passes that follow; the caller reports the cut as a syntax error.
 */
export function copyConcreteTree(
  tree: Tree,
  typeNames: readonly string[],
  maxDepth: number,
): { root: ConcreteNode; truncatedAt: ConcreteNode[] } {
  const truncatedAt: ConcreteNode[] = [];
  const root = newNode(tree.rootNode, typeNames);
  // An explicit stack rather than recursion, for the same reason as maxDepth.
  const stack: { source: TreeSitterNode; copy: ConcreteNode; depth: number }[] = [
    { source: tree.rootNode, copy: root, depth: 0 },
  ];
  while (stack.length > 0) {
    const { source, copy, depth } = stack.pop()!;
    if (LEAF_TYPES.has(copy.type)) continue;
    const sourceChildren = source.namedChildren;
    if (sourceChildren.length > 0 && depth >= maxDepth) {
      copy.truncated = true;
      truncatedAt.push(copy);
      continue;
    }
    for (const child of sourceChildren) {
      if (child === null) continue;
      const childCopy = newNode(child, typeNames);
      if (childCopy.type === 'comment') continue;
      copy.children.push(childCopy);
      stack.push({ source: child, copy: childCopy, depth: depth + 1 });
    }
  }
  return { root, truncatedAt };
}

function newNode(node: TreeSitterNode, typeNames: readonly string[]): ConcreteNode {
  return { type: typeNames[node.typeId] ?? 'ERROR', start: node.startIndex, end: node.endIndex, children: [] };
}
