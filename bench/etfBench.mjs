// Micro-benchmark of the recorder's decoding path: ETF decoding of `events` payloads (lists of
// event tuples shaped as the agent sends them), inspect of decoded values, frame splitting and
// the shared ring buffer. Run after a build: `node bench/etfBench.mjs` (uses out/).
// Numbers are printed, never asserted: they depend on the machine.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { decodeTerm } = require(path.join(root, 'out/adapter/agent/etf.js'));
const { inspectTerm } = require(path.join(root, 'out/adapter/agent/inspect.js'));
const { FrameSplitter, encodeFrame } = require(path.join(root, 'out/adapter/agent/frames.js'));
const { RingBuffer } = require(path.join(root, 'out/adapter/trace/ringBuffer.js'));

/** A tiny ETF writer for the shapes the agent sends. */
class Writer {
  bytes = [];
  u8(value) { this.bytes.push(value & 0xff); }
  u32(value) { this.u8(value >>> 24); this.u8(value >>> 16); this.u8(value >>> 8); this.u8(value); }
  integer(value) {
    if (value >= 0 && value < 256) { this.u8(97); this.u8(value); return; }
    if (value >= -(2 ** 31) && value < 2 ** 31) { this.u8(98); this.u32(value); return; }
    let magnitude = BigInt(value < 0 ? -value : value);
    const digits = [];
    while (magnitude > 0n) { digits.push(Number(magnitude & 0xffn)); magnitude >>= 8n; }
    this.u8(110); this.u8(digits.length); this.u8(value < 0 ? 1 : 0);
    for (const digit of digits) this.u8(digit);
  }
  atom(text) { this.u8(119); this.u8(text.length); for (const c of text) this.u8(c.charCodeAt(0)); }
  binary(text) { this.u8(109); this.u32(text.length); for (const c of text) this.u8(c.charCodeAt(0)); }
  pid(id) { this.u8(88); this.atom('nonode@nohost'); this.u32(id); this.u32(0); this.u32(1700000000); }
  tuple(count) { this.u8(104); this.u8(count); }
  list(count) { this.u8(108); this.u32(count); }
  nil() { this.u8(106); }
}

function eventsPayload(eventCount, firstSeq) {
  const writer = new Writer();
  writer.u8(131);
  writer.list(eventCount);
  for (let index = 0; index < eventCount; index++) {
    const seq = firstSeq + index;
    writer.tuple(8);
    writer.integer(1 + (index % 3));
    writer.integer(seq);
    writer.integer(-576460751234567890n + BigInt(seq) * 1000n);
    writer.pid(100 + (index % 50));
    writer.integer(index % 200);
    writer.integer(seq);
    writer.integer(seq - 1);
    // value: small, as most are: [{:ok, "hello"}, 42] or :ok
    if (index % 2 === 0) {
      writer.list(2); writer.tuple(2); writer.atom('ok'); writer.binary('hello'); writer.integer(42); writer.nil();
    } else {
      writer.atom('ok');
    }
  }
  writer.nil();
  return Uint8Array.from(writer.bytes);
}

function measure(label, unitsPerRun, run, unit = 'M/s', scale = 1e6, minimumMs = 1500) {
  for (let warm = 0; warm < 20; warm++) run();
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < minimumMs) {
    run();
    runs++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const perSecond = (runs * unitsPerRun) / (elapsedMs / 1000);
  console.log(`${label.padEnd(52)} ${(perSecond / scale).toFixed(2)} ${unit}`);
  return perSecond;
}

const EVENTS_PER_FRAME = 1000;
const payload = eventsPayload(EVENTS_PER_FRAME, 1);
console.log(`events payload: ${EVENTS_PER_FRAME} event tuples, ${payload.length} bytes (${(payload.length / EVENTS_PER_FRAME).toFixed(1)} B/event)`);

let sink = 0;
measure('decodeTerm: event tuples (events/s)', EVENTS_PER_FRAME, () => {
  const term = decodeTerm(payload);
  sink += term.items.length;
});

const decoded = decodeTerm(payload);
measure('inspectTerm: event values (values/s)', EVENTS_PER_FRAME, () => {
  for (const event of decoded.items) sink += inspectTerm(event.items[7]).length;
});

const frame = encodeFrame(3, payload);
const stream = new Uint8Array(frame.length * 8);
for (let index = 0; index < 8; index++) stream.set(frame, index * frame.length);
const chunks = [];
for (let offset = 0; offset < stream.length; offset += 65536) chunks.push(stream.subarray(offset, offset + 65536));
const streamMiB = stream.length / (1024 * 1024);
measure('FrameSplitter: 64 KiB chunks', streamMiB, () => {
  const splitter = new FrameSplitter();
  for (const chunk of chunks) sink += splitter.push(chunk).length;
}, 'MiB/s', 1);

const ring = RingBuffer.create(1 << 22);
const record = new Uint8Array(64).fill(7);
measure('RingBuffer: 64-byte records, write+read, 1 thread', 1000, () => {
  for (let index = 0; index < 1000; index++) {
    ring.tryWrite(record);
    sink += ring.read().length;
  }
});
const bigRecord = new Uint8Array(4096).fill(7);
measure('RingBuffer: 4 KiB records, write+read, 1 thread', 1000, () => {
  for (let index = 0; index < 1000; index++) {
    ring.tryWrite(bigRecord);
    sink += ring.read().length;
  }
});
// Across threads: a worker produces records as fast as it can, this thread consumes them.
const PRODUCER = `
const { workerData, parentPort } = require('node:worker_threads');
const { RingBuffer } = require(workerData.modulePath);
const ring = new RingBuffer(workerData.buffer);
const record = new Uint8Array(workerData.size).fill(7);
for (let index = 0; index < workerData.count; index++) {
  while (!ring.tryWrite(record)) ring.waitForSpace(100, record.length);
}
parentPort.postMessage('done');`;
for (const [size, count] of [[64, 2_000_000], [4096, 200_000], [65536, 20_000]]) {
  const sharedRing = RingBuffer.create(1 << 20);
  const started = process.hrtime.bigint();
  const worker = new Worker(PRODUCER, {
    eval: true,
    workerData: { buffer: sharedRing.buffer, size, count, modulePath: path.join(root, 'out/adapter/trace/ringBuffer.js') },
  });
  const finished = new Promise((resolve) => worker.once('message', resolve));
  for (let received = 0; received < count; ) {
    if (sharedRing.read() !== null) received++;
    else await sharedRing.waitForDataAsync(1000);
  }
  await finished;
  await worker.terminate();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const label = `RingBuffer: ${size}-byte records, worker -> main thread`;
  console.log(`${label.padEnd(52)} ${(count / seconds / 1e6).toFixed(2)} M/s (${((count * size) / seconds / 1e6).toFixed(0)} MB/s)`);
}
if (sink === 0) console.log('(nothing decoded?)');
