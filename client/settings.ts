/**
 * Reads the `elixirScope.*` settings and the presence of ElixirLS, and reports when either
 * changes in a way that needs the language server restarted.
 *
 * The schema, defaults and the resolution rule live in `settingsSchema.ts` (pure, tested against
 * package.json); this module only connects them to the editor.
 */
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { InitializationOptions } from '../common/lspProtocol';
import {
  ELIXIR_LS_EXTENSION_ID,
  SETTINGS_SECTION,
  initializationOptions,
  readSettings,
  restartingSettingKeys,
  type Settings,
} from './settingsSchema';

export function currentSettings(): Settings {
  const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return readSettings((key) => configuration.get(key));
}

/** `getExtension` only returns enabled extensions, so a disabled ElixirLS counts as absent. */
export function elixirLsInstalled(): boolean {
  return vscode.extensions.getExtension(ELIXIR_LS_EXTENSION_ID) !== undefined;
}

export function currentInitializationOptions(): InitializationOptions {
  return initializationOptions(currentSettings(), elixirLsInstalled(), resolveAgainstWorkspace);
}

/**
 * Calls `onChange` when the options the server was started with would now be different: a
 * restarting setting changed, or ElixirLS was installed, enabled, disabled or removed (which
 * changes what `auto` means). `trace.server` is not among them: the language client applies it
 * live.
 */
export function watchInitializationOptions(onChange: () => void): vscode.Disposable {
  let previous = JSON.stringify(currentInitializationOptions());
  const check = (): void => {
    const next = JSON.stringify(currentInitializationOptions());
    if (next === previous) return;
    previous = next;
    onChange();
  };
  const keys = restartingSettingKeys().map((key) => `${SETTINGS_SECTION}.${key}`);
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (keys.some((key) => event.affectsConfiguration(key))) check();
    }),
    vscode.extensions.onDidChange(check),
    // A relative databasePath means something else once the first folder changes.
    vscode.workspace.onDidChangeWorkspaceFolders(check),
  );
}

// The server is spawned by this extension host, on the same machine, so node:path's rules are the
// server's rules too.
function resolveAgainstWorkspace(databasePath: string): string {
  if (databasePath === '~' || databasePath.startsWith('~/')) return path.join(os.homedir(), databasePath.slice(1));
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined || path.isAbsolute(databasePath)) return databasePath;
  return path.join(folder.uri.fsPath, databasePath);
}
