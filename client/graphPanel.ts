/**
 * The webview panel that shows a function clause's control-flow and data-flow graphs beside the
 * editor (rendered by `webview/graph/`), and moves the editor to a node the user clicks.
 *
 * One panel is reused for every "Show Function Graph": it follows the cursor's function rather
 * than piling up tabs. Messages are `common/webviewProtocol.ts`'s, checked on arrival.
 */
import crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { FunctionGraphResult } from '../common/lspProtocol';
import { GRAPH_VIEW_TYPE, parseGraphViewMessage, type GraphViewCommand, type GraphViewMessage } from '../common/webviewProtocol';
import { graphPageHtml } from './graphHtml';
import { lineIndexOf, utf16Character } from './positions';

export interface GraphPanel extends vscode.Disposable {
  /** Shows `graph` in the panel (created beside `sourceColumn` if needed). */
  show(graph: FunctionGraphResult, sourceColumn: vscode.ViewColumn | undefined): void;
}

export function createGraphPanel(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): GraphPanel {
  let panel: vscode.WebviewPanel | undefined;
  let panelListeners: vscode.Disposable[] = [];
  let current: FunctionGraphResult | undefined;
  let sourceColumn: vscode.ViewColumn | undefined;

  const post = (command: GraphViewCommand): void => {
    void panel?.webview.postMessage(command);
  };

  const onMessage = async (raw: unknown): Promise<void> => {
    const message = parseGraphViewMessage(raw);
    if (message === null) {
      log.warn(`Graph view sent a message that is not in the protocol: ${safeJson(raw)}`);
      return;
    }
    await handle(message);
  };

  const handle = async (message: GraphViewMessage): Promise<void> => {
    switch (message.type) {
      case 'ready':
        // A new page (first load, or reloaded after being hidden) asks for what to show.
        if (current !== undefined) post({ type: 'show', graph: current });
        return;
      case 'reveal':
        if (current !== undefined) await revealInEditor(vscode.Uri.parse(current.uri), message.line, message.column, sourceColumn, log);
        return;
    }
  };

  const create = (): vscode.WebviewPanel => {
    const roots = [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
    const created = vscode.window.createWebviewPanel(
      GRAPH_VIEW_TYPE,
      'Function Graph',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      // No retainContextWhenHidden: the page keeps its state with setState and is cheap to redraw.
      { enableScripts: true, localResourceRoots: roots, enableFindWidget: true },
    );
    created.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    created.webview.html = graphPageHtml({
      cspSource: created.webview.cspSource,
      scriptUri: created.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'graph.js')).toString(),
      styleUri: created.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'graph.css')).toString(),
      nonce: crypto.randomBytes(18).toString('base64'),
    });
    panelListeners = [
      created.webview.onDidReceiveMessage((raw: unknown) => void onMessage(raw)),
      created.onDidDispose(() => {
        panelListeners.forEach((listener) => listener.dispose());
        panelListeners = [];
        panel = undefined;
      }),
    ];
    return created;
  };

  return {
    show(graph, column) {
      current = graph;
      sourceColumn = column;
      if (panel === undefined) {
        panel = create();
        // The page asks with `ready` once its script runs; posting now could be lost.
      } else {
        panel.reveal(undefined, true);
        post({ type: 'show', graph });
      }
      panel.title = `Graph: ${graph.clause}`;
    },
    dispose() {
      panel?.dispose();
    },
  };
}

async function revealInEditor(
  uri: vscode.Uri,
  line: number,
  column: number,
  viewColumn: vscode.ViewColumn | undefined,
  log: vscode.LogOutputChannel,
): Promise<void> {
  try {
    const document = await vscode.workspace.openTextDocument(uri);
    const lineIndex = lineIndexOf(line, document.lineCount);
    const position = new vscode.Position(lineIndex, utf16Character(document.lineAt(lineIndex).text, column));
    await vscode.window.showTextDocument(document, {
      viewColumn: viewColumn ?? vscode.ViewColumn.One,
      selection: new vscode.Range(position, position),
      preserveFocus: false,
    });
  } catch (error) {
    log.error(`Could not open ${uri.toString()} at ${line}:${column}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
