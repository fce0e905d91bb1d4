/**
 * Node IDs for one parsed file (format in `common/nodeId.ts`): a node inside a function clause is
 * named by the clause's ID and its child-index path from the clause's `def` node; any other node
 * by the innermost module (or `<file>`) and its path of top-level forms.
 *
 * **Stability:** a clause's ID depends only on its module, name, arity and its rank among the
 * clauses of that same function; the path depends only on the clause's own tree. So editing,
 * adding or removing other functions, comments or blank lines, or reformatting anything, leaves
 * every node ID inside an unchanged function as it was.
 */
import type { ElixirPosition, LineIndex } from '../../common/lineIndex';
import { moduleLevelNodeId, nodeIdOf, parseNodeId, type NodePath } from '../../common/nodeId';
import { type AstNode, childrenOf } from '../syntax/ast';
import type { FileDefinitions, FunctionClause } from './definitions';

export interface NodeLocation {
  readonly nodeId: string;
  readonly node: AstNode;
  /** The clause the node belongs to, when it is inside one. */
  readonly clause: FunctionClause | null;
  readonly start: ElixirPosition;
  readonly end: ElixirPosition;
}

export class FileNodeIds {
  private readonly clausesById = new Map<string, FunctionClause>();
  private readonly clauseByNode = new Map<AstNode, FunctionClause>();
  private readonly moduleByNode = new Map<AstNode, string>();

  constructor(
    private readonly forms: readonly AstNode[],
    definitions: FileDefinitions,
    private readonly lines: LineIndex,
    /** Owner of module-level nodes outside any module, e.g. the file's relative path. */
    private readonly fileOwner: string,
  ) {
    for (const clause of definitions.functions) {
      // A `defimpl … for: [A, B]` body yields one clause per module over the same node; the
      // first one names the node.
      this.clausesById.set(clause.id, clause);
      if (!this.clauseByNode.has(clause.node)) this.clauseByNode.set(clause.node, clause);
    }
    for (const module of definitions.modules) {
      if (!this.moduleByNode.has(module.node)) this.moduleByNode.set(module.node, module.name);
    }
  }

  /** The ID of the innermost node whose span contains `position` (Elixir-style). */
  nodeIdAt(position: ElixirPosition): NodeLocation | undefined {
    const offset = this.lines.offsetOfElixirPosition(position);
    if (offset === undefined) return undefined;
    return this.nodeAtOffset(offset);
  }

  nodeAtOffset(offset: number): NodeLocation | undefined {
    let siblings: readonly AstNode[] = this.forms;
    let owner = this.fileOwner;
    let path: number[] = [];
    let clause: FunctionClause | null = null;
    let found: AstNode | undefined;
    let foundId = '';

    for (;;) {
      const index = indexContaining(siblings, offset);
      if (index === -1) break;
      const node = siblings[index]!;
      path.push(index);
      found = node;
      foundId = clause ? nodeIdOf(clause.id, path) : moduleLevelNodeId(owner, path);
      // Below a definition, paths restart from it: a clause's `def` node, or a module's.
      const definedClause: FunctionClause | undefined = clause ? undefined : this.clauseByNode.get(node);
      if (definedClause) {
        clause = definedClause;
        path = [];
        foundId = clause.id;
      } else if (!clause) {
        const module = this.moduleByNode.get(node);
        if (module !== undefined) {
          owner = module;
          path = [];
        }
      }
      siblings = childrenOf(node);
    }
    return found ? this.location(foundId, found, clause) : undefined;
  }

  /** The node a clause node ID names, with its span; `undefined` when no such node exists. */
  resolve(nodeId: string): NodeLocation | undefined {
    const parsed = parseNodeId(nodeId);
    if (!parsed || parsed.moduleLevel) return undefined;
    const clause = this.clausesById.get(parsed.owner);
    if (!clause) return undefined;
    const node = followPath(clause.node, parsed.path);
    return node ? this.location(nodeId, node, clause) : undefined;
  }

  /** Every node of a clause with its ID, in pre-order. */
  *clauseNodes(clause: FunctionClause): Generator<{ nodeId: string; node: AstNode; path: NodePath }> {
    const stack: { node: AstNode; path: number[] }[] = [{ node: clause.node, path: [] }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      yield { nodeId: nodeIdOf(clause.id, path), node, path };
      const children = childrenOf(node);
      for (let index = children.length - 1; index >= 0; index--) {
        stack.push({ node: children[index]!, path: [...path, index] });
      }
    }
  }

  private location(nodeId: string, node: AstNode, clause: FunctionClause | null): NodeLocation {
    return {
      nodeId,
      node,
      clause,
      start: this.lines.elixirPosition(node.start),
      end: this.lines.elixirPosition(node.end),
    };
  }
}

export function followPath(root: AstNode, path: NodePath): AstNode | undefined {
  let node: AstNode | undefined = root;
  for (const index of path) {
    node = childrenOf(node)[index];
    if (!node) return undefined;
  }
  return node;
}

// Children are in source order, so the one containing an offset is found by binary search. A
// node's span includes its first character and excludes its end, except that an offset at the
// very end of a node still finds it (a cursor just after `foo`).
function indexContaining(nodes: readonly AstNode[], offset: number): number {
  let low = 0;
  let high = nodes.length - 1;
  let candidate = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const node = nodes[middle]!;
    if (node.start <= offset) {
      candidate = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (candidate === -1) return -1;
  // Synthetic nodes (empty blocks) can be zero-width and share a start with their neighbour.
  for (let index = candidate; index >= 0; index--) {
    const node = nodes[index]!;
    if (node.start <= offset && offset <= node.end && node.end > node.start) return index;
    if (node.end < offset && index < candidate) break;
  }
  return -1;
}
