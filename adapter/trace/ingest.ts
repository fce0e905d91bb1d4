/**
 * The recorder: accepts the agent's connection and writes what it sends into a trace file.
 *
 * ```
 * agent ──TCP──► ingestWorker (worker thread: socket, hello check, frame splitting, overload)
 *                   │ RingBuffer on a SharedArrayBuffer: frames still ETF-encoded
 *                   ▼
 *               this module (main thread): decodes each events frame's envelope, appends to the
 *               TraceWriter (values stay ETF), flushes every few hundred ms, finishes the file
 * ```
 *
 * The recording ends when the agent's connection closes: after `goodbye` the trace is
 * `complete`; a connection that drops without it (the debuggee was killed) or that sent a
 * malformed frame still leaves a finished trace of everything received, marked incomplete with
 * the reason. `stop()` ends it from this side. Nothing is dropped silently: every event the
 * overload policy or a bad frame cost is counted in the trace's end record.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RecordingManifest } from '../../common/traceProtocol';
import { decodeTerm, TermDecodeError } from '../agent/etf';
import type { Term } from '../agent/term';
import { EventBatchError, eventCountOfPayload } from './eventBatch';
import { type ConnectionClosed, type IngestMainMessage, type IngestWorkerMessage, type IngestWorkerStart, RING_RECORD_HEADER_BYTES, RingRecordKind } from './ingestWorker';
import { RingBuffer } from './ringBuffer';
import { type AgentInfo, type LoadedModule, type TraceMetadata, TraceWriter } from './traceStore';

export interface RecorderOptions {
  /** The secret the agent must send in `hello` (`ELIXIRSCOPE_TOKEN`). */
  readonly token: string;
  readonly tracePath: string;
  readonly manifest: RecordingManifest;
  /** The recorded command, for the trace's metadata. */
  readonly command: string;
  /** When the writer falls behind: `drop` counts and drops whole events frames; `block` stops reading the socket. */
  readonly overload: 'drop' | 'block';
  /** Size of the ring between the socket thread and the writer (default 32 MiB). */
  readonly ringBytes?: number;
  /** How often what was received is put on disk (default 200 ms). */
  readonly flushIntervalMs?: number;
}

export interface RecordingSummary {
  readonly tracePath: string;
  readonly complete: boolean;
  readonly endReason: string;
  readonly events: number;
  readonly droppedEvents: number;
  readonly droppedFrames: number;
  readonly rejectedConnections: number;
  readonly metadata: TraceMetadata;
}

export interface Recorder {
  /** The loopback port the agent connects to (`ELIXIRSCOPE_PORT`). */
  readonly port: number;
  /** Settles when the trace file is finished (or rejects if it could not be written). */
  readonly done: Promise<RecordingSummary>;
  /**
   * Events written to the trace so far. It keeps growing while the recorder works through what
   * the agent sent, so a caller waiting for `done` can tell a busy recorder from one that waits
   * for an agent that will never speak again.
   */
  readonly eventCount: number;
  /** Ends the recording from this side (closing any connection) and returns `done`. */
  stop(): Promise<RecordingSummary>;
}

/** Starts listening on 127.0.0.1 (a free port) and creates the trace file. */
export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const writer = TraceWriter.create(options.tracePath, { command: options.command, manifest: options.manifest });
  const ring = RingBuffer.create(options.ringBytes ?? 32 * 1024 * 1024);
  const start: IngestWorkerStart = { token: options.token, ring: ring.buffer, overload: options.overload, host: '127.0.0.1' };
  const worker = new Worker(workerScript(), { workerData: start });
  const session = new RecordingSession(options.tracePath, writer, ring, worker, options.flushIntervalMs ?? 200);
  const port = await session.listening;
  return {
    port,
    done: session.done,
    get eventCount() {
      return writer.eventCount;
    },
    stop: () => {
      session.requestStop();
      return session.done;
    },
  };
}

// ---------------------------------------------------------------------------------------------------

class RecordingSession {
  readonly listening: Promise<number>;
  readonly done: Promise<RecordingSummary>;
  private resolveDone!: (summary: RecordingSummary) => void;
  private rejectDone!: (error: Error) => void;
  private agentConnection: number | null = null;
  /** Connections closed for a malformed frame: their later records are discarded (and counted). */
  private readonly refusedConnections = new Set<number>();
  private malformedReason: string | null = null;
  private goodbyeCounts: { events: number; dropped: number } | null = null;
  private droppedEvents = 0;
  private droppedFrames = 0;
  private rejectedConnections = 0;
  private stopRequested = false;
  private finished = false;
  /** `done` has been resolved or rejected. */
  private settled = false;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly tracePath: string,
    private readonly writer: TraceWriter,
    private readonly ring: RingBuffer,
    private readonly worker: Worker,
    flushIntervalMs: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that only use stop() must not see an unhandled rejection from `done`.
    this.done.catch(() => undefined);
    this.flushTimer = setInterval(() => this.guard(() => this.writer.flush()), flushIntervalMs);
    this.listening = new Promise((resolve, reject) => {
      worker.on('message', (message: IngestWorkerMessage) => {
        if (message.type === 'listening') resolve(message.port);
        else if (message.type === 'wake') this.guard(() => this.drain());
        else if (message.type === 'failed') {
          reject(new Error(`the recorder could not listen: ${message.reason}`));
          this.guard(() => this.finish(`the recorder's socket failed: ${message.reason}`));
        }
      });
      worker.on('error', (error) => {
        reject(error);
        this.guard(() => this.finish(`the recorder's socket thread failed: ${error.message}`));
      });
      worker.on('exit', () => {
        reject(new Error('the recorder\'s socket thread exited before listening'));
        if (!this.finished) this.guard(() => this.finish('the recorder\'s socket thread exited'));
      });
    });
    this.listening.catch(() => undefined);
  }

  requestStop(): void {
    if (this.finished || this.stopRequested) return;
    this.stopRequested = true;
    this.send({ type: 'stop' });
  }

  private drain(): void {
    for (let record = this.ring.read(); record !== null && !this.finished; record = this.ring.read()) this.handleRecord(record);
    if (!this.finished) this.send({ type: 'drained' });
  }

  private handleRecord(record: Uint8Array): void {
    const kind = record[0];
    const connection = new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(1, true);
    const payload = record.subarray(RING_RECORD_HEADER_BYTES);
    if (kind === RingRecordKind.stopped) {
      this.finish(this.agentConnection === null ? 'stopped before an agent connected' : 'stopped by the recorder before the agent said goodbye');
      return;
    }
    if (kind === RingRecordKind.rejected) {
      this.rejectedConnections++;
      this.writer.addNote({ kind: 'rejectedConnection', reason: readJson<{ reason: string }>(payload).reason });
      return;
    }
    if (kind === RingRecordKind.hello) {
      this.agentConnection = connection;
      this.writer.setAgent(agentInfoOf(payload));
      return;
    }
    if (connection !== this.agentConnection) return;
    if (kind === RingRecordKind.closed) {
      const closed = readJson<ConnectionClosed>(payload);
      this.droppedEvents += closed.droppedEvents;
      this.droppedFrames += closed.droppedFrames;
      const reason =
        this.malformedReason ??
        (closed.goodbye ? 'goodbye' : closed.reason ?? 'the debuggee closed the connection without goodbye (it was killed or crashed)');
      this.finish(reason);
      return;
    }
    if (this.refusedConnections.has(connection)) {
      if (kind === RingRecordKind.events) this.countDropped(payload);
      return;
    }
    try {
      switch (kind) {
        case RingRecordKind.events:
          this.writer.appendEventBatch(payload);
          return;
        case RingRecordKind.loaded:
          this.writer.setLoaded(loadedModulesOf(payload));
          return;
        case RingRecordKind.goodbye:
          this.goodbyeCounts = goodbyeCountsOf(payload);
          return;
      }
    } catch (error) {
      if (!(error instanceof EventBatchError) && !(error instanceof TermDecodeError)) throw error;
      const frameName = kind === RingRecordKind.events ? 'events' : kind === RingRecordKind.loaded ? 'loaded' : 'goodbye';
      this.malformedReason = `malformed ${frameName} frame: ${(error as Error).message}`;
      this.writer.addNote({ kind: 'connectionError', reason: this.malformedReason });
      if (kind === RingRecordKind.events) this.countDropped(payload);
      this.refusedConnections.add(connection);
      this.send({ type: 'closeConnection', connection, reason: this.malformedReason });
    }
  }

  private countDropped(payload: Uint8Array): void {
    this.droppedFrames++;
    this.droppedEvents += Math.max(0, eventCountOfPayload(payload));
  }

  private finish(endReason: string): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.flushTimer);
    const complete = endReason === 'goodbye' && this.malformedReason === null;
    const metadata = this.writer.finish({
      complete,
      endReason,
      droppedEvents: this.droppedEvents,
      droppedFrames: this.droppedFrames,
      agentCounts: this.goodbyeCounts,
    });
    void this.worker.terminate();
    this.settled = true;
    this.resolveDone({
      tracePath: this.tracePath,
      complete,
      endReason,
      events: metadata.eventCount,
      droppedEvents: this.droppedEvents,
      droppedFrames: this.droppedFrames,
      rejectedConnections: this.rejectedConnections,
      metadata,
    });
  }

  /** Runs a step of the writer; an I/O failure ends the recording with that error instead of crashing. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      clearInterval(this.flushTimer);
      if (!this.finished) {
        this.finished = true;
        try {
          this.writer.abandon();
        } catch {
          // The file is already failing; the first error is the one to report.
        }
      }
      void this.worker.terminate();
      // Also when finishing itself failed: a caller waiting on `done` must hear why, not hang.
      if (!this.settled) {
        this.settled = true;
        this.rejectDone(error as Error);
      }
    }
  }

  private send(message: IngestMainMessage): void {
    this.worker.postMessage(message);
  }
}

function workerScript(): string {
  // Bundled: dist/ingestWorker.js beside the entry. Compiled by tsc: beside this file.
  return path.join(__dirname, 'ingestWorker.js');
}

function readJson<T>(payload: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(payload)) as T;
}

/** A map term's fields by atom key. */
function fieldsOf(term: Term): Map<string, Term> {
  const fields = new Map<string, Term>();
  if (term.type === 'map') for (const [key, value] of term.entries) if (key.type === 'atom') fields.set(key.value, value);
  return fields;
}

/** A binary, atom or number field as text; null when absent. */
function textOf(term: Term | undefined): string | null {
  if (term === undefined) return null;
  switch (term.type) {
    case 'binary':
      return new TextDecoder().decode(term.value);
    case 'atom':
      return term.value === 'nil' ? null : term.value;
    case 'integer':
    case 'float':
      return String(term.value);
    case 'list':
      // A charlist, as `:erlang.system_info(:otp_release)` gives it.
      return term.items.every((item) => item.type === 'integer') ? String.fromCodePoint(...term.items.map((item) => Number(item.value))) : null;
    default:
      return null;
  }
}

function agentInfoOf(payload: Uint8Array): AgentInfo {
  const fields = fieldsOf(decodeTerm(payload));
  return {
    agentVersion: textOf(fields.get('agent_version')),
    elixir: textOf(fields.get('elixir')),
    otp: textOf(fields.get('otp')),
    osPid: textOf(fields.get('os_pid')),
    node: textOf(fields.get('node')),
  };
}

function loadedModulesOf(payload: Uint8Array): LoadedModule[] {
  const modules = fieldsOf(decodeTerm(payload)).get('modules');
  if (modules === undefined || modules.type !== 'list') return [];
  return modules.items.map((item) => {
    const fields = fieldsOf(item);
    const compile = fields.get('compile_us');
    return {
      module: (textOf(fields.get('module')) ?? '?').replace(/^Elixir\./, ''),
      sourceHash: textOf(fields.get('source_hash')),
      compileMicroseconds: compile?.type === 'integer' ? Number(compile.value) : null,
      status: textOf(fields.get('status')) ?? 'unknown',
      error: textOf(fields.get('error')),
    };
  });
}

function goodbyeCountsOf(payload: Uint8Array): { events: number; dropped: number } {
  const fields = fieldsOf(decodeTerm(payload));
  const number = (term: Term | undefined) => (term?.type === 'integer' ? Number(term.value) : 0);
  return { events: number(fields.get('events')), dropped: number(fields.get('dropped')) };
}
