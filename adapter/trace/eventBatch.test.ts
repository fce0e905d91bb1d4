import assert from 'node:assert/strict';
import test from 'node:test';
import { atom, binary, encodeTerm, float, integer, list, map, pid, tuple } from '../../test/support/etfEncode';
import { EventBatch, EventBatchError, eventCountOfPayload, readPid, skipTerm } from './eventBatch';

test('skipTerm finds the end of every kind of term the agent sends', () => {
  const terms = [
    atom('ok'),
    atom('é'.repeat(200)),
    integer(5),
    integer(-5),
    integer(2 ** 40),
    integer(-(2n ** 100n)),
    float(1.5),
    binary('hello'),
    { type: 'binary', value: Uint8Array.of(255, 128), bits: 3 } as const,
    list(),
    list(integer(1), list(list()), tuple()),
    { type: 'list', items: [integer(1)], tail: atom('improper') } as const,
    tuple(...Array.from({ length: 300 }, (_, index) => integer(index))),
    map([atom('a'), map([binary('k'), list(integer(1))])]),
    pid(1, 2, 'a@b', 3),
  ];
  for (const term of terms) {
    const bytes = encodeTerm(term);
    const padded = Uint8Array.from([...bytes, 97, 1]);
    assert.equal(skipTerm(padded, 1), bytes.length, JSON.stringify(term, (_, value) => (typeof value === 'bigint' ? String(value) : value)));
    assert.throws(() => skipTerm(bytes.subarray(0, bytes.length - 1), 1), EventBatchError);
  }
  // Hand-encoded forms term_to_binary also produces: STRING_EXT, NEW_FUN_EXT (size-prefixed), EXPORT_EXT.
  assert.equal(skipTerm(Uint8Array.of(107, 0, 3, 1, 2, 3), 0), 6);
  assert.equal(skipTerm(Uint8Array.of(112, 0, 0, 0, 6, 1, 2), 0), 7);
  assert.equal(skipTerm(Uint8Array.of(113, 119, 1, 109, 119, 1, 102, 97, 2), 0), 9);
  assert.throws(() => skipTerm(Uint8Array.of(121, 0), 0), /unsupported ETF tag 121/);
});

test('an events payload is read in place: envelope fields, pid ranges and value ranges', () => {
  const time = -576460752303423488n;
  const payload = encodeTerm(
    list(
      tuple(integer(1), integer(1), integer(time), pid(80, 1), integer(0), integer(1), integer(0), list(integer(1))),
      tuple(integer(2), integer(2 ** 33), integer(123), pid(80, 1), integer(-1), integer(1), integer(0), atom('ok')),
    ),
  );
  const batch = new EventBatch();
  batch.parse(payload);
  assert.equal(batch.count, 2);
  assert.deepEqual([batch.type[0], batch.type[1]], [1, 2]);
  assert.deepEqual([batch.seq[0], batch.seq[1]], [1, 2 ** 33]);
  assert.equal(BigInt(batch.timeSign[0]) * (BigInt(batch.timeHigh[0]) * 2n ** 32n + BigInt(batch.timeLow[0])), time);
  assert.deepEqual([batch.timeSign[1], batch.timeHigh[1], batch.timeLow[1]], [1, 0, 123]);
  assert.deepEqual([batch.node[0], batch.node[1]], [0, -1]);
  assert.deepEqual(readPid(payload, batch.pidStart[0]), { node: 'nonode@nohost', id: 80, serial: 1, creation: 0 });
  assert.deepEqual(payload.subarray(batch.valueStart[1], batch.valueEnd[1]), encodeTerm(atom('ok')).subarray(1));
  assert.equal(eventCountOfPayload(payload), 2);
  assert.equal(eventCountOfPayload(encodeTerm(list())), 0);
  assert.equal(eventCountOfPayload(encodeTerm(atom('x'))), -1);
});
