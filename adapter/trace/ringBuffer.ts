/**
 * A single-producer, single-consumer queue of variable-length byte records in a
 * `SharedArrayBuffer`, so that the thread reading the agent's socket can hand frames to the
 * thread that decodes and stores them without copying through `postMessage` and without locks.
 *
 * Layout (all offsets in bytes; `head`, `tail` and the waiting flags sit on separate 64-byte lines
 * so the two threads do not fight over one cache line):
 * - 0: magic, 4: capacity of the data area;
 * - 64: `head`, where the producer writes next (only the producer stores it);
 * - 128: `tail`, where the consumer reads next (only the consumer stores it);
 * - 192: the consumer is (about to be) asleep waiting for data; 256: the producer for space;
 * - 320…: the data area. A record is a 4-byte length followed by its bytes, padded to 4 bytes.
 *   A record that does not fit before the end of the area starts again at 0, and a length of
 *   `PADDING` tells the consumer to do the same. `head === tail` means empty; the producer never
 *   lets `head` catch up with `tail` from behind, so one slot always stays free.
 *
 * The producer fills a record's bytes with plain writes and then publishes it with `Atomics.store`
 * of `head`; the consumer `Atomics.load`s `head` before reading the bytes. Sequentially consistent
 * atomics order the plain writes before the store, so a record is never read half written; the
 * same holds the other way for `tail` and the reuse of space. Only one thread may write and only
 * one may read: that is the contract, not checked at run time.
 */

export const RING_HEADER_BYTES = 320;

const MAGIC = 0x45535242; // 'ESRB'
const MAGIC_INDEX = 0;
const CAPACITY_INDEX = 1;
const HEAD_INDEX = 16;
const TAIL_INDEX = 32;
const CONSUMER_WAITING_INDEX = 48;
const PRODUCER_WAITING_INDEX = 64;
const LENGTH_BYTES = 4;
const MINIMUM_CAPACITY = 64;
/** The length that marks the unused end of the data area before a wrap. */
const PADDING = -1;

export class RingBuffer {
  /** The shared memory, to post to the other thread, which wraps it with `new RingBuffer(buffer)`. */
  readonly buffer: SharedArrayBuffer;
  /** Bytes in the data area (records, their lengths and padding). */
  readonly capacity: number;
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  /** Lengths are read and written through this view of the data area. */
  private readonly dataWords: Int32Array;

  /** A new ring whose data area holds `bytes` (rounded up to a multiple of 4, at least 64). */
  static create(bytes: number): RingBuffer {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError(`ring buffer size must be a positive integer, got ${bytes}`);
    const capacity = Math.max(MINIMUM_CAPACITY, Math.ceil(bytes / 4) * 4);
    const buffer = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
    const control = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    control[CAPACITY_INDEX] = capacity;
    Atomics.store(control, MAGIC_INDEX, MAGIC);
    return new RingBuffer(buffer);
  }

  /** Wraps a ring made by `RingBuffer.create` (possibly in another thread). */
  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength < RING_HEADER_BYTES + MINIMUM_CAPACITY) throw new RangeError('shared buffer too small to be a ring buffer');
    this.control = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.control, MAGIC_INDEX) !== MAGIC) throw new RangeError('shared buffer is not a ring buffer (bad magic)');
    const capacity = this.control[CAPACITY_INDEX];
    if (capacity % 4 !== 0 || RING_HEADER_BYTES + capacity !== buffer.byteLength) {
      throw new RangeError(`ring buffer capacity ${capacity} does not match its ${buffer.byteLength}-byte buffer`);
    }
    this.buffer = buffer;
    this.capacity = capacity;
    this.data = new Uint8Array(buffer, RING_HEADER_BYTES, capacity);
    this.dataWords = new Int32Array(buffer, RING_HEADER_BYTES, capacity / 4);
  }

  /**
   * The largest record `tryWrite` accepts: a little under half the capacity. Larger records could
   * be refused forever: in an empty ring whose head has stopped mid-way, neither the space before
   * the end nor the space before the tail would hold them, and only the consumer moves the tail.
   */
  get maxRecordBytes(): number {
    return ((this.capacity >> 1) & ~3) - 2 * LENGTH_BYTES;
  }

  /**
   * Appends `bytes` as one record, or returns false (writing nothing) when there is not enough
   * free space now; the caller decides whether to drop and count it or to wait (`waitForSpace`).
   * Throws a RangeError for a record that could never fit.
   */
  tryWrite(bytes: Uint8Array): boolean {
    const length = bytes.length;
    if (length > this.maxRecordBytes) throw new RangeError(`record of ${length} bytes exceeds the ring's maximum of ${this.maxRecordBytes}`);
    const recordBytes = LENGTH_BYTES + ((length + 3) & ~3);
    const capacity = this.capacity;
    const head = this.control[HEAD_INDEX]; // Only this thread writes head: a plain read is current.
    const tail = Atomics.load(this.control, TAIL_INDEX);
    let start = head;
    if (head >= tail) {
      const roomAtEnd = capacity - head;
      // Ending exactly at the end wraps head to 0, which must not land on tail.
      const fitsAtEnd = recordBytes < roomAtEnd || (recordBytes === roomAtEnd && tail !== 0);
      if (!fitsAtEnd) {
        if (recordBytes >= tail) return false;
        start = 0;
      }
    } else if (head + recordBytes >= tail) {
      return false;
    }
    if (start !== head) this.dataWords[head >> 2] = PADDING;
    this.dataWords[start >> 2] = length;
    this.data.set(bytes, start + LENGTH_BYTES);
    const newHead = start + recordBytes === capacity ? 0 : start + recordBytes;
    Atomics.store(this.control, HEAD_INDEX, newHead);
    if (Atomics.load(this.control, CONSUMER_WAITING_INDEX) !== 0) Atomics.notify(this.control, HEAD_INDEX);
    return true;
  }

  /** Takes the oldest record (a copy, since its space is handed back), or null when empty. */
  read(): Uint8Array | null {
    let tail = this.control[TAIL_INDEX]; // Only this thread writes tail.
    const head = Atomics.load(this.control, HEAD_INDEX);
    if (tail === head) return null;
    let length = this.dataWords[tail >> 2];
    if (length === PADDING) {
      tail = 0;
      length = this.dataWords[0];
    }
    const record = this.data.slice(tail + LENGTH_BYTES, tail + LENGTH_BYTES + length);
    const next = tail + LENGTH_BYTES + ((length + 3) & ~3);
    Atomics.store(this.control, TAIL_INDEX, next === this.capacity ? 0 : next);
    if (Atomics.load(this.control, PRODUCER_WAITING_INDEX) !== 0) Atomics.notify(this.control, TAIL_INDEX);
    return record;
  }

  /** Whether no record is waiting (as seen now; the producer may add one at any moment). */
  get isEmpty(): boolean {
    return Atomics.load(this.control, HEAD_INDEX) === Atomics.load(this.control, TAIL_INDEX);
  }

  /** Bytes taken by waiting records, lengths and padding included. */
  get usedBytes(): number {
    const head = Atomics.load(this.control, HEAD_INDEX);
    const tail = Atomics.load(this.control, TAIL_INDEX);
    return head >= tail ? head - tail : this.capacity - tail + head;
  }

  /**
   * Consumer: blocks the thread (`Atomics.wait`) until a record is waiting or `timeoutMs` passes;
   * true when there is data. For worker threads; on a main thread prefer `waitForDataAsync`.
   */
  waitForData(timeoutMs: number): boolean {
    return this.waitUntil(CONSUMER_WAITING_INDEX, HEAD_INDEX, () => !this.isEmpty, timeoutMs);
  }

  /** Consumer: as `waitForData` without blocking the event loop (`Atomics.waitAsync`). */
  waitForDataAsync(timeoutMs: number): Promise<boolean> {
    return this.waitUntilAsync(CONSUMER_WAITING_INDEX, HEAD_INDEX, () => !this.isEmpty, timeoutMs);
  }

  /** Producer: blocks until the consumer has taken a record (so space may have been freed). */
  waitForSpace(timeoutMs: number, recordLength: number): boolean {
    return this.waitUntil(PRODUCER_WAITING_INDEX, TAIL_INDEX, () => this.hasSpaceFor(recordLength), timeoutMs);
  }

  /** Whether a record of `length` bytes would be accepted by `tryWrite` now. */
  hasSpaceFor(length: number): boolean {
    if (length > this.maxRecordBytes) return false;
    const recordBytes = LENGTH_BYTES + ((length + 3) & ~3);
    const head = Atomics.load(this.control, HEAD_INDEX);
    const tail = Atomics.load(this.control, TAIL_INDEX);
    if (head >= tail) {
      const roomAtEnd = this.capacity - head;
      return recordBytes < roomAtEnd || (recordBytes === roomAtEnd && tail !== 0) || recordBytes < tail;
    }
    return head + recordBytes < tail;
  }

  /**
   * Waits on the index the other side stores, after raising our waiting flag so that side knows
   * to notify. The flag is raised before the condition is re-checked, and the other side stores
   * the index before reading the flag; with sequentially consistent atomics one of the two sees
   * the other, so a wake-up is never lost.
   */
  private waitUntil(flagIndex: number, watchedIndex: number, ready: () => boolean, timeoutMs: number): boolean {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      if (ready()) return true;
      const observed = Atomics.load(this.control, watchedIndex);
      Atomics.store(this.control, flagIndex, 1);
      try {
        if (ready()) return true;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        Atomics.wait(this.control, watchedIndex, observed, remaining);
      } finally {
        Atomics.store(this.control, flagIndex, 0);
      }
    }
  }

  private async waitUntilAsync(flagIndex: number, watchedIndex: number, ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    for (;;) {
      if (ready()) return true;
      const observed = Atomics.load(this.control, watchedIndex);
      Atomics.store(this.control, flagIndex, 1);
      try {
        if (ready()) return true;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        if (waitAsync !== undefined) {
          const outcome = waitAsync(this.control, watchedIndex, observed, remaining);
          if (outcome.async) {
            // A pending `waitAsync` does not keep Node's event loop alive; this timer does (and
            // bounds the wait should the notification never come).
            let timer: ReturnType<typeof setTimeout> | undefined;
            const timeout = new Promise<void>((resolve) => {
              timer = setTimeout(resolve, remaining);
            });
            await Promise.race([outcome.value, timeout]);
            clearTimeout(timer);
          }
        } else {
          // Without `Atomics.waitAsync`, poll: slower to wake, but never blocks the event loop.
          await new Promise((resolve) => setTimeout(resolve, Math.min(remaining, 1)));
        }
      } finally {
        Atomics.store(this.control, flagIndex, 0);
      }
    }
  }
}

/** `Atomics.waitAsync` (ES2024; in Node since 16), which the es2022 lib does not declare. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
