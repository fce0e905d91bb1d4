/**
 * The VS Code extension entry point: the only module tree that imports 'vscode'.
 *
 * Today it opens the "ElixirScope" log channel and registers the commands the
 * manifest contributes. The language server that answers them (server/lsp) is
 * started from here in a later issue; until then the commands say plainly that
 * the analyzer is not connected rather than pretend to work.
 */
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('ElixirScope', { log: true });
  context.subscriptions.push(log);

  log.info(`ElixirScope ${extensionVersion(context)} activated`);

  context.subscriptions.push(
    vscode.commands.registerCommand('elixirScope.showNodeIdAtCursor', () => showNodeIdAtCursor(log)),
  );
}

export function deactivate(): void {
  // Everything this extension owns is in context.subscriptions, which VS Code disposes.
}

function extensionVersion(context: vscode.ExtensionContext): string {
  const packageJson: unknown = context.extension.packageJSON;
  if (typeof packageJson === 'object' && packageJson !== null && 'version' in packageJson) {
    const version = packageJson.version;
    if (typeof version === 'string') {
      return version;
    }
  }
  return 'unknown version';
}

// Node IDs come from the code property graph built by the language server,
// which is not started yet (a later issue wires server/lsp in). Until then the
// honest answer is that there is no analyzer to ask.
async function showNodeIdAtCursor(log: vscode.LogOutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const where = editor === undefined
    ? 'no active editor'
    : `${editor.document.uri.toString()} at ${editor.selection.active.line + 1}:${editor.selection.active.character + 1}`;
  log.info(`showNodeIdAtCursor requested (${where}); the analyzer is not connected yet`);
  await vscode.window.showInformationMessage(
    'ElixirScope: the analyzer is not connected yet, so there is no node ID to show. ' +
      'It will be available once the ElixirScope language server is started by the extension.',
  );
}
