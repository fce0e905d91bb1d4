/**
 * A small encoder of Erlang's external term format for tests: builds what the agent would send
 * (event batches, hello/loaded/goodbye maps, whole frames) without running Elixir. It writes the
 * encodings `:erlang.term_to_binary/1` of OTP 26+ produces (SMALL_ATOM_UTF8/ATOM_UTF8,
 * NEW_PID_EXT, SMALL_BIG_EXT for integers beyond 32 bits).
 */
import type { Term } from '../../adapter/agent/term';

export const atom = (value: string): Term => ({ type: 'atom', value });
export const integer = (value: number | bigint): Term => ({ type: 'integer', value });
export const float = (value: number): Term => ({ type: 'float', value });
export const binary = (value: string | Uint8Array): Term => ({ type: 'binary', value: typeof value === 'string' ? new TextEncoder().encode(value) : value });
export const list = (...items: Term[]): Term => ({ type: 'list', items });
export const tuple = (...items: Term[]): Term => ({ type: 'tuple', items });
export const map = (...entries: [Term, Term][]): Term => ({ type: 'map', entries });
export const pid = (id: number, serial = 0, node = 'nonode@nohost', creation = 0): Term => ({ type: 'pid', node, id, serial, creation });

/** `%{"key" => ...}`-free maps with atom keys, the shape of the agent's control frames. */
export function atomMap(fields: Record<string, Term>): Term {
  return map(...Object.entries(fields).map(([key, value]): [Term, Term] => [atom(key), value]));
}

/** `term_to_binary(term)`, with the 131 version byte. */
export function encodeTerm(term: Term): Uint8Array {
  const writer = new Writer();
  writer.byte(131);
  writer.term(term);
  return writer.bytes();
}

/** One event as the agent sends it: `{type, seq, time, pid, node, call, parent, value}`. */
export interface EventSpec {
  readonly type: number;
  readonly seq: number;
  /** Monotonic nanoseconds; negative and beyond 2^53 as the VM has them (use a bigint). */
  readonly time: number | bigint;
  readonly pid: Term;
  readonly node: number;
  readonly call: number;
  readonly parent: number;
  readonly value: Term;
}

export function eventTuple(event: EventSpec): Term {
  return tuple(integer(event.type), integer(event.seq), integer(event.time), event.pid, integer(event.node), integer(event.call), integer(event.parent), event.value);
}

/** An `events` frame payload. */
export function encodeEvents(events: readonly EventSpec[]): Uint8Array {
  return encodeTerm(list(...events.map(eventTuple)));
}

/** `<<length:32, version:8, kind:8, payload>>`. */
export function encodeFrame(kind: number, payload: Uint8Array, version = 1): Uint8Array {
  const frame = new Uint8Array(6 + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length + 2);
  frame[4] = version;
  frame[5] = kind;
  frame.set(payload, 6);
  return frame;
}

class Writer {
  private buffer = new Uint8Array(256);
  private length = 0;

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  uint16(value: number): void {
    this.byte(value >>> 8);
    this.byte(value & 0xff);
  }

  uint32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value);
    this.length += 4;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  term(term: Term): void {
    switch (term.type) {
      case 'atom':
        return this.atom(term.value);
      case 'integer':
        return this.integer(term.value);
      case 'float': {
        this.byte(70);
        this.reserve(8);
        new DataView(this.buffer.buffer).setFloat64(this.length, term.value);
        this.length += 8;
        return;
      }
      case 'binary':
        if (term.bits !== undefined) {
          this.byte(77);
          this.uint32(term.value.length);
          this.byte(term.bits);
        } else {
          this.byte(109);
          this.uint32(term.value.length);
        }
        return this.raw(term.value);
      case 'list':
        if (term.items.length === 0 && term.tail === undefined) return this.byte(106);
        this.byte(108);
        this.uint32(term.items.length);
        for (const item of term.items) this.term(item);
        return term.tail === undefined ? this.byte(106) : this.term(term.tail);
      case 'tuple':
        if (term.items.length < 256) {
          this.byte(104);
          this.byte(term.items.length);
        } else {
          this.byte(105);
          this.uint32(term.items.length);
        }
        for (const item of term.items) this.term(item);
        return;
      case 'map':
        this.byte(116);
        this.uint32(term.entries.length);
        for (const [key, value] of term.entries) {
          this.term(key);
          this.term(value);
        }
        return;
      case 'pid':
        this.byte(88);
        this.atom(term.node);
        this.uint32(term.id);
        this.uint32(term.serial);
        this.uint32(term.creation);
        return;
      case 'port':
      case 'reference':
      case 'fun':
        throw new Error(`etfEncode: ${term.type} is not supported by the test encoder`);
    }
  }

  private atom(text: string): void {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length < 256) {
      this.byte(119);
      this.byte(bytes.length);
    } else {
      this.byte(118);
      this.uint16(bytes.length);
    }
    this.raw(bytes);
  }

  private integer(value: number | bigint): void {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 256) {
      this.byte(97);
      this.byte(value);
      return;
    }
    if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
      this.byte(98);
      this.reserve(4);
      new DataView(this.buffer.buffer).setInt32(this.length, value);
      this.length += 4;
      return;
    }
    let magnitude = BigInt(value);
    const negative = magnitude < 0n;
    if (negative) magnitude = -magnitude;
    const digits: number[] = [];
    while (magnitude > 0n) {
      digits.push(Number(magnitude & 0xffn));
      magnitude >>= 8n;
    }
    this.byte(110);
    this.byte(digits.length);
    this.byte(negative ? 1 : 0);
    for (const digit of digits) this.byte(digit);
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

/**
 * Plays the agent for tests: keeps `seq`, a monotonic clock (starting, as the VM's often does,
 * far below zero), call IDs and each process's call stack, and collects the event tuples it
 * would send. Each method returns what a test needs to refer to the event later.
 */
export class FakeAgent {
  readonly events: EventSpec[] = [];
  private seq = 0;
  private now = -576_460_751_999_000_000n;
  private lastCallId = 0;
  private readonly stacks = new Map<string, number[]>();

  /** Moves the clock on (default 1 µs per event is added by each event anyway). */
  advance(nanoseconds: number): void {
    this.now += BigInt(nanoseconds);
  }

  /** The time of the next event relative to the first one. */
  get clock(): bigint {
    return this.now;
  }

  call(process: Term, node: number, args: readonly Term[]): number {
    const stack = this.stackOf(process);
    const call = ++this.lastCallId;
    this.emit(1, process, node, call, stack.at(-1) ?? 0, list(...args));
    stack.push(call);
    return call;
  }

  return(process: Term, value: Term): number {
    const call = this.stackOf(process).pop();
    if (call === undefined) throw new Error('FakeAgent: return without a call');
    this.emit(2, process, -1, call, 0, value);
    return call;
  }

  raise(process: Term, kind: string, reason: Term): number {
    const call = this.stackOf(process).pop();
    if (call === undefined) throw new Error('FakeAgent: raise without a call');
    this.emit(3, process, -1, call, 0, tuple(atom(kind), reason));
    return call;
  }

  bind(process: Term, node: number, value: Term): void {
    this.emit(4, process, node, this.stackOf(process).at(-1) ?? 0, 0, value);
  }

  send(process: Term, to: Term, message: Term): void {
    this.emit(8, process, -1, this.stackOf(process).at(-1) ?? 0, 0, tuple(to, message));
  }

  receive(process: Term, message: Term): void {
    this.emit(9, process, -1, this.stackOf(process).at(-1) ?? 0, 0, message);
  }

  register(process: Term, name: string): void {
    this.emit(12, process, -1, 0, 0, atom(name));
  }

  spawn(parent: Term, child: Term): void {
    this.emit(6, parent, -1, 0, 0, child);
  }

  /** Events `[from, to)` as one `events` payload. */
  payload(from = 0, to = this.events.length): Uint8Array {
    return encodeEvents(this.events.slice(from, to));
  }

  private emit(type: number, process: Term, node: number, call: number, parent: number, value: Term): void {
    this.now += 1000n;
    this.events.push({ type, seq: ++this.seq, time: this.now, pid: process, node, call, parent, value });
  }

  private stackOf(process: Term): number[] {
    const key = process.type === 'pid' ? `${process.node}.${process.id}.${process.serial}` : JSON.stringify(process);
    let stack = this.stacks.get(key);
    if (stack === undefined) this.stacks.set(key, (stack = []));
    return stack;
  }
}
