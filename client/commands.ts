/**
 * The commands of the extension (ids and titles in `commandIds.ts`): each asks the language
 * server one of the custom requests of `common/lspProtocol.ts` and shows the answer.
 *
 * Every failure ends in a message that says what to do next (start the server, move the cursor,
 * fix the query); none is left as a rejected promise for VS Code to report without context.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  ClientCommand,
  LspMethod,
  type FunctionGraphResult,
  type NodeAtResult,
  type QueryParams,
  type QueryResult,
  type TextDocumentPositionParams,
} from '../common/lspProtocol';
import { CommandId } from './commandIds';
import type { GraphPanel } from './graphPanel';
import { describe, type LanguageServer } from './languageClient';
import { lineIndexOf, utf16Character } from './positions';
import { checkQueryText, presentQueryResult, rememberQuery, validHistory, type LocatedItem } from './queryResults';

export interface CommandServices {
  readonly log: vscode.LogOutputChannel;
  readonly server: LanguageServer;
  readonly graphPanel: GraphPanel;
  /** Where the recent queries are kept: per workspace, since queries name its modules. */
  readonly workspaceState: vscode.Memento;
}

const QUERY_HISTORY_KEY = 'elixirScope.queryHistory';

export function registerCommands(services: CommandServices): vscode.Disposable {
  // Commands return what they found (a node, a graph, a query answer), so other extensions and
  // tests can call them; a failure is shown and logged, and the command then returns undefined.
  const register = (id: CommandId, run: () => Promise<unknown>): vscode.Disposable =>
    vscode.commands.registerCommand(id, async () => {
      try {
        return await run();
      } catch (error) {
        services.log.error(`${id}: ${describe(error)}`);
        void vscode.window.showErrorMessage(`ElixirScope: ${describe(error)}`);
        return undefined;
      }
    });
  return vscode.Disposable.from(
    register(CommandId.showNodeIdAtCursor, () => showNodeIdAtCursor(services)),
    register(CommandId.runQuery, () => runQuery(services, '')),
    register(CommandId.showFunctionGraph, () => showFunctionGraph(services)),
    register(CommandId.reindex, () => reindex(services)),
    register(CommandId.restartServer, () => services.server.restart()),
    register(CommandId.showLog, async () => services.log.show(true)),
    // Not in the manifest: the server puts it in code lenses, with plain JSON arguments.
    vscode.commands.registerCommand(ClientCommand.showReferences, (uri: unknown, position: unknown) => showReferences(services, uri, position)),
  );
}

/** Returns the node (or `null`); the message is not awaited, so the command returns at once. */
async function showNodeIdAtCursor(services: CommandServices): Promise<NodeAtResult | null | undefined> {
  const at = await cursorRequest(services);
  if (at === undefined) return undefined;
  const node = await at.client.sendRequest<NodeAtResult | null>(LspMethod.nodeAt, at.params);
  if (node === null) {
    void vscode.window.showInformationMessage('ElixirScope: there is no syntax node at the cursor.');
    return null;
  }
  services.log.info(`Node at ${describePosition(at.params)}: ${node.nodeId} (${node.kind} ${node.label})`);
  void offerToCopy(node);
  return node;
}

// The ID is shown, not copied: overwriting the clipboard unasked loses what the user had there.
async function offerToCopy(node: NodeAtResult): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`${node.nodeId}  (${node.kind}: ${node.label})`, 'Copy');
  if (choice !== 'Copy') return;
  await vscode.env.clipboard.writeText(node.nodeId);
  vscode.window.setStatusBarMessage(`$(check) Copied ${node.nodeId}`, 3000);
}

async function showFunctionGraph(services: CommandServices): Promise<FunctionGraphResult | null | undefined> {
  const at = await cursorRequest(services);
  if (at === undefined) return undefined;
  const graph = await at.client.sendRequest<FunctionGraphResult | null>(LspMethod.functionGraph, at.params);
  if (graph === null) {
    void vscode.window.showInformationMessage('ElixirScope: the cursor is not inside a function clause. Place it in a def, defp, defmacro or defmacrop.');
    return null;
  }
  services.graphPanel.show(graph, at.editor.viewColumn);
  return graph;
}

/** Peeks the references at a place the server names as `[uri, position]` (LSP position). */
async function showReferences(services: CommandServices, uriText: unknown, position: unknown): Promise<void> {
  if (typeof uriText !== 'string' || !isLspPosition(position)) {
    services.log.warn(`${ClientCommand.showReferences}: arguments are not [uri, position]: ${JSON.stringify([uriText, position])}`);
    return;
  }
  const uri = vscode.Uri.parse(uriText);
  const at = new vscode.Position(position.line, position.character);
  // Every provider's answer, ElixirLS's included when ours is off.
  const locations = await vscode.commands.executeCommand<vscode.Location[] | undefined>('vscode.executeReferenceProvider', uri, at);
  await vscode.commands.executeCommand('editor.action.showReferences', uri, at, locations ?? []);
}

function isLspPosition(value: unknown): value is { line: number; character: number } {
  if (typeof value !== 'object' || value === null) return false;
  const { line, character } = value as Record<string, unknown>;
  return Number.isInteger(line) && Number.isInteger(character) && (line as number) >= 0 && (character as number) >= 0;
}

/** Resolves when the server has brought the graph in line with the disk. */
async function reindex(services: CommandServices): Promise<void> {
  const client = await requireClient(services);
  if (client === undefined) return;
  services.log.info('Reindexing the workspace on request');
  // Progress shows in the status bar item through elixirScope/indexStatus.
  await client.sendRequest(LspMethod.reindex);
}

async function runQuery(services: CommandServices, initialText: string): Promise<QueryResult | undefined> {
  const client = await requireClient(services);
  if (client === undefined) return undefined;
  const history = validHistory(services.workspaceState.get(QUERY_HISTORY_KEY));
  const text = await askForQuery(history, initialText);
  if (text === undefined) return undefined;
  const checked = checkQueryText(text);
  if (!checked.ok) {
    return offerToEdit(services, checked.message, text);
  }
  await services.workspaceState.update(QUERY_HISTORY_KEY, rememberQuery(history, text.trim()));
  let answer: QueryResult;
  try {
    answer = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'ElixirScope query' },
      () => client.sendRequest<QueryResult>(LspMethod.query, queryParams(checked.query)),
    );
  } catch (error) {
    // The server's message says what is wrong with the query and what to write instead.
    return offerToEdit(services, describe(error), text);
  }
  services.log.info(`Query ${text.trim()} answered in ${answer.elapsedMs} ms`);
  await showQueryResult(answer);
  return answer;
}

/**
 * The query goes to the graph of the active editor's folder (the server's optional `folder`
 * parameter, docs/protocol.md). With one folder, or no editor, it is left out: the server's
 * default, the first folder, is then the right one.
 */
function queryParams(query: unknown): QueryParams & { folder?: string } {
  if ((vscode.workspace.workspaceFolders?.length ?? 0) < 2) return { query };
  const document = vscode.window.activeTextEditor?.document;
  const folder = document === undefined ? undefined : vscode.workspace.getWorkspaceFolder(document.uri);
  return folder === undefined ? { query } : { query, folder: folder.uri.toString() };
}

async function offerToEdit(services: CommandServices, message: string, text: string): Promise<QueryResult | undefined> {
  const choice = await vscode.window.showErrorMessage(`ElixirScope query: ${message}`, 'Edit Query');
  return choice === 'Edit Query' ? runQuery(services, text) : undefined;
}

interface HistoryItem extends vscode.QuickPickItem {
  readonly query: string;
}

/**
 * A quick pick rather than an input box, because it can list the recent queries under the one
 * being typed: the first item is always the typed text, the others filter as it grows.
 */
function askForQuery(history: readonly string[], initialText: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<HistoryItem>();
    pick.title = 'ElixirScope: Run Graph Query';
    pick.placeholder = 'JSON, e.g. {"callers": "MyApp.Accounts.get_user/1"}';
    pick.ignoreFocusOut = true;
    const recent = history.map((query): HistoryItem => ({ label: query, description: 'recent', query }));
    const update = (value: string): void => {
      const typed = value.trim();
      pick.items = typed === '' ? recent : [{ label: typed, description: 'run', alwaysShow: true, query: typed }, ...recent.filter((item) => item.query !== typed)];
    };
    pick.value = initialText;
    update(initialText);
    let accepted: string | undefined;
    pick.onDidChangeValue(update);
    pick.onDidAccept(() => {
      accepted = pick.selectedItems[0]?.query ?? (pick.value.trim() === '' ? undefined : pick.value);
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(accepted);
    });
    pick.show();
  });
}

interface LocationItem extends vscode.QuickPickItem {
  readonly location: LocatedItem;
}

async function showQueryResult(answer: QueryResult): Promise<void> {
  const presentation = presentQueryResult(answer.result);
  switch (presentation.kind) {
    case 'empty':
      void vscode.window.showInformationMessage(`ElixirScope query: no results (${answer.elapsedMs} ms).`);
      return;
    case 'json':
      await openJson(presentation.text);
      return;
    case 'locations':
      await pickLocation(presentation.items, answer);
      return;
  }
}

const OPEN_AS_JSON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('json'), tooltip: 'Open the answer as JSON' };

function pickLocation(items: LocatedItem[], answer: QueryResult): Promise<void> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<LocationItem>();
    pick.title = `ElixirScope query: ${items.length} ${items.length === 1 ? 'result' : 'results'} in ${answer.elapsedMs} ms`;
    pick.placeholder = 'Pick one to open it';
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.buttons = [OPEN_AS_JSON];
    pick.items = items.map((location): LocationItem => ({
      label: location.label,
      description: location.description,
      detail: location.detail === '' ? undefined : location.detail,
      location,
    }));
    let next: Promise<void> = Promise.resolve();
    pick.onDidAccept(() => {
      const picked = pick.selectedItems[0];
      if (picked !== undefined) next = openLocation(picked.location);
      pick.hide();
    });
    pick.onDidTriggerButton(() => {
      next = openJson(`${JSON.stringify(answer.result, null, 2)}\n`);
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(next);
    });
    pick.show();
  });
}

async function openJson(text: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: 'json', content: text });
  await vscode.window.showTextDocument(document, { preview: true });
}

async function openLocation(location: LocatedItem): Promise<void> {
  const uri = await resolveWorkspaceFile(location.file);
  if (uri === undefined) {
    void vscode.window.showWarningMessage(`ElixirScope: ${location.file} is not in any workspace folder.`);
    return;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const line = lineIndexOf(location.line, document.lineCount);
  const character = location.column === null ? document.lineAt(line).firstNonWhitespaceCharacterIndex : utf16Character(document.lineAt(line).text, location.column);
  const position = new vscode.Position(line, character);
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
}

/** Answers name files relative to their workspace folder; with several folders, the first that has it. */
async function resolveWorkspaceFile(file: string): Promise<vscode.Uri | undefined> {
  if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) return vscode.Uri.file(file);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const candidate = vscode.Uri.joinPath(folder.uri, file);
    try {
      await vscode.workspace.fs.stat(candidate);
      return candidate;
    } catch {
      // Not in this folder; try the next.
    }
  }
  return undefined;
}

interface CursorRequest {
  readonly client: LanguageClient;
  readonly editor: vscode.TextEditor;
  readonly params: TextDocumentPositionParams;
}

async function cursorRequest(services: CommandServices): Promise<CursorRequest | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== 'elixir') {
    void vscode.window.showInformationMessage('ElixirScope: open an Elixir file and place the cursor first.');
    return undefined;
  }
  const client = await requireClient(services);
  if (client === undefined) return undefined;
  const params = client.code2ProtocolConverter.asTextDocumentPositionParams(editor.document, editor.selection.active);
  return { client, editor, params };
}

async function requireClient(services: CommandServices): Promise<LanguageClient | undefined> {
  const client = await services.server.whenRunning();
  if (client !== undefined) return client;
  // Not awaited: the command ends now, the user may act on the message later.
  void vscode.window.showErrorMessage('ElixirScope: the language server is not running.', 'Show Log', 'Restart').then((choice) => {
    if (choice === 'Show Log') services.log.show(true);
    if (choice === 'Restart') void services.server.restart();
  });
  return undefined;
}

function describePosition(params: TextDocumentPositionParams): string {
  return `${params.textDocument.uri}:${params.position.line + 1}:${params.position.character + 1}`;
}
