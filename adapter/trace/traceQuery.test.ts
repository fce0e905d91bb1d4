import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { DEFAULT_VALUE_LIMITS, type ManifestNode, PROTOCOL_VERSION, type RecordingManifest } from '../../common/traceProtocol';
import { atom, binary, FakeAgent, integer, pid, tuple } from '../../test/support/etfEncode';
import { type CallRecord, type MessageRecord, queryTrace, type StackFrame, type StateRecord, type TimelineRecord, TraceQueryError, traceSummary, type ValueRecord } from './traceQuery';
import { TraceReader, TraceWriter } from './traceStore';

const nodes: ManifestNode[] = [
  { id: 'Counter.init/1#1', kind: 'clause', line: 5, column: 3 },
  { id: 'Counter.handle_call/3#1', kind: 'clause', line: 8, column: 3 },
  { id: 'Counter.handle_cast/2#1', kind: 'clause', line: 11, column: 3 },
  { id: 'Counter.handle_info/2#1', kind: 'clause', line: 14, column: 3 },
  { id: 'Bank.deposit/2#1', kind: 'clause', line: 3, column: 3 },
  { id: 'Bank.deposit/2#2', kind: 'clause', line: 9, column: 3 },
  { id: 'Bank.deposit/2#1:1.0', kind: 'binding', line: 4, column: 5, name: 'balance' },
  { id: 'Bank.log/1#1', kind: 'clause', line: 12, column: 3 },
];
const manifest: RecordingManifest = {
  version: PROTOCOL_VERSION,
  mode: 'debug',
  limits: DEFAULT_VALUE_LIMITS,
  nodes,
  modules: [
    { module: 'Counter', file: '/p/lib/counter.ex', sourceHash: 'c0ffee', clauses: [0, 1, 2, 3], bindings: [], expressions: [] },
    { module: 'Bank', file: '/p/lib/bank.ex', sourceHash: 'ba4c', clauses: [4, 5, 7], bindings: [6], expressions: [] },
  ],
  traceProcesses: true,
};
const [INIT, HANDLE_CALL, HANDLE_CAST, HANDLE_INFO, DEPOSIT_1, DEPOSIT_2, BALANCE, LOG] = nodes.map((_, index) => index);

const client = pid(90);
const server = pid(91);

/** A client that uses a bank module and a counter GenServer registered as `Counter`. */
function recordScenario(): TraceReader {
  const agent = new FakeAgent();
  agent.spawn(client, server);
  agent.call(server, INIT, [integer(0)]);
  agent.return(server, tuple(atom('ok'), integer(0)));
  agent.register(server, 'Elixir.Counter');

  agent.call(client, DEPOSIT_1, [integer(100), integer(5)]);
  agent.call(client, LOG, [binary('deposit')]);
  agent.advance(50_000);
  agent.return(client, atom('ok'));
  agent.bind(client, BALANCE, integer(105));
  agent.return(client, tuple(atom('ok'), integer(105)));

  const cast = tuple(atom('$gen_cast'), tuple(atom('add'), integer(2)));
  agent.send(client, atom('Elixir.Counter'), cast);
  agent.receive(server, cast);
  agent.call(server, HANDLE_CAST, [tuple(atom('add'), integer(2)), integer(0)]);
  agent.return(server, tuple(atom('noreply'), integer(2)));

  const from = tuple(client, atom('tag'));
  const call = tuple(atom('$gen_call'), from, atom('get'));
  agent.send(client, server, call);
  agent.receive(server, call);
  agent.call(server, HANDLE_CALL, [atom('get'), from, integer(2)]);
  agent.return(server, tuple(atom('reply'), integer(2), integer(2)));
  agent.send(server, client, tuple(atom('tag'), integer(2)));
  agent.receive(client, tuple(atom('tag'), integer(2)));

  agent.send(client, server, atom('tick'));
  agent.send(client, server, atom('tick'));
  agent.receive(server, atom('tick'));
  agent.call(server, HANDLE_INFO, [atom('tick'), integer(2)]);
  agent.return(server, tuple(atom('noreply'), integer(3)));
  agent.receive(server, atom('tick'));
  agent.call(server, HANDLE_INFO, [atom('tick'), integer(3)]);
  agent.raise(server, 'error', atom('badarith'));

  agent.call(client, DEPOSIT_2, [integer(-1), integer(0)]);
  agent.raise(client, 'throw', atom('negative'));
  agent.call(client, DEPOSIT_1, [integer(1), integer(1)]);

  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-query-'));
  const tracePath = path.join(directory, 'scenario.estrace');
  const writer = TraceWriter.create(tracePath, { command: 'mix run scenario.exs', manifest });
  writer.appendEventBatch(agent.payload(0, 9));
  writer.appendEventBatch(agent.payload(9));
  writer.finish({ complete: false, endReason: 'the debuggee closed the connection without goodbye', droppedEvents: 3, droppedFrames: 1, agentCounts: null });
  return TraceReader.open(tracePath);
}

const reader = recordScenario();

/** A complete trace of everything `agent` emitted, in one batch. */
function finishedTrace(agent: FakeAgent, name: string): TraceReader {
  const tracePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-query-')), `${name}.estrace`);
  const writer = TraceWriter.create(tracePath, { command: `mix run ${name}.exs`, manifest });
  writer.appendEventBatch(agent.payload(0));
  writer.finish({ complete: true, endReason: 'the program ended', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  return TraceReader.open(tracePath);
}

test('calls: every call of any clause, paired with its return or raise', () => {
  const calls = queryTrace(reader, { calls: 'Bank.deposit/2' }) as CallRecord[];
  assert.deepEqual(
    calls.map(({ clause, pid, args, status, result, exception, end }) => ({ clause, pid, args, status, result, exception, open: end === null })),
    [
      { clause: 'Bank.deposit/2#1', pid: '#PID<0.90.0>', args: ['100', '5'], status: 'returned', result: '{:ok, 105}', exception: undefined, open: false },
      { clause: 'Bank.deposit/2#2', pid: '#PID<0.90.0>', args: ['-1', '0'], status: 'raised', result: undefined, exception: { kind: 'throw', reason: ':negative' }, open: false },
      { clause: 'Bank.deposit/2#1', pid: '#PID<0.90.0>', args: ['1', '1'], status: 'open', result: undefined, exception: undefined, open: true },
    ],
  );
  assert.ok(calls[0].end! - calls[0].start >= 50_000);
  assert.deepEqual((queryTrace(reader, { calls: 'Bank.deposit/2#2' }) as CallRecord[]).map((call) => call.clause), ['Bank.deposit/2#2']);
  assert.equal((queryTrace(reader, JSON.stringify({ calls: 'Bank.deposit/2', limit: 1 })) as CallRecord[]).length, 1);
  assert.deepEqual((queryTrace(reader, { calls: 'Bank.log/1' }) as CallRecord[]).map((call) => call.result), [':ok']);
});

test('stack: the calls open on a process at a time, innermost first', () => {
  const [log] = queryTrace(reader, { calls: 'Bank.log/1' }) as CallRecord[];
  const [deposit, , open] = queryTrace(reader, { calls: 'Bank.deposit/2' }) as CallRecord[];
  const during = queryTrace(reader, { stack: { pid: '#PID<0.90.0>', at: log.start + 10_000 } }) as StackFrame[];
  assert.deepEqual(during.map((frame) => [frame.clause, frame.args]), [['Bank.log/1#1', ['"deposit"']], ['Bank.deposit/2#1', ['100', '5']]]);
  assert.equal(during[1].call, deposit.call);
  // After log returned, only deposit is open; after deposit returned, nothing is.
  assert.deepEqual((queryTrace(reader, { stack: { pid: '0.90.0', at: log.end! } }) as StackFrame[]).map((frame) => frame.clause), ['Bank.deposit/2#1']);
  assert.deepEqual(queryTrace(reader, { stack: { pid: '<0.90.0>', at: deposit.end! } }), []);
  assert.deepEqual(queryTrace(reader, { stack: { pid: '0.90.0', at: -1 } }), []);
  assert.deepEqual((queryTrace(reader, { stack: { pid: '0.90.0', at: open.start + 1e9 } }) as StackFrame[]).map((frame) => frame.call), [open.call]);
});

test('stack: a call whose return has the same timestamp is open at its start', () => {
  // The VM's clock can stamp a short call's call and return alike; `at` = its start must still
  // show it (a stack asked for at a call's start is how the caller chain of that call is read).
  const agent = new FakeAgent();
  agent.call(client, DEPOSIT_1, [integer(1), integer(2)]);
  agent.call(client, LOG, [binary('same instant')]);
  agent.advance(-1000);
  agent.return(client, atom('ok'));
  agent.return(client, tuple(atom('ok'), integer(3)));
  const tie = finishedTrace(agent, 'tie');
  const [log] = queryTrace(tie, { calls: 'Bank.log/1' }) as CallRecord[];
  assert.equal(log.end, log.start, 'the call and its return share a timestamp');
  const frames = queryTrace(tie, { stack: { pid: '0.90.0', at: log.start } }) as StackFrame[];
  assert.deepEqual(frames.map((frame) => frame.clause), ['Bank.log/1#1', 'Bank.deposit/2#1']);
});

test('stack: a traced event stored out of time order does not hide the calls open at a time', () => {
  // The tracer stamps a receive when it happened but the event is stored when the tracer handles
  // it, after calls the process made in the meantime: a process's events are not in time order.
  const agent = new FakeAgent();
  agent.call(client, LOG, [binary('before')]);
  agent.return(client, atom('ok'));
  agent.advance(60_000);
  agent.receive(client, atom('late'));
  agent.advance(-61_000);
  agent.call(client, DEPOSIT_1, [integer(1), integer(2)]);
  agent.return(client, tuple(atom('ok'), integer(3)));
  const late = finishedTrace(agent, 'late');
  const [deposit] = queryTrace(late, { calls: 'Bank.deposit/2' }) as CallRecord[];
  const timeline = queryTrace(late, { timeline: '0.90.0' }) as TimelineRecord[];
  assert.ok(timeline[2]!.type === 'receive' && timeline[2]!.time > deposit.end!, 'the receive is stored before the deposit but stamped after it');
  assert.deepEqual((queryTrace(late, { stack: { pid: '0.90.0', at: deposit.start } }) as StackFrame[]).map((frame) => frame.clause), ['Bank.deposit/2#1']);
  assert.deepEqual((queryTrace(late, { stack: { pid: '0.90.0', at: deposit.start + 500 } }) as StackFrame[]).map((frame) => frame.clause), ['Bank.deposit/2#1']);
  assert.deepEqual(queryTrace(late, { stack: { pid: '0.90.0', at: deposit.end! } }), []);
});

test('values_at: a binding\'s values, and a clause\'s arguments', () => {
  const values = queryTrace(reader, { values_at: 'Bank.deposit/2#1:1.0' }) as ValueRecord[];
  assert.deepEqual(values.map(({ pid, value }) => ({ pid, value })), [{ pid: '#PID<0.90.0>', value: '105' }]);
  const args = queryTrace(reader, { values_at: 'Bank.deposit/2#1' }) as ValueRecord[];
  assert.deepEqual(args.map(({ value, args }) => ({ value, args })), [
    { value: '[100, 5]', args: ['100', '5'] },
    { value: '[1, 1]', args: ['1', '1'] },
  ]);
});

test('state_history: each callback with the state before and after it', () => {
  const history = queryTrace(reader, { state_history: 'Counter' }) as StateRecord[];
  assert.deepEqual(
    history.map(({ callback, message, from, reply, state_before, state_after, status }) => ({ callback, message, from, reply, state_before, state_after, status })),
    [
      { callback: 'init/1', message: null, from: null, reply: null, state_before: null, state_after: '0', status: 'returned' },
      { callback: 'handle_cast/2', message: '{:add, 2}', from: null, reply: null, state_before: '0', state_after: '2', status: 'returned' },
      { callback: 'handle_call/3', message: ':get', from: '{#PID<0.90.0>, :tag}', reply: '2', state_before: '2', state_after: '2', status: 'returned' },
      { callback: 'handle_info/2', message: ':tick', from: null, reply: null, state_before: '2', state_after: '3', status: 'returned' },
      { callback: 'handle_info/2', message: ':tick', from: null, reply: null, state_before: '3', state_after: null, status: 'raised' },
    ],
  );
  assert.deepEqual(queryTrace(reader, { state_history: '#PID<0.91.0>' }), history);
  assert.deepEqual(queryTrace(reader, { state_history: 'Elixir.Counter' }), history);
});

test('messages: sends matched to receives, first in first out per pair', () => {
  const toServer = queryTrace(reader, { messages: { from: '0.90.0', to: 'Counter' } }) as MessageRecord[];
  assert.deepEqual(toServer.map(({ from, to, message }) => [from, to, message]), [
    ['#PID<0.90.0>', '#PID<0.91.0>', '{:"$gen_cast", {:add, 2}}'],
    ['#PID<0.90.0>', '#PID<0.91.0>', '{:"$gen_call", {#PID<0.90.0>, :tag}, :get}'],
    ['#PID<0.90.0>', '#PID<0.91.0>', ':tick'],
    ['#PID<0.90.0>', '#PID<0.91.0>', ':tick'],
  ]);
  for (const message of toServer) assert.ok(message.received !== null && message.received > message.sent);
  assert.ok(toServer[2].received! < toServer[3].received!);
  const replies = queryTrace(reader, { messages: { from: 'Counter' } }) as MessageRecord[];
  assert.deepEqual(replies.map(({ to, message, received }) => [to, message, received !== null]), [['#PID<0.90.0>', '{:tag, 2}', true]]);
});

test('timeline: a process\'s events in order', () => {
  const timeline = queryTrace(reader, { timeline: 'Counter' }) as TimelineRecord[];
  assert.deepEqual(timeline.slice(0, 4).map(({ type, node, value }) => [type, node, value]), [
    ['call', 'Counter.init/1#1', '[0]'],
    ['return', null, '{:ok, 0}'],
    ['register', null, 'Counter'],
    ['receive', null, '{:"$gen_cast", {:add, 2}}'],
  ]);
  assert.equal(timeline.length, 16);
  assert.equal((queryTrace(reader, { timeline: 'Counter', limit: 2 }) as TimelineRecord[]).length, 2);
});

test('bad queries say what to write', () => {
  const cases: [unknown, RegExp][] = [
    ['{not json', /not JSON/],
    [[1], /JSON object/],
    [{ calls: 'Bank.deposit/2', stack: {} }, /exactly one form/],
    [{ callers: 'Bank.deposit/2' }, /unknown query "callers"; write one of/],
    [{ calls: 42 }, /write \{"calls": "Mod.fun\/2"\}/],
    [{ calls: 'Bank.deposit' }, /not a function ID/],
    [{ calls: 'Bank.withdraw/2' }, /was not recorded/],
    [{ values_at: 'Bank.deposit/2#1:9.9' }, /no node Bank.deposit\/2#1:9.9/],
    [{ state_history: 'Nobody' }, /no process registered as Nobody/],
    [{ timeline: '#PID<0.999.0>' }, /no process #PID<0.999.0>/],
    [{ stack: { pid: '0.90.0' } }, /"at" must be a number/],
    [{ messages: {} }, /give "from", "to" or both/],
    [{ calls: 'Bank.deposit/2', limit: -1 }, /"limit"/],
  ];
  for (const [query, message] of cases) assert.throws(() => queryTrace(reader, query), (error: unknown) => error instanceof TraceQueryError && message.test(error.message), JSON.stringify(query));
});

test('traceSummary: counts, processes with their names, drops, modules, completeness', () => {
  const summary = traceSummary(reader);
  assert.equal(summary.complete, false);
  assert.equal(summary.endReason, 'the debuggee closed the connection without goodbye');
  assert.equal(summary.recovered, false);
  assert.deepEqual(summary.dropped, { recorder: 3, recorderFrames: 1, agent: null });
  assert.deepEqual(summary.processes.map(({ pid, names }) => [pid, names]), [['#PID<0.90.0>', []], ['#PID<0.91.0>', ['Counter']]]);
  assert.deepEqual(summary.eventsByType, { call: 9, return: 6, raise: 2, bind: 1, spawn: 1, send: 5, receive: 5, register: 1 });
  assert.equal(summary.events, 30);
  assert.deepEqual(summary.modules.map((module) => module.module), ['Counter', 'Bank']);
});
