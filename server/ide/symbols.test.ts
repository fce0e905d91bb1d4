/**
 * Document and workspace symbols on text fixtures (`test/fixtures/ide/symbols`): nested modules,
 * protocols and implementations, multi-clause functions grouped by name/arity with complexity,
 * private functions and macros; workspace search ranking and its limit.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureParser, openFixture, readFixture } from '../../test/support/ideFixture';
import { type DocumentSymbol, documentSymbols, matchScore, workspaceSymbols } from './symbols';

after(async () => (await fixtureParser()).dispose());

/** The outline of the fixture's one file, one symbol a line: indentation, name, kind, detail, and the selection's line. */
async function check(fixture: string, expected: string[]): Promise<void> {
  const opened = await openFixture(readFixture(`symbols/${fixture}.txt`));
  try {
    const [path] = [...opened.fixture.files.keys()];
    const document = opened.view.document(path!)!;
    const lines: string[] = [];
    const render = (symbols: readonly DocumentSymbol[], depth: number) => {
      for (const symbol of symbols) {
        lines.push(`${'  '.repeat(depth)}${symbol.name} ${symbol.kind} [${symbol.detail}] @${symbol.selectionRange.start.line}`);
        render(symbol.children, depth + 1);
      }
    };
    render(documentSymbols(document, opened.view), 0);
    assert.deepEqual(lines, expected);
  } finally {
    opened.dispose();
  }
}

test('the outline nests modules and groups clauses under their function', () =>
  check('outline', [
    'Shop module [defmodule] @0',
    '  Shop.Cart module [defmodule] @1',
    '    total/1 function [def · 2 clauses · complexity 2] @2',
    '      total/1#1 clause [def · complexity 1] @2',
    '      total/1#2 clause [def · complexity 1] @3',
    '    helper/1 function [defp · complexity 1] @5',
    '  debug/1 macro [defmacro · complexity 1] @8',
    '  Shop.Priced protocol [defprotocol] @10',
    '    price/1 function [def · complexity 1] @11',
    '  Shop.Priced.Integer implementation [defimpl Shop.Priced for Integer] @14',
    '    price/1 function [def · complexity 1] @15',
  ]));

test('workspace symbols: exact and prefix matches first, subsequences after, capped', async () => {
  const opened = await openFixture(readFixture('symbols/workspace.txt'));
  try {
    const names = (query: string, limit?: number) => workspaceSymbols(opened.view, query, limit).map((symbol) => symbol.id);
    assert.deepEqual(names('to'), ['Shop.Cart.total/1', 'Shop.Cart.to_string/1']);
    assert.deepEqual(names('ts'), ['Shop.Cart.to_string/1']);
    assert.deepEqual(names('TOT'), ['Shop.Cart.total/1', 'Shop.Cart.to_string/1'], 'case-insensitive; the prefix match first');
    assert.deepEqual(names('shop.format'), ['Shop.Format', 'Shop.Format.money/1'], 'a dotted query matches qualified names, the exact one first');
    assert.deepEqual(names('pi'), ['Shop.Cart.put_item/2']);
    assert.equal(names('', 2).length, 2);
    assert.deepEqual(names('xyz'), []);
    const symbol = workspaceSymbols(opened.view, 'money')[0]!;
    assert.deepEqual(symbol.location, { path: 'lib/shop/format.ex', range: { start: { line: 1, character: 6 }, end: { line: 1, character: 11 } } });
    assert.equal(symbol.containerName, 'Shop.Format');
  } finally {
    opened.dispose();
  }
});

test('match scores: exact > prefix > word start > contiguous > scattered; no match is null', () => {
  assert.ok(matchScore('map', 'map/2')! > matchScore('map', 'flat_map/2')!);
  assert.ok(matchScore('fm', 'flat_map/2')! > matchScore('fm', 'form/1')!, 'word starts beat scattered letters');
  assert.equal(matchScore('zz', 'map/2'), null);
});
