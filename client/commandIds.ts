/**
 * The commands the extension contributes, as data: ids, titles and where they are offered.
 *
 * Like `settingsSchema.ts` this imports nothing from 'vscode', so `test/clientManifest.test.ts`
 * can hold package.json's `contributes.commands`, `menus` and `activationEvents` to this list.
 */

export const CommandId = {
  showNodeIdAtCursor: 'elixirScope.showNodeIdAtCursor',
  runQuery: 'elixirScope.runQuery',
  showFunctionGraph: 'elixirScope.showFunctionGraph',
  reindex: 'elixirScope.reindex',
  restartServer: 'elixirScope.restartServer',
  showLog: 'elixirScope.showLog',
} as const;

export type CommandId = (typeof CommandId)[keyof typeof CommandId];

export interface CommandDescription {
  readonly command: CommandId;
  readonly title: string;
  /**
   * When the command palette offers it: commands that act on the cursor need an Elixir editor.
   * `undefined` means always.
   */
  readonly palette?: string;
  /** Also offered in the editor's context menu (Elixir files only). */
  readonly editorContext?: boolean;
}

export const CATEGORY = 'ElixirScope';

const IN_ELIXIR_EDITOR = 'editorLangId == elixir';

export const COMMANDS: readonly CommandDescription[] = [
  { command: CommandId.showNodeIdAtCursor, title: 'Show Node ID at Cursor', palette: IN_ELIXIR_EDITOR, editorContext: true },
  { command: CommandId.showFunctionGraph, title: 'Show Function Graph', palette: IN_ELIXIR_EDITOR, editorContext: true },
  { command: CommandId.runQuery, title: 'Run Graph Query…' },
  { command: CommandId.reindex, title: 'Reindex Workspace' },
  { command: CommandId.restartServer, title: 'Restart Language Server' },
  { command: CommandId.showLog, title: 'Show Log' },
];
