/**
 * One workspace folder's graph as the language server keeps it: opened from its stored copy,
 * indexed at start, kept current from editor text and file-system events, and saved again.
 *
 * Every change to the graph goes through one queue, so an index run, an edit and a batch of file
 * events never interleave at an `await`: an edit made while the folder is being indexed is applied
 * after the run, on top of it, rather than being overwritten by the disk's text. Reads (hover,
 * queries) do not queue; they see the graph as it is, which during a cold index is partial.
 */
import path from 'node:path';
import type { IndexStatus } from '../../common/lspProtocol';
import { type WorkspaceView, createWorkspaceView } from '../ide/workspaceView';
import { readSourceFile } from '../workspace/sourceFiles';
import type { DocumentSnapshot, RefreshSummary } from '../workspace/workspaceGraph';
import { WorkspaceGraph, defaultDatabasePath } from '../workspace/workspaceGraph';
import type { Logger } from './logger';

/** More file events than this in one batch (a `git checkout`) re-list the folder instead. */
const BATCH_REFRESH_THRESHOLD = 24;
/** Edits are saved to disk this long after the last one; shutting down saves at once. */
const SAVE_DELAY_MS = 2000;
/** A document's rows are written this long after its last keystroke's analysis. */
const WRITE_DELAY_MS = 10;

export interface SessionOptions {
  readonly root: string;
  /** `undefined`: the default place; `null`: memory only. */
  readonly databasePath?: string | null;
  readonly logger: Logger;
  readonly onStatus: (status: IndexStatus) => void;
  /** Called with (done, total) while a folder is indexed; for `window/workDoneProgress`. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly jobs?: number;
}

export class WorkspaceSession {
  private queue: Promise<unknown> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  /** `builtFiles` of the clause graph store at the last save. */
  private graphsBuiltAtSave = 0;
  private status: IndexStatus = { state: 'starting', done: 0, total: 0, files: 0, message: '' };
  private disposed = false;
  /** Requests waiting for documents to be written (`beginWaiting`). */
  private waitingRequests = 0;
  /** Documents analysed but not written yet, with the timer that writes them. */
  private readonly pendingWrites = new Map<string, { timer: NodeJS.Timeout | undefined; written: Promise<void>; settle: () => void }>();

  private constructor(
    readonly root: string,
    readonly graph: WorkspaceGraph,
    /** What the editor features read; one per session, so its caches and query engine live on. */
    readonly view: WorkspaceView,
    private readonly options: SessionOptions,
  ) {}

  /** Opens the stored graph (or an empty one, saying why the stored one was not reused). */
  static async open(options: SessionOptions): Promise<WorkspaceSession> {
    const databasePath = options.databasePath === undefined ? defaultDatabasePath(options.root) : options.databasePath;
    const graph = await WorkspaceGraph.open(options.root, { databasePath, jobs: options.jobs });
    const outcome = graph.openOutcome;
    if (!outcome.reused && outcome.reason !== null) options.logger.warn(`${options.root}: stored graph not reused: ${outcome.reason}`);
    const parser = await graph.sharedParser();
    const readText = (relativePath: string) => {
      const source = readSourceFile(path.join(graph.root, relativePath));
      return source.ok ? source.text : undefined;
    };
    return new WorkspaceSession(graph.root, graph, createWorkspaceView(graph, parser, readText), { ...options, databasePath });
  }


  get indexStatus(): IndexStatus {
    return this.status;
  }

  /** Brings the whole folder in line with the disk, reporting progress; safe to call again. */
  index(reason: string): Promise<RefreshSummary | null> {
    return this.enqueue(async () => {
      const fileCount = () => this.graph.repository.files().length;
      this.setStatus({ state: 'indexing', done: 0, total: 0, files: fileCount(), message: reason });
      try {
        const summary = await this.graph.refresh((done, total) => {
          this.options.onProgress?.(done, total);
          // A notification per file would flood the client on a cold index; a few per second do.
          if (done === total || done % 16 === 0) this.setStatus({ state: 'indexing', done, total, files: fileCount(), message: reason });
        });
        if (summary.analysed + summary.removed + summary.renamed > 0) this.markDirty(0);
        const message = describeRefresh(summary);
        this.options.logger.info(`${this.root}: ${message}`);
        this.setStatus({ state: 'ready', done: summary.analysed, total: summary.analysed, files: fileCount(), message });
        // Link the call graph now rather than in the first hover or code lens that needs it.
        setImmediate(() => {
          if (!this.disposed) this.view.queries.callGraph.callsTo('');
        });
        return summary;
      } catch (error) {
        const message = `indexing failed: ${error instanceof Error ? error.message : String(error)}`;
        this.options.logger.error(`${this.root}: ${message}`);
        this.setStatus({ state: 'failed', done: 0, total: 0, files: fileCount(), message });
        return null;
      }
    });
  }

  /**
   * Applies an open document's text. `currentText` is read when the queued work runs, so a burst
   * of keystrokes made while earlier work was running costs one update, with the latest text.
   */
  updateDocument(relativePath: string, currentText: () => string, onAnalysed: (document: DocumentSnapshot) => void): Promise<void> {
    const analysed = this.enqueue(async () => {
      const result = await this.graph.analyzeDocument(relativePath, currentText());
      if (result) onAnalysed(result.document);
    });
    // The rows are written once typing pauses: a keystroke that follows at once is analysed
    // first, and one write serves both. Requests about the document wait for the write.
    return analysed.then(() => this.writeSoon(relativePath));
  }

  private writeSoon(relativePath: string): Promise<void> {
    let pending = this.pendingWrites.get(relativePath);
    if (!pending) {
      let settle!: () => void;
      const written = new Promise<void>((resolve) => (settle = resolve));
      pending = { timer: undefined, written, settle };
      this.pendingWrites.set(relativePath, pending);
    }
    clearTimeout(pending.timer);
    if (this.waitingRequests > 0) void this.flushWrite(relativePath);
    else pending.timer = setTimeout(() => void this.flushWrite(relativePath), WRITE_DELAY_MS);
    return pending.written;
  }

  /**
   * A request waits for the documents: their pending writes run now rather than after the pause,
   * and so do writes scheduled until `endWaiting`.
   */
  beginWaiting(): void {
    this.waitingRequests++;
    for (const path of [...this.pendingWrites.keys()]) void this.flushWrite(path);
  }

  endWaiting(): void {
    this.waitingRequests--;
  }

  /** Queues the pending write of a document now; resolves once it is written. */
  private flushWrite(relativePath: string): Promise<void> {
    const pending = this.pendingWrites.get(relativePath);
    if (!pending) return Promise.resolve();
    clearTimeout(pending.timer);
    this.pendingWrites.delete(relativePath);
    const done = this.enqueue(() => {
      if (this.graph.writeDocument(relativePath)) this.markDirty(SAVE_DELAY_MS);
    });
    // A failed write is logged by the queue; whoever waits for it must not wait forever.
    void done.finally(pending.settle).catch(() => undefined);
    return done.catch(() => undefined);
  }

  /** The editor closed a document: from now on the disk's text is the truth again. */
  closeDocument(relativePath: string): Promise<void> {
    void this.flushWrite(relativePath);
    return this.enqueue(async () => {
      this.graph.closeDocument(relativePath);
      const { analysed, removed } = await this.graph.syncFiles([relativePath]);
      if (analysed + removed > 0) this.markDirty(SAVE_DELAY_MS);
    });
  }

  /** Files created, changed or deleted on disk (by git, a formatter, another editor). */
  filesChanged(relativePaths: readonly string[], structural: boolean): Promise<void> {
    if (structural || relativePaths.length > BATCH_REFRESH_THRESHOLD) {
      return this.index(`${relativePaths.length} files changed on disk`).then(() => undefined);
    }
    return this.enqueue(async () => {
      const { analysed, removed } = await this.graph.syncFiles(relativePaths);
      if (analysed + removed > 0) {
        this.options.logger.debug(`${this.root}: ${analysed} files re-analysed, ${removed} removed after changes on disk`);
        this.markDirty(SAVE_DELAY_MS);
        this.setStatus({ ...this.status, files: this.graph.repository.files().length });
      }
    });
  }

  /** Waits for queued work (for tests and shutdown). */
  settled(): Promise<void> {
    return this.enqueue(() => undefined);
  }

  /** Saves now if anything changed or clause graphs were built; the graph stays usable. */
  saveNow(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    // Clause graphs built to answer a request change no fact, so they make nothing dirty; they
    // are kept with the next save, or this one.
    const graphsBuilt = this.view.queries.clauseGraphs.builtFiles;
    if ((!this.dirty && graphsBuilt === this.graphsBuiltAtSave) || this.options.databasePath === null) return;
    this.dirty = false;
    this.graphsBuiltAtSave = graphsBuilt;
    try {
      const started = performance.now();
      const bytes = this.graph.save();
      this.options.logger.debug(`${this.root}: graph saved (${(bytes / 1048576).toFixed(1)} MiB, ${(performance.now() - started).toFixed(0)} ms)`);
    } catch (error) {
      // A read-only folder or a full disk costs the next start its head start, nothing more.
      this.options.logger.warn(`${this.root}: could not save the graph: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await Promise.all([...this.pendingWrites.keys()].map((path) => this.flushWrite(path)));
    this.disposed = true;
    await this.queue.catch(() => undefined);
    this.saveNow();
    this.graph.dispose();
  }

  private enqueue<T>(work: () => Promise<T> | T): Promise<T> {
    const result = this.queue.then(() => {
      if (this.disposed) throw new Error('the workspace session was closed');
      return work();
    });
    // One failed task must not wedge the queue for every later one.
    this.queue = result.catch((error: unknown) => {
      this.options.logger.error(`${this.root}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    });
    return result;
  }

  private markDirty(delayMs: number): void {
    this.dirty = true;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveNow(), delayMs);
    this.saveTimer.unref();
  }

  private setStatus(status: IndexStatus): void {
    this.status = status;
    this.options.onStatus(status);
  }
}

function describeRefresh(summary: RefreshSummary): string {
  const parts = [`${summary.files} files`, `${summary.analysed} analysed`];
  if (summary.removed > 0) parts.push(`${summary.removed} removed`);
  if (summary.renamed > 0) parts.push(`${summary.renamed} renamed`);
  if (summary.failed.length > 0) parts.push(`${summary.failed.length} unreadable`);
  if (summary.withSyntaxErrors > 0) parts.push(`${summary.withSyntaxErrors} with syntax errors`);
  return `${parts.join(', ')} in ${(summary.wallMs / 1000).toFixed(2)} s`;
}
