/**
 * Hover on text fixtures (`test/fixtures/ide/hover`): a remote call to a multi-clause function,
 * a variable, a module alias, and a call on a line with astral characters.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureParser, openFixture, readFixture } from '../../test/support/ideFixture';
import { hover } from './hover';

after(async () => (await fixtureParser()).dispose());

/** Hovers at the fixture's cursor: the markdown must be `expected`, the range (when `rangeLabel` is given) that annotation. */
async function check(fixture: string, expected: string, rangeLabel?: string): Promise<void> {
  const opened = await openFixture(readFixture(`hover/${fixture}.txt`));
  try {
    const found = hover(opened.view, opened.cursor.path, opened.cursor.position);
    assert.ok(found, 'a hover');
    assert.equal(found.markdown, expected);
    if (rangeLabel !== undefined) assert.equal(opened.label({ path: opened.cursor.path, range: found.range }), rangeLabel);
  } finally {
    opened.dispose();
  }
}

test('on a call: the function, its clauses, complexity per clause, callers and the node ID', () =>
  check(
    'call',
    [
      '`Shop.Cart.total/1` — def, 2 clauses',
      'complexity 3 (clauses: 1, 2)',
      '3 call sites in 2 functions',
      'defined in `lib/shop/cart.ex`',
      'node `Shop.Checkout.pay/1#1:1.0.0`',
    ].join('\n\n'),
    'name',
  ));

test('on a variable: the line of the binding that reaches it', () =>
  check('variable', ['variable `total` — bound at line 3 (match)', 'node `Calc.run/1#1:1.0.0.1.1`'].join('\n\n')));

test('on a module alias: the module and where it is defined', () =>
  check('module', ['defmodule `Shop.Cart` — defined at `lib/shop/cart.ex:1`', 'node `Shop.Checkout.pay/1#1:1.0.0.0`'].join('\n\n')));

test('after astral characters on the line, the range is in UTF-16 units', async () => {
  const opened = await openFixture(readFixture('hover/astral.txt'));
  try {
    const found = hover(opened.view, opened.cursor.path, opened.cursor.position);
    const line = opened.fixture.files.get('lib/emoji.ex')!.split('\n')[1]!;
    const start = line.indexOf('loud(');
    assert.deepEqual(found?.range, { start: { line: 1, character: start }, end: { line: 1, character: start + 4 } });
    assert.match(found!.markdown, /^`Emoji.loud\/1` — def, 1 clause/);
  } finally {
    opened.dispose();
  }
});
