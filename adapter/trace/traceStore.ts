/**
 * The trace file: one append-only file per recording, written while the debuggee runs and read
 * back by the trace queries (`traceQuery.ts`).
 *
 * Events do not go through SQLite (sql.js inserts 40–70 k rows/s; a busy VM emits far more).
 * They are appended as compact binary records whose values stay in the agent's ETF bytes,
 * undecoded until a query shows them; the indexes (`traceIndex.ts`) are built in memory while
 * writing and stored in a footer when the recording ends. A file without its footer (the
 * recorder was killed) is read by scanning: every complete record is recovered.
 *
 * ## Format (all integers little-endian)
 * ```
 * header   "ESTRACE\0" | u32 format version (TRACE_FORMAT_VERSION) | u32 0
 * record*  u8 kind | u32 payload length | payload
 * trailer  "ESINDEX\0" | f64 offset of the INDEX record | f64 file length   (finished files only)
 * ```
 * Record kinds (`RecordKind`):
 * - `start` (JSON `TraceStart` + format and protocol versions), first; `agent` (JSON `AgentInfo`,
 *   from `hello`); `loaded` (JSON `LoadedModule[]`); `note` (JSON `TraceNote`); `end` (JSON `TraceEnd`);
 * - `pids` (JSON `{first, pids: PidInfo[]}`): entries of the pid table, written before the first
 *   event that uses them;
 * - `origin` (JSON `{time}`): the agent's monotonic time (decimal ns) that event times count from;
 * - `events`: a block of event records, each
 *   `varint length | u8 type | zigzag seq Δ | zigzag time Δ | varint pid index | zigzag node |
 *   zigzag call | zigzag parent | value (ETF without the 131 version byte)`,
 *   where the deltas are from the previous record of the same block (the first from 0), so a
 *   block decodes on its own and a block cut short still yields its complete records;
 * - `index`: `u32 JSON length | JSON {metadata, pids, sections} | padding to 8 | sections`, the
 *   `TraceIndex` arrays one after the other, each 8-byte aligned, in `INDEX_SECTIONS` order.
 *
 * **Architecture invariant:** a value's bytes are the agent's bytes; nothing re-encodes a value,
 * so what a query shows is what the debuggee had (up to the agent's truncation).
 */
import fs from 'node:fs';
import { EventType, PROTOCOL_VERSION, type RecordingManifest } from '../../common/traceProtocol';
import { EtfTag } from '../agent/etf';
import { EventBatch, type PidFields, readPid } from './eventBatch';
import { INDEX_SECTIONS, type IndexSectionName, type TraceIndex, TraceIndexBuilder } from './traceIndex';

export const TRACE_FORMAT_VERSION = 1;

/** What is known when a recording starts. */
export interface TraceStart {
  /** The command that was recorded, as the user gave it (e.g. `mix test test/bank_test.exs`). */
  readonly command: string;
  readonly manifest: RecordingManifest;
  /** ISO 8601; default: now. */
  readonly startedAt?: string;
}

/** The agent's `hello` (binaries as text). */
export interface AgentInfo {
  readonly agentVersion: string | null;
  readonly elixir: string | null;
  readonly otp: string | null;
  readonly osPid: string | null;
  readonly node: string | null;
}

/** One entry of the agent's `loaded` frame. */
export interface LoadedModule {
  readonly module: string;
  readonly sourceHash: string | null;
  readonly compileMicroseconds: number | null;
  /** `ok`, or why the module was not instrumented (stale source, compile error…). */
  readonly status: string;
  readonly error: string | null;
}

export type PidInfo = PidFields;

/** Something that happened to the recording itself, kept in order. */
export type TraceNote =
  | { readonly kind: 'rejectedConnection'; readonly reason: string }
  | { readonly kind: 'connectionError'; readonly reason: string };

/** How a recording ended. */
export interface TraceEnd {
  readonly endedAt: string;
  /** True when the agent said `goodbye` and nothing was rejected as malformed. */
  readonly complete: boolean;
  /** Why the recording ended, for the user: `goodbye`, `the debuggee closed the connection without goodbye`… */
  readonly endReason: string;
  /** Events the recorder dropped under overload (`overload: 'drop'`). */
  readonly droppedEvents: number;
  /** Frames (with their events) the recorder dropped or could not read. */
  readonly droppedFrames: number;
  /** The agent's own `goodbye` counts: what it emitted and what it had to drop. */
  readonly agentCounts: { readonly events: number; readonly dropped: number } | null;
}

/** Everything a trace says about itself. */
export interface TraceMetadata {
  readonly formatVersion: number;
  readonly protocolVersion: number;
  readonly command: string;
  readonly startedAt: string;
  readonly manifest: RecordingManifest;
  readonly agent: AgentInfo | null;
  readonly loaded: readonly LoadedModule[] | null;
  /** The agent's monotonic time (decimal nanoseconds) of event time 0, or null without events. */
  readonly timeOrigin: string | null;
  readonly notes: readonly TraceNote[];
  /** Null when the file has no end record (the recorder died). */
  readonly end: TraceEnd | null;
  readonly eventCount: number;
  /** Event counts by `EventType` name. */
  readonly countsByType: Readonly<Record<string, number>>;
}

/** Thrown for a file that is not a trace, or one of another format version. */
export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

export interface TraceWriterOptions {
  /** Close an events block when it reaches this many bytes (default 256 KiB). */
  readonly blockBytes?: number;
}

/**
 * Appends a recording to a new file. Not thread-safe; one writer per file. `flush` puts
 * everything appended so far on disk (the ingestion loop calls it every few hundred ms), so a
 * killed recorder loses at most that much; `finish` writes the end record and the footer.
 */
export class TraceWriter {
  private readonly output: OutputFile;
  private readonly builder = new TraceIndexBuilder();
  private readonly batch = new EventBatch();
  private readonly pids: PidInfo[] = [];
  /** Each pid's ETF bytes, and the pids by their number, to intern pids without building keys. */
  private readonly pidBytes: Uint8Array[] = [];
  private readonly pidsById = new Map<number, number[]>();
  private readonly notes: TraceNote[] = [];
  private readonly startRecord: TraceStartRecord;
  private agent: AgentInfo | null = null;
  private loaded: LoadedModule[] | null = null;
  private origin: TimeOrigin | null = null;
  private block: BlockBuffer | null = null;
  private finished = false;

  private constructor(
    readonly path: string,
    start: TraceStart,
    private readonly blockBytes: number,
  ) {
    this.output = new OutputFile(path);
    this.output.append(HEADER);
    this.startRecord = {
      formatVersion: TRACE_FORMAT_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      command: start.command,
      startedAt: start.startedAt ?? new Date().toISOString(),
      manifest: start.manifest,
    };
    this.writeJsonRecord(RecordKind.start, this.startRecord);
    this.output.flush();
  }

  /** Creates (or replaces) the file at `path` and writes the start record. */
  static create(path: string, start: TraceStart, options: TraceWriterOptions = {}): TraceWriter {
    return new TraceWriter(path, start, options.blockBytes ?? 256 * 1024);
  }

  get eventCount(): number {
    return this.builder.eventCount;
  }

  setAgent(agent: AgentInfo): void {
    this.agent = agent;
    this.writeJsonRecord(RecordKind.agent, agent);
  }

  setLoaded(modules: readonly LoadedModule[]): void {
    this.loaded = [...modules];
    this.writeJsonRecord(RecordKind.loaded, modules);
  }

  addNote(note: TraceNote): void {
    this.notes.push(note);
    this.writeJsonRecord(RecordKind.note, note);
  }

  /**
   * Appends the events of one `events` frame payload (with its 131 version byte) and returns how
   * many there were. Throws `EventBatchError` for a malformed payload, having appended nothing.
   */
  appendEventBatch(payload: Uint8Array): number {
    this.checkOpen();
    const batch = this.batch;
    batch.parse(payload);
    const count = batch.count;
    if (count === 0) return 0;
    const pidIndexes = this.internPids(payload, batch);
    if (this.origin === null) {
      this.origin = timeOriginOf(batch.timeSign[0], batch.timeHigh[0], batch.timeLow[0]);
      this.writeJsonRecord(RecordKind.origin, { time: this.origin.decimal });
    }
    const origin = this.origin;
    for (let event = 0; event < count; event++) {
      const block = this.openBlock();
      const valueStart = batch.valueStart[event];
      const valueLength = batch.valueEnd[event] - valueStart;
      const time = relativeTime(origin, batch.timeSign[event], batch.timeHigh[event], batch.timeLow[event]);
      const type = batch.type[event];
      const seq = batch.seq[event];
      const pid = pidIndexes[event];
      const node = batch.node[event];
      const call = batch.call[event];
      const parent = batch.parent[event];
      const valueOffset = block.appendEvent(type, seq, time, pid, node, call, parent, payload, valueStart, valueLength);
      this.builder.add(type, seq, time, pid, node, call, parent, valueOffset, valueLength);
      if (block.length >= this.blockBytes) this.closeBlock();
    }
    return count;
  }

  /** Puts everything appended so far on disk. */
  flush(): void {
    if (this.finished) return;
    this.closeBlock();
    this.output.flush();
  }

  /** Writes the end record and the footer and closes the file; returns the trace's metadata. */
  finish(end: Omit<TraceEnd, 'endedAt'> & { readonly endedAt?: string }): TraceMetadata {
    this.checkOpen();
    this.closeBlock();
    const endRecord: TraceEnd = { ...end, endedAt: end.endedAt ?? new Date().toISOString() };
    this.writeJsonRecord(RecordKind.end, endRecord);
    const index = this.builder.build(this.pids.length);
    const metadata = this.metadata(index, endRecord);
    const indexOffset = this.output.position;
    this.writeRecord(RecordKind.index, encodeIndex(metadata, this.pids, index));
    const trailer = new Uint8Array(TRAILER_BYTES);
    const view = new DataView(trailer.buffer);
    trailer.set(TRAILER_MAGIC, 0);
    view.setFloat64(8, indexOffset, true);
    view.setFloat64(16, this.output.position + TRAILER_BYTES, true);
    this.output.append(trailer);
    this.output.close();
    this.finished = true;
    return metadata;
  }

  /** Closes the file without an end record or footer, as a crash would leave it (for tests). */
  abandon(): void {
    if (this.finished) return;
    this.flush();
    this.output.close();
    this.finished = true;
  }

  private metadata(index: TraceIndex, end: TraceEnd | null): TraceMetadata {
    return {
      ...this.startRecord,
      agent: this.agent,
      loaded: this.loaded,
      timeOrigin: this.origin?.decimal ?? null,
      notes: [...this.notes],
      end,
      eventCount: index.eventCount,
      countsByType: countsByType(index),
    };
  }

  /** Pid-table indexes of the batch's events; new pids are written (in a `pids` record) first. */
  private internPids(payload: Uint8Array, batch: EventBatch): Uint32Array {
    const indexes = new Uint32Array(batch.count);
    const firstNew = this.pids.length;
    for (let event = 0; event < batch.count; event++) {
      const start = batch.pidStart[event];
      const end = batch.pidEnd[event];
      // The pid's number and serial are its last words (before the creation): a cheap first key.
      const creationBytes = payload[start] === EtfTag.newPid ? 4 : 1;
      const idOffset = end - creationBytes - 8;
      const id = ((payload[idOffset] << 24) >>> 0) + (payload[idOffset + 1] << 16) + (payload[idOffset + 2] << 8) + payload[idOffset + 3];
      const candidates = this.pidsById.get(id);
      let index = -1;
      if (candidates !== undefined) {
        for (const candidate of candidates) {
          const bytes = this.pidBytes[candidate];
          if (bytes.length === end - start && sameBytes(bytes, payload, start)) {
            index = candidate;
            break;
          }
        }
      }
      if (index === -1) {
        index = this.pids.length;
        this.pids.push(readPid(payload, start));
        this.pidBytes.push(payload.slice(start, end));
        if (candidates === undefined) this.pidsById.set(id, [index]);
        else candidates.push(index);
      }
      indexes[event] = index;
    }
    if (this.pids.length > firstNew) this.writeJsonRecord(RecordKind.pids, { first: firstNew, pids: this.pids.slice(firstNew) });
    return indexes;
  }

  private openBlock(): BlockBuffer {
    if (this.block === null) this.block = new BlockBuffer(this.output.position + RECORD_HEADER_BYTES, this.blockBytes);
    return this.block;
  }

  private closeBlock(): void {
    if (this.block === null) return;
    const payload = this.block.bytes();
    this.block = null;
    if (payload.length > 0) this.writeRecord(RecordKind.events, payload);
  }

  private writeJsonRecord(kind: RecordKind, value: unknown): void {
    this.writeRecord(kind, utf8Encoder.encode(JSON.stringify(value)));
  }

  /** Every record but an events block goes through here; an open block is closed first. */
  private writeRecord(kind: RecordKind, payload: Uint8Array): void {
    this.checkOpen();
    if (kind !== RecordKind.events) this.closeBlock();
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    header[0] = kind;
    new DataView(header.buffer).setUint32(1, payload.length, true);
    this.output.append(header);
    this.output.append(payload);
  }

  private checkOpen(): void {
    if (this.finished) throw new Error(`the trace ${this.path} is already finished`);
  }
}

/**
 * A trace opened for reading: its metadata, pid table and indexes, and the file's bytes (values
 * are sliced from them on demand). `recovered` is true when the footer was missing or unusable
 * and the indexes were rebuilt by scanning the records.
 */
export class TraceReader {
  private constructor(
    readonly metadata: TraceMetadata,
    readonly pids: readonly PidInfo[],
    readonly index: TraceIndex,
    private readonly bytes: Uint8Array,
    readonly recovered: boolean,
  ) {}

  /** Opens a trace file; throws `TraceFormatError` if it is not one. */
  static open(path: string): TraceReader {
    const file = fs.readFileSync(path);
    return TraceReader.fromBytes(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  }

  static fromBytes(bytes: Uint8Array): TraceReader {
    checkHeader(bytes);
    const footer = readFooter(bytes);
    if (footer !== null) return new TraceReader(footer.metadata, footer.pids, footer.index, bytes, false);
    const scanned = scanRecords(bytes);
    return new TraceReader(scanned.metadata, scanned.pids, scanned.index, bytes, true);
  }

  get eventCount(): number {
    return this.index.eventCount;
  }

  /** The value of event `event` as the agent encoded it, without the 131 version byte. */
  valueBytes(event: number): Uint8Array {
    const offset = this.index.valueOffset[event];
    return this.bytes.subarray(offset, offset + this.index.valueLength[event]);
  }

  /** Node indexes by node ID, from the manifest (built on first use). */
  nodeIndexById(): ReadonlyMap<string, number> {
    if (this.nodeIndexes === null) {
      this.nodeIndexes = new Map(this.metadata.manifest.nodes.map((node, index) => [node.id, index]));
    }
    return this.nodeIndexes;
  }

  private nodeIndexes: Map<string, number> | null = null;
}

/** Event counts by type name (`call`, `return`…; unknown codes as `type N`). */
export function countsByType(index: TraceIndex): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let code = 0; code + 1 < index.typeStart.length; code++) {
    const count = index.typeStart[code + 1] - index.typeStart[code];
    if (count > 0) counts[EVENT_TYPE_NAMES.get(code) ?? `type ${code}`] = count;
  }
  return counts;
}

export const EVENT_TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(EventType).map(([name, code]) => [code, name]));

// ---------------------------------------------------------------------------------------------------
// Records.

const enum RecordKind {
  start = 1,
  agent = 2,
  loaded = 3,
  pids = 4,
  origin = 5,
  events = 6,
  note = 7,
  end = 8,
  index = 9,
}

const HEADER_MAGIC = asciiBytes('ESTRACE\0');
const TRAILER_MAGIC = asciiBytes('ESINDEX\0');
const HEADER_BYTES = 16;
const TRAILER_BYTES = 24;
const RECORD_HEADER_BYTES = 5;
const HEADER = (() => {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(HEADER_MAGIC, 0);
  new DataView(header.buffer).setUint32(8, TRACE_FORMAT_VERSION, true);
  return header;
})();

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

type TraceStartRecord = Pick<TraceMetadata, 'formatVersion' | 'protocolVersion' | 'command' | 'startedAt' | 'manifest'>;

/** Buffered appends to a file descriptor; `position` counts buffered bytes too. */
class OutputFile {
  private readonly descriptor: number;
  private chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private writtenBytes = 0;

  constructor(path: string) {
    this.descriptor = fs.openSync(path, 'w');
  }

  get position(): number {
    return this.writtenBytes + this.bufferedBytes;
  }

  append(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.bufferedBytes += bytes.length;
    if (this.bufferedBytes >= OUTPUT_FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.bufferedBytes === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bufferedBytes);
    let written = 0;
    while (written < data.length) written += fs.writeSync(this.descriptor, data, written, data.length - written);
    this.writtenBytes += data.length;
    this.chunks = [];
    this.bufferedBytes = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.descriptor);
  }
}

const OUTPUT_FLUSH_BYTES = 1024 * 1024;

/** The payload of one `events` record under construction. */
class BlockBuffer {
  private buffer: Uint8Array;
  length = 0;
  private previousSeq = 0;
  private previousTime = 0;

  constructor(
    /** Where this block's payload will start in the file. */
    private readonly fileOffset: number,
    capacityHint: number,
  ) {
    this.buffer = new Uint8Array(Math.min(capacityHint + 1024, 64 * 1024));
  }

  /** Appends one event record; returns the file offset of its value. */
  appendEvent(type: number, seq: number, time: number, pid: number, node: number, call: number, parent: number, source: Uint8Array, valueStart: number, valueLength: number): number {
    this.reserve(MAX_EVENT_HEADER_BYTES + valueLength);
    // The length prefix is written after the header, once its size is known: leave room for the
    // longest varint and move the header down if it turns out shorter (rare: bodies > 127 bytes).
    const recordStart = this.length;
    let cursor = recordStart + 1;
    this.buffer[cursor++] = type;
    cursor = writeVarint(this.buffer, cursor, zigzag(seq - this.previousSeq));
    cursor = writeVarint(this.buffer, cursor, zigzag(time - this.previousTime));
    cursor = writeVarint(this.buffer, cursor, pid);
    cursor = writeVarint(this.buffer, cursor, zigzag(node));
    cursor = writeVarint(this.buffer, cursor, zigzag(call));
    cursor = writeVarint(this.buffer, cursor, zigzag(parent));
    const headerLength = cursor - recordStart - 1;
    const bodyLength = headerLength + valueLength;
    const prefixLength = varintLength(bodyLength);
    if (prefixLength > 1) this.buffer.copyWithin(recordStart + prefixLength, recordStart + 1, cursor);
    writeVarint(this.buffer, recordStart, bodyLength);
    const valueAt = recordStart + prefixLength + headerLength;
    // Most values are a few bytes: a loop beats creating a subarray view for each.
    if (valueLength <= 64) {
      const buffer = this.buffer;
      for (let index = 0; index < valueLength; index++) buffer[valueAt + index] = source[valueStart + index];
    } else {
      this.buffer.set(source.subarray(valueStart, valueStart + valueLength), valueAt);
    }
    this.length = valueAt + valueLength;
    this.previousSeq = seq;
    this.previousTime = time;
    return this.fileOffset + valueAt;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const larger = new Uint8Array(capacity);
    larger.set(this.buffer.subarray(0, this.length));
    this.buffer = larger;
  }
}

/** type byte + 6 varints of at most 8 bytes (values below 2^53) + the length prefix. */
const MAX_EVENT_HEADER_BYTES = 1 + 6 * 8 + 8;

// ---------------------------------------------------------------------------------------------------
// Time.

interface TimeOrigin {
  readonly sign: number;
  readonly high: number;
  readonly low: number;
  readonly decimal: string;
  readonly big: bigint;
}

function timeOriginOf(sign: number, high: number, low: number): TimeOrigin {
  const big = BigInt(sign) * (BigInt(high) * 2n ** 32n + BigInt(low));
  return { sign, high, low, decimal: big.toString(), big };
}

/** `time - origin` in nanoseconds, exactly while the difference is below 2^53 (104 days). */
function relativeTime(origin: TimeOrigin, sign: number, high: number, low: number): number {
  // `+ 0` turns the -0 of a negative sign times a zero difference into 0.
  if (sign === origin.sign) return sign * ((high - origin.high) * 2 ** 32 + (low - origin.low)) + 0;
  return Number(BigInt(sign) * (BigInt(high) * 2n ** 32n + BigInt(low)) - origin.big);
}

// ---------------------------------------------------------------------------------------------------
// Varints (LEB128 over non-negative integers below 2^53; zigzag for signed ones).

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[offset++] = value;
  return offset;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

/** Reads varints from a byte range; `ok` turns false (and stays false) on running past `end`. */
class VarintReader {
  offset = 0;
  end = 0;
  ok = true;

  constructor(readonly bytes: Uint8Array) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.offset >= this.end || scale > 2 ** 56) {
        this.ok = false;
        return 0;
      }
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  signed(): number {
    return unzigzag(this.varint());
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading.

function checkHeader(bytes: Uint8Array): void {
  if (bytes.length < HEADER_BYTES || !startsWith(bytes, 0, HEADER_MAGIC)) throw new TraceFormatError('not an ElixirScope trace file (bad magic)');
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (version !== TRACE_FORMAT_VERSION) {
    throw new TraceFormatError(`trace format version ${version}; this ElixirScope reads version ${TRACE_FORMAT_VERSION} (record the run again)`);
  }
}

interface StoredIndexHeader {
  readonly metadata: TraceMetadata;
  readonly pids: readonly PidInfo[];
  readonly sections: { readonly name: IndexSectionName; readonly length: number }[];
}

function readFooter(bytes: Uint8Array): { metadata: TraceMetadata; pids: PidInfo[]; index: TraceIndex } | null {
  if (bytes.length < HEADER_BYTES + TRAILER_BYTES) return null;
  const trailerStart = bytes.length - TRAILER_BYTES;
  if (!startsWith(bytes, trailerStart, TRAILER_MAGIC)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const indexOffset = view.getFloat64(trailerStart + 8, true);
  if (view.getFloat64(trailerStart + 16, true) !== bytes.length) return null;
  if (!Number.isInteger(indexOffset) || indexOffset < HEADER_BYTES || indexOffset + RECORD_HEADER_BYTES > trailerStart) return null;
  if (bytes[indexOffset] !== RecordKind.index) return null;
  const payloadLength = view.getUint32(indexOffset + 1, true);
  const payloadStart = indexOffset + RECORD_HEADER_BYTES;
  if (payloadStart + payloadLength !== trailerStart) return null;
  try {
    return decodeIndex(bytes.subarray(payloadStart, payloadStart + payloadLength));
  } catch {
    return null;
  }
}

function encodeIndex(metadata: TraceMetadata, pids: readonly PidInfo[], index: TraceIndex): Uint8Array {
  const sections = INDEX_SECTIONS.map(([name]) => ({ name, length: index[name].length }));
  const json = utf8Encoder.encode(JSON.stringify({ metadata, pids, sections } satisfies StoredIndexHeader));
  let size = align8(4 + json.length);
  for (const [name] of INDEX_SECTIONS) size += align8(index[name].byteLength);
  const payload = new Uint8Array(size);
  new DataView(payload.buffer).setUint32(0, json.length, true);
  payload.set(json, 4);
  let offset = align8(4 + json.length);
  for (const [name] of INDEX_SECTIONS) {
    const array = index[name];
    payload.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += align8(array.byteLength);
  }
  return payload;
}

function decodeIndex(payload: Uint8Array): { metadata: TraceMetadata; pids: PidInfo[]; index: TraceIndex } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLength = view.getUint32(0, true);
  const header = JSON.parse(utf8Decoder.decode(payload.subarray(4, 4 + jsonLength))) as StoredIndexHeader;
  let offset = align8(4 + jsonLength);
  const arrays: Partial<Record<IndexSectionName, Uint8Array | Uint32Array | Int32Array | Float64Array>> = {};
  INDEX_SECTIONS.forEach(([name, elementType], position) => {
    const section = header.sections[position];
    if (section?.name !== name) throw new TraceFormatError(`index section ${position} is ${section?.name}, expected ${name}`);
    const array = newTypedArray(elementType, section.length);
    const byteLength = array.byteLength;
    if (offset + byteLength > payload.length) throw new TraceFormatError('index section runs past the footer');
    new Uint8Array(array.buffer).set(payload.subarray(offset, offset + byteLength));
    arrays[name] = array;
    offset += align8(byteLength);
  });
  const index = { ...arrays, eventCount: arrays.type!.length, callCount: arrays.callEvent!.length } as TraceIndex;
  return { metadata: header.metadata, pids: [...header.pids], index };
}

function newTypedArray(elementType: 'u8' | 'u32' | 'i32' | 'f64', length: number) {
  switch (elementType) {
    case 'u8':
      return new Uint8Array(length);
    case 'u32':
      return new Uint32Array(length);
    case 'i32':
      return new Int32Array(length);
    case 'f64':
      return new Float64Array(length);
  }
}

/**
 * Rebuilds metadata and indexes from the records, for a file without a usable footer. Stops at
 * the first record that is cut short or does not parse; a cut-short events block yields its
 * complete event records.
 */
function scanRecords(bytes: Uint8Array): { metadata: TraceMetadata; pids: PidInfo[]; index: TraceIndex } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const builder = new TraceIndexBuilder();
  const pids: PidInfo[] = [];
  const notes: TraceNote[] = [];
  let start: TraceStartRecord | null = null;
  let agent: AgentInfo | null = null;
  let loaded: LoadedModule[] | null = null;
  let timeOrigin: string | null = null;
  let end: TraceEnd | null = null;
  let offset = HEADER_BYTES;
  const reader = new VarintReader(bytes);
  scan: while (offset + RECORD_HEADER_BYTES <= bytes.length) {
    const kind = bytes[offset];
    const length = view.getUint32(offset + 1, true);
    const payloadStart = offset + RECORD_HEADER_BYTES;
    const payloadEnd = payloadStart + length;
    if (kind === RecordKind.events) {
      const complete = scanEvents(reader, payloadStart, Math.min(payloadEnd, bytes.length), builder, pids.length);
      if (!complete || payloadEnd > bytes.length) break;
      offset = payloadEnd;
      continue;
    }
    if (payloadEnd > bytes.length) break;
    if (kind === RecordKind.index) break;
    let json: unknown;
    try {
      json = JSON.parse(utf8Decoder.decode(bytes.subarray(payloadStart, payloadEnd)));
    } catch {
      break;
    }
    switch (kind) {
      case RecordKind.start:
        start = json as TraceStartRecord;
        break;
      case RecordKind.agent:
        agent = json as AgentInfo;
        break;
      case RecordKind.loaded:
        loaded = json as LoadedModule[];
        break;
      case RecordKind.pids: {
        const entry = json as { first: number; pids: PidInfo[] };
        if (entry.first !== pids.length) break scan;
        pids.push(...entry.pids);
        break;
      }
      case RecordKind.origin:
        timeOrigin = (json as { time: string }).time;
        break;
      case RecordKind.note:
        notes.push(json as TraceNote);
        break;
      case RecordKind.end:
        end = json as TraceEnd;
        break;
      default:
        break scan;
    }
    offset = payloadEnd;
  }
  if (start === null) throw new TraceFormatError('the trace file has no start record');
  const index = builder.build(pids.length);
  const metadata: TraceMetadata = { ...start, agent, loaded, timeOrigin, notes, end, eventCount: index.eventCount, countsByType: countsByType(index) };
  return { metadata, pids, index };
}

/** Adds the complete event records of `[start, end)`; false if one was cut short or malformed. */
function scanEvents(reader: VarintReader, start: number, end: number, builder: TraceIndexBuilder, pidCount: number): boolean {
  let offset = start;
  let seq = 0;
  let time = 0;
  while (offset < end) {
    reader.offset = offset;
    reader.end = end;
    const bodyLength = reader.varint();
    const bodyStart = reader.offset;
    const bodyEnd = bodyStart + bodyLength;
    if (!reader.ok || bodyEnd > end || bodyLength < 1) return false;
    reader.end = bodyEnd;
    const type = reader.bytes[reader.offset++];
    seq += reader.signed();
    time += reader.signed();
    const pid = reader.varint();
    const node = reader.signed();
    const call = reader.signed();
    const parent = reader.signed();
    if (!reader.ok || pid >= pidCount || type === 0) return false;
    builder.add(type, seq, time, pid, node, call, parent, reader.offset, bodyEnd - reader.offset);
    offset = bodyEnd;
  }
  return true;
}

function startsWith(bytes: Uint8Array, offset: number, prefix: Uint8Array): boolean {
  if (offset + prefix.length > bytes.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[offset + index] !== prefix[index]) return false;
  return true;
}

/** Whether `bytes` occurs in `source` at `offset`. */
function sameBytes(bytes: Uint8Array, source: Uint8Array, offset: number): boolean {
  for (let index = bytes.length - 1; index >= 0; index--) if (bytes[index] !== source[offset + index]) return false;
  return true;
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

function align8(value: number): number {
  return Math.ceil(value / 8) * 8;
}
