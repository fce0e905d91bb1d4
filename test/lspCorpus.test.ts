/**
 * The language server on real code nobody here wrote: Elixir 1.14's own source (536 files),
 * driven over stdio. Indexing completes; hover, definition and references at call sites of
 * `enum.ex` agree with the oracle made by Elixir's own parser; and after a sequence of edits
 * (lines added above, a function removed and restored) the answers move with the text.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { elixirCorpusRoot, repoRoot, seededRandom } from './support/corpus';
import { startServer } from './support/lspClient';

interface OracleFunction {
  module: string;
  name: string;
  arity: number;
  arities: number[];
  line: number;
  name_line: number | null;
}
interface OracleCall {
  caller: string;
  callee_module: string | null;
  callee: string;
  arity: number;
  line: number;
  column: number;
  local?: boolean;
  capture?: boolean;
  in_quote?: boolean;
}
interface OracleFile {
  file: string;
  functions: OracleFunction[];
  calls: OracleCall[];
  column_drift_lines?: number[];
}

const ENUM = 'lib/elixir/lib/enum.ex';
type LocationResult = { uri: string; range: { start: { line: number; character: number } } }[];

function readOracle(): OracleFile[] {
  const file = path.join(repoRoot(), '..', 'shared', 'oracle', 'out', 'elixir-1.14.jsonl');
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as OracleFile);
}

test('the language server indexes the Elixir source and answers like the oracle, before and after edits', { timeout: 240_000 }, async () => {
  const root = elixirCorpusRoot();
  const oracle = readOracle();
  const definitionLines = new Map<string, { file: string; lines: Set<number> }[]>();
  for (const entry of oracle) {
    for (const fn of entry.functions) {
      for (const arity of fn.arities) {
        const key = `${fn.module}.${fn.name}/${arity}`;
        const places = definitionLines.get(key) ?? [];
        let place = places.find((candidate) => candidate.file === entry.file);
        if (!place) places.push((place = { file: entry.file, lines: new Set() }));
        place.lines.add(fn.name_line ?? fn.line);
        definitionLines.set(key, places);
      }
    }
  }

  const server = await startServer(root, { initializationOptions: { databasePath: null } });
  try {
    const status = await server.waitForStatus((entry) => entry.state === 'ready', 180_000);
    assert.equal(status.files, 536);
    assert.equal(status.total, 536);

    const text = fs.readFileSync(path.join(root, ENUM), 'utf8');
    const lines = text.split('\n');
    const uri = server.uri(ENUM);
    server.open(ENUM, text);

    // Calls in enum.ex to functions the corpus defines, outside quotes and off drifting lines.
    const enumOracle = oracle.find((entry) => entry.file === ENUM)!;
    const drift = new Set(enumOracle.column_drift_lines ?? []);
    const candidates = enumOracle.calls.filter(
      (call) => call.callee_module !== null && !call.in_quote && !call.capture && !drift.has(call.line) && definitionLines.has(`${call.callee_module}.${call.callee}/${call.arity}`),
    );
    const random = seededRandom(4);
    const sample = Array.from({ length: 60 }, () => candidates[Math.floor(random() * candidates.length)]!);
    const positionOf = (call: OracleCall, lineShift: number) => {
      const character = lines[call.line - 1]!.indexOf(call.callee, call.column - 1);
      assert.ok(character >= 0, `callee ${call.callee} on line ${call.line}`);
      return { line: call.line - 1 + lineShift, character: character + 1 };
    };

    const check = async (lineShift: number) => {
      for (const call of sample) {
        const target = `${call.callee_module}.${call.callee}/${call.arity}`;
        const position = positionOf(call, lineShift);
        const hover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position })) as { contents: { value: string } } | null;
        // A default-argument arity is shown as the function that defines it (`f/1` of `f(a \\ 1)` is `f/1`'s `f/0`).
        assert.ok(hover?.contents.value.includes(`${call.callee_module}.${call.callee}/`), `hover at ${ENUM}:${call.line} names ${target}: ${hover?.contents.value}`);
        const found = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position })) as LocationResult;
        const expected = definitionLines.get(target)!;
        assert.ok(found.length > 0, `definition of ${target} at line ${call.line}`);
        for (const location of found) {
          const file = path.relative(root, new URL(location.uri).pathname).split(path.sep).join('/');
          const place = expected.find((candidate) => candidate.file === file);
          const shift = file === ENUM ? lineShift : 0;
          assert.ok(place?.lines.has(location.range.start.line + 1 - shift), `definition of ${target} at ${file}:${location.range.start.line + 1}, expected ${JSON.stringify(expected.map((entry) => [entry.file, [...entry.lines]]))}`);
        }
      }
    };
    await check(0);

    // References of a few functions, against every remote and local call the oracle lists.
    const referencesOf = async (file: string, target: string, shift: number) => {
      const definitionLine = [...definitionLines.get(target)!.find((place) => place.file === file)!.lines].sort((a, b) => a - b)[0]!;
      const [name] = target.slice(target.lastIndexOf('.') + 1).split('/');
      const fileLines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
      const character = fileLines[definitionLine - 1]!.indexOf(name!);
      const found = (await server.connection.sendRequest('textDocument/references', {
        textDocument: { uri: server.uri(file) },
        position: { line: definitionLine - 1 + shift, character: character + 1 },
        context: { includeDeclaration: false },
      })) as LocationResult;
      return new Set(found.map((location) => `${path.relative(root, new URL(location.uri).pathname)}:${location.range.start.line + 1 - (location.uri === uri ? shift : 0)}`));
    };
    for (const target of ['Enum.reduce/3', 'Enum.map_join/3', 'Enum.filter/2']) {
      const [module, rest] = [target.slice(0, target.lastIndexOf('.')), target.slice(target.lastIndexOf('.') + 1)];
      const [name, arity] = rest.split('/');
      const expected = new Set(
        oracle.flatMap((entry) =>
          entry.calls.filter((call) => call.callee_module === module && call.callee === name && call.arity === Number(arity)).map((call) => `${entry.file}:${call.line}`),
        ),
      );
      const found = await referencesOf(ENUM, target, 0);
      const missing = [...expected].filter((place) => !found.has(place));
      assert.deepEqual(missing, [], `references of ${target} miss oracle calls`);
      assert.ok(found.size >= expected.size && expected.size > 3, `${target}: ${found.size} found, ${expected.size} in the oracle`);
    }

    // Edits: three lines typed above everything shift every answer in enum.ex by three.
    const shifted = `# one\n# two\n# three\n${text}`;
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# one\n# two\n# three\n' }],
    });
    await check(3);

    // A function removed: its callers elsewhere no longer find it; restored, they do again.
    const mapJoinCallsInOtherFiles = oracle.some((entry) => entry.file !== ENUM && entry.calls.some((call) => call.callee_module === 'Enum' && call.callee === 'map_join'));
    assert.ok(mapJoinCallsInOtherFiles);
    const withoutMapJoin = shifted.replace(/  def map_join\(enumerable, joiner \\\\ "", mapper\)[\s\S]*?\n  end\n/, '');
    assert.notEqual(withoutMapJoin, shifted, 'the edit removes map_join/3');
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: withoutMapJoin }] });
    const symbols = (await server.connection.sendRequest('workspace/symbol', { query: 'Enum.map_join' })) as { name: string; containerName?: string }[];
    assert.ok(!symbols.some((symbol) => symbol.name.startsWith('map_join/3') && symbol.containerName === 'Enum'), 'map_join/3 is gone from the workspace symbols');
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: shifted }] });
    const restored = (await server.connection.sendRequest('workspace/symbol', { query: 'Enum.map_join' })) as { name: string; containerName?: string }[];
    assert.ok(restored.some((symbol) => symbol.name.startsWith('map_join/3') && symbol.containerName === 'Enum'), JSON.stringify(restored.slice(0, 5)));
    await check(3);
  } finally {
    await server.stop();
  }
});
