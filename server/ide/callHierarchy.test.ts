/**
 * The call hierarchy on a text fixture (`test/fixtures/ide/hierarchy`): the item at a call,
 * callers grouped by calling function with every call site's range, callees (a local capture,
 * a pipe into a private function) with theirs, and items that survive a JSON round trip.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureParser, openFixture, readFixture } from '../../test/support/ideFixture';
import { incomingCalls, outgoingCalls, prepareCallHierarchy } from './callHierarchy';

after(async () => (await fixtureParser()).dispose());

/**
 * Prepares the hierarchy at the cursor, then expands it `direction`wards: each entry is the
 * item's selection label followed by the labels of its call-site ranges.
 */
async function check(fixture: string, direction: 'incoming' | 'outgoing', expected: { item: string; calls: string[] }): Promise<void> {
  const opened = await openFixture(readFixture(`hierarchy/${fixture}.txt`));
  try {
    const [item, ...others] = prepareCallHierarchy(opened.view, opened.cursor.path, opened.cursor.position);
    assert.ok(item, 'an item at the cursor');
    assert.equal(others.length, 0);
    assert.equal(opened.label({ path: item.path, range: item.selectionRange }), expected.item);
    // The client stores the item and sends it back: only JSON survives.
    const roundTripped = JSON.parse(JSON.stringify(item));
    const entries =
      direction === 'incoming'
        ? incomingCalls(opened.view, roundTripped).map((call) => [call.from, call.fromRanges.map((range) => opened.label({ path: call.from.path, range }))] as const)
        : outgoingCalls(opened.view, roundTripped).map((call) => [call.to, call.fromRanges.map((range) => opened.label({ path: item.path, range }))] as const);
    assert.deepEqual(
      entries.map(([target, ranges]) => `${opened.label({ path: target.path, range: target.selectionRange })}: ${ranges.join(', ')}`),
      expected.calls,
    );
  } finally {
    opened.dispose();
  }
}

test('incoming: callers grouped by function, across files, with every call site', () =>
  check('calls', 'incoming', { item: 'total', calls: ['receipt: receipt call 1, receipt call 2', 'pay: pay call'] }));

test('outgoing: callees defined in the workspace, with the call sites (a capture counts)', () =>
  check('calls', 'outgoing', { item: 'total', calls: ['price: price call', 'sum: sum call'] }));

test('an item whose data is not a function ID expands to nothing', async () => {
  const opened = await openFixture(readFixture('hierarchy/calls.txt'));
  try {
    assert.deepEqual(incomingCalls(opened.view, { data: { functionId: 42 } }), []);
    assert.deepEqual(outgoingCalls(opened.view, { data: null }), []);
    assert.deepEqual(incomingCalls(opened.view, { data: { functionId: 'No.Such.fun/9' } }), []);
  } finally {
    opened.dispose();
  }
});
