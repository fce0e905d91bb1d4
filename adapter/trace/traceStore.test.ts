import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { DEFAULT_VALUE_LIMITS, type ManifestNode, PROTOCOL_VERSION, type RecordingManifest } from '../../common/traceProtocol';
import { atom, binary, encodeTerm, FakeAgent, integer, list, map, pid, tuple } from '../../test/support/etfEncode';
import { EventBatchError } from './eventBatch';
import { TraceFormatError, TraceReader, TraceWriter } from './traceStore';

const manifest: RecordingManifest = {
  version: PROTOCOL_VERSION,
  mode: 'debug',
  limits: DEFAULT_VALUE_LIMITS,
  nodes: [
    { id: 'Bank.deposit/2#1', kind: 'clause', line: 3, column: 3 },
    { id: 'Bank.deposit/2#1:1.0', kind: 'binding', line: 4, column: 5, name: 'balance' },
  ] satisfies ManifestNode[],
  modules: [{ module: 'Bank', file: '/p/lib/bank.ex', sourceHash: 'abc', clauses: [0], bindings: [1], expressions: [] }],
  traceProcesses: true,
};

function temporaryTrace(name: string): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-trace-'));
  return path.join(directory, name);
}

/** A recording with calls on a few processes, nested calls, bindings and values of every size. */
function sampleAgent(callCount: number): FakeAgent {
  const agent = new FakeAgent();
  const processes = [pid(100), pid(101, 2), pid(7, 0, 'other@host', 3)];
  for (let index = 0; index < callCount; index++) {
    const process = processes[index % processes.length];
    agent.call(process, 0, [integer(index), map([atom('balance'), integer(index * 10)])]);
    agent.bind(process, 1, integer(index * 10 + 5));
    if (index % 5 === 0) {
      agent.call(process, 0, [binary('x'.repeat(index % 300)), integer(-index)]);
      agent.return(process, tuple(atom('ok'), integer(2 ** 40 + index)));
    }
    agent.advance(index % 7 === 0 ? 5_000_000 : 3);
    if (index % 11 === 3) agent.raise(process, 'error', atom('badarg'));
    else agent.return(process, tuple(atom('ok'), integer(index)));
  }
  return agent;
}

function writeSample(tracePath: string, agent: FakeAgent, batchSize: number, blockBytes?: number): TraceWriter {
  const writer = TraceWriter.create(tracePath, { command: 'mix test', manifest, startedAt: '2024-01-01T00:00:00.000Z' }, blockBytes ? { blockBytes } : {});
  writer.setAgent({ agentVersion: '0.1.0', elixir: '1.14.0', otp: '25', osPid: '42', node: 'nonode@nohost' });
  writer.setLoaded([{ module: 'Bank', sourceHash: 'abc', compileMicroseconds: 1200, status: 'ok', error: null }]);
  for (let from = 0; from < agent.events.length; from += batchSize) writer.appendEventBatch(agent.payload(from, from + batchSize));
  return writer;
}

test('a finished trace reads back from its footer: metadata, pids, columns and value bytes', () => {
  const tracePath = temporaryTrace('finished.estrace');
  const agent = sampleAgent(200);
  const writer = writeSample(tracePath, agent, 64);
  const metadata = writer.finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: { events: agent.events.length, dropped: 0 } });
  assert.equal(metadata.eventCount, agent.events.length);

  const reader = TraceReader.open(tracePath);
  assert.equal(reader.recovered, false);
  assert.equal(reader.eventCount, agent.events.length);
  assert.equal(reader.metadata.command, 'mix test');
  assert.equal(reader.metadata.agent?.elixir, '1.14.0');
  assert.equal(reader.metadata.loaded?.[0].status, 'ok');
  assert.equal(reader.metadata.end?.complete, true);
  assert.deepEqual(reader.metadata.manifest, manifest);
  assert.equal(reader.metadata.timeOrigin, String(agent.events[0].time));
  assert.deepEqual(reader.pids, [
    { node: 'nonode@nohost', id: 100, serial: 0, creation: 0 },
    { node: 'nonode@nohost', id: 101, serial: 2, creation: 0 },
    { node: 'other@host', id: 7, serial: 0, creation: 3 },
  ]);
  const { index } = reader;
  const origin = BigInt(agent.events[0].time);
  agent.events.forEach((event, position) => {
    assert.equal(index.type[position], event.type);
    assert.equal(index.seq[position], event.seq);
    assert.equal(index.time[position], Number(BigInt(event.time) - origin));
    assert.equal(index.node[position], event.node);
    assert.equal(index.call[position], event.call);
    assert.deepEqual(reader.valueBytes(position), encodeTerm(event.value).subarray(1));
  });
  assert.deepEqual(reader.metadata.countsByType, { call: 240, return: 240 - 18, raise: 18, bind: 200 });
});

test('a trace without its footer is recovered by scanning, with the same indexes', () => {
  const agent = sampleAgent(300);
  const finishedPath = temporaryTrace('finished.estrace');
  writeSample(finishedPath, agent, 50, 700).finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const abandonedPath = temporaryTrace('abandoned.estrace');
  writeSample(abandonedPath, agent, 50, 700).abandon();

  const finished = TraceReader.open(finishedPath);
  const recovered = TraceReader.open(abandonedPath);
  assert.equal(recovered.recovered, true);
  assert.equal(recovered.metadata.end, null);
  assert.deepEqual(recovered.index, finished.index);
  assert.deepEqual(recovered.pids, finished.pids);
  assert.deepEqual(recovered.metadata.countsByType, finished.metadata.countsByType);
});

test('a file cut at any point yields exactly the events whose records are complete', () => {
  const agent = sampleAgent(400);
  const tracePath = temporaryTrace('cut.estrace');
  writeSample(tracePath, agent, 37, 1024).finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const file = fs.readFileSync(tracePath);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const full = TraceReader.fromBytes(bytes).index;
  const firstValueEnd = full.valueOffset[0];
  const cuts = new Set<number>([bytes.length - 1, bytes.length - 24, Math.floor(firstValueEnd) - 1]);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let count = 0; count < 150; count++) cuts.add(Math.floor(random() * bytes.length));
  // Cuts just before and after record boundaries, where off-by-one errors live.
  for (let event = 1; event < full.eventCount; event += 97) {
    const end = full.valueOffset[event] + full.valueLength[event];
    cuts.add(end - 1).add(end).add(end + 1);
  }
  for (const cut of cuts) {
    const prefix = bytes.subarray(0, cut);
    let reader: TraceReader;
    try {
      reader = TraceReader.fromBytes(prefix);
    } catch (error) {
      // Only a cut inside the header or the start record leaves nothing to read.
      assert.ok(error instanceof TraceFormatError, String(error));
      assert.ok(cut < firstValueEnd, `cut at ${cut} threw ${String(error)}`);
      continue;
    }
    let expected = 0;
    while (expected < full.eventCount && full.valueOffset[expected] + full.valueLength[expected] <= cut) expected++;
    assert.equal(reader.eventCount, expected, `cut at ${cut} of ${bytes.length}`);
    assert.equal(reader.recovered, cut < bytes.length);
    assert.deepEqual(reader.index.time, full.time.subarray(0, expected));
    assert.deepEqual(reader.index.valueOffset, full.valueOffset.subarray(0, expected));
    if (expected > 0) assert.deepEqual(reader.valueBytes(expected - 1), encodeTerm(agent.events[expected - 1].value).subarray(1));
  }
});

test('a malformed events payload is refused whole and the writer goes on', () => {
  const tracePath = temporaryTrace('malformed.estrace');
  const agent = sampleAgent(10);
  const writer = TraceWriter.create(tracePath, { command: 'x', manifest });
  writer.appendEventBatch(agent.payload(0, 5));
  const good = agent.payload(5);
  const cases: [string, Uint8Array][] = [
    ['truncated', good.subarray(0, good.length - 3)],
    ['not a list', encodeTerm(atom('events'))],
    ['a 7-tuple', encodeTerm(list(tuple(integer(1), integer(1), integer(1), pid(1), integer(0), integer(0), integer(0))))],
    ['pid not a pid', encodeTerm(list(tuple(integer(1), integer(1), integer(1), atom('self'), integer(0), integer(0), integer(0), atom('nil'))))],
    ['no version byte', good.subarray(1)],
    ['trailing bytes', Uint8Array.from([...good, 0])],
  ];
  for (const [name, payload] of cases) assert.throws(() => writer.appendEventBatch(payload), EventBatchError, name);
  assert.equal(writer.eventCount, 5);
  writer.appendEventBatch(good);
  writer.finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const reader = TraceReader.open(tracePath);
  assert.equal(reader.eventCount, agent.events.length);
  assert.deepEqual(reader.valueBytes(agent.events.length - 1), encodeTerm(agent.events.at(-1)!.value).subarray(1));
});

test('a file that is not a trace, or of another format version, is refused with a reason', () => {
  assert.throws(() => TraceReader.fromBytes(new TextEncoder().encode('SQLite format 3\0....')), /not an ElixirScope trace/);
  const tracePath = temporaryTrace('version.estrace');
  TraceWriter.create(tracePath, { command: 'x', manifest }).finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const bytes = fs.readFileSync(tracePath);
  bytes[8] = 99;
  assert.throws(() => TraceReader.fromBytes(bytes), /format version 99/);
});

test('bytes per stored event (diagnostic)', (context) => {
  const agent = new FakeAgent();
  const process = pid(120);
  for (let index = 0; index < 20_000; index++) {
    const call = index % 4;
    agent.call(process, 0, [integer(index), atom('ok')]);
    if (call === 0) agent.bind(process, 1, tuple(atom('ok'), integer(index)));
    agent.return(process, integer(index * 2));
  }
  const tracePath = temporaryTrace('size.estrace');
  const writer = writeSample(tracePath, agent, 1000);
  writer.flush();
  const bodyBytes = fs.statSync(tracePath).size;
  writer.finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const totalBytes = fs.statSync(tracePath).size;
  const count = agent.events.length;
  context.diagnostic(`bytes per event: ${(bodyBytes / count).toFixed(1)} in the records, ${(totalBytes / count).toFixed(1)} with the footer index (${count} small events)`);
  assert.ok(totalBytes / count < 100);
});
