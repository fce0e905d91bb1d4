/**
 * A decoder of Erlang's external term format (the bytes of `:erlang.term_to_binary/1`, version
 * 131) into `Term`, for the payloads of the agent's frames. It is written by hand because it sits
 * on the recorder's hot path (every event tuple passes through it) and because it reads bytes that
 * come from another process: every length is checked against the buffer before it is used, the
 * nesting of containers is followed with an explicit stack (no recursion, so no stack overflow)
 * and limited, and anything that is not a well-formed term throws a `TermDecodeError` that says
 * where and why. Nothing read is interned: atoms become plain strings, and the only caches are
 * fixed-size tables that cannot grow with what the debuggee sends.
 *
 * Not supported, each rejected with a clear reason: a distribution header and `ATOM_CACHE_REF`
 * (only the distribution protocol uses them), `LOCAL_EXT` (only the VM that wrote it can read it)
 * and the pre-R8 `FUN_EXT`. `COMPRESSED` is accepted at the top level although the agent never
 * compresses, so a hand-written `term_to_binary(t, [:compressed])` fixture also decodes.
 */
import { Buffer } from 'node:buffer';
import zlib from 'node:zlib';
import type { Term } from './term';

/** Why and where (byte offset into the bytes given to `decodeTerm`) a term could not be decoded. */
export class TermDecodeError extends Error {
  readonly offset: number;
  readonly reason: string;

  constructor(offset: number, reason: string) {
    super(`cannot decode Erlang term: ${reason} at byte ${offset}`);
    this.name = 'TermDecodeError';
    this.offset = offset;
    this.reason = reason;
  }
}

export interface TermDecodeOptions {
  /**
   * How many containers (tuples, lists, maps) may be open at once. The agent cuts values at depth
   * 6 and its envelopes add two or three levels, so the default leaves a wide margin while keeping
   * `inspectTerm` and other recursive consumers far from the stack's limit.
   */
  readonly maxDepth?: number;
  /** The largest uncompressed size a `COMPRESSED` term may declare. */
  readonly maxUncompressedBytes?: number;
}

export const DEFAULT_MAX_DEPTH = 1000;
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

/** The version byte that starts every external term. */
export const EXTERNAL_TERM_VERSION = 131;

/**
 * The tags of the external term format (erts `external.h`). A `const enum`, so the compiler puts
 * the numbers themselves into the decoders' switches (here and in `eventBatch.ts`).
 */
export const enum EtfTag {
  newFloat = 70,
  bitBinary = 77,
  compressed = 80,
  atomCacheReference = 82,
  newPid = 88,
  newPort = 89,
  newerReference = 90,
  smallInteger = 97,
  integer = 98,
  float = 99,
  atom = 100,
  reference = 101,
  port = 102,
  pid = 103,
  smallTuple = 104,
  largeTuple = 105,
  nil = 106,
  string = 107,
  list = 108,
  binary = 109,
  smallBig = 110,
  largeBig = 111,
  newFun = 112,
  export = 113,
  newReference = 114,
  smallAtom = 115,
  map = 116,
  fun = 117,
  atomUtf8 = 118,
  smallAtomUtf8 = 119,
  v4Port = 120,
  local = 121,
  distributionHeader = 68,
}

/**
 * Decodes one whole external term: `bytes[offset]` must be the version byte 131 and the term must
 * end exactly at the end of `bytes`.
 */
export function decodeTerm(bytes: Uint8Array, offset = 0, options: TermDecodeOptions = {}): Term {
  const { term, end } = decodeTermPrefix(bytes, offset, options);
  if (end !== bytes.length) {
    throw new TermDecodeError(end, `${bytes.length - end} bytes left over after the term`);
  }
  return term;
}

/**
 * Decodes the external term that starts at `offset` (with its version byte) and returns it with
 * the offset just after it, for buffers that hold several terms back to back.
 */
export function decodeTermPrefix(
  bytes: Uint8Array,
  offset = 0,
  options: TermDecodeOptions = {},
): { readonly term: Term; readonly end: number } {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new TermDecodeError(offset, `offset outside the ${bytes.length} bytes given`);
  }
  if (offset >= bytes.length) throw new TermDecodeError(offset, 'no bytes to decode (expected the version byte 131)');
  if (bytes[offset] !== EXTERNAL_TERM_VERSION) {
    throw new TermDecodeError(offset, `version byte is ${bytes[offset]}, expected ${EXTERNAL_TERM_VERSION}`);
  }
  const tagOffset = offset + 1;
  if (tagOffset < bytes.length && bytes[tagOffset] === EtfTag.compressed) {
    return decodeCompressed(bytes, tagOffset, maxDepth, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
  }
  if (tagOffset < bytes.length && bytes[tagOffset] === EtfTag.distributionHeader) {
    throw new TermDecodeError(tagOffset, 'a distribution header (tag 68) is only used between connected nodes');
  }
  return new TermDecoder(bytes, bytes.length, maxDepth).decode(tagOffset);
}

/** The decoder of one buffer; `position` moves forward as terms are read. */
class TermDecoder {
  private readonly bytes: Uint8Array;
  private readonly end: number;
  private readonly maxDepth: number;
  private position = 0;

  constructor(bytes: Uint8Array, end: number, maxDepth: number) {
    this.bytes = bytes;
    this.end = end;
    this.maxDepth = maxDepth;
  }

  /**
   * Reads the term at `start`. Scalars are read directly; a container pushes a frame on an
   * explicit stack and each finished term is handed to the innermost open container, which is
   * closed (and handed on to its own parent) when its last element arrives.
   */
  decode(start: number): { term: Term; end: number } {
    const bytes = this.bytes;
    // The open containers, innermost last, as parallel arrays (cheaper than one object each).
    const containerKinds: number[] = [];
    const containerRemaining: number[] = [];
    const containerItems: Term[][] = [];
    const containerOffsets: number[] = [];
    let depth = 0;
    this.position = start;

    for (;;) {
      const tagOffset = this.position;
      if (tagOffset >= this.end) throw new TermDecodeError(tagOffset, 'truncated: expected a term');
      const tag = bytes[tagOffset];
      this.position = tagOffset + 1;
      let term: Term;
      let containerLength = -1;
      let containerKind = 0;

      switch (tag) {
        case EtfTag.smallInteger:
          this.need(1, 'SMALL_INTEGER_EXT');
          term = SMALL_INTEGER_TERMS[bytes[this.position++]];
          break;
        case EtfTag.integer:
          term = integerTerm(this.readInt32('INTEGER_EXT'));
          break;
        case EtfTag.smallBig: {
          this.need(2, 'SMALL_BIG_EXT');
          const digitCount = bytes[this.position];
          term = integerTerm(this.readBig(digitCount, this.position + 1, 'SMALL_BIG_EXT'));
          break;
        }
        case EtfTag.largeBig: {
          const digitCount = this.readUint32('LARGE_BIG_EXT');
          term = integerTerm(this.readBig(digitCount, this.position, 'LARGE_BIG_EXT'));
          break;
        }
        case EtfTag.newFloat:
          term = { type: 'float', value: this.readFloat64() };
          break;
        case EtfTag.float:
          term = { type: 'float', value: this.readOldFloat() };
          break;
        case EtfTag.atomUtf8:
        case EtfTag.smallAtomUtf8:
        case EtfTag.atom:
        case EtfTag.smallAtom:
          term = this.readAtomBody(tag, tagOffset);
          break;
        case EtfTag.smallTuple:
          this.need(1, 'SMALL_TUPLE_EXT');
          containerLength = bytes[this.position++];
          containerKind = TUPLE;
          break;
        case EtfTag.largeTuple:
          containerLength = this.readUint32('LARGE_TUPLE_EXT');
          containerKind = TUPLE;
          break;
        case EtfTag.nil:
          term = EMPTY_LIST;
          break;
        case EtfTag.string:
          term = this.readString();
          break;
        case EtfTag.list:
          // The elements and then the tail, which is `[]` for a proper list.
          containerLength = this.readUint32('LIST_EXT') + 1;
          containerKind = LIST;
          break;
        case EtfTag.map: {
          const pairCount = this.readUint32('MAP_EXT');
          containerLength = pairCount * 2;
          containerKind = MAP;
          break;
        }
        case EtfTag.binary: {
          const length = this.readUint32('BINARY_EXT');
          this.need(length, 'BINARY_EXT data');
          // A copy, so that a small binary kept in the trace store does not pin the whole frame.
          term = { type: 'binary', value: bytes.slice(this.position, this.position + length) };
          this.position += length;
          break;
        }
        case EtfTag.bitBinary:
          term = this.readBitBinary();
          break;
        case EtfTag.newPid:
        case EtfTag.pid:
          term = this.readPid(tag);
          break;
        case EtfTag.v4Port:
        case EtfTag.newPort:
        case EtfTag.port:
          term = this.readPort(tag);
          break;
        case EtfTag.newerReference:
        case EtfTag.newReference:
        case EtfTag.reference:
          term = this.readReference(tag);
          break;
        case EtfTag.newFun:
          term = this.readNewFun(tagOffset);
          break;
        case EtfTag.export:
          term = this.readExport();
          break;
        case EtfTag.compressed:
          throw new TermDecodeError(tagOffset, 'COMPRESSED_EXT is only valid right after the version byte');
        case EtfTag.local:
          throw new TermDecodeError(tagOffset, 'LOCAL_EXT (tag 121) can only be decoded by the VM that encoded it');
        case EtfTag.atomCacheReference:
          throw new TermDecodeError(tagOffset, 'ATOM_CACHE_REF (tag 82) needs a distribution header, which frames never carry');
        case EtfTag.fun:
          throw new TermDecodeError(tagOffset, 'FUN_EXT (tag 117, funs of OTP before R8) is not supported');
        default:
          throw new TermDecodeError(tagOffset, `unknown tag ${tag}`);
      }

      if (containerKind !== 0) {
        // Each element (and a list's tail) takes at least one byte, so a count beyond the bytes
        // left is a lie; checking it here stops absurd counts before anything is built for them.
        if (containerLength > this.end - this.position) {
          throw new TermDecodeError(tagOffset, `${containerName(containerKind)} claims ${elementCount(containerKind, containerLength)} elements but only ${this.end - this.position} bytes are left`);
        }
        if (containerLength === 0) {
          term = containerKind === TUPLE ? EMPTY_TUPLE : EMPTY_MAP;
        } else {
          if (depth >= this.maxDepth) {
            throw new TermDecodeError(tagOffset, `terms nested deeper than ${this.maxDepth} levels`);
          }
          containerKinds[depth] = containerKind;
          containerRemaining[depth] = containerLength;
          containerItems[depth] = [];
          containerOffsets[depth] = tagOffset;
          depth++;
          continue;
        }
      }

      // Hand the finished term to the innermost open container, closing containers as they fill.
      for (;;) {
        if (depth === 0) return { term: term!, end: this.position };
        const items = containerItems[depth - 1];
        items.push(term!);
        if (--containerRemaining[depth - 1] > 0) break;
        depth--;
        term = closeContainer(containerKinds[depth], items, containerOffsets[depth]);
      }
    }
  }

  private need(count: number, what: string): void {
    if (count > this.end - this.position) {
      throw new TermDecodeError(this.position, `truncated ${what}: needs ${count} bytes, ${this.end - this.position} left`);
    }
  }

  private readUint32(what: string): number {
    this.need(4, what);
    const bytes = this.bytes;
    const position = this.position;
    this.position = position + 4;
    return ((bytes[position] << 24) | (bytes[position + 1] << 16) | (bytes[position + 2] << 8) | bytes[position + 3]) >>> 0;
  }

  private readInt32(what: string): number {
    return this.readUint32(what) | 0;
  }

  private readUint16(what: string): number {
    this.need(2, what);
    const position = this.position;
    this.position = position + 2;
    return (this.bytes[position] << 8) | this.bytes[position + 1];
  }

  /** A bignum: a sign byte at `signOffset`, then `digitCount` bytes, least significant first. */
  private readBig(digitCount: number, signOffset: number, what: string): number | bigint {
    this.position = signOffset;
    this.need(1 + digitCount, what);
    const bytes = this.bytes;
    const negative = bytes[signOffset] !== 0;
    if (bytes[signOffset] > 1) throw new TermDecodeError(signOffset, `${what} sign byte is ${bytes[signOffset]}`);
    const first = signOffset + 1;
    this.position = first + digitCount;
    let magnitude: number | bigint;
    if (digitCount <= 6) {
      // Up to 48 bits: exact in a double.
      let value = 0;
      for (let index = digitCount - 1; index >= 0; index--) value = value * 256 + bytes[first + index];
      magnitude = value;
    } else if (digitCount <= 8) {
      let low = 0;
      let high = 0;
      for (let index = Math.min(digitCount, 8) - 1; index >= 4; index--) high = high * 256 + bytes[first + index];
      for (let index = 3; index >= 0; index--) low = low * 256 + bytes[first + index];
      magnitude = high < 0x200000 ? high * 0x100000000 + low : (BigInt(high) << 32n) | BigInt(low);
    } else {
      if (digitCount > MAX_BIGNUM_BYTES) {
        throw new TermDecodeError(signOffset, `${what} of ${digitCount} bytes is beyond the VM's own limit of ${MAX_BIGNUM_BYTES}`);
      }
      // Hexadecimal text is converted in linear time, unlike shifting digit by digit.
      const mostSignificantFirst = Buffer.from(bytes.subarray(first, first + digitCount)).reverse();
      const value = BigInt('0x' + mostSignificantFirst.toString('hex'));
      magnitude = value <= MAX_SAFE_BIGINT ? Number(value) : value;
    }
    if (!negative) return magnitude;
    if (typeof magnitude === 'number') return magnitude === 0 ? 0 : -magnitude;
    return -magnitude;
  }

  private readFloat64(): number {
    this.need(8, 'NEW_FLOAT_EXT');
    const bytes = this.bytes;
    const position = this.position;
    // A scratch buffer instead of a DataView per call; big-endian on the wire.
    if (LITTLE_ENDIAN) {
      for (let index = 0; index < 8; index++) FLOAT_SCRATCH_BYTES[index] = bytes[position + 7 - index];
    } else {
      for (let index = 0; index < 8; index++) FLOAT_SCRATCH_BYTES[index] = bytes[position + index];
    }
    const value = FLOAT_SCRATCH[0];
    if (!Number.isFinite(value)) throw new TermDecodeError(position, 'NEW_FLOAT_EXT is not a finite number');
    this.position = position + 8;
    return value;
  }

  /** The pre-R11 float: 31 bytes of `%.20e` text padded with zero bytes. */
  private readOldFloat(): number {
    this.need(31, 'FLOAT_EXT');
    const position = this.position;
    let text = '';
    for (let index = 0; index < 31 && this.bytes[position + index] !== 0; index++) {
      text += String.fromCharCode(this.bytes[position + index]);
    }
    const trimmed = text.trim();
    const value = Number(trimmed);
    if (!/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(trimmed) || !Number.isFinite(value)) {
      throw new TermDecodeError(position, `FLOAT_EXT text ${JSON.stringify(trimmed)} is not a float`);
    }
    this.position = position + 31;
    return value;
  }

  /** An atom whose tag (at `tagOffset`) has been read; the length follows. */
  private readAtomBody(tag: number, tagOffset: number): Term {
    const length = tag === EtfTag.atomUtf8 || tag === EtfTag.atom ? this.readUint16('atom length') : this.readUint8('atom length');
    this.need(length, 'atom text');
    const position = this.position;
    this.position = position + length;
    return atomTerm(this.bytes, position, length, tag === EtfTag.atomUtf8 || tag === EtfTag.smallAtomUtf8, tagOffset);
  }

  private readUint8(what: string): number {
    this.need(1, what);
    return this.bytes[this.position++];
  }

  /** An atom in a field that must hold one (the node of a pid, the module of a fun). */
  private readAtomField(what: string): string {
    const tagOffset = this.position;
    const tag = this.readUint8(what);
    if (tag !== EtfTag.atomUtf8 && tag !== EtfTag.smallAtomUtf8 && tag !== EtfTag.atom && tag !== EtfTag.smallAtom) {
      throw new TermDecodeError(tagOffset, `${what} must be an atom, found tag ${tag}`);
    }
    return (this.readAtomBody(tag, tagOffset) as { value: string }).value;
  }

  /** An integer in a field that must hold one (the old index and uniq of a fun). */
  private readIntegerField(what: string): number | bigint {
    const tagOffset = this.position;
    const tag = this.readUint8(what);
    if (tag === EtfTag.smallInteger) return this.readUint8(what);
    if (tag === EtfTag.integer) return this.readInt32(what);
    if (tag === EtfTag.smallBig) {
      const digitCount = this.readUint8(what);
      return this.readBig(digitCount, this.position, what);
    }
    throw new TermDecodeError(tagOffset, `${what} must be an integer, found tag ${tag}`);
  }

  /** `STRING_EXT`: a list of small integers sent as bytes (Erlang's compact charlist). */
  private readString(): Term {
    const length = this.readUint16('STRING_EXT length');
    this.need(length, 'STRING_EXT data');
    const items: Term[] = new Array(length);
    for (let index = 0; index < length; index++) items[index] = SMALL_INTEGER_TERMS[this.bytes[this.position + index]];
    this.position += length;
    return length === 0 ? EMPTY_LIST : { type: 'list', items };
  }

  private readBitBinary(): Term {
    const length = this.readUint32('BIT_BINARY_EXT length');
    const bitsOffset = this.position;
    const bits = this.readUint8('BIT_BINARY_EXT bits');
    this.need(length, 'BIT_BINARY_EXT data');
    if (length === 0) {
      if (bits !== 0 && bits !== 8) throw new TermDecodeError(bitsOffset, `an empty BIT_BINARY_EXT cannot have ${bits} bits in its last byte`);
      return { type: 'binary', value: new Uint8Array(0) };
    }
    if (bits < 1 || bits > 8) throw new TermDecodeError(bitsOffset, `BIT_BINARY_EXT last byte uses ${bits} bits (must be 1 to 8)`);
    const value = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    if (bits === 8) return { type: 'binary', value };
    // Only the high `bits` bits of the last byte belong to the bitstring; clear the rest so equal
    // bitstrings hold equal bytes.
    value[length - 1] &= (0xff << (8 - bits)) & 0xff;
    return { type: 'binary', value, bits };
  }

  private readPid(tag: number): Term {
    const node = this.readAtomField('pid node');
    const id = this.readUint32('pid id');
    const serial = this.readUint32('pid serial');
    const creation = tag === EtfTag.newPid ? this.readUint32('pid creation') : this.readUint8('pid creation');
    return { type: 'pid', node, id, serial, creation };
  }

  private readPort(tag: number): Term {
    const node = this.readAtomField('port node');
    let id: number | bigint;
    if (tag === EtfTag.v4Port) {
      const high = this.readUint32('port id');
      const low = this.readUint32('port id');
      id = high < 0x200000 ? high * 0x100000000 + low : (BigInt(high) << 32n) | BigInt(low);
    } else {
      id = this.readUint32('port id');
    }
    const creation = tag === EtfTag.port ? this.readUint8('port creation') : this.readUint32('port creation');
    return { type: 'port', node, id, creation };
  }

  private readReference(tag: number): Term {
    if (tag === EtfTag.reference) {
      const node = this.readAtomField('reference node');
      const id = this.readUint32('reference id');
      const creation = this.readUint8('reference creation');
      return { type: 'reference', node, ids: [id], creation };
    }
    const lengthOffset = this.position;
    const idCount = this.readUint16('reference length');
    if (idCount === 0) throw new TermDecodeError(lengthOffset, 'a reference with no id words');
    const node = this.readAtomField('reference node');
    const creation = tag === EtfTag.newerReference ? this.readUint32('reference creation') : this.readUint8('reference creation');
    this.need(idCount * 4, 'reference ids');
    const ids: number[] = new Array(idCount);
    for (let index = 0; index < idCount; index++) ids[index] = this.readUint32('reference id');
    return { type: 'reference', node, ids, creation };
  }

  /**
   * `NEW_FUN_EXT`: a closure. Its `Size` field bounds it, so after the fields Elixir prints (module,
   * arity, index, old uniq) the creator pid and the free variables are skipped rather than decoded:
   * `Term` does not carry them.
   */
  private readNewFun(tagOffset: number): Term {
    const sizeOffset = this.position;
    const size = this.readUint32('NEW_FUN_EXT size');
    const funEnd = sizeOffset + size;
    if (size < 29 || funEnd > this.end) {
      throw new TermDecodeError(sizeOffset, `NEW_FUN_EXT size ${size} does not fit the ${this.end - sizeOffset} bytes left`);
    }
    const arity = this.readUint8('fun arity');
    this.position += 16; // The MD5 of the module's code, which inspect does not show.
    const index = this.readUint32('fun index');
    this.readUint32('fun free variable count');
    const module = this.readAtomField('fun module');
    this.readIntegerField('fun old index');
    const oldUniq = this.readIntegerField('fun old uniq');
    if (this.position > funEnd) throw new TermDecodeError(tagOffset, `NEW_FUN_EXT fields run past its size ${size}`);
    this.position = funEnd;
    return { type: 'fun', module, name: null, arity, index, uniq: String(oldUniq) };
  }

  /** `EXPORT_EXT`: `&Mod.fun/arity`. */
  private readExport(): Term {
    const module = this.readAtomField('export module');
    const name = this.readAtomField('export function');
    const arityOffset = this.position;
    if (this.readUint8('export arity') !== EtfTag.smallInteger) {
      throw new TermDecodeError(arityOffset, 'EXPORT_EXT arity must be a SMALL_INTEGER_EXT');
    }
    const arity = this.readUint8('export arity');
    return { type: 'fun', module, name, arity };
  }
}

function decodeCompressed(
  bytes: Uint8Array,
  tagOffset: number,
  maxDepth: number,
  maxUncompressedBytes: number,
): { term: Term; end: number } {
  if (bytes.length - tagOffset < 5) throw new TermDecodeError(tagOffset, 'truncated COMPRESSED_EXT header');
  const declaredSize =
    ((bytes[tagOffset + 1] << 24) | (bytes[tagOffset + 2] << 16) | (bytes[tagOffset + 3] << 8) | bytes[tagOffset + 4]) >>> 0;
  if (declaredSize > maxUncompressedBytes) {
    throw new TermDecodeError(tagOffset + 1, `COMPRESSED_EXT declares ${declaredSize} bytes, more than the limit ${maxUncompressedBytes}`);
  }
  let inflated: Uint8Array;
  try {
    // `maxOutputLength` bounds the memory a lying header or a zip bomb can make us allocate.
    inflated = zlib.inflateSync(bytes.subarray(tagOffset + 5), { maxOutputLength: Math.max(declaredSize, 1) });
  } catch (error) {
    throw new TermDecodeError(tagOffset + 5, `COMPRESSED_EXT data does not inflate to ${declaredSize} bytes (${(error as Error).message})`);
  }
  if (inflated.length !== declaredSize) {
    throw new TermDecodeError(tagOffset + 5, `COMPRESSED_EXT inflates to ${inflated.length} bytes, not the declared ${declaredSize}`);
  }
  if (inflated.length > 0 && inflated[0] === EtfTag.compressed) {
    throw new TermDecodeError(tagOffset + 5, 'COMPRESSED_EXT inside COMPRESSED_EXT');
  }
  let decoded: { term: Term; end: number };
  try {
    decoded = new TermDecoder(inflated, inflated.length, maxDepth).decode(0);
  } catch (error) {
    if (error instanceof TermDecodeError) {
      throw new TermDecodeError(tagOffset, `in the uncompressed term at its byte ${error.offset}: ${error.reason}`);
    }
    throw error;
  }
  if (decoded.end !== inflated.length) {
    throw new TermDecodeError(tagOffset, `${inflated.length - decoded.end} uncompressed bytes left over after the term`);
  }
  // The compressed data runs to the end of what zlib consumed; we take it to run to the end.
  return { term: decoded.term, end: bytes.length };
}

const TUPLE = 1;
const LIST = 2;
const MAP = 3;

function containerName(kind: number): string {
  return kind === TUPLE ? 'tuple' : kind === LIST ? 'list' : 'map';
}

/** The count the container's header gave, from the number of terms it will read. */
function elementCount(kind: number, termCount: number): number {
  return kind === MAP ? termCount / 2 : kind === LIST ? termCount - 1 : termCount;
}

function closeContainer(kind: number, items: Term[], tagOffset: number): Term {
  if (kind === TUPLE) return { type: 'tuple', items };
  if (kind === MAP) {
    const entries: (readonly [Term, Term])[] = new Array(items.length >> 1);
    for (let index = 0; index < entries.length; index++) entries[index] = [items[2 * index], items[2 * index + 1]];
    return { type: 'map', entries };
  }
  const tail = items.pop()!;
  if (tail.type === 'list') {
    if (tail.tail === undefined && tail.items.length === 0) return items.length === 0 ? EMPTY_LIST : { type: 'list', items };
    // `[a | [b | c]]` written as nested LIST_EXTs (never by `term_to_binary`, but valid) is `[a, b | c]`.
    const merged = items.concat(tail.items);
    return tail.tail === undefined ? { type: 'list', items: merged } : { type: 'list', items: merged, tail: tail.tail };
  }
  if (items.length === 0) {
    // A LIST_EXT of no elements is just its tail, which is not a list here: no such Erlang term.
    throw new TermDecodeError(tagOffset, 'LIST_EXT with no elements and a tail that is not a list');
  }
  return { type: 'list', items, tail };
}

function integerTerm(value: number | bigint): Term {
  if (typeof value === 'number' && value >= 0 && value < 256) return SMALL_INTEGER_TERMS[value];
  return { type: 'integer', value };
}

/** The integers 0–255 are shared: they are most of an event's fields and all of a charlist. */
const SMALL_INTEGER_TERMS: readonly Term[] = Array.from({ length: 256 }, (_, value) => Object.freeze({ type: 'integer', value }) as Term);
const EMPTY_LIST: Term = Object.freeze({ type: 'list', items: Object.freeze([]) as readonly Term[] });
const EMPTY_TUPLE: Term = Object.freeze({ type: 'tuple', items: Object.freeze([]) as readonly Term[] });
const EMPTY_MAP: Term = Object.freeze({ type: 'map', entries: Object.freeze([]) as readonly (readonly [Term, Term])[] });

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
/** The VM refuses integers of more than 2^26 bits (`system_limit`), so no valid term has more. */
const MAX_BIGNUM_BYTES = 8 * 1024 * 1024;
const FLOAT_SCRATCH = new Float64Array(1);
const FLOAT_SCRATCH_BYTES = new Uint8Array(FLOAT_SCRATCH.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Atom terms seen recently, in a fixed table indexed by a hash of the atom's bytes: the same few
 * atoms (`:ok`, `nil`, the node name of every pid) come in every frame, and reusing their terms
 * saves decoding the text again. The table never grows; a collision just replaces the entry.
 */
const ATOM_CACHE_SIZE = 1024;
const ATOM_CACHE_MAX_LENGTH = 64;
const atomCacheBytes: (Uint8Array | undefined)[] = new Array(ATOM_CACHE_SIZE);
const atomCacheTerms: (Term | undefined)[] = new Array(ATOM_CACHE_SIZE);
const atomCacheUtf8: boolean[] = new Array(ATOM_CACHE_SIZE).fill(false);

function atomTerm(bytes: Uint8Array, position: number, length: number, utf8: boolean, tagOffset: number): Term {
  if (length > ATOM_CACHE_MAX_LENGTH) return { type: 'atom', value: atomText(bytes, position, length, utf8, tagOffset) };
  let hash = length ^ (utf8 ? 0x55 : 0);
  for (let index = 0; index < length; index++) hash = Math.imul(hash ^ bytes[position + index], 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (ATOM_CACHE_SIZE - 1);
  const cached = atomCacheBytes[slot];
  if (cached !== undefined && cached.length === length && atomCacheUtf8[slot] === utf8) {
    let same = true;
    for (let index = 0; index < length; index++) {
      if (cached[index] !== bytes[position + index]) {
        same = false;
        break;
      }
    }
    if (same) return atomCacheTerms[slot]!;
  }
  const term: Term = Object.freeze({ type: 'atom', value: atomText(bytes, position, length, utf8, tagOffset) });
  atomCacheBytes[slot] = bytes.slice(position, position + length);
  atomCacheTerms[slot] = term;
  atomCacheUtf8[slot] = utf8;
  return term;
}

/** The text of an atom: UTF-8 (checked) for the `_UTF8` tags, Latin-1 for the old ones. */
function atomText(bytes: Uint8Array, position: number, length: number, utf8: boolean, tagOffset: number): string {
  let ascii = true;
  for (let index = 0; index < length; index++) {
    if (bytes[position + index] >= 0x80) {
      ascii = false;
      break;
    }
  }
  let text: string;
  if (ascii || !utf8) {
    text = '';
    for (let index = 0; index < length; index++) text += String.fromCharCode(bytes[position + index]);
  } else {
    try {
      text = STRICT_UTF8.decode(bytes.subarray(position, position + length));
    } catch {
      throw new TermDecodeError(tagOffset, 'atom text is not valid UTF-8');
    }
  }
  // The VM refuses atoms of more than 255 characters; so do we, as a sign of a corrupt stream.
  if (length > 255 && countCodePoints(text) > 255) throw new TermDecodeError(tagOffset, `atom of more than 255 characters`);
  return text;
}

function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
