/**
 * Starts, restarts and stops the ElixirScope language server (`dist/server.js`, bundled from
 * `server/lsp/main.ts`) through vscode-languageclient, and forwards its index status to the
 * status bar.
 *
 * Crashes: the language client restarts a server that dies. Our error handler lets it do so up
 * to `MAX_RESTARTS` times within `RESTART_WINDOW_MS` (`crashPolicy.ts`), tells the user once per
 * server started (on its first crash), and gives up with one error message after that instead of
 * restarting forever.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { LspMethod, type IndexStatus, type InitializationOptions } from '../common/lspProtocol';
import { CommandId } from './commandIds';
import { createCrashPolicy } from './crashPolicy';
import { currentInitializationOptions } from './settings';
import { SETTINGS_SECTION } from './settingsSchema';
import type { IndexStatusBar } from './statusBar';
import { indexStatusPresentation, startingPresentation, stoppedPresentation } from './statusText';

const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;
/** How long `stop` waits for the server to answer `shutdown` before the process is killed. */
const STOP_TIMEOUT_MS = 2000;
/** How long a command waits for a server that is restarting after a crash. */
const RESTART_WAIT_MS = 15_000;

export interface LanguageServer extends vscode.Disposable {
  /**
   * The client once a start or restart in progress has finished, if the server is running;
   * `undefined` when it is not (start failed, gave up after crashes, missing bundle).
   */
  whenRunning(): Promise<LanguageClient | undefined>;
  /** Stops the server (if running) and starts it again with the current settings. */
  restart(): Promise<void>;
  /** Stops the server; resolves when it has exited or been killed. */
  stop(): Promise<void>;
}

export function startLanguageServer(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  statusBar: IndexStatusBar,
): LanguageServer {
  const serverModule = context.asAbsolutePath('dist/server.js');
  // One watcher for the extension's lifetime, shared by every client instance: each client
  // detaches its own listeners when it stops, the watcher itself is ours to dispose.
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{ex,exs}');
  let client: LanguageClient | undefined;
  let clientListeners: vscode.Disposable[] = [];
  // Restarts and stops are queued, so a settings change during start-up cannot leave two servers.
  let pending: Promise<void> = Promise.resolve();
  const queue = (step: () => Promise<void>): Promise<void> => {
    pending = pending.then(step, step);
    return pending;
  };

  const stopCurrent = async (): Promise<void> => {
    const stopping = client;
    client = undefined;
    clientListeners.forEach((listener) => listener.dispose());
    clientListeners = [];
    if (stopping === undefined) return;
    try {
      // dispose = stop (shutdown, exit, kill after the timeout) and never start again.
      await stopping.dispose(STOP_TIMEOUT_MS);
    } catch (error) {
      log.warn(`Stopping the language server: ${describe(error)}`);
    }
  };

  const startNew = async (): Promise<void> => {
    if (!fs.existsSync(serverModule)) {
      const reason = `The language server is missing (${serverModule}). Run \`npm run build\`.`;
      log.error(reason);
      statusBar.present(stoppedPresentation(reason));
      return;
    }
    statusBar.present(startingPresentation());
    const options = currentInitializationOptions();
    const next = createClient(serverModule, watcher, log, options, () => giveUp(next));
    client = next;
    clientListeners = [
      next.onNotification(LspMethod.indexStatus, (status: IndexStatus) => statusBar.present(indexStatusPresentation(status))),
      next.onDidChangeState((event) => {
        if (client !== next) return;
        if (event.newState === State.Starting) statusBar.present(startingPresentation());
        if (event.newState === State.Stopped) statusBar.present(stoppedPresentation('The ElixirScope language server is not running.'));
      }),
    ];
    try {
      await next.start();
      log.info(`Language server started; features: ${enabledFeatureList(options)}`);
    } catch (error) {
      const reason = `The ElixirScope language server did not start: ${describe(error)}`;
      log.error(reason);
      if (client === next) statusBar.present(stoppedPresentation(reason));
    }
  };

  const giveUp = (crashed: LanguageClient): void => {
    if (client !== crashed) return;
    statusBar.present(stoppedPresentation(`The ElixirScope language server crashed ${MAX_RESTARTS + 1} times in 3 minutes and was not restarted.`));
  };

  void queue(startNew);

  return {
    whenRunning: async () => {
      await pending;
      const current = client;
      // After a crash the language client restarts the server by itself, outside our queue.
      if (current?.state === State.Starting) await settled(current, RESTART_WAIT_MS);
      return current !== undefined && client === current && current.state === State.Running ? current : undefined;
    },
    restart: () =>
      queue(async () => {
        await stopCurrent();
        await startNew();
      }),
    stop: () => queue(stopCurrent),
    dispose: () => {
      void queue(stopCurrent);
      watcher.dispose();
    },
  };
}

/** Resolves when `client` leaves the Starting state, or after `timeoutMs`. */
function settled(client: LanguageClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      listener.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const listener = client.onDidChangeState((event) => {
      if (event.newState !== State.Starting) done();
    });
  });
}

function createClient(
  serverModule: string,
  watcher: vscode.FileSystemWatcher,
  log: vscode.LogOutputChannel,
  initializationOptions: InitializationOptions,
  onGiveUp: () => void,
): LanguageClient {
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    // Used when the extension host itself is being debugged: attachable server, readable stacks.
    debug: {
      module: serverModule,
      transport: TransportKind.stdio,
      options: { execArgv: ['--nolazy', '--enable-source-maps', '--inspect=6010'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'elixir' },
      { scheme: 'untitled', language: 'elixir' },
    ],
    synchronize: { fileEvents: watcher },
    initializationOptions,
    outputChannel: log,
    traceOutputChannel: log,
    // We tell the user about crashes ourselves, once; the log is one click away on the status bar.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: crashReporter(log, onGiveUp),
    // Hovers and lenses carry text taken from the user's code: never run command links or HTML from it.
    markdown: { isTrusted: false, supportHtml: false },
  };
  // The id is the settings section, so the client reads `elixirScope.trace.server` itself.
  return new LanguageClient(SETTINGS_SECTION, 'ElixirScope', serverOptions, clientOptions);
}

/** Decides what happens when the connection errs or closes: restart a few times, then give up. */
function crashReporter(log: vscode.LogOutputChannel, onGiveUp: () => void): ErrorHandler {
  const decide = createCrashPolicy(MAX_RESTARTS, RESTART_WINDOW_MS);
  return {
    error(error, _message, count): ErrorHandlerResult {
      log.error(`Connection to the language server: ${describe(error)}`);
      // A few broken messages may be noise; a stream of them means the connection is gone.
      return count !== undefined && count <= 3 ? { action: ErrorAction.Continue, handled: true } : { action: ErrorAction.Shutdown, handled: true };
    },
    closed(): CloseHandlerResult {
      const decision = decide(Date.now());
      if (decision === 'give-up') {
        const message = `The ElixirScope language server crashed ${MAX_RESTARTS + 1} times in 3 minutes and will not be restarted. Run "ElixirScope: Restart Language Server" after fixing the cause (see the log).`;
        log.error(message);
        onGiveUp();
        void offerLog(vscode.window.showErrorMessage(message, 'Show Log', 'Restart'));
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      log.warn('The language server stopped unexpectedly; restarting it.');
      if (decision === 'restart-and-notify') {
        void offerLog(vscode.window.showWarningMessage('The ElixirScope language server stopped unexpectedly and was restarted.', 'Show Log'));
      }
      return { action: CloseAction.Restart, handled: true };
    },
  };
}

async function offerLog(choice: Thenable<string | undefined>): Promise<void> {
  const picked = await choice;
  if (picked === 'Show Log') await vscode.commands.executeCommand(CommandId.showLog);
  if (picked === 'Restart') await vscode.commands.executeCommand(CommandId.restartServer);
}

function enabledFeatureList(options: InitializationOptions): string {
  const features = options.features ?? {};
  const enabled = Object.entries(features).filter(([, on]) => on).map(([name]) => name);
  return enabled.length === 0 ? 'none' : enabled.join(', ');
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
