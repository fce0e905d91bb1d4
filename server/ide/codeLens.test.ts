/**
 * Code lenses on a text fixture (`test/fixtures/ide/lens`): one lens per function above its
 * first clause, with the summed complexity and the callers (recursive calls count), or "no callers".
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureParser, openFixture, readFixture } from '../../test/support/ideFixture';
import { codeLenses } from './codeLens';

after(async () => (await fixtureParser()).dispose());

/** The lenses of the cursor's file as `label: title`, the label naming the lens's range. */
async function check(fixture: string, expected: string[]): Promise<void> {
  const opened = await openFixture(readFixture(`lens/${fixture}.txt`));
  try {
    const lenses = codeLenses(opened.view, opened.cursor.path);
    assert.deepEqual(lenses.map((lens) => `${opened.label({ path: lens.path, range: lens.range })}: ${lens.title}`), expected);
    for (const lens of lenses) assert.deepEqual(lens.position, lens.range.start, 'the references open at the name');
    assert.deepEqual(JSON.parse(JSON.stringify(lenses)), lenses, 'plain data');
  } finally {
    opened.dispose();
  }
}

test('one lens per function: complexity summed over clauses, callers counted', () =>
  check('lenses', ['total: complexity 3 · 2 callers', 'unused: complexity 1 · no callers']));
