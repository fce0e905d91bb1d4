/**
 * Measures how well the analyzer's inventory (modules, function clauses, calls, variable bindings)
 * matches the Elixir ground-truth oracle in `shared/oracle`, following the "Matching rules" of its
 * README: per file, per category, multiset matching on a key tuple, columns ignored on the
 * oracle's drift lines, other fields compared as attributes of matched entries.
 *
 * The module is pure (text in, data and text out) so the corpus test, the CLI and ad-hoc scripts
 * can all share one definition of "matches"; a second, slightly different scorer would make
 * numbers from different places incomparable.
 */

import type {
  ModuleKind,
  FunctionKind,
  VarBinding,
  ModuleEntry,
  FunctionEntry,
  CallEntry,
  VarEntry,
  ParseError,
  InventoryRecord,
} from '../../common/inventory';

export type {
  ModuleKind,
  FunctionKind,
  VarBinding,
  ModuleEntry,
  FunctionEntry,
  CallEntry,
  VarEntry,
  ParseError,
  InventoryRecord,
};

// ---------------------------------------------------------------------------------------------
// The report.

export type CategoryName = 'modules' | 'functions' | 'calls' | 'vars';

export const categoryNames: readonly CategoryName[] = ['modules', 'functions', 'calls', 'vars'];

export type KeyValue = string | number | null;

/** The key fields of one entry, by name, in the order of the matching rules. */
export type EntryKey = Readonly<Record<string, KeyValue>>;

export type AttributeValue = string | number | boolean | null | readonly number[];

export interface MismatchExample {
  file: string;
  key: EntryKey;
}

export interface AttributeMismatchExample extends MismatchExample {
  ours: AttributeValue;
  oracle: AttributeValue;
}

export interface AttributeMismatchCount {
  attribute: string;
  count: number;
  /** At most three. */
  examples: AttributeMismatchExample[];
}

export interface MismatchBucket {
  /** Human-readable, e.g. `missing local call`, `extra var via match`, `missing in file lib/a.ex`. */
  name: string;
  count: number;
  /** At most three. */
  examples: MismatchExample[];
}

export interface CategoryReport {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** 1 when nothing was reported. */
  precision: number;
  /** 1 when the oracle has nothing. */
  recall: number;
  /** Every checked attribute of the category, in a fixed order, zero counts included. */
  attributeMismatches: AttributeMismatchCount[];
  /**
   * Unmatched entries grouped several ways (by kind, flag, callee module, binding form, file),
   * so one entry usually counts in several buckets. Sorted by count descending, then name.
   */
  mismatchBuckets: MismatchBucket[];
}

export interface ComparisonReport {
  files: {
    /** Files present on both sides. */
    compared: number;
    onlyInOurs: string[];
    onlyInOracle: string[];
  };
  categories: Record<CategoryName, CategoryReport>;
}

// ---------------------------------------------------------------------------------------------
// Public entry points.

/**
 * Compares two inventories file by file. Throws when one side lists the same file twice, because
 * that is a bug in whatever produced it and merging or dropping either record would hide it.
 */
export function compareInventories(
  ours: readonly InventoryRecord[],
  oracle: readonly InventoryRecord[],
): ComparisonReport {
  const oursByFile = recordsByFile(ours, 'ours');
  const oracleByFile = recordsByFile(oracle, 'oracle');
  const allFiles = sortedStrings(new Set([...oursByFile.keys(), ...oracleByFile.keys()]));
  const filePairs: FilePair[] = allFiles.map((file) => ({
    file,
    ours: oursByFile.get(file),
    oracle: oracleByFile.get(file),
  }));

  return {
    files: {
      compared: filePairs.filter((pair) => pair.ours && pair.oracle).length,
      onlyInOurs: filePairs.filter((pair) => !pair.oracle).map((pair) => pair.file),
      onlyInOracle: filePairs.filter((pair) => !pair.ours).map((pair) => pair.file),
    },
    categories: {
      modules: compareCategory(moduleSpec, (record) => record.modules, filePairs),
      functions: compareCategory(functionSpec, (record) => record.functions, filePairs),
      calls: compareCategory(callSpec, (record) => record.calls, filePairs),
      vars: compareCategory(varSpec, (record) => record.vars, filePairs),
    },
  };
}

/** Renders a report as a compact plain-text table for test output and the terminal. */
export function formatReport(report: ComparisonReport, bucketLimit = 8): string {
  const lines: string[] = [];
  const { files } = report;
  lines.push(
    `${'files'.padEnd(11)}${files.compared} compared, ${files.onlyInOurs.length} only in ours, ` +
      `${files.onlyInOracle.length} only in oracle`,
  );
  if (files.onlyInOurs.length > 0) lines.push(`  only in ours: ${abbreviatedList(files.onlyInOurs)}`);
  if (files.onlyInOracle.length > 0) lines.push(`  only in oracle: ${abbreviatedList(files.onlyInOracle)}`);

  for (const category of categoryNames) {
    const result = report.categories[category];
    lines.push(
      `${category.padEnd(11)}precision ${percent(result.precision)}  recall ${percent(result.recall)}  ` +
        `(tp ${result.truePositives}, fp ${result.falsePositives}, fn ${result.falseNegatives})`,
    );
  }

  for (const category of categoryNames) {
    const result = report.categories[category];
    const describe = exampleDescribers[category];
    lines.push('');
    const attributeCounts = result.attributeMismatches
      .map((mismatch) => `${mismatch.attribute} ${mismatch.count}`)
      .join(', ');
    lines.push(`${category} attribute mismatches: ${attributeCounts}`);
    for (const mismatch of result.attributeMismatches) {
      const example = mismatch.examples[0];
      if (!example) continue;
      lines.push(
        `  ${mismatch.attribute}: ${describe(example)} ` +
          `(ours ${JSON.stringify(example.ours)}, oracle ${JSON.stringify(example.oracle)})`,
      );
    }

    const topBuckets = result.mismatchBuckets.slice(0, bucketLimit);
    if (topBuckets.length === 0) {
      lines.push(`${category} top mismatches: none`);
      continue;
    }
    lines.push(`${category} top mismatches:`);
    const countWidth = String(topBuckets[0]!.count).length;
    const nameWidth = Math.max(...topBuckets.map((bucket) => bucket.name.length));
    for (const bucket of topBuckets) {
      const example = bucket.examples[0];
      const exampleText = example ? `  e.g. ${describe(example)}` : '';
      lines.push(
        `  ${String(bucket.count).padStart(countWidth)}  ${bucket.name.padEnd(nameWidth)}${exampleText}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Parses JSON Lines as written by `oracle.exs` (and by our CLI). Blank lines are skipped; any
 * other line that is not an inventory record throws an Error naming its 1-based line number, so a
 * truncated or hand-edited file points at the culprit instead of producing silently wrong scores.
 */
export function readJsonLines(text: string): InventoryRecord[] {
  const records: InventoryRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`line ${lineNumber}: invalid JSON: ${reason}`);
    }
    const problem = recordShapeProblem(value);
    if (problem) throw new Error(`line ${lineNumber}: not an inventory record: ${problem}`);
    records.push(value as InventoryRecord);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Per-category rules.

type Side = 'ours' | 'oracle';

/** Every category's entry has a position; calls and vars also use the column in their key. */
interface PositionedEntry {
  line: number;
  column: number;
}

interface AttributeSpec<Entry> {
  name: string;
  valueOf(entry: Entry): AttributeValue;
  /** For column attributes: the line the column is on, so drift lines can be skipped. */
  columnLineOf?(entry: Entry): number | null;
}

interface CategorySpec<Entry extends PositionedEntry> {
  keyFields: readonly (keyof Entry & string)[];
  attributes: readonly AttributeSpec<Entry>[];
  /** Buckets for an unmatched entry; `verb` is `missing` (oracle only) or `extra` (ours only). */
  bucketsOf(entry: Entry, verb: string): string[];
}

const moduleSpec: CategorySpec<ModuleEntry> = {
  keyFields: ['name', 'kind', 'line'],
  attributes: [
    { name: 'column', valueOf: (module) => module.column, columnLineOf: (module) => module.line },
    { name: 'end_line', valueOf: (module) => module.end_line },
    { name: 'parent', valueOf: (module) => module.parent },
    { name: 'dynamic', valueOf: (module) => module.dynamic },
  ],
  bucketsOf(module, verb) {
    const buckets = [`${verb} ${module.kind}`];
    if (module.dynamic) buckets.push(`${verb} dynamic module`);
    return buckets;
  },
};

const functionSpec: CategorySpec<FunctionEntry> = {
  keyFields: ['module', 'name', 'arity', 'kind', 'clause', 'line'],
  attributes: [
    { name: 'arities', valueOf: (fn) => fn.arities },
    { name: 'name_line', valueOf: (fn) => fn.name_line },
    { name: 'name_column', valueOf: (fn) => fn.name_column, columnLineOf: (fn) => fn.name_line },
    { name: 'end_line', valueOf: (fn) => fn.end_line },
    { name: 'has_guard', valueOf: (fn) => fn.has_guard },
    { name: 'bodiless', valueOf: (fn) => fn.bodiless },
    { name: 'dynamic', valueOf: (fn) => fn.dynamic },
  ],
  bucketsOf(fn, verb) {
    const buckets = [`${verb} ${fn.kind} clause`];
    if (fn.bodiless) buckets.push(`${verb} bodiless head`);
    if (fn.dynamic) buckets.push(`${verb} dynamic clause`);
    return buckets;
  },
};

const callSpec: CategorySpec<CallEntry> = {
  keyFields: ['caller', 'callee_module', 'callee', 'arity', 'line', 'column'],
  // The oracle writes flags only when true, so absent and false must compare equal.
  attributes: [
    { name: 'local', valueOf: (call) => call.local === true },
    { name: 'piped', valueOf: (call) => call.piped === true },
    { name: 'capture', valueOf: (call) => call.capture === true },
    { name: 'delegate', valueOf: (call) => call.delegate === true },
    { name: 'in_quote', valueOf: (call) => call.in_quote === true },
  ],
  bucketsOf(call, verb) {
    const buckets = [`${verb} ${call.local ? 'local' : 'remote'} call`];
    if (!call.local) buckets.push(`${verb} remote call to ${call.callee_module}`);
    if (call.piped) buckets.push(`${verb} piped call`);
    if (call.capture) buckets.push(`${verb} capture`);
    if (call.delegate) buckets.push(`${verb} delegate call`);
    if (call.in_quote) buckets.push(`${verb} call in_quote`);
    return buckets;
  },
};

const varSpec: CategorySpec<VarEntry> = {
  keyFields: ['function', 'name', 'line', 'column'],
  attributes: [{ name: 'via', valueOf: (binding) => binding.via }],
  bucketsOf: (binding, verb) => [`${verb} var via ${binding.via}`],
};

// ---------------------------------------------------------------------------------------------
// Matching.

const exampleLimit = 3;

interface FilePair {
  file: string;
  ours: InventoryRecord | undefined;
  oracle: InventoryRecord | undefined;
}

interface Tally<Example> {
  count: number;
  examples: Example[];
}

function compareCategory<Entry extends PositionedEntry>(
  spec: CategorySpec<Entry>,
  entriesOf: (record: InventoryRecord) => readonly Entry[],
  filePairs: readonly FilePair[],
): CategoryReport {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  const attributeTallies = new Map<string, Tally<AttributeMismatchExample>>(
    spec.attributes.map((attribute) => [attribute.name, { count: 0, examples: [] }]),
  );
  const bucketTallies = new Map<string, Tally<MismatchExample>>();

  for (const { file, ours, oracle } of filePairs) {
    // Only the oracle knows where Elixir 1.14 miscounted, so its drift lines govern both sides.
    const driftLines = new Set(oracle?.column_drift_lines ?? []);
    const keyOf = (entry: Entry) => matchKey(spec, entry, driftLines);
    const oursGroups = groupBy(ours ? entriesOf(ours) : [], keyOf);
    const oracleGroups = groupBy(oracle ? entriesOf(oracle) : [], keyOf);

    const recordUnmatched = (entry: Entry, verb: string) => {
      const example: MismatchExample = { file, key: exampleKey(spec, entry) };
      for (const bucket of [...spec.bucketsOf(entry, verb), `${verb} in file ${file}`]) {
        addToTally(bucketTallies, bucket, example);
      }
    };

    for (const [key, oracleEntries] of oracleGroups) {
      const oursEntries = oursGroups.get(key) ?? [];
      const matchedCount = Math.min(oursEntries.length, oracleEntries.length);
      truePositives += matchedCount;
      for (let index = 0; index < matchedCount; index++) {
        compareAttributes(spec, file, oursEntries[index]!, oracleEntries[index]!, driftLines, attributeTallies);
      }
      for (const entry of oracleEntries.slice(matchedCount)) {
        falseNegatives++;
        recordUnmatched(entry, 'missing');
      }
    }
    for (const [key, oursEntries] of oursGroups) {
      const oracleCount = oracleGroups.get(key)?.length ?? 0;
      for (const entry of oursEntries.slice(oracleCount)) {
        falsePositives++;
        recordUnmatched(entry, 'extra');
      }
    }
  }

  return {
    truePositives,
    falsePositives,
    falseNegatives,
    precision: ratioOrOne(truePositives, truePositives + falsePositives),
    recall: ratioOrOne(truePositives, truePositives + falseNegatives),
    attributeMismatches: spec.attributes.map((attribute) => ({
      attribute: attribute.name,
      ...attributeTallies.get(attribute.name)!,
    })),
    mismatchBuckets: [...bucketTallies]
      .map(([name, tally]) => ({ name, ...tally }))
      .sort((a, b) => b.count - a.count || compareStrings(a.name, b.name)),
  };
}

function matchKey<Entry extends PositionedEntry>(
  spec: CategorySpec<Entry>,
  entry: Entry,
  driftLines: ReadonlySet<number>,
): string {
  const values = spec.keyFields.map((field) =>
    field === 'column' && driftLines.has(entry.line) ? null : keyValue(entry[field]),
  );
  return JSON.stringify(values);
}

function exampleKey<Entry extends PositionedEntry>(spec: CategorySpec<Entry>, entry: Entry): EntryKey {
  const key: Record<string, KeyValue> = {};
  for (const field of spec.keyFields) key[field] = keyValue(entry[field]);
  return key;
}

/** Key fields are strings, numbers or null in the schema; anything else is stringified so it still keys. */
function keyValue(value: unknown): KeyValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value);
}

/**
 * Groups entries by key. Within a group entries are ordered by column, so that when a drift line
 * folds several same-named calls into one key they are paired left to right rather than in
 * whatever order each side happened to list them.
 */
function groupBy<Entry extends PositionedEntry>(
  entries: readonly Entry[],
  keyOf: (entry: Entry) => string,
): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const key = keyOf(entry);
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  for (const group of groups.values()) {
    if (group.length > 1) group.sort((a, b) => a.column - b.column);
  }
  return groups;
}

function compareAttributes<Entry extends PositionedEntry>(
  spec: CategorySpec<Entry>,
  file: string,
  ours: Entry,
  oracle: Entry,
  driftLines: ReadonlySet<number>,
  tallies: Map<string, Tally<AttributeMismatchExample>>,
): void {
  for (const attribute of spec.attributes) {
    const columnLine = attribute.columnLineOf?.(oracle);
    if (columnLine !== undefined && columnLine !== null && driftLines.has(columnLine)) continue;
    const oursValue = attribute.valueOf(ours) ?? null;
    const oracleValue = attribute.valueOf(oracle) ?? null;
    if (sameAttributeValue(oursValue, oracleValue)) continue;
    addToTally(tallies, attribute.name, {
      file,
      key: exampleKey(spec, oracle),
      ours: oursValue,
      oracle: oracleValue,
    });
  }
}

function sameAttributeValue(a: AttributeValue, b: AttributeValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => item === b[index]);
  }
  return a === b;
}

function addToTally<Example>(tallies: Map<string, Tally<Example>>, name: string, example: Example): void {
  let tally = tallies.get(name);
  if (!tally) {
    tally = { count: 0, examples: [] };
    tallies.set(name, tally);
  }
  tally.count++;
  if (tally.examples.length < exampleLimit) tally.examples.push(example);
}

function recordsByFile(records: readonly InventoryRecord[], side: Side): Map<string, InventoryRecord> {
  const byFile = new Map<string, InventoryRecord>();
  for (const record of records) {
    if (byFile.has(record.file)) throw new Error(`${side} lists file ${record.file} more than once`);
    byFile.set(record.file, record);
  }
  return byFile;
}

function ratioOrOne(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

/** Code-unit order, so the output does not depend on the machine's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedStrings(strings: Iterable<string>): string[] {
  return [...strings].sort(compareStrings);
}

function recordShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  if (typeof record['file'] !== 'string') return '"file" must be a string';
  for (const category of categoryNames) {
    if (!Array.isArray(record[category])) return `"${category}" must be an array`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers.

/** `file:line:column` first, so terminals and editors can jump to the example. */
const exampleDescribers: Record<CategoryName, (example: MismatchExample) => string> = {
  modules: ({ file, key }) => `${file}:${key['line']} ${key['kind']} ${key['name']}`,
  functions: ({ file, key }) =>
    `${file}:${key['line']} ${key['kind']} ${key['module']}.${key['name'] ?? '?'}/${key['arity'] ?? '?'}` +
    `#${key['clause']}`,
  calls: ({ file, key }) =>
    `${file}:${key['line']}:${key['column']} ${key['caller']} -> ` +
    `${key['callee_module']}.${key['callee']}/${key['arity']}`,
  vars: ({ file, key }) => `${file}:${key['line']}:${key['column']} ${key['name']} in ${key['function']}`,
};

/**
 * Rounds down, so "100.00%" appears only when nothing is missing: a rounded-up 100% next to a
 * non-zero fp or fn count reads like a contradiction.
 */
function percent(ratio: number): string {
  // The epsilon keeps binary rounding (0.9912 * 10000 = 9911.999…) from costing a hundredth.
  return `${(Math.floor(ratio * 10000 + 1e-9) / 100).toFixed(2)}%`.padStart(7);
}

function abbreviatedList(items: readonly string[], limit = 5): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} (+${items.length - limit} more)` : shown;
}
