/**
 * Measures the trace store: ingestion through the whole recorder (TCP → socket thread → ring →
 * writer), appends alone, bytes per stored event, opening a finished and a cut-short trace, and the
 * latency of the `calls`, `values_at` and `stack` queries on a synthetic 1 M-event trace.
 * Prints one JSON object on stdout (progress on stderr), for `npm run bench` to pick up.
 *
 *   node out/bench/traceBench.js [--events N]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_VALUE_LIMITS, FrameKind, type ManifestNode, PROTOCOL_VERSION, type RecordingManifest } from '../common/traceProtocol';
import { startRecorder } from '../adapter/trace/ingest';
import { queryTrace } from '../adapter/trace/traceQuery';
import { TraceReader, TraceWriter } from '../adapter/trace/traceStore';
import { atom, atomMap, binary, encodeFrame, encodeTerm, FakeAgent, integer, map, pid, tuple } from '../test/support/etfEncode';

const FUNCTIONS = 200;
const PROCESSES = 50;
const EVENTS_PER_FRAME = 1000;

function main(): void {
  const eventsIndex = process.argv.indexOf('--events');
  const targetEvents = eventsIndex === -1 ? 1_000_000 : Number(process.argv[eventsIndex + 1]);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-trace-bench-'));
  // Only the encoded frames are kept: the generator's objects would otherwise weigh on every GC.
  const { manifest, eventCount, payloads } = synthesize(targetEvents);
  log(`synthesized ${eventCount} events in ${payloads.length} frames`);

  const appendResult = measureAppend(path.join(directory, 'append.estrace'), manifest, payloads, eventCount);
  const openResult = measureOpen(path.join(directory, 'append.estrace'));
  const queries = measureQueries(path.join(directory, 'append.estrace'));
  void measureIngest(directory, manifest, payloads, eventCount).then((ingest) => {
    process.stdout.write(`${JSON.stringify({ events: eventCount, ingest, append: appendResult, open: openResult, queries })}\n`);
    fs.rmSync(directory, { recursive: true, force: true });
  });
}

/** Nested calls of many functions on many processes, a binding per call, small realistic values. */
function synthesize(targetEvents: number) {
  const nodes: ManifestNode[] = [];
  for (let fn = 0; fn < FUNCTIONS; fn++) {
    for (let clause = 1; clause <= 2; clause++) nodes.push({ id: `App.Mod${fn % 20}.fun${fn}/2#${clause}`, kind: 'clause', line: fn * 10 + clause, column: 3 });
    nodes.push({ id: `App.Mod${fn % 20}.fun${fn}/2#1:1.0`, kind: 'binding', line: fn * 10 + 1, column: 5, name: 'acc' });
  }
  const manifest: RecordingManifest = { version: PROTOCOL_VERSION, mode: 'debug', limits: DEFAULT_VALUE_LIMITS, nodes, modules: [], traceProcesses: false };
  const agent = new FakeAgent();
  const processes = Array.from({ length: PROCESSES }, (_, index) => pid(100 + index));
  let step = 0;
  while (agent.events.length < targetEvents) {
    const process = processes[step % PROCESSES];
    const fn = (step * 7919) % FUNCTIONS;
    const inner = (fn + 1) % FUNCTIONS;
    agent.call(process, fn * 3 + (step % 2), [integer(step), map([atom('id'), integer(step)], [atom('name'), binary('account')])]);
    agent.bind(process, fn * 3 + 2, integer(step * 3));
    agent.call(process, inner * 3, [integer(step), atom('ok')]);
    agent.return(process, tuple(atom('ok'), integer(step)));
    agent.advance(250);
    agent.return(process, tuple(atom('ok'), map([atom('balance'), integer(step)])));
    step++;
  }
  const payloads: Uint8Array[] = [];
  for (let from = 0; from < agent.events.length; from += EVENTS_PER_FRAME) payloads.push(agent.payload(from, from + EVENTS_PER_FRAME));
  return { manifest, eventCount: agent.events.length, payloads };
}

function measureAppend(tracePath: string, manifest: RecordingManifest, payloads: readonly Uint8Array[], eventCount: number) {
  const started = performance.now();
  const writer = TraceWriter.create(tracePath, { command: 'bench', manifest });
  for (const payload of payloads) writer.appendEventBatch(payload);
  writer.flush();
  const recordBytes = fs.statSync(tracePath).size;
  writer.finish({ complete: true, endReason: 'goodbye', droppedEvents: 0, droppedFrames: 0, agentCounts: null });
  const elapsedMs = performance.now() - started;
  const totalBytes = fs.statSync(tracePath).size;
  const payloadBytes = payloads.reduce((sum, payload) => sum + payload.length, 0);
  return {
    eventsPerSecond: Math.round(eventCount / (elapsedMs / 1000)),
    elapsedMs: round(elapsedMs),
    etfBytesPerEvent: round(payloadBytes / eventCount),
    recordBytesPerEvent: round(recordBytes / eventCount),
    totalBytesPerEvent: round(totalBytes / eventCount),
  };
}

function measureOpen(tracePath: string) {
  let started = performance.now();
  const reader = TraceReader.open(tracePath);
  const footerMs = performance.now() - started;
  const bytes = fs.readFileSync(tracePath);
  const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
  started = performance.now();
  const recovered = TraceReader.fromBytes(new Uint8Array(cut.buffer, cut.byteOffset, cut.byteLength));
  const scanMs = performance.now() - started;
  return { footerMs: round(footerMs), events: reader.eventCount, recoveryScanMs: round(scanMs), recoveredEvents: recovered.eventCount };
}

function measureQueries(tracePath: string) {
  const reader = TraceReader.open(tracePath);
  const { index } = reader;
  const latencies = (makeQuery: (run: number) => unknown) => {
    const times: number[] = [];
    let results = 0;
    for (let run = 0; run < 40; run++) {
      const query = makeQuery(run);
      const started = performance.now();
      const answer = queryTrace(reader, query) as unknown[];
      times.push(performance.now() - started);
      results += answer.length;
    }
    times.sort((left, right) => left - right);
    return { p50Ms: round(times[Math.floor(times.length * 0.5)]), p95Ms: round(times[Math.floor(times.length * 0.95)]), meanResults: Math.round(results / times.length) };
  };
  return {
    calls: latencies((run) => ({ calls: `App.Mod${(run * 13) % 20}.fun${(run * 13) % FUNCTIONS}/2` })),
    callsLimit100: latencies((run) => ({ calls: `App.Mod${(run * 13) % 20}.fun${(run * 13) % FUNCTIONS}/2`, limit: 100 })),
    valuesAt: latencies((run) => ({ values_at: `App.Mod${(run * 17) % 20}.fun${(run * 17) % FUNCTIONS}/2#1:1.0` })),
    // At a moment inside a nested call: just after the inner call of a step somewhere in the trace.
    stack: latencies((run) => {
      let event = Math.floor(((run + 0.5) / 40) * index.eventCount);
      while (index.type[event] !== 1 || index.type[event - 1] !== 4) event++;
      return { stack: { pid: `0.${reader.pids[index.pid[event]].id}.0`, at: index.time[event] } };
    }),
  };
}

async function measureIngest(directory: string, manifest: RecordingManifest, payloads: readonly Uint8Array[], eventCount: number) {
  const token = 'bench-token';
  const streamPath = path.join(directory, 'stream.bin');
  const hello = encodeFrame(FrameKind.hello, encodeTerm(atomMap({ token: binary(token) })));
  const goodbye = encodeFrame(FrameKind.goodbye, encodeTerm(atomMap({ events: integer(eventCount), dropped: integer(0) })));
  fs.writeFileSync(streamPath, Buffer.concat([hello, ...payloads.map((payload) => encodeFrame(FrameKind.events, payload)), goodbye]));
  const recorder = await startRecorder({ token, tracePath: path.join(directory, 'ingest.estrace'), manifest, command: 'bench', overload: 'block' });
  // The client runs in its own process and first reads the whole stream, so only sending is timed.
  const client = spawn(process.execPath, [
    '-e',
    `const data = require('fs').readFileSync(${JSON.stringify(streamPath)});` +
      `const s = require('net').connect(${recorder.port}, '127.0.0.1', () => { process.stdout.write('go\\n'); s.end(data); });`,
  ]);
  const started = await new Promise<number>((resolve) => client.stdout.once('data', () => resolve(performance.now())));
  const summary = await recorder.done;
  const elapsedMs = performance.now() - started;
  log(`ingest: ${summary.events} events, complete ${summary.complete}`);
  return { eventsPerSecond: Math.round(summary.events / (elapsedMs / 1000)), elapsedMs: round(elapsedMs), stored: summary.events, dropped: summary.droppedEvents };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function log(message: string): void {
  process.stderr.write(`traceBench: ${message}\n`);
}

main();
