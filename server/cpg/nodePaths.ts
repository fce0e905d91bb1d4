/**
 * The path of every node of a clause from its `def` node (the part of a node ID after the colon,
 * counted by `childrenOf` as node IDs are), computed once per clause and shared by every pass
 * that names nodes: call sites, the control-flow graph, the data-flow graph and their storage.
 *
 * The map is held weakly by the clause's `def` node: it lives as long as the clause's tree does.
 */
import type { NodePath } from '../../common/nodeId';
import { type AstNode, childrenOf } from '../syntax/ast';

const pathsByRoot = new WeakMap<AstNode, ReadonlyMap<AstNode, NodePath>>();

/** Every node under `root` (itself `[]`) with its path; the first path wins if a node is shared. */
export function nodePathsOf(root: AstNode): ReadonlyMap<AstNode, NodePath> {
  let paths = pathsByRoot.get(root);
  if (paths) return paths;
  const found = new Map<AstNode, NodePath>();
  const stack: [AstNode, NodePath][] = [[root, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (found.has(node)) continue;
    found.set(node, path);
    const children = childrenOf(node);
    for (let index = children.length - 1; index >= 0; index--) stack.push([children[index]!, [...path, index]]);
  }
  pathsByRoot.set(root, (paths = found));
  return paths;
}
