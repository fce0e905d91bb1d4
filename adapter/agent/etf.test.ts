/**
 * The external term format decoder: each tag from hand-written bytes, the boundaries where numbers
 * become bigints, every refusal (truncation, unknown and unsupported tags, absurd lengths, nesting),
 * and a fuzz run: mutated encodings of real terms (captured from `elixir` in
 * `test/fixtures/etf/terms.jsonl`) either decode or throw `TermDecodeError`, nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeTerm, decodeTermPrefix, TermDecodeError } from './etf';
import type { Term } from './term';

const root = path.resolve(__dirname, '..', '..', '..');

/** Bytes from numbers and nested arrays of numbers, with 131 in front. */
function etf(...parts: (number | number[])[]): Uint8Array {
  return Uint8Array.from([131, ...parts.flat()]);
}
const u16 = (value: number) => [(value >>> 8) & 0xff, value & 0xff];
const u32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const smallAtom = (text: string) => [119, text.length, ...Buffer.from(text, 'utf8')];
const smallInt = (value: number) => [97, value];
const NIL = [106];
const NODE = smallAtom('nonode@nohost');

function integer(value: number | bigint): Term {
  return { type: 'integer', value };
}
function atom(value: string): Term {
  return { type: 'atom', value };
}

function assertDecodeError(bytes: Uint8Array, reason: RegExp, options?: Parameters<typeof decodeTerm>[2]): TermDecodeError {
  let caught: unknown;
  try {
    decodeTerm(bytes, 0, options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TermDecodeError, `expected a TermDecodeError, got ${String(caught)}`);
  assert.match(caught.reason, reason);
  assert.match(caught.message, /at byte \d+/);
  return caught;
}

test('integers: small, 32-bit signed, and bignums as numbers up to 2^53 - 1 and bigints beyond', () => {
  assert.deepEqual(decodeTerm(etf(smallInt(255))), integer(255));
  assert.deepEqual(decodeTerm(etf(98, u32(0xffffffff))), integer(-1));
  assert.deepEqual(decodeTerm(etf(98, u32(0x80000000))), integer(-2147483648));
  // 2^53 - 1 = 0x1FFFFFFFFFFFFF: 7 digit bytes, little-endian.
  assert.deepEqual(decodeTerm(etf(110, 7, 0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f])), integer(Number.MAX_SAFE_INTEGER));
  assert.deepEqual(decodeTerm(etf(110, 7, 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f])), integer(-Number.MAX_SAFE_INTEGER));
  assert.deepEqual(decodeTerm(etf(110, 7, 0, [0, 0, 0, 0, 0, 0, 0x20])), integer(2n ** 53n));
  assert.deepEqual(decodeTerm(etf(110, 8, 1, [0, 0, 0, 0, 0, 0, 0, 0x80])), integer(-(2n ** 63n)));
  assert.deepEqual(decodeTerm(etf(110, 9, 0, [0, 0, 0, 0, 0, 0, 0, 0, 1])), integer(2n ** 64n));
  // A non-normalised bignum (leading zero digits) that fits a double is still a number.
  assert.deepEqual(decodeTerm(etf(110, 10, 0, [5, 0, 0, 0, 0, 0, 0, 0, 0, 0])), integer(5));
  assert.deepEqual(decodeTerm(etf(110, 1, 1, [0])), integer(0));
  const large = decodeTerm(etf(111, u32(130), 0, new Array(129).fill(0), 1));
  assert.deepEqual(large, integer(2n ** 1032n));
});

test('floats: NEW_FLOAT_EXT and the old text FLOAT_EXT', () => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, -1.5e-300);
  assert.deepEqual(decodeTerm(etf(70, [...bytes])), { type: 'float', value: -1.5e-300 });
  const text = Buffer.alloc(31);
  text.write('1.50000000000000000000e+00');
  assert.deepEqual(decodeTerm(etf(99, [...text])), { type: 'float', value: 1.5 });
  new DataView(bytes.buffer).setFloat64(0, Number.NaN);
  assertDecodeError(etf(70, [...bytes]), /finite/);
  assertDecodeError(etf(99, [...Buffer.alloc(31, 'x')]), /not a float/);
});

test('atoms: the four atom tags, Latin-1 and UTF-8, as plain strings', () => {
  assert.deepEqual(decodeTerm(etf(smallAtom('ok'))), atom('ok'));
  assert.deepEqual(decodeTerm(etf(118, u16(5), [...Buffer.from('café')])), atom('café'));
  assert.deepEqual(decodeTerm(etf(100, u16(4), [0x63, 0x61, 0x66, 0xe9])), atom('café'));
  assert.deepEqual(decodeTerm(etf(115, 3, [0x6e, 0x69, 0x6c])), atom('nil'));
  // The same atom twice decodes equal (the bounded cache hands out the same term).
  assert.equal(decodeTerm(etf(smallAtom('again'))), decodeTerm(etf(smallAtom('again'))));
  assertDecodeError(etf(119, 2, [0xc3, 0x28]), /not valid UTF-8/);
  assertDecodeError(etf(118, u16(256), new Array(256).fill(0x61)), /more than 255 characters/);
});

test('tuples, lists (proper, improper, STRING_EXT, nested tails), maps and binaries', () => {
  assert.deepEqual(decodeTerm(etf(104, 0)), { type: 'tuple', items: [] });
  assert.deepEqual(decodeTerm(etf(105, u32(2), smallInt(1), smallAtom('a'))), { type: 'tuple', items: [integer(1), atom('a')] });
  assert.deepEqual(decodeTerm(etf(NIL)), { type: 'list', items: [] });
  assert.deepEqual(decodeTerm(etf(107, u16(2), [104, 105])), { type: 'list', items: [integer(104), integer(105)] });
  assert.deepEqual(decodeTerm(etf(108, u32(2), smallInt(1), smallInt(2), NIL)), { type: 'list', items: [integer(1), integer(2)] });
  assert.deepEqual(decodeTerm(etf(108, u32(1), smallInt(1), smallInt(2))), { type: 'list', items: [integer(1)], tail: integer(2) });
  // `[1 | [2 | 3]]` spelled as two LIST_EXTs is the list `[1, 2 | 3]`.
  assert.deepEqual(decodeTerm(etf(108, u32(1), smallInt(1), 108, u32(1), smallInt(2), smallInt(3))), {
    type: 'list',
    items: [integer(1), integer(2)],
    tail: integer(3),
  });
  assert.deepEqual(decodeTerm(etf(116, u32(1), smallAtom('a'), smallInt(1))), { type: 'map', entries: [[atom('a'), integer(1)]] });
  assert.deepEqual(decodeTerm(etf(109, u32(3), [1, 2, 3])), { type: 'binary', value: Uint8Array.from([1, 2, 3]) });
  // BIT_BINARY_EXT: 3 bits used of the last byte; unused low bits are cleared.
  assert.deepEqual(decodeTerm(etf(77, u32(2), 3, [255, 0b10111111])), { type: 'binary', value: Uint8Array.from([255, 0b10100000]), bits: 3 });
  assert.deepEqual(decodeTerm(etf(77, u32(1), 8, [9])), { type: 'binary', value: Uint8Array.from([9]) });
  assertDecodeError(etf(77, u32(1), 0, [9]), /1 to 8/);
});

test('a decoded binary is a copy that does not keep the frame alive', () => {
  const bytes = etf(109, u32(3), [1, 2, 3]);
  const term = decodeTerm(bytes);
  assert.equal(term.type, 'binary');
  assert.notEqual((term as { value: Uint8Array }).value.buffer, bytes.buffer);
});

test('pids, ports, references and funs keep what inspect prints', () => {
  assert.deepEqual(decodeTerm(etf(88, NODE, u32(123), u32(0), u32(1700000000))), {
    type: 'pid',
    node: 'nonode@nohost',
    id: 123,
    serial: 0,
    creation: 1700000000,
  });
  assert.deepEqual(decodeTerm(etf(103, NODE, u32(1), u32(2), 3)), { type: 'pid', node: 'nonode@nohost', id: 1, serial: 2, creation: 3 });
  assert.deepEqual(decodeTerm(etf(120, NODE, u32(1), u32(5), u32(9))), { type: 'port', node: 'nonode@nohost', id: 2 ** 32 + 5, creation: 9 });
  assert.deepEqual(decodeTerm(etf(120, NODE, u32(0xffffffff), u32(5), u32(9))), {
    type: 'port',
    node: 'nonode@nohost',
    id: (0xffffffffn << 32n) | 5n,
    creation: 9,
  });
  assert.deepEqual(decodeTerm(etf(89, NODE, u32(7), u32(9))), { type: 'port', node: 'nonode@nohost', id: 7, creation: 9 });
  assert.deepEqual(decodeTerm(etf(102, NODE, u32(7), 1)), { type: 'port', node: 'nonode@nohost', id: 7, creation: 1 });
  assert.deepEqual(decodeTerm(etf(90, u16(3), NODE, u32(1), u32(10), u32(20), u32(30))), {
    type: 'reference',
    node: 'nonode@nohost',
    ids: [10, 20, 30],
    creation: 1,
  });
  assert.deepEqual(decodeTerm(etf(114, u16(1), NODE, 2, u32(10))), { type: 'reference', node: 'nonode@nohost', ids: [10], creation: 2 });
  assert.deepEqual(decodeTerm(etf(101, NODE, u32(10), 2)), { type: 'reference', node: 'nonode@nohost', ids: [10], creation: 2 });
  assert.deepEqual(decodeTerm(etf(113, smallAtom('Elixir.Enum'), smallAtom('map'), smallInt(2))), {
    type: 'fun',
    module: 'Elixir.Enum',
    name: 'map',
    arity: 2,
  });
  // NEW_FUN_EXT with one free variable, which is skipped by way of the Size field.
  const body = [1, ...new Array(16).fill(0xab), ...u32(4), ...u32(1), ...smallAtom('Elixir.M'), ...smallInt(4), ...[98, ...u32(123456)], 88, ...NODE, ...u32(1), ...u32(0), ...u32(0), ...smallInt(7)];
  assert.deepEqual(decodeTerm(etf(112, u32(body.length + 4), body)), { type: 'fun', module: 'Elixir.M', name: null, arity: 1, index: 4, uniq: '123456' });
  assertDecodeError(etf(112, u32(body.length + 40), body), /does not fit/);
  assertDecodeError(etf(88, smallInt(1), u32(1), u32(0), u32(0)), /pid node must be an atom/);
});

test('COMPRESSED_EXT at the top inflates; lies about its size and nested ones are refused', () => {
  const inner = Uint8Array.from([104, 2, ...smallAtom('ok'), ...smallInt(1)]);
  const compressed = zlib.deflateSync(inner);
  assert.deepEqual(decodeTerm(etf(80, u32(inner.length), [...compressed])), { type: 'tuple', items: [atom('ok'), integer(1)] });
  assertDecodeError(etf(80, u32(inner.length + 1), [...compressed]), /inflates to|does not inflate/);
  assertDecodeError(etf(80, u32(inner.length - 1), [...compressed]), /does not inflate/);
  assertDecodeError(etf(80, u32(0x7fffffff), [...compressed]), /more than the limit/);
  assertDecodeError(etf(104, 1, 80, u32(inner.length), [...compressed]), /only valid right after the version byte/);
  // A zip bomb: a small input that would inflate far beyond what it declares.
  const bomb = zlib.deflateSync(new Uint8Array(50_000_000));
  assertDecodeError(etf(80, u32(1000), [...bomb]), /does not inflate/);
});

test('unsupported and unknown tags are refused with the reason', () => {
  assertDecodeError(etf(121, 1, 2, 3), /LOCAL_EXT/);
  assertDecodeError(etf(82, 0), /ATOM_CACHE_REF/);
  assertDecodeError(etf(68, 0), /distribution header/);
  assertDecodeError(etf(117, 0), /FUN_EXT/);
  const unknown = assertDecodeError(etf(104, 2, smallInt(1), 200), /unknown tag 200/);
  assert.equal(unknown.offset, 5);
  assertDecodeError(Uint8Array.from([130, 97, 1]), /version byte is 130/);
  assertDecodeError(new Uint8Array(0), /no bytes/);
  assertDecodeError(etf(smallInt(1), 0), /1 bytes left over/);
});

test('decodeTermPrefix reads terms back to back and decodeTerm honours an offset', () => {
  const twoTerms = Uint8Array.from([131, 97, 1, 131, 97, 2]);
  const first = decodeTermPrefix(twoTerms, 0);
  assert.deepEqual(first, { term: integer(1), end: 3 });
  assert.deepEqual(decodeTerm(twoTerms, first.end), integer(2));
});

test('every proper prefix of a valid term is refused as truncated', () => {
  const full = etf(104, 3, smallAtom('ok'), [109, ...u32(2), 1, 2], 108, u32(1), 88, NODE, u32(1), u32(2), u32(3), NIL);
  decodeTerm(full);
  for (let length = 0; length < full.length; length++) {
    assertDecodeError(full.subarray(0, length), /truncated|no bytes|claims \d+ elements/);
  }
});

test('absurd lengths are refused before anything is allocated for them', () => {
  for (const bytes of [
    etf(108, u32(0xffffffff), NIL),
    etf(105, u32(0xffffffff)),
    etf(116, u32(0x7fffffff)),
    etf(109, u32(0xffffffff)),
    etf(77, u32(0xffffffff), 1),
    etf(111, u32(0xffffffff), 0),
    etf(107, u16(0xffff)),
    etf(90, u16(0xffff), NODE, u32(1)),
  ]) {
    assertDecodeError(bytes, /claims|truncated|needs/);
  }
});

test('nesting is limited (maxDepth), and deep nesting within the limit does not use the call stack', () => {
  const depth = 200_000;
  // [[[...[]...]]]: each level a one-element LIST_EXT.
  const bytes = new Uint8Array(1 + depth * 5 + 1 + depth);
  bytes[0] = 131;
  for (let level = 0; level < depth; level++) bytes.set([108, 0, 0, 0, 1], 1 + level * 5);
  bytes.fill(106, 1 + depth * 5);
  assertDecodeError(bytes, /nested deeper than 1000/);
  let term = decodeTerm(bytes, 0, { maxDepth: depth });
  for (let level = 0; level < depth; level++) {
    assert.equal(term.type, 'list');
    term = (term as { items: readonly Term[] }).items[0];
  }
  assert.deepEqual(term, { type: 'list', items: [] });
});

/** A small deterministic PRNG (mulberry32) so a failing fuzz case can be replayed. */
function randomGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function fixtureEncodings(): Uint8Array[] {
  const lines = fs.readFileSync(path.join(root, 'test', 'fixtures', 'etf', 'terms.jsonl'), 'utf8').split('\n').filter((line) => line !== '');
  return lines.flatMap((line) => (JSON.parse(line) as { etf: string[] }).etf.map((base64) => new Uint8Array(Buffer.from(base64, 'base64'))));
}

test('every encoding captured from elixir decodes', () => {
  const encodings = fixtureEncodings();
  assert.ok(encodings.length > 1000);
  for (const bytes of encodings) decodeTerm(bytes);
});

test('fuzz: mutated encodings decode or throw TermDecodeError, never anything else', (t) => {
  const seeds = fixtureEncodings();
  const random = randomGenerator(0xe1b5c0de);
  const pick = (count: number) => Math.floor(random() * count);
  let decoded = 0;
  let refused = 0;
  const iterations = 60_000;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const seed = seeds[pick(seeds.length)];
    let bytes = new Uint8Array(seed);
    const mutations = 1 + pick(4);
    for (let mutation = 0; mutation < mutations && bytes.length > 1; mutation++) {
      const at = 1 + pick(bytes.length - 1);
      switch (pick(6)) {
        case 0:
          bytes[at] = pick(256);
          break;
        case 1:
          bytes[at] ^= 1 << pick(8);
          break;
        case 2:
          bytes = bytes.subarray(0, at);
          break;
        case 3: {
          // A length-like field set to something huge.
          const huge = [0xff, 0x7f, 0x00, 0x80][pick(4)];
          for (let index = at; index < Math.min(bytes.length, at + 4); index++) bytes[index] = huge;
          break;
        }
        case 4: {
          const inserted = new Uint8Array(bytes.length + 1);
          inserted.set(bytes.subarray(0, at));
          inserted[at] = pick(256);
          inserted.set(bytes.subarray(at), at + 1);
          bytes = inserted;
          break;
        }
        default: {
          const removed = new Uint8Array(bytes.length - 1);
          removed.set(bytes.subarray(0, at));
          removed.set(bytes.subarray(at + 1), at);
          bytes = removed;
        }
      }
    }
    try {
      decodeTerm(bytes);
      decoded++;
    } catch (error) {
      if (!(error instanceof TermDecodeError)) {
        assert.fail(`iteration ${iteration}: ${String(error)} for bytes ${Buffer.from(bytes).toString('base64')}`);
      }
      refused++;
    }
  }
  t.diagnostic(`${iterations} mutated terms: ${decoded} decoded, ${refused} refused with TermDecodeError`);
  assert.ok(refused > iterations / 4);
});

test('bignums beyond the VM limit are refused before they are converted', () => {
  const digitCount = 8 * 1024 * 1024 + 1;
  const bytes = new Uint8Array(7 + digitCount).fill(1);
  bytes.set([131, 111, ...u32(digitCount), 0]);
  assertDecodeError(bytes, /beyond the VM's own limit/);
});
