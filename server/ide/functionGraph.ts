/**
 * The control-flow and data-flow graphs of the function clause at a position, as the
 * `elixirScope/functionGraph` request returns them (without the document URI, which the LSP
 * layer adds). Read through the long-lived query engine, from the stored graph, which builds the
 * file's clause graphs the first time one is asked for.
 */
import type { FunctionGraphResult } from '../../common/lspProtocol';
import { offsetOf, orElse, type Position } from './positions';
import type { WorkspaceView } from './workspaceView';

export type FunctionGraph = Omit<FunctionGraphResult, 'uri'>;

/** The graphs of the clause enclosing `position`; `null` outside every clause or when the graph does not hold it. */
export function functionGraph(view: WorkspaceView, path: string, position: Position): FunctionGraph | null {
  return orElse(null, () => {
    const document = view.document(path);
    if (!document) return null;
    const offset = offsetOf(document, position);
    if (offset === undefined) return null;
    const clause = document.nodeIds.nodeAtOffset(offset)?.clause;
    if (!clause) return null;
    // The query engine refuses a clause the graph does not hold (a file not indexed yet, or changed
    // since) by throwing.
    return { clause: clause.id, cfg: view.queries.controlFlow(clause.id), dfg: view.queries.dataFlow(clause.id) };
  });
}
