/**
 * A real JSON-RPC client for the language server: spawns `dist/server.js --stdio` the way VS Code
 * does, speaks LSP through `vscode-languageserver-protocol`, and records what the server pushes
 * (index status, progress, diagnostics, log lines) so tests and benchmarks can wait on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { type IndexStatus, type InitializationOptions, LspMethod } from '../../common/lspProtocol';
import { repoRoot } from './corpus';

export interface ServerHandle {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  readonly root: string;
  readonly initializeResult: InitializeResult;
  readonly statuses: IndexStatus[];
  readonly progress: unknown[];
  readonly logs: { type: number; message: string }[];
  readonly stderr: string[];
  /** Latest diagnostics per URI, with the times they arrived. */
  readonly diagnostics: Map<string, { version: number | undefined; diagnostics: Diagnostic[]; at: number }>;
  uri(relativePath: string): string;
  /** Resolves with the first status (already received or future) that satisfies `predicate`. */
  waitForStatus(predicate: (status: IndexStatus) => boolean, timeoutMs?: number): Promise<IndexStatus>;
  waitForDiagnostics(uri: string, predicate: (diagnostics: Diagnostic[], version: number | undefined) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  open(relativePath: string, text: string, version?: number): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly initializationOptions?: InitializationOptions;
  /** Advertise `window.workDoneProgress` (VS Code does). */
  readonly progress?: boolean;
  readonly serverPath?: string;
  /** More workspace folders after `root` (a multi-root workspace). */
  readonly extraFolders?: readonly string[];
}

export async function startServer(root: string, options: StartOptions = {}): Promise<ServerHandle> {
  const serverPath = options.serverPath ?? path.join(repoRoot(), 'dist', 'server.js');
  const child = spawn(process.execPath, [serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const statuses: IndexStatus[] = [];
  const statusWaiters: { predicate: (status: IndexStatus) => boolean; resolve: (status: IndexStatus) => void }[] = [];
  const diagnostics: ServerHandle['diagnostics'] = new Map();
  const diagnosticWaiters: { uri: string; check: () => boolean }[] = [];
  const progress: unknown[] = [];
  const logs: { type: number; message: string }[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

  connection.onNotification(LspMethod.indexStatus, (status: IndexStatus) => {
    statuses.push(status);
    for (const waiter of [...statusWaiters]) {
      if (waiter.predicate(status)) {
        statusWaiters.splice(statusWaiters.indexOf(waiter), 1);
        waiter.resolve(status);
      }
    }
  });
  connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
    diagnostics.set(params.uri, { version: params.version, diagnostics: params.diagnostics, at: performance.now() });
    for (const waiter of [...diagnosticWaiters]) {
      if (waiter.uri === params.uri && waiter.check()) diagnosticWaiters.splice(diagnosticWaiters.indexOf(waiter), 1);
    }
  });
  connection.onNotification('window/logMessage', (params: { type: number; message: string }) => void logs.push(params));
  connection.onNotification('$/progress', (params: unknown) => void progress.push(params));
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('workspace/configuration', () => []);
  connection.listen();

  const rootUri = pathToFileURL(root).href;
  const folders = [root, ...(options.extraFolders ?? [])].map((folder) => ({ uri: pathToFileURL(folder).href, name: path.basename(folder) }));
  const initializeResult = (await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: folders,
    initializationOptions: options.initializationOptions ?? { databasePath: null },
    capabilities: {
      window: { workDoneProgress: options.progress ?? true },
      workspace: { didChangeWatchedFiles: { dynamicRegistration: true }, workspaceFolders: true },
      textDocument: { publishDiagnostics: { versionSupport: true } },
    },
  })) as InitializeResult;
  await connection.sendNotification('initialized', {});

  const handle: ServerHandle = {
    connection,
    process: child,
    root,
    initializeResult,
    statuses,
    progress,
    logs,
    stderr,
    diagnostics,
    uri: (relativePath) => pathToFileURL(path.join(root, relativePath)).href,
    waitForStatus(predicate, timeoutMs = 60_000) {
      const already = statuses.find(predicate);
      if (already) return Promise.resolve(already);
      return withTimeout(
        new Promise<IndexStatus>((resolve) => statusWaiters.push({ predicate, resolve })),
        timeoutMs,
        () => `no index status matched within ${timeoutMs} ms; statuses: ${JSON.stringify(statuses.slice(-5))}; stderr: ${stderr.join('').slice(-2000)}`,
      );
    },
    waitForDiagnostics(uri, predicate, timeoutMs = 20_000) {
      return withTimeout(
        new Promise<Diagnostic[]>((resolve) => {
          const check = () => {
            const latest = diagnostics.get(uri);
            if (latest && predicate(latest.diagnostics, latest.version)) {
              resolve(latest.diagnostics);
              return true;
            }
            return false;
          };
          if (!check()) diagnosticWaiters.push({ uri, check });
        }),
        timeoutMs,
        () => `diagnostics of ${uri} never matched; latest: ${JSON.stringify(diagnostics.get(uri))}`,
      );
    },
    open(relativePath, text, version = 1) {
      void connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri: handle.uri(relativePath), languageId: 'elixir', version, text },
      });
    },
    async stop() {
      if (child.exitCode === null) {
        try {
          await withTimeout(connection.sendRequest('shutdown'), 10_000, () => 'shutdown timed out');
          await connection.sendNotification('exit');
        } catch {
          // A server that no longer answers is killed below.
        }
        await withTimeout(new Promise((resolve) => child.once('exit', resolve)), 5_000, () => 'server did not exit').catch(() => child.kill('SIGKILL'));
      }
      connection.dispose();
    },
  };
  return handle;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(describe())), timeoutMs);
    }),
  ]);
}
