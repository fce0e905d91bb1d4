/**
 * Tests for the oracle scorer: hand-built records small enough that every expected count can be
 * checked by eye against the README's matching rules.
 */

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  compareInventories,
  formatReport,
  readJsonLines,
  type CallEntry,
  type CategoryReport,
  type FunctionEntry,
  type InventoryRecord,
  type ModuleEntry,
  type VarEntry,
} from './compareInventory';

const caller = 'Fixture.Unicode.emoji/1#1';

function moduleEntry(overrides: Partial<ModuleEntry> = {}): ModuleEntry {
  return {
    name: 'Fixture.Unicode',
    kind: 'defmodule',
    line: 1,
    column: 1,
    end_line: 16,
    parent: null,
    dynamic: false,
    ...overrides,
  };
}

function functionEntry(overrides: Partial<FunctionEntry> = {}): FunctionEntry {
  return {
    id: caller,
    module: 'Fixture.Unicode',
    name: 'emoji',
    arity: 1,
    arities: [1],
    kind: 'def',
    clause: 1,
    line: 5,
    column: 3,
    name_line: 5,
    name_column: 7,
    end_line: 8,
    has_guard: false,
    bodiless: false,
    dynamic: false,
    ...overrides,
  };
}

function callEntry(overrides: Partial<CallEntry> = {}): CallEntry {
  return {
    caller,
    callee_module: 'Mod',
    callee: 'f',
    arity: 1,
    line: 6,
    column: 21,
    local: false,
    ...overrides,
  };
}

function varEntry(overrides: Partial<VarEntry> = {}): VarEntry {
  return { function: caller, name: 'z', line: 6, column: 5, via: 'match', ...overrides };
}

function inventory(file: string, overrides: Partial<InventoryRecord> = {}): InventoryRecord {
  return {
    file,
    parse_ok: true,
    column_drift_lines: [],
    modules: [moduleEntry()],
    functions: [functionEntry()],
    calls: [callEntry(), callEntry({ callee_module: 'Fixture.Unicode', callee: 'g', line: 7, column: 9, local: true })],
    vars: [varEntry({ name: 'y', line: 5, column: 13, via: 'param' }), varEntry()],
    ...overrides,
  };
}

function counts(category: CategoryReport): { tp: number; fp: number; fn: number } {
  return { tp: category.truePositives, fp: category.falsePositives, fn: category.falseNegatives };
}

function attributeCount(category: CategoryReport, attribute: string): number {
  const found = category.attributeMismatches.find((mismatch) => mismatch.attribute === attribute);
  assert.ok(found, `attribute ${attribute} is reported`);
  return found.count;
}

test('identical inputs give precision and recall of 1 in every category', () => {
  const records = [inventory('lib/a.ex'), inventory('lib/b.ex')];
  const report = compareInventories(records, structuredClone(records));
  assert.deepEqual(report.files, { compared: 2, onlyInOurs: [], onlyInOracle: [] });
  assert.deepEqual(counts(report.categories.modules), { tp: 2, fp: 0, fn: 0 });
  assert.deepEqual(counts(report.categories.functions), { tp: 2, fp: 0, fn: 0 });
  assert.deepEqual(counts(report.categories.calls), { tp: 4, fp: 0, fn: 0 });
  assert.deepEqual(counts(report.categories.vars), { tp: 4, fp: 0, fn: 0 });
  for (const category of Object.values(report.categories)) {
    assert.equal(category.precision, 1);
    assert.equal(category.recall, 1);
    assert.deepEqual(category.mismatchBuckets, []);
    assert.ok(category.attributeMismatches.every((mismatch) => mismatch.count === 0));
  }
});

test('empty inputs score 1 rather than NaN', () => {
  const report = compareInventories([], []);
  assert.equal(report.categories.calls.precision, 1);
  assert.equal(report.categories.calls.recall, 1);
});

test('an extra call is one false positive', () => {
  const oracle = [inventory('lib/a.ex')];
  const ours = [inventory('lib/a.ex')];
  ours[0]!.calls.push(callEntry({ callee: 'extra', column: 30 }));
  const calls = compareInventories(ours, oracle).categories.calls;
  assert.deepEqual(counts(calls), { tp: 2, fp: 1, fn: 0 });
  assert.equal(calls.precision, 2 / 3);
  assert.equal(calls.recall, 1);
});

test('a missing var is one false negative', () => {
  const oracle = [inventory('lib/a.ex')];
  const ours = [inventory('lib/a.ex')];
  ours[0]!.vars.pop();
  const vars = compareInventories(ours, oracle).categories.vars;
  assert.deepEqual(counts(vars), { tp: 1, fp: 0, fn: 1 });
  assert.equal(vars.precision, 1);
  assert.equal(vars.recall, 1 / 2);
});

test('a key that appears twice counts twice', () => {
  const twice = [callEntry(), callEntry()];
  const thrice = [callEntry(), callEntry(), callEntry()];
  const oracle = [inventory('lib/a.ex', { calls: twice })];

  const fewer = compareInventories([inventory('lib/a.ex', { calls: [callEntry()] })], oracle);
  assert.deepEqual(counts(fewer.categories.calls), { tp: 1, fp: 0, fn: 1 });

  const more = compareInventories([inventory('lib/a.ex', { calls: thrice })], oracle);
  assert.deepEqual(counts(more.categories.calls), { tp: 2, fp: 1, fn: 0 });
});

test("on the oracle's drift lines the column is ignored, elsewhere it is not", () => {
  const oracle = [
    inventory('lib/a.ex', {
      column_drift_lines: [13],
      calls: [callEntry({ line: 13, column: 34 }), callEntry({ line: 14, column: 34 })],
      vars: [varEntry({ line: 13, column: 3 })],
    }),
  ];
  const ours = [
    inventory('lib/a.ex', {
      // Our own drift list must not matter: only the oracle knows where Elixir miscounted.
      column_drift_lines: [14],
      calls: [callEntry({ line: 13, column: 36 }), callEntry({ line: 14, column: 36 })],
      vars: [varEntry({ line: 13, column: 5 })],
    }),
  ];
  const report = compareInventories(ours, oracle);
  assert.deepEqual(counts(report.categories.calls), { tp: 1, fp: 1, fn: 1 });
  assert.deepEqual(counts(report.categories.vars), { tp: 1, fp: 0, fn: 0 });
});

test('a drift line also excuses column attributes', () => {
  const oracle = [
    inventory('lib/a.ex', {
      column_drift_lines: [5],
      functions: [functionEntry({ name_column: 7 })],
    }),
  ];
  const ours = [inventory('lib/a.ex', { functions: [functionEntry({ name_column: 9 })] })];
  assert.equal(attributeCount(compareInventories(ours, oracle).categories.functions, 'name_column'), 0);
  assert.equal(attributeCount(compareInventories(ours, [inventory('lib/a.ex')]).categories.functions, 'name_column'), 1);
});

test('a file on one side only counts all its entries as unmatched on that side', () => {
  const oracle = [inventory('lib/a.ex'), inventory('lib/only_oracle.ex')];
  const ours = [inventory('lib/only_ours.ex'), inventory('lib/a.ex')];
  const report = compareInventories(ours, oracle);
  assert.deepEqual(report.files, { compared: 1, onlyInOurs: ['lib/only_ours.ex'], onlyInOracle: ['lib/only_oracle.ex'] });
  assert.deepEqual(counts(report.categories.modules), { tp: 1, fp: 1, fn: 1 });
  assert.deepEqual(counts(report.categories.calls), { tp: 2, fp: 2, fn: 2 });
  assert.deepEqual(counts(report.categories.vars), { tp: 2, fp: 2, fn: 2 });
  const bucketNames = report.categories.calls.mismatchBuckets.map((bucket) => bucket.name);
  assert.ok(bucketNames.includes('missing in file lib/only_oracle.ex'));
  assert.ok(bucketNames.includes('extra in file lib/only_ours.ex'));
});

test('a file listed twice on one side is an error', () => {
  assert.throws(
    () => compareInventories([inventory('lib/a.ex'), inventory('lib/a.ex')], [inventory('lib/a.ex')]),
    /ours lists file lib\/a\.ex more than once/,
  );
});

test('attributes of matched entries are counted per attribute', () => {
  const oracle = [
    inventory('lib/a.ex', {
      modules: [moduleEntry({ parent: 'Outer' })],
      functions: [functionEntry({ arities: [1, 2], has_guard: true })],
      calls: [callEntry({ in_quote: true }), callEntry({ column: 30, piped: false })],
      vars: [varEntry({ via: 'case' })],
    }),
  ];
  const ours = [
    inventory('lib/a.ex', {
      modules: [moduleEntry({ parent: null, end_line: 99 })],
      functions: [functionEntry({ arities: [2], end_line: null })],
      // `piped` absent on our side and `false` in the oracle's must not count as a mismatch.
      calls: [callEntry(), callEntry({ column: 30 })],
      vars: [varEntry({ via: 'match' })],
    }),
  ];
  const { categories } = compareInventories(ours, oracle);

  assert.deepEqual(
    categories.modules.attributeMismatches.map(({ attribute, count }) => [attribute, count]),
    [['column', 0], ['end_line', 1], ['parent', 1], ['dynamic', 0]],
  );
  assert.deepEqual(
    categories.functions.attributeMismatches.map(({ attribute, count }) => [attribute, count]),
    [['arities', 1], ['name_line', 0], ['name_column', 0], ['end_line', 1], ['has_guard', 1], ['bodiless', 0], ['dynamic', 0]],
  );
  assert.deepEqual(
    categories.calls.attributeMismatches.map(({ attribute, count }) => [attribute, count]),
    [['local', 0], ['piped', 0], ['capture', 0], ['delegate', 0], ['in_quote', 1]],
  );
  assert.equal(attributeCount(categories.vars, 'via'), 1);

  const inQuote = categories.calls.attributeMismatches.find((mismatch) => mismatch.attribute === 'in_quote')!;
  assert.deepEqual(inQuote.examples, [
    {
      file: 'lib/a.ex',
      key: { caller, callee_module: 'Mod', callee: 'f', arity: 1, line: 6, column: 21 },
      ours: false,
      oracle: true,
    },
  ]);
  // Attribute differences do not affect matching.
  assert.deepEqual(counts(categories.calls), { tp: 2, fp: 0, fn: 0 });
});

test('unmatched entries are grouped into buckets sorted by count, then name', () => {
  const oracleCalls = [
    callEntry({ callee_module: 'Fixture.Unicode', callee: 'a', line: 10, local: true }),
    callEntry({ callee_module: 'Fixture.Unicode', callee: 'b', line: 11, local: true, piped: true }),
    callEntry({ callee_module: 'Fixture.Unicode', callee: 'c', line: 12, local: true, capture: true }),
    callEntry({ callee_module: 'Fixture.Unicode', callee: 'd', line: 13, local: true, in_quote: true }),
    callEntry({ callee_module: 'Enum', callee: 'map', arity: 2, line: 14 }),
    callEntry({ callee_module: 'Enum', callee: 'map', arity: 2, line: 15 }),
    callEntry({ callee_module: ':lists', callee: 'reverse', line: 16 }),
  ];
  const oracle = [inventory('lib/a.ex', { calls: oracleCalls, vars: [varEntry({ via: 'case' }), varEntry({ column: 9 })] })];
  const ours = [
    inventory('lib/a.ex', {
      calls: [callEntry({ callee: 'ghost', line: 20 })],
      vars: [],
      functions: [functionEntry(), functionEntry({ kind: 'defp', name: 'helper', line: 30 })],
    }),
  ];
  const { categories } = compareInventories(ours, oracle);

  assert.deepEqual(
    categories.calls.mismatchBuckets.map(({ name, count }) => [name, count]),
    [
      ['missing in file lib/a.ex', 7],
      ['missing local call', 4],
      ['missing remote call', 3],
      ['missing remote call to Enum', 2],
      ['extra in file lib/a.ex', 1],
      ['extra remote call', 1],
      ['extra remote call to Mod', 1],
      ['missing call in_quote', 1],
      ['missing capture', 1],
      ['missing piped call', 1],
      ['missing remote call to :lists', 1],
    ],
  );
  const local = categories.calls.mismatchBuckets.find((bucket) => bucket.name === 'missing local call')!;
  assert.deepEqual(
    local.examples.map((example) => example.key['callee']),
    ['a', 'b', 'c'],
    'at most three examples, in source order',
  );
  assert.equal(local.examples[0]!.file, 'lib/a.ex');

  assert.deepEqual(
    categories.vars.mismatchBuckets.map(({ name, count }) => [name, count]),
    [['missing in file lib/a.ex', 2], ['missing var via case', 1], ['missing var via match', 1]],
  );
  assert.deepEqual(
    categories.functions.mismatchBuckets.map(({ name, count }) => [name, count]),
    [['extra defp clause', 1], ['extra in file lib/a.ex', 1]],
  );
});

test('formatReport prints a summary line per category, attribute counts and buckets with an example', () => {
  const oracle = [inventory('lib/a.ex')];
  const ours = [inventory('lib/a.ex')];
  ours[0]!.calls.push(callEntry({ callee: 'extra', column: 30 }));
  ours[0]!.vars[1]!.via = 'case';
  const text = formatReport(compareInventories(ours, oracle));
  const lines = text.split('\n');

  assert.ok(lines.includes('calls      precision  66.66%  recall 100.00%  (tp 2, fp 1, fn 0)'), text);
  assert.ok(lines.includes('modules    precision 100.00%  recall 100.00%  (tp 1, fp 0, fn 0)'), text);
  assert.ok(lines.includes('vars attribute mismatches: via 1'), text);
  assert.ok(lines.includes('calls top mismatches:'), text);
  assert.ok(
    lines.some((line) => /^ {2}1 {2}extra remote call +e\.g\. lib\/a\.ex:6:30 Fixture\.Unicode\.emoji\/1#1 -> Mod\.extra\/1$/.test(line)),
    text,
  );
  assert.ok(lines.includes('functions top mismatches: none'), text);
});

test('formatReport shows at most eight buckets per category', () => {
  const oracleCalls = Array.from({ length: 12 }, (_, index) =>
    callEntry({ callee_module: `Mod${String(index).padStart(2, '0')}`, line: 100 + index }),
  );
  const text = formatReport(compareInventories([], [inventory('lib/a.ex', { calls: oracleCalls })]));
  const section = text.split('calls top mismatches:\n')[1]!.split('\n\n')[0]!;
  const bucketLines = section.split('\n').filter((line) => line.startsWith('  '));
  assert.equal(bucketLines.length, 8, text);
});

test('readJsonLines skips blank lines and names the line of invalid JSON', () => {
  const good = JSON.stringify(inventory('lib/a.ex'));
  const records = readJsonLines(`${good}\n\n   \n${JSON.stringify(inventory('lib/b.ex'))}\n`);
  assert.deepEqual(
    records.map((record) => record.file),
    ['lib/a.ex', 'lib/b.ex'],
  );

  assert.throws(() => readJsonLines(`${good}\n\n{"file": "lib/b.ex",\n`), /^Error: line 3: invalid JSON/);
  assert.throws(() => readJsonLines(`${good}\n[1, 2]\n`), /line 2: not an inventory record/);
});

test('readJsonLines reads the real oracle format', () => {
  const line =
    '{"file":"unicode_columns.ex","parse_ok":true,"column_drift_lines":[13],"modules":[],"functions":[],' +
    '"calls":[{"caller":"Fixture.Unicode.drift/1#1","callee_module":"Mod","callee":"g","arity":1,"line":13,"column":34,"local":false}],' +
    '"vars":[]}';
  const [record] = readJsonLines(line);
  assert.equal(record!.column_drift_lines![0], 13);
  assert.equal(record!.calls[0]!.callee, 'g');
});
