/**
 * The VS Code extension entry point (`dist/extension.js`): the composition root of the client.
 *
 * It creates the log, the status bar item, the language server connection, the graph panel and
 * the commands, and hands all of them to `context.subscriptions`, which VS Code disposes on
 * deactivation. `deactivate` additionally returns the server's stop, so VS Code waits for a
 * clean shutdown instead of killing the server mid-write to its database.
 *
 * Only `client/` imports 'vscode'; the modules here are thin, and what can be decided without
 * the editor (settings, status texts, query answers, the webview page) lives in pure modules
 * beside them with their own tests.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { createGraphPanel } from './graphPanel';
import { startLanguageServer, type LanguageServer } from './languageClient';
import { watchInitializationOptions } from './settings';
import { createIndexStatusBar } from './statusBar';

let server: LanguageServer | undefined;

export function activate(context: vscode.ExtensionContext): void {
  // A log channel: levels, timestamps, and the user picks the verbosity (Trace shows LSP traffic).
  const log = vscode.window.createOutputChannel('ElixirScope', { log: true });
  context.subscriptions.push(log);
  log.info(`ElixirScope ${extensionVersion(context)} activated`);

  const statusBar = createIndexStatusBar();
  context.subscriptions.push(statusBar);

  const languageServer = startLanguageServer(context, log, statusBar);
  server = languageServer;
  context.subscriptions.push(languageServer);

  const graphPanel = createGraphPanel(context.extensionUri, log);
  context.subscriptions.push(graphPanel);

  context.subscriptions.push(
    registerCommands({ log, server: languageServer, graphPanel, workspaceState: context.workspaceState }),
    // Feature switches are fixed at `initialize`, so a change means a new server; no prompt,
    // since a restart costs only the time to reopen the stored graph.
    watchInitializationOptions(() => {
      log.info('ElixirScope settings or ElixirLS presence changed; restarting the language server');
      void languageServer.restart();
    }),
  );
}

export async function deactivate(): Promise<void> {
  const stopping = server;
  server = undefined;
  await stopping?.stop();
}

function extensionVersion(context: vscode.ExtensionContext): string {
  const packageJson: unknown = context.extension.packageJSON;
  if (typeof packageJson === 'object' && packageJson !== null && 'version' in packageJson) {
    const version = packageJson.version;
    if (typeof version === 'string') return version;
  }
  return 'unknown version';
}
