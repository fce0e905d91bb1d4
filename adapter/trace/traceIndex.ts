/**
 * The in-memory indexes of a trace: one column per event field, the call table (each call with
 * its return or raise and its parent) and postings lists by node, by process and by event type.
 * The writer builds them while it appends, a reader of a cut-short file rebuilds them with the
 * same builder while it scans, and a finished file stores them in its footer
 * (`traceStore.ts`), so queries never parse event records and read only the values they show.
 *
 * Events are numbered in the order they were stored, which is the order the agent emitted them
 * (`seq` order per process; `seq` gives the order across processes).
 */
import { EventType } from '../../common/traceProtocol';

/** The columns and indexes of a trace; every array is read-only by convention. */
export interface TraceIndex {
  readonly eventCount: number;
  /** `EventType` code per event. */
  readonly type: Uint8Array;
  /** Index into the trace's pid table. */
  readonly pid: Uint32Array;
  /** Index into the manifest's nodes, or -1. */
  readonly node: Int32Array;
  readonly seq: Float64Array;
  /** Nanoseconds since the trace's time origin (the first stored event's `time`). */
  readonly time: Float64Array;
  readonly call: Float64Array;
  /** Where the event's value (ETF without the version byte) lies in the trace file. */
  readonly valueOffset: Float64Array;
  readonly valueLength: Uint32Array;

  /** Calls sorted by process, then call ID: the call event, its return/raise event (-1: none), its parent call ID. */
  readonly callCount: number;
  readonly callEvent: Uint32Array;
  readonly callEnd: Int32Array;
  readonly callParent: Float64Array;
  /** `pidCount + 1` entries: the calls of pid `p` are `[pidCallStart[p], pidCallStart[p + 1])`. */
  readonly pidCallStart: Uint32Array;

  /** Postings (event numbers in stored order) by node index, pid index and type code. */
  readonly nodeStart: Uint32Array;
  readonly nodeEvents: Uint32Array;
  readonly pidStart: Uint32Array;
  readonly pidEvents: Uint32Array;
  readonly typeStart: Uint32Array;
  readonly typeEvents: Uint32Array;
}

/** The sections of a `TraceIndex` that are stored, in file order, with their element types. */
export const INDEX_SECTIONS = [
  ['type', 'u8'],
  ['pid', 'u32'],
  ['node', 'i32'],
  ['seq', 'f64'],
  ['time', 'f64'],
  ['call', 'f64'],
  ['valueOffset', 'f64'],
  ['valueLength', 'u32'],
  ['callEvent', 'u32'],
  ['callEnd', 'i32'],
  ['callParent', 'f64'],
  ['pidCallStart', 'u32'],
  ['nodeStart', 'u32'],
  ['nodeEvents', 'u32'],
  ['pidStart', 'u32'],
  ['pidEvents', 'u32'],
  ['typeStart', 'u32'],
  ['typeEvents', 'u32'],
] as const;

export type IndexSectionName = (typeof INDEX_SECTIONS)[number][0];

/** The call-table position of call `callId` of pid `pid`, or -1. */
export function findCall(index: TraceIndex, pid: number, callId: number): number {
  if (pid + 1 >= index.pidCallStart.length) return -1;
  let low = index.pidCallStart[pid];
  let high = index.pidCallStart[pid + 1] - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const middleId = index.call[index.callEvent[middle]];
    if (middleId === callId) return middle;
    if (middleId < callId) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** The events of one posting list (a view, not a copy). */
export function postings(start: Uint32Array, events: Uint32Array, key: number): Uint32Array {
  if (key < 0 || key + 1 >= start.length) return events.subarray(0, 0);
  return events.subarray(start[key], start[key + 1]);
}

/**
 * Accumulates events (and pairs calls with their ends as they come) and builds the `TraceIndex`.
 * Columns grow by doubling; the postings and the sorted call table are made once, by counting
 * sorts, in `build`.
 */
export class TraceIndexBuilder {
  private count = 0;
  private type = new Uint8Array(INITIAL_CAPACITY);
  private pid = new Uint32Array(INITIAL_CAPACITY);
  private node = new Int32Array(INITIAL_CAPACITY);
  private seq = new Float64Array(INITIAL_CAPACITY);
  private time = new Float64Array(INITIAL_CAPACITY);
  private call = new Float64Array(INITIAL_CAPACITY);
  private valueOffset = new Float64Array(INITIAL_CAPACITY);
  private valueLength = new Uint32Array(INITIAL_CAPACITY);

  private callCount = 0;
  private callEvent = new Uint32Array(INITIAL_CAPACITY);
  private callEnd = new Int32Array(INITIAL_CAPACITY);
  private callParent = new Float64Array(INITIAL_CAPACITY);
  /** Calls still waiting for their return or raise, by (pid, call ID). */
  private readonly openCalls = new Map<number | string, number>();
  private pidCount = 0;
  private maxNode = -1;

  get eventCount(): number {
    return this.count;
  }

  add(type: number, seq: number, time: number, pid: number, node: number, call: number, parent: number, valueOffset: number, valueLength: number): void {
    const event = this.count;
    if (event === this.type.length) this.growEvents();
    this.type[event] = type;
    this.pid[event] = pid;
    this.node[event] = node;
    this.seq[event] = seq;
    this.time[event] = time;
    this.call[event] = call;
    this.valueOffset[event] = valueOffset;
    this.valueLength[event] = valueLength;
    this.count = event + 1;
    if (pid >= this.pidCount) this.pidCount = pid + 1;
    if (node > this.maxNode) this.maxNode = node;
    if (type === CALL) {
      const callIndex = this.callCount;
      if (callIndex === this.callEvent.length) this.growCalls();
      this.callEvent[callIndex] = event;
      this.callEnd[callIndex] = -1;
      this.callParent[callIndex] = parent;
      this.callCount = callIndex + 1;
      this.openCalls.set(callKey(pid, call), callIndex);
    } else if (type === RETURN || type === RAISE) {
      const key = callKey(pid, call);
      const callIndex = this.openCalls.get(key);
      if (callIndex !== undefined) {
        this.callEnd[callIndex] = event;
        this.openCalls.delete(key);
      }
    }
  }

  /** The index of everything added so far; the builder can go on afterwards. */
  build(pidCount: number): TraceIndex {
    const count = this.count;
    const type = this.type.slice(0, count);
    const pid = this.pid.slice(0, count);
    const node = this.node.slice(0, count);
    const call = this.call.slice(0, count);
    const allPids = Math.max(pidCount, this.pidCount);
    const byNode = countingSort(count, this.maxNode + 1, (event) => node[event]);
    const byPid = countingSort(count, allPids, (event) => pid[event]);
    const byType = countingSort(count, 256, (event) => type[event]);
    const calls = this.sortedCalls(pid, call, allPids);
    return {
      eventCount: count,
      type,
      pid,
      node,
      seq: this.seq.slice(0, count),
      time: this.time.slice(0, count),
      call,
      valueOffset: this.valueOffset.slice(0, count),
      valueLength: this.valueLength.slice(0, count),
      callCount: this.callCount,
      ...calls,
      nodeStart: byNode.start,
      nodeEvents: byNode.items,
      pidStart: byPid.start,
      pidEvents: byPid.items,
      typeStart: byType.start,
      typeEvents: byType.items,
    };
  }

  /** The call table grouped by pid (stably, so in stored order) and then sorted by call ID. */
  private sortedCalls(pid: Uint32Array, call: Float64Array, pidCount: number) {
    const callCount = this.callCount;
    const grouped = countingSort(callCount, pidCount, (callIndex) => pid[this.callEvent[callIndex]]);
    const order = grouped.items;
    // Call IDs grow with time on each process, so this is usually sorted already; check, else sort.
    let sorted = true;
    for (let position = 1; position < callCount && sorted; position++) {
      const previous = this.callEvent[order[position - 1]];
      const current = this.callEvent[order[position]];
      if (pid[previous] === pid[current] && call[previous] > call[current]) sorted = false;
    }
    if (!sorted) {
      const byPidThenId = Array.from(order).sort((left, right) => {
        const leftEvent = this.callEvent[left];
        const rightEvent = this.callEvent[right];
        return pid[leftEvent] - pid[rightEvent] || call[leftEvent] - call[rightEvent];
      });
      order.set(byPidThenId);
    }
    const callEvent = new Uint32Array(callCount);
    const callEnd = new Int32Array(callCount);
    const callParent = new Float64Array(callCount);
    for (let position = 0; position < callCount; position++) {
      const callIndex = order[position];
      callEvent[position] = this.callEvent[callIndex];
      callEnd[position] = this.callEnd[callIndex];
      callParent[position] = this.callParent[callIndex];
    }
    return { callEvent, callEnd, callParent, pidCallStart: grouped.start };
  }

  private growEvents(): void {
    const capacity = this.type.length * 2;
    this.type = grow(this.type, new Uint8Array(capacity));
    this.pid = grow(this.pid, new Uint32Array(capacity));
    this.node = grow(this.node, new Int32Array(capacity));
    this.seq = grow(this.seq, new Float64Array(capacity));
    this.time = grow(this.time, new Float64Array(capacity));
    this.call = grow(this.call, new Float64Array(capacity));
    this.valueOffset = grow(this.valueOffset, new Float64Array(capacity));
    this.valueLength = grow(this.valueLength, new Uint32Array(capacity));
  }

  private growCalls(): void {
    const capacity = this.callEvent.length * 2;
    this.callEvent = grow(this.callEvent, new Uint32Array(capacity));
    this.callEnd = grow(this.callEnd, new Int32Array(capacity));
    this.callParent = grow(this.callParent, new Float64Array(capacity));
  }
}

// ---------------------------------------------------------------------------------------------------

const INITIAL_CAPACITY = 4096;
const CALL = EventType.call;
const RETURN = EventType.return;
const RAISE = EventType.raise;

/** A Map key for (pid, call ID): one number while both are small enough to pack exactly. */
function callKey(pid: number, call: number): number | string {
  return pid < 2 ** 20 && call >= 0 && call < 2 ** 32 ? pid * 2 ** 32 + call : `${pid}:${call}`;
}

function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: T, larger: T): T {
  larger.set(old as never);
  return larger;
}

/** Items `0..count-1` grouped by `keyOf` (keys below `keyCount`; others are left out), stable. */
function countingSort(count: number, keyCount: number, keyOf: (item: number) => number): { start: Uint32Array; items: Uint32Array } {
  const start = new Uint32Array(keyCount + 1);
  for (let item = 0; item < count; item++) {
    const key = keyOf(item);
    if (key >= 0 && key < keyCount) start[key + 1]++;
  }
  for (let key = 0; key < keyCount; key++) start[key + 1] += start[key];
  const items = new Uint32Array(start[keyCount]);
  const next = start.slice(0, keyCount);
  for (let item = 0; item < count; item++) {
    const key = keyOf(item);
    if (key >= 0 && key < keyCount) items[next[key]++] = item;
  }
  return { start, items };
}
