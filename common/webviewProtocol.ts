/**
 * Messages between the extension (`client/graphPanel.ts`) and the function graph webview
 * (`webview/graph/`), defined once for both sides and described in docs/protocol.md
 * ("Graph view messages").
 *
 * Messages from the webview are checked with `parseGraphViewMessage` before they are acted on:
 * the webview renders strings that come from the user's code, so the extension treats what it
 * sends back as input, not as trusted calls.
 */
import type { FunctionGraphResult } from './lspProtocol';

/** The webview panel type, also the key VS Code stores the panel's state under. */
export const GRAPH_VIEW_TYPE = 'elixirScope.functionGraph';

/** Extension → webview. */
export type GraphViewCommand =
  /** Show (or replace) the graphs of one function clause. */
  | { readonly type: 'show'; readonly graph: FunctionGraphResult };

/** Webview → extension. */
export type GraphViewMessage =
  /** The script has loaded and listens; the extension answers with `show`. */
  | { readonly type: 'ready' }
  /**
   * The user clicked a node: move the editor there. `line` and `column` are the node's, as the
   * graph gives them: Elixir positions (1-based line, 1-based column in code points).
   */
  | { readonly type: 'reveal'; readonly line: number; readonly column: number };

/** The message if `value` is a well-formed `GraphViewMessage`, else `null`. */
export function parseGraphViewMessage(value: unknown): GraphViewMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  switch (message['type']) {
    case 'ready':
      return { type: 'ready' };
    case 'reveal': {
      const { line, column } = message;
      if (!isPositiveInteger(line) || !isPositiveInteger(column)) return null;
      return { type: 'reveal', line, column };
    }
    default:
      return null;
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
