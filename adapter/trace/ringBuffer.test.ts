/**
 * The shared ring buffer: order and content of records through wrap-arounds (checked against a
 * plain array as a model), refusals when full, waiting, and a real worker thread producing
 * records that the main thread consumes intact and in order.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import test from 'node:test';
import assert from 'node:assert/strict';
import { RingBuffer } from './ringBuffer';

/** Record `sequence` of `length` bytes: the sequence number, then bytes derived from it. */
function recordFor(sequence: number, length: number): Uint8Array {
  const record = new Uint8Array(length);
  for (let index = 0; index < length; index++) record[index] = (sequence * 31 + index * 7) & 0xff;
  return record;
}

test('records come out in order and intact, and read() is null when empty', () => {
  const ring = RingBuffer.create(1024);
  assert.equal(ring.read(), null);
  assert.ok(ring.isEmpty);
  for (let sequence = 0; sequence < 10; sequence++) assert.ok(ring.tryWrite(recordFor(sequence, sequence * 3)));
  for (let sequence = 0; sequence < 10; sequence++) assert.deepEqual(ring.read(), recordFor(sequence, sequence * 3));
  assert.equal(ring.read(), null);
});

test('a full ring refuses a record without writing anything, and accepts it once read', () => {
  const ring = RingBuffer.create(64);
  assert.equal(ring.maxRecordBytes, 24);
  const record = recordFor(1, 20);
  assert.ok(ring.tryWrite(record));
  assert.ok(ring.tryWrite(record));
  assert.equal(ring.tryWrite(record), false);
  assert.equal(ring.hasSpaceFor(20), false);
  assert.deepEqual(ring.read(), record);
  // The space freed at the start is exactly one record: taking it would make head meet tail,
  // which means empty, so one word must stay free and the record waits for the next read.
  assert.equal(ring.tryWrite(record), false);
  assert.deepEqual(ring.read(), record);
  assert.ok(ring.hasSpaceFor(20));
  assert.ok(ring.tryWrite(record));
  assert.deepEqual(ring.read(), record);
  assert.throws(() => ring.tryWrite(new Uint8Array(25)), RangeError);
});

test('random writes and reads through many wrap-arounds match a queue, and an empty ring always accepts', () => {
  for (const capacity of [64, 100, 256, 1000]) {
    const ring = RingBuffer.create(capacity);
    const model: Uint8Array[] = [];
    let state = capacity;
    const next = (bound: number) => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % bound;
    };
    let sequence = 0;
    for (let step = 0; step < 20_000; step++) {
      if (next(3) < 2) {
        const record = recordFor(sequence++, next(ring.maxRecordBytes + 1));
        const wasEmpty = model.length === 0;
        const accepted = ring.tryWrite(record);
        if (wasEmpty) assert.ok(accepted, 'an empty ring accepts any record up to maxRecordBytes');
        if (accepted) model.push(record);
      } else {
        const expected = model.shift() ?? null;
        assert.deepEqual(ring.read(), expected);
      }
    }
    while (model.length > 0) assert.deepEqual(ring.read(), model.shift());
    assert.equal(ring.read(), null);
    assert.equal(ring.usedBytes, 0);
  }
});

test('a second RingBuffer on the same memory sees the same records; other memory is refused', () => {
  const producer = RingBuffer.create(256);
  const consumer = new RingBuffer(producer.buffer);
  producer.tryWrite(recordFor(5, 9));
  assert.deepEqual(consumer.read(), recordFor(5, 9));
  assert.throws(() => new RingBuffer(new SharedArrayBuffer(1024)), /bad magic/);
  assert.throws(() => new RingBuffer(new SharedArrayBuffer(8)), /too small/);
  assert.throws(() => RingBuffer.create(0), RangeError);
});

test('waiting for data times out on an empty ring and returns at once when there is some', async () => {
  const ring = RingBuffer.create(256);
  assert.equal(ring.waitForData(10), false);
  assert.equal(await ring.waitForDataAsync(10), false);
  ring.tryWrite(recordFor(1, 4));
  assert.equal(ring.waitForData(1000), true);
  assert.equal(await ring.waitForDataAsync(1000), true);
});

const PRODUCER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { RingBuffer } = require(workerData.modulePath);
const ring = new RingBuffer(workerData.buffer);
let full = 0;
for (let sequence = 0; sequence < workerData.count; sequence++) {
  const length = 4 + ((sequence * 2654435761) >>> 0) % workerData.maxExtra;
  const record = new Uint8Array(length);
  new DataView(record.buffer).setUint32(0, sequence);
  for (let index = 4; index < length; index++) record[index] = (sequence * 31 + index * 7) & 0xff;
  while (!ring.tryWrite(record)) {
    full++;
    ring.waitForSpace(100, length);
  }
}
parentPort.postMessage({ full });
`;

test('a worker thread produces records that the main thread consumes in order and intact', async (t) => {
  const count = 300_000;
  const maxExtra = 200;
  const ring = RingBuffer.create(64 * 1024);
  const started = process.hrtime.bigint();
  const worker = new Worker(PRODUCER_SOURCE, {
    eval: true,
    workerData: { buffer: ring.buffer, count, maxExtra, modulePath: path.join(__dirname, 'ringBuffer.js') },
  });
  const finished = new Promise<{ full: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  let received = 0;
  let bytes = 0;
  while (received < count) {
    const record = ring.read();
    if (record === null) {
      assert.ok(await ring.waitForDataAsync(10_000), `no record for 10 s after ${received} of ${count}`);
      continue;
    }
    const sequence = new DataView(record.buffer, record.byteOffset).getUint32(0);
    assert.equal(sequence, received);
    assert.equal(record.length, 4 + ((sequence * 2654435761) >>> 0) % maxExtra);
    for (let index = 4; index < record.length; index++) {
      if (record[index] !== ((sequence * 31 + index * 7) & 0xff)) assert.fail(`record ${sequence} byte ${index} corrupted`);
    }
    received++;
    bytes += record.length;
  }
  const { full } = await finished;
  await worker.terminate();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(ring.read(), null);
  t.diagnostic(
    `${count} records (${(bytes / 1e6).toFixed(1)} MB) across threads, built and checked byte by byte, in ${seconds.toFixed(2)} s: ` +
      `${(count / seconds / 1e6).toFixed(2)} M records/s, ${(bytes / seconds / 1e6).toFixed(0)} MB/s; producer found the ring full ${full} times`,
  );
});
