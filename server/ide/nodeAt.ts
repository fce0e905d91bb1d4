/**
 * The innermost syntax node at a position, with its node ID: what `elixirScope/nodeAt` answers
 * (the recorder, the timeline and the queries name code by these IDs).
 */
import type { NodeAtResult } from '../../common/lspProtocol';
import { lspRange, offsetOf, orElse, type Position } from './positions';
import type { WorkspaceView } from './workspaceView';

const LABEL_LENGTH = 60;

export function nodeAt(view: WorkspaceView, path: string, position: Position): NodeAtResult | null {
  return orElse(null, () => {
    const document = view.document(path);
    if (!document) return null;
    const offset = offsetOf(document, position);
    if (offset === undefined) return null;
    const location = document.nodeIds.nodeAtOffset(offset);
    if (!location) return null;
    const node = location.node;
    return {
      nodeId: location.nodeId,
      kind: node.kind,
      label: labelOf(document.text.slice(node.start, node.end)),
      range: lspRange(document.lines, node.start, node.end),
      clause: location.clause?.id ?? null,
    };
  });
}

/** The first line of the node's text, shortened. */
function labelOf(text: string): string {
  const firstLine = text.split('\n', 1)[0]!.trim();
  const shortened = firstLine.length > LABEL_LENGTH ? `${firstLine.slice(0, LABEL_LENGTH - 1)}…` : firstLine;
  return firstLine.length < text.trim().length && !shortened.endsWith('…') ? `${shortened} …` : shortened;
}
