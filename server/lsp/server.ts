/**
 * The language server: LSP messages in, calls to the workspace sessions and to the pure features
 * of `server/ide/` out. This file and `features.ts` are the only ones that know JSON-RPC; each
 * handler is a line or two over plain functions (STYLE.md, "protocol apart from logic").
 *
 * Lifecycle: `initialize` names the workspace folders and the features the client wants; after
 * `initialized` each folder's stored graph is opened and brought up to date with progress, and
 * from then on documents and file events keep it current. A request that throws is logged and
 * answered with nothing (or an error for the custom requests); it never stops the server.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CancellationToken,
  type Connection,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  FileChangeType,
  type InitializeParams,
  type InitializeResult,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ALL_FEATURES,
  type FeatureSet,
  type IndexStatus,
  type InitializationOptions,
  LspMethod,
  type NodeAtResult,
  type QueryParams,
  type QueryResult,
  type TextDocumentPositionParams,
  type FunctionGraphResult,
} from '../../common/lspProtocol';
import { QueryError } from '../cpg/query';
import { isElixirSource } from '../workspace/sourceFiles';
import type { DocumentSnapshot } from '../workspace/workspaceGraph';
import { LanguageFeatures } from './features';
import { type Logger, connectionLogger } from './logger';
import { WorkspaceSession } from './workspaceSession';

/** File events are gathered this long, so a `git checkout` of many files is one refresh. */
const FILE_EVENT_DELAY_MS = 150;

export interface ServerOptions {
  /** Worker threads for indexing; default one per core. */
  readonly jobs?: number;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  new ElixirScopeServer(connection, options).listen();
}

interface Located {
  readonly session: WorkspaceSession;
  /** Workspace-relative, forward slashes. */
  readonly path: string;
}

class ElixirScopeServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly logger: Logger;
  private readonly sessions = new Map<string, WorkspaceSession>();
  private readonly features = new LanguageFeatures();
  private enabled: FeatureSet = ALL_FEATURES;
  private databasePath: string | null | undefined;
  private roots: string[] = [];
  private supportsProgress = false;
  private supportsFolderEvents = false;
  private supportsWatcherRegistration = false;
  private readonly pendingUpdates = new Set<string>();
  /** The latest queued update of each open document, for requests to wait on. */
  private readonly documentUpdates = new Map<string, Promise<unknown>>();
  private fileEvents: { uri: string; type: FileChangeType }[] = [];
  private fileEventTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly options: ServerOptions,
  ) {
    this.logger = connectionLogger(connection.console);
  }

  listen(): void {
    const connection = this.connection;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => void this.start());
    connection.onShutdown(() => this.shutdown());

    this.documents.onDidChangeContent(({ document }) => this.documentChanged(document));
    this.documents.onDidClose(({ document }) => this.documentClosed(document));
    connection.onDidChangeWatchedFiles(({ changes }) => this.filesChanged(changes));

    connection.onHover(this.guard('hover', null, (params) => this.withDocument(params, (at) => this.features.hover(at, params.position))));
    connection.onDefinition(this.guard('definition', null, (params) => this.withDocument(params, (at) => this.features.definition(at, params.position))));
    connection.onReferences(
      this.guard('references', null, (params) => this.withDocument(params, (at) => this.features.references(at, params.position, params.context.includeDeclaration))),
    );
    connection.onDocumentSymbol(this.guard('documentSymbol', null, (params) => this.withDocument(params, (at) => this.features.documentSymbols(at))));
    connection.onWorkspaceSymbol(
      this.guard('workspaceSymbol', [], async (params) => {
        await this.documentsSettled();
        return this.features.workspaceSymbols([...this.sessions.values()], params.query);
      }),
    );
    connection.languages.callHierarchy.onPrepare(
      this.guard('prepareCallHierarchy', null, (params) => this.withDocument(params, (at) => this.features.prepareCallHierarchy(at, params.position))),
    );
    connection.languages.callHierarchy.onIncomingCalls(
      this.guard('incomingCalls', null, async (params) => {
        await this.documentsSettled();
        return this.features.incomingCalls(this.sessionsByRoot(), params.item);
      }),
    );
    connection.languages.callHierarchy.onOutgoingCalls(
      this.guard('outgoingCalls', null, async (params) => {
        await this.documentsSettled();
        return this.features.outgoingCalls(this.sessionsByRoot(), params.item);
      }),
    );
    connection.onCodeLens(this.guard('codeLens', null, (params) => this.withDocument(params, (at) => this.features.codeLenses(at))));

    connection.onRequest(LspMethod.nodeAt, (params: TextDocumentPositionParams): Promise<NodeAtResult | null> =>
      this.custom('nodeAt', () => this.withDocument(params, (at) => this.features.nodeAt(at, params.position))),
    );
    connection.onRequest(LspMethod.functionGraph, (params: TextDocumentPositionParams): Promise<FunctionGraphResult | null> =>
      this.custom('functionGraph', () => this.withDocument(params, (at) => this.features.functionGraph(at, params.position, params.textDocument.uri))),
    );
    connection.onRequest(LspMethod.query, async (params: QueryParams): Promise<QueryResult> => {
      await this.documentsSettled();
      return this.custom('query', () => this.query(params));
    });
    connection.onRequest(LspMethod.reindex, async (): Promise<IndexStatus> => {
      await Promise.all([...this.sessions.values()].map((session) => session.index('re-index requested')));
      return this.combinedStatus();
    });

    this.documents.listen(connection);
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const initializationOptions = (params.initializationOptions ?? {}) as InitializationOptions;
    this.enabled = { ...ALL_FEATURES, ...(initializationOptions.features ?? {}) };
    this.databasePath = initializationOptions.databasePath;
    const folders = params.workspaceFolders?.map((folder) => folder.uri) ?? (params.rootUri ? [params.rootUri] : []);
    this.roots = folders.filter((uri) => uri.startsWith('file:')).map((uri) => fileURLToPath(uri));
    this.supportsProgress = params.capabilities.window?.workDoneProgress === true;
    this.supportsFolderEvents = params.capabilities.workspace?.workspaceFolders === true;
    this.supportsWatcherRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    const enabled = this.enabled;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: enabled.hover,
        definitionProvider: enabled.definition,
        referencesProvider: enabled.references,
        documentSymbolProvider: enabled.documentSymbols ? { label: 'ElixirScope' } : false,
        workspaceSymbolProvider: enabled.workspaceSymbols,
        callHierarchyProvider: enabled.callHierarchy,
        codeLensProvider: enabled.codeLens ? { resolveProvider: false } : undefined,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'ElixirScope', version: '0.1.0' },
    };
  }

  private async start(): Promise<void> {
    if (this.supportsFolderEvents) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) => {
        for (const removed of event.removed) void this.closeFolder(fileURLToPath(removed.uri));
        for (const added of event.added) void this.openFolder(fileURLToPath(added.uri));
      });
    }
    if (this.supportsWatcherRegistration) {
      await this.connection.client.register(DidChangeWatchedFilesNotification.type, {
        // Deleting or renaming a folder reports the folder, not the sources in it: the second
        // watcher hears folders come and go (WatchKind Create | Delete).
        watchers: [{ globPattern: '**/*.{ex,exs}' }, { globPattern: '**/*', kind: 5 }],
      });
    }
    if (this.roots.length === 0) {
      this.logger.info('no workspace folder is open: ElixirScope indexes folders, not single files');
      this.sendStatus();
    }
    for (const root of this.roots) await this.openFolder(root);
  }

  private async openFolder(folder: string): Promise<void> {
    const root = path.resolve(folder);
    if (this.sessions.has(root)) return;
    let session: WorkspaceSession;
    try {
      session = await WorkspaceSession.open({
        root,
        databasePath: this.roots.length > 1 || this.databasePath === undefined ? undefined : this.databasePath,
        logger: this.logger,
        jobs: this.options.jobs,
        onStatus: () => this.sendStatus(),
      });
    } catch (error) {
      this.logger.error(`${root}: cannot open the graph: ${error instanceof Error ? error.message : String(error)}`);
      this.connection.sendNotification(LspMethod.indexStatus, {
        state: 'failed',
        done: 0,
        total: 0,
        files: 0,
        message: `ElixirScope could not start on ${root}: ${error instanceof Error ? error.message : String(error)}`,
      } satisfies IndexStatus);
      return;
    }
    this.sessions.set(root, session);
    const progress = await this.beginProgress(`Indexing ${path.basename(root)}`);
    const summary = await session.index(session.graph.openOutcome.reused ? 'checking for changes since the last session' : 'first index of this folder');
    progress?.done();
    if (summary) this.logger.info(`${root}: ready (${session.indexStatus.message})`);
    // Documents opened while the folder was indexing were queued behind it; now their
    // diagnostics can be computed against the whole graph.
    for (const document of this.documents.all()) {
      if (this.locate(document.uri)?.session === session) this.documentChanged(document);
    }
  }

  private async closeFolder(folder: string): Promise<void> {
    const root = path.resolve(folder);
    const session = this.sessions.get(root);
    if (!session) return;
    this.sessions.delete(root);
    await session.dispose();
    this.sendStatus();
  }

  private async beginProgress(title: string): Promise<{ done(): void } | null> {
    if (!this.supportsProgress) return null;
    let reporter: WorkDoneProgressServerReporter;
    try {
      reporter = await this.connection.window.createWorkDoneProgress();
    } catch {
      return null;
    }
    reporter.begin(title, 0, 'listing files', false);
    let lastPercent = -1;
    const finish = () => {
      this.progressListeners.delete(onStatus);
      reporter.done();
    };
    const onStatus = (status: IndexStatus) => {
      // The progress ends before the client hears the index is ready.
      if (status.state === 'ready' || status.state === 'failed') return finish();
      if (status.total === 0) return;
      const percent = Math.floor((status.done * 100) / status.total);
      if (percent === lastPercent) return;
      lastPercent = percent;
      reporter.report(percent, `${status.done}/${status.total} files`);
    };
    this.progressListeners.add(onStatus);
    return {
      done: () => {
        if (this.progressListeners.has(onStatus)) finish();
      },
    };
  }

  private readonly progressListeners = new Set<(status: IndexStatus) => void>();

  private sendStatus(): void {
    const status = this.combinedStatus();
    for (const listener of [...this.progressListeners]) listener(status);
    void this.connection.sendNotification(LspMethod.indexStatus, status);
  }

  private combinedStatus(): IndexStatus {
    const statuses = [...this.sessions.values()].map((session) => session.indexStatus);
    if (statuses.length === 0) return { state: 'ready', done: 0, total: 0, files: 0, message: 'no workspace folder open' };
    const state = statuses.some((status) => status.state === 'failed')
      ? 'failed'
      : statuses.some((status) => status.state === 'indexing' || status.state === 'starting')
        ? 'indexing'
        : 'ready';
    const sum = (key: 'done' | 'total' | 'files') => statuses.reduce((total, status) => total + status[key], 0);
    const message = statuses.map((status) => status.message).filter(Boolean).join('; ');
    return { state, done: sum('done'), total: sum('total'), files: sum('files'), message };
  }

  private documentChanged(document: TextDocument): void {
    const at = this.locate(document.uri);
    if (!at || this.pendingUpdates.has(document.uri)) return;
    this.pendingUpdates.add(document.uri);
    const update = at.session
      .updateDocument(
        at.path,
        () => {
          // From here on a new keystroke queues a new update; this one takes the text as it is now.
          this.pendingUpdates.delete(document.uri);
          return (this.documents.get(document.uri) ?? document).getText();
        },
        (snapshot) => this.publishDiagnostics(snapshot, at, document.uri),
      )
      .catch((error: unknown) => {
        this.pendingUpdates.delete(document.uri);
        this.logger.error(`updating ${document.uri}: ${describeError(error)}`);
      })
      .finally(() => {
        if (this.documentUpdates.get(document.uri) === update) this.documentUpdates.delete(document.uri);
      });
    this.documentUpdates.set(document.uri, update);
  }

  private documentClosed(document: TextDocument): void {
    const at = this.locate(document.uri);
    if (!at) return;
    void this.connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    void at.session.closeDocument(at.path).catch((error: unknown) => this.logger.error(`closing ${document.uri}: ${describeError(error)}`));
  }

  private publishDiagnostics(snapshot: DocumentSnapshot, at: Located, uri: string): void {
    if (!this.enabled.diagnostics) return;
    const document = this.documents.get(uri);
    if (!document) return;
    try {
      const diagnostics = this.features.diagnostics(snapshot, at);
      void this.connection.sendDiagnostics({ uri, version: document.version, diagnostics });
    } catch (error) {
      this.logger.error(`diagnostics of ${uri}: ${describeError(error)}`);
    }
  }

  private filesChanged(changes: readonly { uri: string; type: FileChangeType }[]): void {
    this.fileEvents.push(...changes);
    if (this.fileEventTimer) clearTimeout(this.fileEventTimer);
    this.fileEventTimer = setTimeout(() => this.applyFileEvents(), FILE_EVENT_DELAY_MS);
  }

  private applyFileEvents(): void {
    const events = this.fileEvents;
    this.fileEvents = [];
    this.fileEventTimer = null;
    const bySession = new Map<WorkspaceSession, { paths: Set<string>; structural: boolean }>();
    for (const event of events) {
      if (!event.uri.startsWith('file:')) continue;
      const absolute = fileURLToPath(event.uri);
      for (const session of this.sessions.values()) {
        const relative = relativeTo(session.root, absolute);
        if (relative === undefined) continue;
        const entry = bySession.get(session) ?? { paths: new Set<string>(), structural: false };
        bySession.set(session, entry);
        // A folder created, deleted or renamed names no file: only listing the folder again
        // finds what it held.
        if (isElixirSource(relative)) entry.paths.add(relative);
        else if (looksLikeSourceFolder(relative)) entry.structural = true;
      }
    }
    for (const [session, { paths, structural }] of bySession) {
      void session.filesChanged([...paths], structural).catch((error: unknown) => this.logger.error(`file changes in ${session.root}: ${describeError(error)}`));
    }
  }

  private query(params: QueryParams): QueryResult {
    const session = params.folder ? this.folderSession(params.folder) : this.sessions.values().next().value;
    if (!session) {
      const message = params.folder ? `No open workspace folder holds ${params.folder}.` : 'No workspace folder is open, so there is no graph to query.';
      throw new ResponseError(ErrorCodes.InvalidRequest, message);
    }
    const started = performance.now();
    try {
      const result = this.features.query(session, params.query);
      // A tenth of a millisecond is as precise as a timing across a process boundary gets.
      return { result, elapsedMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      if (error instanceof QueryError) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
      throw error;
    }
  }

  private async shutdown(): Promise<void> {
    if (this.fileEventTimer) clearTimeout(this.fileEventTimer);
    await Promise.all([...this.sessions.values()].map((session) => session.dispose()));
    this.sessions.clear();
  }

  /** The session and relative path of a document, or undefined outside every workspace folder. */
  private locate(uri: string): Located | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const absolute = fileURLToPath(uri);
    let best: Located | undefined;
    for (const session of this.sessions.values()) {
      const relative = relativeTo(session.root, absolute);
      if (relative !== undefined && relative !== '' && (!best || session.root.length > best.session.root.length)) best = { session, path: relative };
    }
    return best;
  }

  /**
   * Runs a feature on a document once the graph holds the document's latest text: positions in a
   * request refer to the text the editor has now, not to the text the graph had a keystroke ago.
   */
  /** The session of a folder URI, or of the folder holding a file URI. */
  private folderSession(uri: string): WorkspaceSession | undefined {
    if (!uri.startsWith('file:')) return undefined;
    return this.sessions.get(path.resolve(fileURLToPath(uri))) ?? this.locate(uri)?.session;
  }

  private async withDocument<T>(params: { textDocument: { uri: string } }, feature: (at: Located) => T): Promise<T | null> {
    const at = this.locate(params.textDocument.uri);
    if (!at) return null;
    await this.documentsSettled();
    return feature(at);
  }

  /**
   * Waits until every open document's latest text is in the graph (analysed and written): an
   * answer about one file may read another's rows (callers, symbols, a definition elsewhere).
   */
  private async documentsSettled(): Promise<void> {
    if (this.documentUpdates.size === 0) return;
    const sessions = [...this.sessions.values()];
    for (const session of sessions) session.beginWaiting();
    try {
      await Promise.all([...this.documentUpdates.values()].map((update) => update.catch(() => undefined)));
    } finally {
      for (const session of sessions) session.endWaiting();
    }
  }

  private sessionsByRoot(): ReadonlyMap<string, WorkspaceSession> {
    return this.sessions;
  }

  private guard<P, R, F>(name: string, fallback: F, handler: (params: P, token: CancellationToken) => R | Promise<R>): (params: P, token: CancellationToken) => Promise<R | F> {
    return async (params, token) => {
      try {
        return await handler(params, token);
      } catch (error) {
        this.logger.error(`${name} failed: ${describeError(error)}`);
        return fallback;
      }
    };
  }

  private async custom<R>(name: string, handler: () => R | Promise<R>): Promise<R> {
    try {
      return await handler();
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      this.logger.error(`${name} failed: ${describeError(error)}`);
      throw new ResponseError(ErrorCodes.InternalError, `ElixirScope could not answer ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

const TOOL_FOLDERS = /(^|\/)(_build|deps|\.git|node_modules|\.elixir_ls|\.elixirscope|\.cache)(\/|$)/;

/** A path that may be a folder of sources (no extension, outside build and tool folders). */
function looksLikeSourceFolder(relative: string): boolean {
  return relative !== '' && !path.posix.basename(relative).includes('.') && !TOOL_FOLDERS.test(relative);
}

/** `absolute` relative to `root` with forward slashes, or undefined when it lies outside. */
function relativeTo(root: string, absolute: string): string | undefined {
  const relative = path.relative(root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}


function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
