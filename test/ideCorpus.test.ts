/**
 * The editor features on code nobody here wrote: Elixir 1.14's own source, indexed whole, held
 * to the oracle (`shared/oracle/out/elixir-1.14.jsonl`, made by Elixir's parser):
 * - go to definition at a seeded sample of the oracle's remote and local calls lands on the
 *   oracle's definition line of the callee (default-argument arities included);
 * - the references of a few well-known functions are exactly the oracle's calls to them;
 * - the document symbols of every corpus file list exactly the oracle's functions;
 * - hover at a sample of the oracle's calls in `lib/elixir/lib/enum.ex` names the callee from
 *   inside the oracle's calling clause, before and after edits. (Speed is the benchmarks'
 *   business: `npm run bench`, section lsp.)
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { LineIndex } from '../common/lineIndex';
import type { CallEntry, InventoryRecord } from '../common/inventory';
import { hover } from '../server/ide/hover';
import { definition, references } from '../server/ide/navigation';
import type { Location } from '../server/ide/positions';
import { type DocumentSymbol, documentSymbols, workspaceSymbols } from '../server/ide/symbols';
import { type WorkspaceView, createWorkspaceView } from '../server/ide/workspaceView';
import { ElixirParser } from '../server/syntax/parser';
import { WorkspaceGraph } from '../server/workspace/workspaceGraph';
import { readJsonLines } from './oracle/compareInventory';
import { elixirCorpusRoot, repoRoot, seededRandom } from './support/corpus';

const oraclePath = path.join(repoRoot(), '..', 'shared', 'oracle', 'out', 'elixir-1.14.jsonl');

let corpusRoot: string;
let graph: WorkspaceGraph;
let parser: ElixirParser;
let view: WorkspaceView;
let oracle: InventoryRecord[];
/** `Mod.f/n` for every arity a function can be called with → its clauses in the oracle. */
let oracleFunctions: Map<string, OracleClause[]>;

/** An oracle clause with the file it is in (the oracle's function entries carry none). */
interface OracleClause {
  readonly file: string;
  readonly line: number;
}
const texts = new Map<string, string>();

function readText(file: string): string | undefined {
  let text = texts.get(file);
  if (text === undefined) {
    const absolute = path.join(corpusRoot, file);
    if (!fs.existsSync(absolute)) return undefined;
    texts.set(file, (text = fs.readFileSync(absolute, 'utf8')));
  }
  return text;
}

before(async () => {
  corpusRoot = elixirCorpusRoot();
  graph = await WorkspaceGraph.open(corpusRoot, { databasePath: null });
  await graph.refresh();
  parser = await ElixirParser.load();
  view = createWorkspaceView(graph, parser, readText);
  oracle = readJsonLines(fs.readFileSync(oraclePath, 'utf8'));
  oracleFunctions = new Map();
  for (const record of oracle) {
    for (const entry of record.functions) {
      if (entry.dynamic || entry.name === null) continue;
      for (const arity of entry.arities) {
        const key = `${entry.module}.${entry.name}/${arity}`;
        oracleFunctions.set(key, [...(oracleFunctions.get(key) ?? []), { file: record.file, line: entry.line }]);
      }
    }
  }
});

after(() => {
  graph.dispose();
  parser.dispose();
});

/** The LSP position of an oracle (Elixir) position in a corpus file. */
function lspPosition(file: string, line: number, column: number): { line: number; character: number } {
  const lines = new LineIndex(readText(file)!);
  return lines.lspPosition(lines.offsetOfElixirPosition({ line, column })!);
}

function onLine(locations: readonly Location[], file: string, line: number): boolean {
  return locations.some((location) => location.path === file && location.range.start.line === line - 1);
}

test('go to definition at oracle calls lands on the oracle definition of the callee', () => {
  const random = seededRandom(1414);
  const candidates: { file: string; call: CallEntry; targets: OracleClause[] }[] = [];
  for (const record of oracle) {
    const drift = new Set(record.column_drift_lines);
    for (const call of record.calls) {
      if (call.in_quote || drift.has(call.line)) continue;
      const targets = oracleFunctions.get(`${call.callee_module}.${call.callee}/${call.arity}`);
      if (targets) candidates.push({ file: record.file, call, targets });
    }
  }
  const sample = candidates.filter(() => random() < 400 / candidates.length);
  assert.ok(sample.length > 250, `a sample of ${sample.length} calls`);
  const misses: string[] = [];
  let controlHits = 0;
  for (const { file, call, targets } of sample) {
    const found = definition(view, file, lspPosition(file, call.line, call.column));
    // The callee's clauses for this arity: the first of each file is where definition lands.
    const expected = targets.filter((target, index) => targets.findIndex((other) => other.file === target.file) === index);
    if (!expected.some((target) => onLine(found, target.file, target.line))) {
      misses.push(`${file}:${call.line}:${call.column} ${call.callee_module}.${call.callee}/${call.arity} → ${JSON.stringify(found.map((l) => `${l.path}:${l.range.start.line + 1}`))}`);
    }
    // Negative control: the line after the definition is never where it lands.
    if (expected.some((target) => onLine(found, target.file, target.line + 1))) controlHits++;
  }
  assert.deepEqual(misses, []);
  assert.equal(controlHits, 0);
});

test('references of well-known functions are exactly the oracle calls to them', () => {
  const cases: { function: string; callees: string[] }[] = [
    { function: 'Enum.map/2', callees: ['Enum.map/2'] },
    // `get/2` is `get/3` with its default argument.
    { function: 'Keyword.get/3', callees: ['Keyword.get/2', 'Keyword.get/3'] },
    { function: 'String.split/3', callees: ['String.split/2', 'String.split/3'] },
    { function: 'Macro.to_string/1', callees: ['Macro.to_string/1'] },
  ];
  for (const { function: functionId, callees } of cases) {
    const expected: string[] = [];
    for (const record of oracle) {
      for (const call of record.calls) {
        if (callees.includes(`${call.callee_module}.${call.callee}/${call.arity}`)) {
          const position = lspPosition(record.file, call.line, call.column);
          expected.push(`${record.file}:${position.line}:${position.character}`);
        }
      }
    }
    // From a call site in the corpus, as the user would ask.
    const [firstFile, firstLine, firstCharacter] = expected[0]!.split(':');
    const found = references(view, firstFile!, { line: Number(firstLine), character: Number(firstCharacter) }, false).map(
      (location) => `${location.path}:${location.range.start.line}:${location.range.start.character}`,
    );
    assert.ok(expected.length > 20, `${functionId} has ${expected.length} oracle calls`);
    assert.deepEqual(found.sort(), expected.sort(), functionId);
  }
});

test('document symbols of every corpus file list exactly the oracle functions', () => {
  const mismatches: string[] = [];
  let functions = 0;
  for (const record of oracle) {
    const document = view.document(record.file);
    assert.ok(document, record.file);
    const ours = new Set<string>();
    const walk = (symbols: readonly DocumentSymbol[]) => {
      for (const symbol of symbols) {
        if (symbol.kind !== 'module' && symbol.kind !== 'protocol' && symbol.kind !== 'implementation' && symbol.kind !== 'clause') ours.add(symbol.id);
        walk(symbol.children);
      }
    };
    walk(documentSymbols(document));
    const theirs = new Set(record.functions.map((entry) => entry.id.slice(0, entry.id.lastIndexOf('#'))));
    functions += theirs.size;
    for (const id of ours) if (!theirs.has(id)) mismatches.push(`${record.file}: extra ${id}`);
    for (const id of theirs) if (!ours.has(id)) mismatches.push(`${record.file}: missing ${id}`);
  }
  assert.deepEqual(mismatches.slice(0, 20), []);
  assert.equal(functions, 6_747, 'distinct module/name/arity per file, as the oracle summary counts them');
});

test('workspace symbols find Enum.map/2 first for "enum.map" and cap their answers', () => {
  const found = workspaceSymbols(view, 'enum.map');
  assert.equal(found[0]?.id, 'Enum.map/2');
  assert.equal(found[0]?.location.path, 'lib/elixir/lib/enum.ex');
  assert.ok(workspaceSymbols(view, 'e').length <= 500);
  assert.deepEqual(workspaceSymbols(view, 'zzzzqqqq'), []);
});

test('hover at oracle calls in enum.ex names the callee from inside the calling clause, also right after edits of the file', async () => {
  const file = 'lib/elixir/lib/enum.ex';
  const record = oracle.find((entry) => entry.file === file)!;
  const random = seededRandom(7);
  const calls = record.calls.filter(() => random() < 0.5).slice(0, 200);
  assert.ok(calls.length > 100);
  const check = (when: string) => {
    for (const call of calls) {
      const answer = hover(view, file, lspPosition(file, call.line, call.column));
      const where = `${when}: the call of ${call.callee} at ${call.line}:${call.column}`;
      assert.ok(answer, `${where} has no hover`);
      assert.ok(answer.nodeId.startsWith(`${call.caller}:`), `${where} is in ${call.caller}, the hover says ${answer.nodeId}`);
      assert.ok(answer.markdown.includes(call.callee), `${where}: ${answer.markdown}`);
    }
  };
  check('indexed');
  // An edit after the last clause leaves every position as it was; the first hover after each
  // edit takes in the rewritten rows and the relinked call graph.
  const text = readText(file)!;
  for (const edited of [`${text}\n`, text, `${text}\n# more\n`]) {
    await graph.updateDocument(file, edited);
    check(`after an edit to ${edited.length} characters`);
  }
  graph.closeDocument(file);
});
