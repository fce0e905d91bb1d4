/**
 * The status bar item that shows the state of the workspace index ("indexing 120/536",
 * "536 files") or that the language server is not running. Clicking it opens the log.
 */
import * as vscode from 'vscode';
import { CommandId } from './commandIds';
import type { StatusPresentation } from './statusText';
import { startingPresentation } from './statusText';

export interface IndexStatusBar extends vscode.Disposable {
  present(presentation: StatusPresentation): void;
}

export function createIndexStatusBar(): IndexStatusBar {
  // The id keeps the user's choice to hide it across sessions; the name is what the status
  // bar's context menu lists.
  const item = vscode.window.createStatusBarItem('elixirScope.indexStatus', vscode.StatusBarAlignment.Left, 0);
  item.name = 'ElixirScope';
  item.command = { command: CommandId.showLog, title: 'Show ElixirScope Log' };
  const present = (presentation: StatusPresentation): void => {
    item.text = presentation.text;
    item.tooltip = presentation.tooltip;
    item.backgroundColor = presentation.isError ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    // Screen readers would otherwise read the codicon name ("sync~spin").
    item.accessibilityInformation = { label: presentation.text.replace(/^\$\([^)]*\)\s*/, ''), role: 'button' };
  };
  present(startingPresentation());
  item.show();
  return { present, dispose: () => item.dispose() };
}
