/**
 * The fast path of ingestion: reads an `events` frame payload (an ETF list of
 * `{type, seq, time, pid, node, call, parent, value}` tuples, `common/traceProtocol.ts`) without
 * building terms. The envelope's integers and pid are read in place and each `value` is only
 * skipped over, so the store can keep its bytes as they came; `etf.ts` decodes them later, when a
 * query needs them. Knowing where any term ends (`skipTerm`) is all this needs of the format:
 * `decodeTermPrefix` would find the same ends but build every term on the way, which is what this
 * path exists to avoid. The tags are `etf.ts`'s `EtfTag`.
 *
 * A malformed batch throws `EventBatchError` before anything of it is handed on, so a bad frame
 * costs only itself.
 */
import { EtfTag, EXTERNAL_TERM_VERSION } from '../agent/etf';

/** A payload that is not a well-formed list of event tuples; `message` says what and where. */
export class EventBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventBatchError';
  }
}

/**
 * One batch, parsed into parallel arrays (reused between batches: read only the first `count`
 * entries). Offsets are into the payload. Times are kept as the two halves of their magnitude and
 * a sign, so nanosecond monotonic times (about 2^59) survive exactly until the store subtracts the
 * trace's time origin.
 */
export class EventBatch {
  count = 0;
  type = new Uint8Array(1024);
  seq = new Float64Array(1024);
  timeHigh = new Float64Array(1024);
  timeLow = new Float64Array(1024);
  timeSign = new Int8Array(1024);
  pidStart = new Uint32Array(1024);
  pidEnd = new Uint32Array(1024);
  node = new Float64Array(1024);
  call = new Float64Array(1024);
  parent = new Float64Array(1024);
  valueStart = new Uint32Array(1024);
  valueEnd = new Uint32Array(1024);

  /** Parses `payload` (with its leading 131 version byte) into this batch, replacing its contents. */
  parse(payload: Uint8Array): void {
    this.count = 0;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    if (payload.length < 2 || payload[0] !== EXTERNAL_TERM_VERSION) throw new EventBatchError('events payload does not start with the ETF version byte 131');
    const tag = payload[1];
    if (tag === EtfTag.nil) {
      if (payload.length !== 2) throw new EventBatchError('events payload has bytes after the empty list');
      return;
    }
    if (tag !== EtfTag.list) throw new EventBatchError(`events payload is not a list (ETF tag ${tag})`);
    need(payload, 2, 5);
    const length = view.getUint32(2);
    this.ensureCapacity(length);
    let offset = 6;
    for (let index = 0; index < length; index++) {
      need(payload, offset, 2);
      if (payload[offset] !== EtfTag.smallTuple || payload[offset + 1] !== 8) {
        throw new EventBatchError(`event ${index} is not an 8-tuple {type, seq, time, pid, node, call, parent, value} (at byte ${offset})`);
      }
      offset += 2;
      offset = this.readEvent(payload, view, offset, index);
    }
    need(payload, offset, 1);
    if (payload[offset] !== EtfTag.nil) throw new EventBatchError('the events list is improper');
    if (offset + 1 !== payload.length) throw new EventBatchError(`${payload.length - offset - 1} bytes after the events list`);
    this.count = length;
  }

  private readEvent(payload: Uint8Array, view: DataView, start: number, index: number): number {
    let offset = start;
    const type = readSmallNumber(payload, view, offset, 'type');
    if (!Number.isInteger(type) || type < 1 || type > 255) throw new EventBatchError(`event ${index} has type ${type}`);
    this.type[index] = type;
    offset = skipTerm(payload, offset);
    this.seq[index] = readSmallNumber(payload, view, offset, 'seq');
    offset = skipTerm(payload, offset);
    offset = this.readTime(payload, view, offset, index);
    const pidTag = payload[offset];
    if (pidTag !== EtfTag.newPid && pidTag !== EtfTag.pid) throw new EventBatchError(`event ${index}: pid is not a pid (ETF tag ${pidTag})`);
    this.pidStart[index] = offset;
    offset = skipTerm(payload, offset);
    this.pidEnd[index] = offset;
    this.node[index] = readSmallNumber(payload, view, offset, 'node');
    offset = skipTerm(payload, offset);
    this.call[index] = readSmallNumber(payload, view, offset, 'call');
    offset = skipTerm(payload, offset);
    this.parent[index] = readSmallNumber(payload, view, offset, 'parent');
    offset = skipTerm(payload, offset);
    this.valueStart[index] = offset;
    offset = skipTerm(payload, offset);
    this.valueEnd[index] = offset;
    return offset;
  }

  private readTime(payload: Uint8Array, view: DataView, offset: number, index: number): number {
    need(payload, offset, 1);
    const tag = payload[offset];
    if (tag === EtfTag.smallInteger || tag === EtfTag.integer) {
      const value = readSmallNumber(payload, view, offset, 'time');
      this.timeSign[index] = value < 0 ? -1 : 1;
      this.timeHigh[index] = Math.floor(Math.abs(value) / TWO_32);
      this.timeLow[index] = Math.abs(value) % TWO_32;
      return skipTerm(payload, offset);
    }
    if (tag !== EtfTag.smallBig) throw new EventBatchError(`event ${index}: time is not an integer (ETF tag ${tag})`);
    need(payload, offset, 3);
    const digitCount = payload[offset + 1];
    if (digitCount > 8) throw new EventBatchError(`event ${index}: time does not fit in 64 bits`);
    need(payload, offset, 3 + digitCount);
    const digits = offset + 3;
    let low: number;
    let high = 0;
    if (digitCount === 8) {
      low = view.getUint32(digits, true);
      high = view.getUint32(digits + 4, true);
    } else {
      low = 0;
      for (let digit = Math.min(digitCount, 4) - 1; digit >= 0; digit--) low = low * 256 + payload[digits + digit];
      for (let digit = digitCount - 1; digit >= 4; digit--) high = high * 256 + payload[digits + digit];
    }
    this.timeSign[index] = payload[offset + 2] === 0 ? 1 : -1;
    this.timeHigh[index] = high;
    this.timeLow[index] = low;
    return offset + 3 + digitCount;
  }

  private ensureCapacity(length: number): void {
    if (length <= this.type.length) return;
    let capacity = this.type.length;
    while (capacity < length) capacity *= 2;
    this.type = new Uint8Array(capacity);
    this.seq = new Float64Array(capacity);
    this.timeHigh = new Float64Array(capacity);
    this.timeLow = new Float64Array(capacity);
    this.timeSign = new Int8Array(capacity);
    this.pidStart = new Uint32Array(capacity);
    this.pidEnd = new Uint32Array(capacity);
    this.node = new Float64Array(capacity);
    this.call = new Float64Array(capacity);
    this.parent = new Float64Array(capacity);
    this.valueStart = new Uint32Array(capacity);
    this.valueEnd = new Uint32Array(capacity);
  }
}

/** The number of elements of an `events` payload's list, read from its header; -1 if it is not a list. */
export function eventCountOfPayload(payload: Uint8Array): number {
  if (payload.length >= 2 && payload[0] === EXTERNAL_TERM_VERSION && payload[1] === EtfTag.nil) return 0;
  if (payload.length < 6 || payload[0] !== EXTERNAL_TERM_VERSION || payload[1] !== EtfTag.list) return -1;
  return ((payload[2] << 24) >>> 0) + (payload[3] << 16) + (payload[4] << 8) + payload[5];
}

/** A pid term's fields, read in place (`offset` at its tag). */
export interface PidFields {
  readonly node: string;
  readonly id: number;
  readonly serial: number;
  readonly creation: number;
}

export function readPid(bytes: Uint8Array, offset: number): PidFields {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = bytes[offset];
  const atomEnd = skipTerm(bytes, offset + 1);
  const node = readAtomText(bytes, offset + 1);
  need(bytes, atomEnd, tag === EtfTag.newPid ? 12 : 9);
  const id = view.getUint32(atomEnd);
  const serial = view.getUint32(atomEnd + 4);
  const creation = tag === EtfTag.newPid ? view.getUint32(atomEnd + 8) : bytes[atomEnd + 8];
  return { node, id, serial, creation };
}

/** The text of the atom at `offset`. */
function readAtomText(bytes: Uint8Array, offset: number): string {
  const tag = bytes[offset];
  let start: number;
  let length: number;
  if (tag === EtfTag.smallAtomUtf8 || tag === EtfTag.smallAtom) {
    need(bytes, offset, 2);
    start = offset + 2;
    length = bytes[offset + 1];
  } else if (tag === EtfTag.atomUtf8 || tag === EtfTag.atom) {
    need(bytes, offset, 3);
    start = offset + 3;
    length = (bytes[offset + 1] << 8) | bytes[offset + 2];
  } else {
    throw new EventBatchError(`expected an atom at byte ${offset} (ETF tag ${tag})`);
  }
  need(bytes, start, length);
  const decoder = tag === EtfTag.atom || tag === EtfTag.smallAtom ? latin1Decoder : utf8Decoder;
  return decoder.decode(bytes.subarray(start, start + length));
}

/**
 * The offset just past the term that starts at `offset` (no version byte). Iterative, so a
 * deeply nested term cannot exhaust the stack; throws `EventBatchError` on an unknown tag or a
 * term that runs past the end of `bytes`.
 */
export function skipTerm(bytes: Uint8Array, offset: number): number {
  // Terms still to skip after the current one; lists add their tail, tuples and maps their elements.
  let pending = 1;
  while (pending > 0) {
    pending--;
    need(bytes, offset, 1);
    const tag = bytes[offset];
    switch (tag) {
      case EtfTag.smallInteger:
        offset += 2;
        break;
      case EtfTag.integer:
        offset += 5;
        break;
      case EtfTag.newFloat:
        offset += 9;
        break;
      case EtfTag.float:
        offset += 32;
        break;
      case EtfTag.atom:
      case EtfTag.atomUtf8:
        need(bytes, offset, 3);
        offset += 3 + ((bytes[offset + 1] << 8) | bytes[offset + 2]);
        break;
      case EtfTag.smallAtom:
      case EtfTag.smallAtomUtf8:
        need(bytes, offset, 2);
        offset += 2 + bytes[offset + 1];
        break;
      case EtfTag.nil:
        offset += 1;
        break;
      case EtfTag.string:
        need(bytes, offset, 3);
        offset += 3 + ((bytes[offset + 1] << 8) | bytes[offset + 2]);
        break;
      case EtfTag.binary:
        offset += 5 + readUint32(bytes, offset + 1);
        break;
      case EtfTag.bitBinary:
        offset += 6 + readUint32(bytes, offset + 1);
        break;
      case EtfTag.smallBig:
        need(bytes, offset, 2);
        offset += 3 + bytes[offset + 1];
        break;
      case EtfTag.largeBig:
        offset += 6 + readUint32(bytes, offset + 1);
        break;
      case EtfTag.smallTuple:
        need(bytes, offset, 2);
        pending += bytes[offset + 1];
        offset += 2;
        break;
      case EtfTag.largeTuple:
        pending += readUint32(bytes, offset + 1);
        offset += 5;
        break;
      case EtfTag.list:
        pending += readUint32(bytes, offset + 1) + 1;
        offset += 5;
        break;
      case EtfTag.map:
        pending += 2 * readUint32(bytes, offset + 1);
        offset += 5;
        break;
      case EtfTag.pid:
        offset = skipAtom(bytes, offset + 1) + 9;
        break;
      case EtfTag.newPid:
        offset = skipAtom(bytes, offset + 1) + 12;
        break;
      case EtfTag.port:
        offset = skipAtom(bytes, offset + 1) + 5;
        break;
      case EtfTag.newPort:
        offset = skipAtom(bytes, offset + 1) + 8;
        break;
      case EtfTag.v4Port:
        offset = skipAtom(bytes, offset + 1) + 12;
        break;
      case EtfTag.reference:
        offset = skipAtom(bytes, offset + 1) + 5;
        break;
      case EtfTag.newReference: {
        need(bytes, offset, 3);
        const idCount = (bytes[offset + 1] << 8) | bytes[offset + 2];
        offset = skipAtom(bytes, offset + 3) + 1 + 4 * idCount;
        break;
      }
      case EtfTag.newerReference: {
        need(bytes, offset, 3);
        const idCount = (bytes[offset + 1] << 8) | bytes[offset + 2];
        offset = skipAtom(bytes, offset + 3) + 4 + 4 * idCount;
        break;
      }
      case EtfTag.newFun:
        // Size counts itself and everything after the tag.
        offset += 1 + readUint32(bytes, offset + 1);
        break;
      case EtfTag.export:
        // Module atom, function atom, arity as a small integer.
        pending += 3;
        offset += 1;
        break;
      default:
        throw new EventBatchError(`unsupported ETF tag ${tag} at byte ${offset}`);
    }
  }
  if (offset > bytes.length) throw new EventBatchError(`a term runs past the end of the payload (${offset} > ${bytes.length})`);
  return offset;
}

// ---------------------------------------------------------------------------------------------------

const TWO_32 = 2 ** 32;
const utf8Decoder = new TextDecoder('utf-8');
const latin1Decoder = new TextDecoder('latin1');

/** An integer envelope field (small, 32-bit or a bignum of up to 7 bytes) as a number. */
function readSmallNumber(bytes: Uint8Array, view: DataView, offset: number, field: string): number {
  need(bytes, offset, 2);
  const tag = bytes[offset];
  if (tag === EtfTag.smallInteger) return bytes[offset + 1];
  if (tag === EtfTag.integer) {
    need(bytes, offset, 5);
    return view.getInt32(offset + 1);
  }
  if (tag === EtfTag.smallBig) {
    const digitCount = bytes[offset + 1];
    if (digitCount > 7) throw new EventBatchError(`${field} is an integer beyond 2^53`);
    need(bytes, offset, 3 + digitCount);
    let value = 0;
    for (let digit = digitCount - 1; digit >= 0; digit--) value = value * 256 + bytes[offset + 3 + digit];
    return bytes[offset + 2] === 0 ? value : -value;
  }
  throw new EventBatchError(`${field} is not an integer (ETF tag ${tag} at byte ${offset})`);
}

function skipAtom(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 1);
  const tag = bytes[offset];
  if (tag !== EtfTag.atom && tag !== EtfTag.atomUtf8 && tag !== EtfTag.smallAtom && tag !== EtfTag.smallAtomUtf8) {
    throw new EventBatchError(`expected an atom at byte ${offset} (ETF tag ${tag})`);
  }
  return skipTerm(bytes, offset);
}

function readUint32(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 4);
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) + bytes[offset + 3];
}

function need(bytes: Uint8Array, offset: number, count: number): void {
  if (offset + count > bytes.length) throw new EventBatchError(`the payload ends inside a term (byte ${offset} + ${count} > ${bytes.length})`);
}
