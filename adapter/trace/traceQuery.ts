/**
 * Questions asked of a recorded trace (`elixirscope trace query`, the debug adapter, the MCP
 * server), answered from the trace's indexes with values rendered as Elixir's `inspect` does.
 * Only the values shown are decoded.
 *
 * ## Query forms (JSON; `PROCESS` is `"#PID<0.123.0>"`, `"<0.123.0>"`, `"0.123.0"` or a name the
 * process registered, e.g. `"MyApp.Worker"`; times are nanoseconds since the trace's first event)
 *
 * | query | answer |
 * | --- | --- |
 * | `{"calls": "Mod.fun/2"}` (or a clause ID `"Mod.fun/2#1"`; optional `"limit": N`) | every recorded call of the function's clauses, in order: `[{"call", "clause", "pid", "start", "end", "status", "args", "result" \| "exception"}]` — `status` is `"returned"`, `"raised"` or `"open"` (no end recorded; `end` null), `args` the inspected arguments, `result` the inspected return value, `exception` `{"kind", "reason"}` |
 * | `{"values_at": NODE_ID}` (optional `"limit"`) | for a binding or expression node, each recorded value: `[{"time", "pid", "call", "value"}]`; for a clause ID, each call's arguments: `[{"time", "pid", "call", "value", "args"}]` with `value` the inspected argument list |
 * | `{"state_history": PROCESS}` | the GenServer's states in order, one per callback run on that process (`init/1`, `handle_call/3`, `handle_cast/2`, `handle_info/2`, `handle_continue/2`): `[{"time", "call", "callback", "clause", "message", "from", "reply", "state_before", "state_after", "status"}]`; `state_before` is the callback's last argument (null for `init/1`), `state_after` comes from its result (`{:ok, s}`, `{:reply, r, s}`, `{:noreply, s}`, `{:stop, reason, s}`…; null if it raised or returned no state) |
 * | `{"messages": {"from": PROCESS, "to": PROCESS}}` (either may be left out) | the messages sent from one to the other, each matched to the receive that took it (same term, first in first out per pair): `[{"from", "to", "message", "sent", "received"}]`, `received` null when no receive was recorded |
 * | `{"stack": {"pid": PROCESS, "at": TIME}}` | the calls open on that process at that time, innermost first: `[{"call", "clause", "start", "args"}]` |
 * | `{"timeline": PROCESS}` (optional `"limit"`) | the process's events in order: `[{"seq", "time", "type", "node", "call", "value"}]` |
 *
 * A query that is not one of these throws `TraceQueryError` saying what to write instead.
 */
import { decodeTerm, EtfTag, EXTERNAL_TERM_VERSION } from '../agent/etf';
import { inspectTerm } from '../agent/inspect';
import type { Term } from '../agent/term';
import { EventType } from '../../common/traceProtocol';
import { skipTerm } from './eventBatch';
import { findCall, postings, type TraceIndex } from './traceIndex';
import { EVENT_TYPE_NAMES, type PidInfo, type TraceReader } from './traceStore';

/** A query the trace cannot answer as written; `message` says what to write. */
export class TraceQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceQueryError';
  }
}

export interface CallRecord {
  readonly call: number;
  readonly clause: string;
  readonly pid: string;
  readonly start: number;
  readonly end: number | null;
  readonly status: 'returned' | 'raised' | 'open';
  readonly args: readonly string[];
  readonly result?: string;
  readonly exception?: { readonly kind: string; readonly reason: string };
}

export interface ValueRecord {
  readonly time: number;
  readonly pid: string;
  readonly call: number;
  readonly value: string;
  readonly args?: readonly string[];
}

export interface StateRecord {
  readonly time: number;
  readonly call: number;
  readonly callback: string;
  readonly clause: string;
  readonly message: string | null;
  readonly from: string | null;
  readonly reply: string | null;
  readonly state_before: string | null;
  readonly state_after: string | null;
  readonly status: 'returned' | 'raised' | 'open';
}

export interface MessageRecord {
  readonly from: string;
  readonly to: string;
  readonly message: string;
  readonly sent: number;
  readonly received: number | null;
}

export interface StackFrame {
  readonly call: number;
  readonly clause: string;
  readonly start: number;
  readonly args: readonly string[];
}

export interface TimelineRecord {
  readonly seq: number;
  readonly time: number;
  readonly type: string;
  readonly node: string | null;
  readonly call: number;
  readonly value: string;
}

export type TraceQueryResult = CallRecord[] | ValueRecord[] | StateRecord[] | MessageRecord[] | StackFrame[] | TimelineRecord[];

/** Answers one query (an object, or its JSON text). */
export function queryTrace(reader: TraceReader, query: unknown): TraceQueryResult {
  const parsed = parseQuery(query);
  const context = new QueryContext(reader);
  switch (parsed.kind) {
    case 'calls':
      return callsOf(context, parsed.target, parsed.limit);
    case 'values_at':
      return valuesAt(context, parsed.target, parsed.limit);
    case 'state_history':
      return stateHistory(context, parsed.target);
    case 'messages':
      return messagesBetween(context, parsed.from, parsed.to);
    case 'stack':
      return stackAt(context, parsed.pid, parsed.at);
    case 'timeline':
      return timelineOf(context, parsed.target, parsed.limit);
  }
}

export interface TraceSummary {
  readonly command: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly complete: boolean;
  readonly endReason: string;
  /** True when the file had no usable footer and was read by scanning. */
  readonly recovered: boolean;
  readonly events: number;
  readonly eventsByType: Readonly<Record<string, number>>;
  readonly dropped: { readonly recorder: number; readonly recorderFrames: number; readonly agent: number | null };
  readonly processes: readonly { readonly pid: string; readonly names: readonly string[]; readonly events: number }[];
  readonly modules: readonly { readonly module: string; readonly sourceHash: string; readonly status: string | null }[];
  readonly agent: { readonly elixir: string | null; readonly otp: string | null } | null;
  readonly rejectedConnections: number;
}

export function traceSummary(reader: TraceReader): TraceSummary {
  const { metadata, index } = reader;
  const context = new QueryContext(reader);
  const names = context.registeredNames();
  const processes = reader.pids.map((_, pidIndex) => ({
    pid: context.pidText(pidIndex),
    names: names.get(pidIndex) ?? [],
    events: index.pidStart[pidIndex + 1] - index.pidStart[pidIndex],
  }));
  const loadedStatus = new Map((metadata.loaded ?? []).map((module) => [module.module, module.status]));
  const end = metadata.end;
  return {
    command: metadata.command,
    startedAt: metadata.startedAt,
    endedAt: end?.endedAt ?? null,
    complete: end?.complete ?? false,
    endReason: end?.endReason ?? 'the recording was cut short (no end record): the recorder stopped before finishing the file',
    recovered: reader.recovered,
    events: index.eventCount,
    eventsByType: metadata.countsByType,
    dropped: { recorder: end?.droppedEvents ?? 0, recorderFrames: end?.droppedFrames ?? 0, agent: end?.agentCounts?.dropped ?? null },
    processes,
    modules: metadata.manifest.modules.map((module) => ({
      module: module.module,
      sourceHash: module.sourceHash,
      status: loadedStatus.get(module.module) ?? loadedStatus.get(`Elixir.${module.module}`) ?? null,
    })),
    agent: metadata.agent === null ? null : { elixir: metadata.agent.elixir, otp: metadata.agent.otp },
    rejectedConnections: metadata.notes.filter((note) => note.kind === 'rejectedConnection').length,
  };
}

// ---------------------------------------------------------------------------------------------------
// Parsing queries.

type ParsedQuery =
  | { readonly kind: 'calls' | 'values_at' | 'timeline'; readonly target: string; readonly limit: number }
  | { readonly kind: 'state_history'; readonly target: string }
  | { readonly kind: 'messages'; readonly from: string | null; readonly to: string | null }
  | { readonly kind: 'stack'; readonly pid: string; readonly at: number };

const QUERY_FORMS =
  'write one of {"calls": "Mod.fun/2"}, {"values_at": "NODE_ID"}, {"state_history": "PID_OR_NAME"}, ' +
  '{"messages": {"from": "PID_OR_NAME", "to": "PID_OR_NAME"}}, {"stack": {"pid": "PID", "at": TIME_NS}}, {"timeline": "PID_OR_NAME"}';

function parseQuery(query: unknown): ParsedQuery {
  let value = query;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new TraceQueryError(`the query is not JSON; ${QUERY_FORMS}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TraceQueryError(`a query is a JSON object; ${QUERY_FORMS}`);
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).filter((key) => key !== 'limit');
  if (keys.length !== 1) throw new TraceQueryError(`a query has exactly one form (got ${keys.length === 0 ? 'none' : keys.join(', ')}); ${QUERY_FORMS}`);
  const kind = keys[0];
  const argument = object[kind];
  const limit = parseLimit(object.limit);
  switch (kind) {
    case 'calls':
      return { kind, target: requireString(argument, '{"calls": "Mod.fun/2"} (a function or clause ID, e.g. "MyApp.Bank.deposit/2")'), limit };
    case 'values_at':
      return { kind, target: requireString(argument, '{"values_at": "NODE_ID"} (a node ID from the manifest, e.g. "MyApp.Bank.deposit/2#1:1.0")'), limit };
    case 'timeline':
      return { kind, target: requireString(argument, '{"timeline": "PID_OR_NAME"} (e.g. "#PID<0.123.0>" or "MyApp.Worker")'), limit };
    case 'state_history':
      return { kind, target: requireString(argument, '{"state_history": "PID_OR_NAME"} (e.g. "#PID<0.123.0>" or "MyApp.Worker")') };
    case 'messages': {
      const usage = '{"messages": {"from": "PID_OR_NAME", "to": "PID_OR_NAME"}} (either may be left out, not both)';
      if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) throw new TraceQueryError(`write ${usage}`);
      const { from, to, ...rest } = argument as Record<string, unknown>;
      if (Object.keys(rest).length > 0) throw new TraceQueryError(`unknown field ${Object.keys(rest).join(', ')}; write ${usage}`);
      if (from === undefined && to === undefined) throw new TraceQueryError(`give "from", "to" or both; write ${usage}`);
      return {
        kind,
        from: from === undefined ? null : requireString(from, usage),
        to: to === undefined ? null : requireString(to, usage),
      };
    }
    case 'stack': {
      const usage = '{"stack": {"pid": "PID_OR_NAME", "at": TIME}} (TIME in nanoseconds since the first event, as the other answers give it)';
      if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) throw new TraceQueryError(`write ${usage}`);
      const { pid, at } = argument as Record<string, unknown>;
      if (typeof at !== 'number' || !Number.isFinite(at)) throw new TraceQueryError(`"at" must be a number; write ${usage}`);
      return { kind, pid: requireString(pid, usage), at };
    }
    default:
      throw new TraceQueryError(`unknown query "${kind}"; ${QUERY_FORMS}`);
  }
}

function requireString(value: unknown, usage: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TraceQueryError(`write ${usage}`);
  return value.trim();
}

function parseLimit(value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TraceQueryError('"limit" must be a whole number of at least 0');
  return value;
}

// ---------------------------------------------------------------------------------------------------
// The queries.

function callsOf(context: QueryContext, target: string, limit: number): CallRecord[] {
  const clauses = context.clausesOf(target);
  const events = context.eventsOfNodes(clauses, EventType.call);
  const records: CallRecord[] = [];
  for (const event of events) {
    if (records.length >= limit) break;
    records.push(context.callRecord(event));
  }
  return records;
}

function valuesAt(context: QueryContext, target: string, limit: number): ValueRecord[] {
  const nodeIndex = context.reader.nodeIndexById().get(target);
  if (nodeIndex === undefined) throw new TraceQueryError(`no node ${target} in this trace's manifest; node IDs look like "MyApp.Bank.deposit/2#1:1.0" (see {"calls": …} for clause IDs)`);
  const { index } = context;
  const isClause = context.reader.metadata.manifest.nodes[nodeIndex].kind === 'clause';
  const records: ValueRecord[] = [];
  for (const event of postings(index.nodeStart, index.nodeEvents, nodeIndex)) {
    if (records.length >= limit) break;
    const type = index.type[event];
    const base = { time: index.time[event], pid: context.pidText(index.pid[event]), call: index.call[event] };
    if (isClause && type === EventType.call) {
      const args = context.value(event);
      records.push({ ...base, value: inspectTerm(args), args: listItems(args).map((item) => inspectTerm(item)) });
    } else if (type === EventType.bind || type === EventType.value) {
      records.push({ ...base, value: inspectTerm(context.value(event)) });
    }
  }
  return records;
}

const GENSERVER_CALLBACKS = /\.(init\/1|handle_call\/3|handle_cast\/2|handle_info\/2|handle_continue\/2)#[^:]+$/;

function stateHistory(context: QueryContext, target: string): StateRecord[] {
  const pids = new Set(context.resolveProcess(target));
  const { index } = context;
  const callbackNodes = new Map<number, string>();
  context.reader.metadata.manifest.nodes.forEach((node, nodeIndex) => {
    const match = node.kind === 'clause' ? GENSERVER_CALLBACKS.exec(node.id) : null;
    if (match) callbackNodes.set(nodeIndex, match[1]);
  });
  const records: StateRecord[] = [];
  for (const pid of pids) {
    for (const event of postings(index.pidStart, index.pidEvents, pid)) {
      if (index.type[event] !== EventType.call) continue;
      const callback = callbackNodes.get(index.node[event]);
      if (callback === undefined) continue;
      records.push(context.stateRecord(event, callback));
    }
  }
  return records.sort((left, right) => left.time - right.time || left.call - right.call);
}

function messagesBetween(context: QueryContext, from: string | null, to: string | null): MessageRecord[] {
  const { index } = context;
  const senders = from === null ? null : new Set(context.resolveProcess(from));
  const receivers = to === null ? null : new Set(context.resolveProcess(to));
  const names = context.registeredNames();
  const pidByName = new Map<string, number>();
  for (const [pid, pidNames] of names) for (const name of pidNames) pidByName.set(name, pid);

  interface PendingSend {
    readonly event: number;
    readonly from: number;
    readonly to: number;
    readonly messageStart: number;
    received: number | null;
  }
  // Sends still waiting for their receive, by receiver and message bytes, oldest first.
  const waiting = new Map<string, PendingSend[]>();
  const sends: PendingSend[] = [];
  const receiveEvents: number[] = [];
  for (const event of postings(index.typeStart, index.typeEvents, EventType.send)) {
    if (senders !== null && !senders.has(index.pid[event])) continue;
    const bytes = context.reader.valueBytes(event);
    const target = context.sendTarget(bytes, pidByName);
    if (target === null || (receivers !== null && !receivers.has(target.pid))) continue;
    const send: PendingSend = { event, from: index.pid[event], to: target.pid, messageStart: target.messageStart, received: null };
    sends.push(send);
  }
  for (const event of postings(index.typeStart, index.typeEvents, EventType.receive)) {
    if (receivers === null || receivers.has(index.pid[event])) receiveEvents.push(event);
  }
  // Walk both in stored order: a send is queued when reached, a receive takes the oldest match.
  let sendPosition = 0;
  for (const receive of receiveEvents) {
    while (sendPosition < sends.length && index.seq[sends[sendPosition].event] < index.seq[receive]) {
      const send = sends[sendPosition++];
      const key = `${send.to}:${latin1(context.reader.valueBytes(send.event).subarray(send.messageStart))}`;
      const queue = waiting.get(key);
      if (queue) queue.push(send);
      else waiting.set(key, [send]);
    }
    const queue = waiting.get(`${index.pid[receive]}:${latin1(context.reader.valueBytes(receive))}`);
    const send = queue?.shift();
    if (send) send.received = receive;
  }
  return sends.map((send) => ({
    from: context.pidText(send.from),
    to: context.pidText(send.to),
    message: inspectTerm(context.decode(context.reader.valueBytes(send.event).subarray(send.messageStart))),
    sent: index.time[send.event],
    received: send.received === null ? null : index.time[send.received],
  }));
}

function stackAt(context: QueryContext, process: string, at: number): StackFrame[] {
  const pids = context.resolveProcess(process);
  if (pids.length !== 1) throw new TraceQueryError(`"${process}" names ${pids.length} processes; give one pid, e.g. "${context.pidText(pids[0])}"`);
  const { index } = context;
  const innermost = innermostOpenCall(index, pids[0], at);
  const frames: StackFrame[] = [];
  for (let callIndex = innermost; callIndex !== -1; callIndex = parentCall(index, pids[0], callIndex)) {
    const event = index.callEvent[callIndex];
    frames.push({ call: index.call[event], clause: context.nodeId(index.node[event]) ?? '?', start: index.time[event], args: listItems(context.value(event)).map((item) => inspectTerm(item)) });
  }
  return frames;
}

/**
 * The call-table position of the innermost call open on `pid` at time `at`, or -1.
 *
 * Read from the process's calls, not from its events: a traced event (a receive, a send) is
 * stamped when it happened but stored when the tracer got to it, so a process's events are not
 * in time order, while its calls, stamped and stored by the process itself, are (call IDs grow
 * with time). A call that starts exactly at `at` is open then, even when its return carries the
 * same time (the VM's clock can give a short call one timestamp for both): a stack asked for at
 * a call's start is how that call's caller chain is read.
 */
function innermostOpenCall(index: TraceIndex, pid: number, at: number): number {
  if (pid + 1 >= index.pidCallStart.length) return -1;
  const first = index.pidCallStart[pid];
  // The last call that started at or before `at`, then back to the first of those starting at `at`.
  let low = first;
  let high = index.pidCallStart[pid + 1] - 1;
  let candidate = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (index.time[index.callEvent[middle]] <= at) {
      candidate = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  while (candidate > first && index.time[index.callEvent[candidate - 1]] === at) candidate--;
  // The candidate and its callers are open unless they ended by `at`.
  for (let callIndex = candidate; callIndex !== -1; callIndex = parentCall(index, pid, callIndex)) {
    const end = index.callEnd[callIndex];
    const startedAt = index.time[index.callEvent[callIndex]] === at;
    if (end === -1 || index.time[end] > at || startedAt) return callIndex;
  }
  return -1;
}

/** The caller's call-table position, or -1; a caller always has a smaller call ID, so a corrupt trace cannot loop. */
function parentCall(index: TraceIndex, pid: number, callIndex: number): number {
  const parent = index.callParent[callIndex];
  const parentIndex = parent === 0 ? -1 : findCall(index, pid, parent);
  return parentIndex < callIndex ? parentIndex : -1;
}

function timelineOf(context: QueryContext, process: string, limit: number): TimelineRecord[] {
  const { index } = context;
  const events: number[] = [];
  // A loop, not `push(...postings)`: spreading a busy process's events would overflow the stack.
  for (const pid of context.resolveProcess(process)) for (const event of postings(index.pidStart, index.pidEvents, pid)) events.push(event);
  events.sort((left, right) => index.seq[left] - index.seq[right] || left - right);
  return events.slice(0, Math.min(limit, events.length)).map((event) => ({
    seq: index.seq[event],
    time: index.time[event],
    type: EVENT_TYPE_NAMES.get(index.type[event]) ?? `type ${index.type[event]}`,
    node: context.nodeId(index.node[event]),
    call: index.call[event],
    value: inspectTerm(context.value(event)),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces.

class QueryContext {
  readonly index: TraceIndex;
  private names: Map<number, string[]> | null = null;

  constructor(readonly reader: TraceReader) {
    this.index = reader.index;
  }

  /** Decodes a stored value (ETF without its version byte). */
  decode(bytes: Uint8Array): Term {
    const withVersion = new Uint8Array(bytes.length + 1);
    withVersion[0] = EXTERNAL_TERM_VERSION;
    withVersion.set(bytes, 1);
    return decodeTerm(withVersion);
  }

  value(event: number): Term {
    return this.decode(this.reader.valueBytes(event));
  }

  nodeId(nodeIndex: number): string | null {
    return this.reader.metadata.manifest.nodes[nodeIndex]?.id ?? null;
  }

  pidText(pidIndex: number): string {
    let text = this.pidTexts.get(pidIndex);
    if (text === undefined) {
      const pid: PidInfo | undefined = this.reader.pids[pidIndex];
      text = pid === undefined ? '#PID<?>' : inspectTerm({ type: 'pid', ...pid });
      this.pidTexts.set(pidIndex, text);
    }
    return text;
  }

  private readonly pidTexts = new Map<number, string>();

  /** The clause nodes of a function (`Mod.fun/2`) or the one clause of a clause ID. */
  clausesOf(target: string): number[] {
    const nodes = this.reader.metadata.manifest.nodes;
    const isClause = target.includes('#');
    if (!/^.+\/(\d+|\?)(#[^:]+)?$/.test(target) || target.includes(':')) {
      throw new TraceQueryError(`"${target}" is not a function ID; write {"calls": "Mod.fun/2"} (e.g. "MyApp.Bank.deposit/2") or a clause ID "Mod.fun/2#1"`);
    }
    const clauses: number[] = [];
    nodes.forEach((node, nodeIndex) => {
      if (node.kind !== 'clause') return;
      if (isClause ? node.id === target : node.id.startsWith(`${target}#`)) clauses.push(nodeIndex);
    });
    if (clauses.length === 0) {
      throw new TraceQueryError(`${target} was not recorded: it is not in this trace's manifest (record it, or check the module, name and arity)`);
    }
    return clauses;
  }

  /** Events of the given type at any of the nodes, in stored order. */
  eventsOfNodes(nodes: readonly number[], type: number): number[] {
    const events: number[] = [];
    for (const node of nodes) {
      for (const event of postings(this.index.nodeStart, this.index.nodeEvents, node)) if (this.index.type[event] === type) events.push(event);
    }
    if (nodes.length > 1) events.sort((left, right) => left - right);
    return events;
  }

  callRecord(event: number): CallRecord {
    const { index } = this;
    const pid = index.pid[event];
    const callId = index.call[event];
    const callIndex = findCall(index, pid, callId);
    const end = callIndex === -1 ? -1 : index.callEnd[callIndex];
    const base = {
      call: callId,
      clause: this.nodeId(index.node[event]) ?? '?',
      pid: this.pidText(pid),
      start: index.time[event],
      end: end === -1 ? null : index.time[end],
      args: listItems(this.value(event)).map((item) => inspectTerm(item)),
    };
    if (end === -1) return { ...base, status: 'open' };
    if (index.type[end] === EventType.raise) return { ...base, status: 'raised', exception: this.exception(end) };
    return { ...base, status: 'returned', result: inspectTerm(this.value(end)) };
  }

  stateRecord(event: number, callback: string): StateRecord {
    const { index } = this;
    const callId = index.call[event];
    const callIndex = findCall(index, index.pid[event], callId);
    const end = callIndex === -1 ? -1 : index.callEnd[callIndex];
    const args = listItems(this.value(event));
    const isInit = callback === 'init/1';
    const status = end === -1 ? 'open' : index.type[end] === EventType.raise ? 'raised' : 'returned';
    const result = status === 'returned' ? this.value(end) : null;
    const outcome = result === null ? { state: null, reply: null } : callbackOutcome(callback, result);
    return {
      time: index.time[event],
      call: callId,
      callback,
      clause: this.nodeId(index.node[event]) ?? '?',
      message: isInit ? null : args.length > 0 ? inspectTerm(args[0]) : null,
      from: callback === 'handle_call/3' && args.length === 3 ? inspectTerm(args[1]) : null,
      reply: outcome.reply === null ? null : inspectTerm(outcome.reply),
      state_before: isInit || args.length === 0 ? null : inspectTerm(args[args.length - 1]),
      state_after: outcome.state === null ? null : inspectTerm(outcome.state),
      status,
    };
  }

  exception(event: number): { kind: string; reason: string } {
    const value = this.value(event);
    if (value.type === 'tuple' && value.items.length === 2) {
      const [kind, reason] = value.items;
      return { kind: kind.type === 'atom' ? kind.value : inspectTerm(kind), reason: inspectTerm(reason) };
    }
    return { kind: 'error', reason: inspectTerm(value) };
  }

  /** A send's destination pid (a pid, or a name some process registered) and where its message starts. */
  sendTarget(bytes: Uint8Array, pidByName: ReadonlyMap<string, number>): { pid: number; messageStart: number } | null {
    // {to, message}: SMALL_TUPLE_EXT, arity 2, then the two terms.
    if (bytes.length < 2 || bytes[0] !== EtfTag.smallTuple || bytes[1] !== 2) return null;
    let messageStart: number;
    try {
      messageStart = skipTerm(bytes, 2);
    } catch {
      return null;
    }
    const to = this.decode(bytes.subarray(2, messageStart));
    const pid = to.type === 'pid' ? this.pidIndexOf(to) : to.type === 'atom' ? pidByName.get(inspectTerm(to)) : undefined;
    return pid === undefined ? null : { pid, messageStart };
  }

  pidIndexOf(pid: PidInfo): number | undefined {
    if (this.pidIndexes === null) {
      this.pidIndexes = new Map();
      // The first of equal entries wins, as a search from the start would find it.
      this.reader.pids.forEach((candidate, pidIndex) => {
        const key = pidKey(candidate);
        if (!this.pidIndexes!.has(key)) this.pidIndexes!.set(key, pidIndex);
      });
    }
    return this.pidIndexes.get(pidKey(pid));
  }

  /** The pid table by `pidKey`, built on first use: every send of a `messages` query looks one up. */
  private pidIndexes: Map<string, number> | null = null;

  /** Names registered by each process (from `register` events), as `inspect` writes the atom. */
  registeredNames(): Map<number, string[]> {
    if (this.names !== null) return this.names;
    const names = new Map<number, string[]>();
    for (const event of postings(this.index.typeStart, this.index.typeEvents, EventType.register)) {
      const pid = this.index.pid[event];
      const name = inspectTerm(this.value(event));
      const list = names.get(pid);
      if (list === undefined) names.set(pid, [name]);
      else if (!list.includes(name)) list.push(name);
    }
    this.names = names;
    return names;
  }

  /** The pid indexes a `PROCESS` argument names. */
  resolveProcess(text: string): number[] {
    const pidMatch = /^(?:#PID)?<?(\d+)\.(\d+)\.(\d+)>?$/.exec(text);
    if (pidMatch) {
      const id = Number(pidMatch[2]);
      const serial = Number(pidMatch[3]);
      const matches: number[] = [];
      this.reader.pids.forEach((pid, pidIndex) => {
        if (pid.id === id && pid.serial === serial) matches.push(pidIndex);
      });
      if (matches.length === 0) throw new TraceQueryError(`no process ${text} in this trace (${this.reader.pids.length} processes recorded; see the trace summary)`);
      return matches;
    }
    const wanted = new Set([text, text.startsWith(':') ? text : `:${text}`, text.replace(/^Elixir\./, '')]);
    const matches: number[] = [];
    for (const [pid, names] of this.registeredNames()) if (names.some((name) => wanted.has(name))) matches.push(pid);
    if (matches.length === 0) {
      throw new TraceQueryError(`no process registered as ${text} in this trace; give a pid ("#PID<0.123.0>", "<0.123.0>" or "0.123.0") or a name that a recorded process registered`);
    }
    return matches;
  }
}

/** What a GenServer callback's result says about the state after it (and the reply, for calls). */
function callbackOutcome(callback: string, result: Term): { state: Term | null; reply: Term | null } {
  if (result.type !== 'tuple' || result.items.length < 2 || result.items[0].type !== 'atom') return { state: null, reply: null };
  const tag = result.items[0].value;
  const items = result.items;
  switch (tag) {
    case 'ok':
      return callback === 'init/1' ? { state: items[1], reply: null } : { state: null, reply: null };
    case 'reply':
      return items.length >= 3 ? { state: items[2], reply: items[1] } : { state: null, reply: null };
    case 'noreply':
      return { state: items[1], reply: null };
    case 'stop':
      // {:stop, reason, state} or, from handle_call, {:stop, reason, reply, state}; init's {:stop, reason} has none.
      if (items.length === 4) return { state: items[3], reply: items[2] };
      return items.length === 3 ? { state: items[2], reply: null } : { state: null, reply: null };
    default:
      return { state: null, reply: null };
  }
}

function pidKey(pid: PidInfo): string {
  return `${pid.node}<${pid.id}.${pid.serial}.${pid.creation}>`;
}

/** The items of a proper list term; any other term as a one-element list. */
function listItems(term: Term): readonly Term[] {
  return term.type === 'list' && term.tail === undefined ? term.items : [term];
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
