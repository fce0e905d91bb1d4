/**
 * The frame splitter: the same frames come out however the stream is cut into chunks, whole
 * frames are views of their chunk, and each header violation is a `FrameError` that sticks.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { FrameKind } from '../../common/traceProtocol';
import { encodeFrame, FrameError, FrameSplitter, type Frame } from './frames';

function concat(parts: Uint8Array[]): Uint8Array {
  const total = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    total.set(part, offset);
    offset += part.length;
  }
  return total;
}

function simple(frames: Frame[]): { kind: number; payload: number[] }[] {
  return frames.map((frame) => ({ kind: frame.kind, payload: [...frame.payload] }));
}

const FRAMES = [
  encodeFrame(FrameKind.hello, Uint8Array.from([131, 97, 1])),
  encodeFrame(FrameKind.events, new Uint8Array(0)),
  encodeFrame(FrameKind.events, Uint8Array.from({ length: 300 }, (_, index) => index & 0xff)),
  encodeFrame(FrameKind.goodbye, Uint8Array.from([131, 106])),
];
const STREAM = concat(FRAMES);
const EXPECTED = [
  { kind: FrameKind.hello, payload: [131, 97, 1] },
  { kind: FrameKind.events, payload: [] },
  { kind: FrameKind.events, payload: Array.from({ length: 300 }, (_, index) => index & 0xff) },
  { kind: FrameKind.goodbye, payload: [131, 106] },
];

function splitInto(stream: Uint8Array, cuts: number[]): Frame[] {
  const splitter = new FrameSplitter();
  const frames: Frame[] = [];
  let start = 0;
  for (const cut of [...cuts, stream.length]) {
    frames.push(...splitter.push(stream.slice(start, cut)));
    start = cut;
  }
  assert.ok(splitter.isAtFrameBoundary);
  assert.equal(splitter.bufferedBytes, 0);
  return frames;
}

test('one chunk with several frames, and every single cut point, give the same frames', () => {
  assert.deepEqual(simple(splitInto(STREAM, [])), EXPECTED);
  for (let cut = 0; cut <= STREAM.length; cut++) assert.deepEqual(simple(splitInto(STREAM, [cut])), EXPECTED, `cut at ${cut}`);
});

test('byte-by-byte and random chunkings give the same frames', () => {
  assert.deepEqual(simple(splitInto(STREAM, Array.from({ length: STREAM.length - 1 }, (_, index) => index + 1))), EXPECTED);
  let state = 12345;
  for (let round = 0; round < 200; round++) {
    const cuts: number[] = [];
    let position = 0;
    for (;;) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      position += state % 40;
      if (position >= STREAM.length) break;
      cuts.push(position);
    }
    assert.deepEqual(simple(splitInto(STREAM, cuts)), EXPECTED);
  }
});

test('a frame wholly inside its chunk is a view of the chunk, not a copy', () => {
  const splitter = new FrameSplitter();
  const [frame] = splitter.push(FRAMES[0]);
  assert.equal(frame.payload.buffer, FRAMES[0].buffer);
  assert.equal(frame.version, 1);
});

test('a frame split across chunks reports the bytes it holds until it is complete', () => {
  const splitter = new FrameSplitter();
  assert.deepEqual(splitter.push(FRAMES[2].subarray(0, 3)), []);
  assert.equal(splitter.bufferedBytes, 3);
  assert.deepEqual(splitter.push(FRAMES[2].subarray(3, 100)), []);
  assert.equal(splitter.bufferedBytes, 94);
  assert.equal(splitter.push(FRAMES[2].subarray(100)).length, 1);
  assert.ok(splitter.isAtFrameBoundary);
});

function header(length: number, version: number, kind: number): Uint8Array {
  return Uint8Array.from([length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, version, kind]);
}

function assertFrameError(push: () => unknown, code: string, offset: number): void {
  assert.throws(push, (error: unknown) => {
    assert.ok(error instanceof FrameError);
    assert.equal(error.code, code);
    assert.equal(error.offset, offset);
    return true;
  });
}

test('bad version, unknown kind and impossible lengths are FrameErrors, with the stream offset', () => {
  assertFrameError(() => new FrameSplitter().push(header(2, 2, FrameKind.hello)), 'bad-version', 0);
  assertFrameError(() => new FrameSplitter().push(header(2, 1, 99)), 'unknown-kind', 0);
  assertFrameError(() => new FrameSplitter().push(header(1, 1, FrameKind.hello)), 'bad-length', 0);
  assertFrameError(() => new FrameSplitter().push(header(0, 1, FrameKind.hello)), 'bad-length', 0);
  // Over the maximum: refused from the header alone, before the payload arrives.
  assertFrameError(() => new FrameSplitter({ maxFrameBytes: 1000 }).push(header(1001, 1, FrameKind.events)), 'bad-length', 0);
  assertFrameError(() => new FrameSplitter().push(header(0xffffffff, 1, FrameKind.events)), 'bad-length', 0);
  // After a good frame, and with the bad header itself split across chunks.
  const splitter = new FrameSplitter();
  assert.equal(splitter.push(concat([FRAMES[0], header(2, 9, 1).subarray(0, 4)])).length, 1);
  assertFrameError(() => splitter.push(header(2, 9, 1).subarray(4)), 'bad-version', FRAMES[0].length);
});

test('a failed splitter stays failed', () => {
  const splitter = new FrameSplitter();
  assert.throws(() => splitter.push(header(2, 1, 99)), FrameError);
  assert.throws(() => splitter.push(FRAMES[0]), FrameError);
});

test('the accepted version and kinds can be set', () => {
  const splitter = new FrameSplitter({ version: 2, kinds: [42] });
  assert.deepEqual(simple(splitter.push(encodeFrame(42, Uint8Array.from([1]), 2))), [{ kind: 42, payload: [1] }]);
  assert.throws(() => splitter.push(encodeFrame(FrameKind.hello, new Uint8Array(0), 2)), FrameError);
});
