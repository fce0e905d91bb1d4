/**
 * Incremental maintenance of the code property graph equals a rebuild, as a property over real
 * code: random sequences of edits (typing inside a clause, deleting, new lines, new and removed
 * functions, renamed, deleted and added files) applied through the editor path
 * (`updateDocument`), the rename/delete path and a refresh from disk, and then the whole database
 * is compared table by table with one built from scratch over the final files.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILE_TABLES } from '../server/cpg/schema';
import type { GraphRepository } from '../server/cpg/repository';
import { QueryEngine } from '../server/cpg/query';
import { WorkspaceGraph } from '../server/workspace/workspaceGraph';
import { corpusFiles, elixirCorpusRoot, seededRandom } from './support/corpus';

const FILES = ['lib/elixir/lib/file.ex', 'lib/elixir/lib/agent.ex', 'lib/elixir/lib/gen_server.ex', 'lib/elixir/lib/keyword.ex'];
const EXTRA_FILES = 12;
const STEPS = 60;

let workspace: string;

before(() => {
  const root = elixirCorpusRoot();
  const random = seededRandom(0x1dea);
  const extra = corpusFiles(root, ['.ex']).filter((file) => !FILES.includes(file) && random() < 0.05).slice(0, EXTRA_FILES);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-incremental-'));
  for (const file of [...FILES, ...extra]) {
    fs.mkdirSync(path.join(workspace, path.dirname(file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(workspace, file));
  }
});

after(() => fs.rmSync(workspace, { recursive: true, force: true }));

test('random edit sequences leave the same graph as a rebuild', { timeout: 300_000 }, async (t) => {
  const random = seededRandom(0xed17);
  const graph = await WorkspaceGraph.open(workspace, { databasePath: null, jobs: 1 });
  const counts = { clause: 0, file: 0, none: 0, renamed: 0, deleted: 0, added: 0, refreshed: 0, graphsBuilt: 0 };
  // A long-lived engine, asked after every step, patches its call-graph index edit by edit; a
  // fresh one at the end links from scratch. Both must answer alike.
  const longLived = await graph.queryEngine();
  const watched = ['File.read/1', 'Keyword.get/3', 'GenServer.call/3', 'Agent.get/3', 'Kernel.is_list/1'];
  try {
    await graph.refresh();
    for (let step = 0; step < STEPS; step++) {
      assertSameLinks(longLived, graph.repository, watched, `before step ${step}`);
      const files = listFiles(workspace);
      const file = files[Math.floor(random() * files.length)]!;
      const text = fs.readFileSync(path.join(workspace, file), 'utf8');
      const choice = random();
      if (choice < 0.05) {
        const target = file.replace(/\.ex$/, `_moved${step}.ex`);
        fs.renameSync(path.join(workspace, file), path.join(workspace, target));
        graph.renameDocument(file, target);
        counts.renamed++;
      } else if (choice < 0.08 && files.length > 3) {
        fs.rmSync(path.join(workspace, file));
        graph.removeDocument(file);
        counts.deleted++;
      } else if (choice < 0.11) {
        // A file changed behind the editor's back: picked up by the refresh at the end.
        const copy = `lib/copy_${step}.ex`;
        fs.mkdirSync(path.join(workspace, 'lib'), { recursive: true });
        fs.writeFileSync(path.join(workspace, copy), text.replace(/defmodule\s+([\w.]+)/, `defmodule $1.Copy${step}`));
        counts.added++;
      } else {
        const edited = randomEdit(text, random);
        fs.writeFileSync(path.join(workspace, file), edited);
        const update = await graph.updateDocument(file, edited);
        counts[update.reparsed]++;
      }
      // Clause graphs are built when asked for and kept: build them now and then, so later edits
      // must drop the graphs of the clauses they change and keep the others'.
      if (random() < 0.3) counts.graphsBuilt += longLived.clauseGraphs.buildAll();
      if (random() < 0.1) {
        await graph.refresh();
        counts.refreshed++;
      }
    }
    await graph.refresh();

    const fresh = await WorkspaceGraph.open(workspace, { databasePath: null, jobs: 1 });
    try {
      await fresh.refresh();
      (await graph.queryEngine()).clauseGraphs.buildAll();
      (await fresh.queryEngine()).clauseGraphs.buildAll();
      const incrementalDump = dump(graph.repository);
      const freshDump = dump(fresh.repository);
      assert.ok(freshDump.control_flow!.length > 100 && freshDump.data_flow!.length > 100, 'the clause graphs are compared too');
      for (const table of Object.keys(freshDump)) {
        assert.deepEqual(incrementalDump[table], freshDump[table], `table ${table} differs from a rebuild`);
      }
      // The linked call graph (imports resolved against other files' exports) agrees too.
      const incrementalQueries = new QueryEngine(graph.repository);
      const freshQueries = new QueryEngine(fresh.repository);
      for (const target of watched) {
        assert.deepEqual(incrementalQueries.run({ callers: target }), freshQueries.run({ callers: target }), `callers of ${target}`);
        assert.deepEqual(longLived.run({ callers: target }), freshQueries.run({ callers: target }), `callers of ${target}, patched index`);
      }
      assertSameLinks(longLived, graph.repository, watched, 'at the end');
    } finally {
      fresh.dispose();
    }
  } finally {
    graph.dispose();
  }
  t.diagnostic(JSON.stringify(counts));
  assert.ok(counts.clause > 0, 'some edits took the one-clause path');
  assert.ok(counts.graphsBuilt > 0, 'clause graphs were built between edits');
});

test('a saved graph is reused: unchanged files are not analysed again, changed ones are', { timeout: 120_000 }, async () => {
  const databasePath = path.join(workspace, '.elixirscope', 'cpg.sqlite');
  const first = await WorkspaceGraph.open(workspace, { databasePath, jobs: 1 });
  const firstSummary = await first.refresh();
  first.save();
  const before = dump(first.repository);
  first.dispose();

  const file = listFiles(workspace)[0]!;
  const text = fs.readFileSync(path.join(workspace, file), 'utf8');
  fs.writeFileSync(path.join(workspace, file), `${text}\n# touched\n`);
  const second = await WorkspaceGraph.open(workspace, { databasePath, jobs: 1 });
  try {
    assert.deepEqual(second.openOutcome, { reused: true });
    const summary = await second.refresh();
    assert.equal(summary.analysed, 1);
    assert.equal(summary.unchanged, firstSummary.files - 1);
    const after = dump(second.repository);
    assert.deepEqual(after.functions, before.functions, 'a comment at the end changes no clause');
  } finally {
    second.dispose();
    fs.writeFileSync(path.join(workspace, file), text);
  }
});

test('a corrupt stored graph is replaced, and says why', async () => {
  const databasePath = path.join(workspace, '.elixirscope', 'broken.sqlite');
  fs.mkdirSync(path.dirname(databasePath), { recursive: true });
  fs.writeFileSync(databasePath, 'this is not a database');
  const graph = await WorkspaceGraph.open(workspace, { databasePath, jobs: 1 });
  try {
    assert.equal(graph.openOutcome.reused, false);
    assert.match((graph.openOutcome as { reason: string }).reason, /not a readable graph database/);
    const summary = await graph.refresh();
    assert.ok(summary.analysed > 0);
  } finally {
    graph.dispose();
  }
});

function listFiles(root: string): string[] {
  return corpusFiles(root, ['.ex', '.exs']);
}

/** Every table's rows with file ids replaced by paths, sorted: comparable across databases. */
function dump(repository: GraphRepository): Record<string, string[]> {
  const paths = new Map(repository.files().map((file) => [file.id, file.path]));
  const result: Record<string, string[]> = {
    files: repository
      .rows<Record<string, unknown>>('SELECT path, hash, bytes, lines, parse_ok, error FROM files')
      .map((row) => JSON.stringify(row))
      .sort(),
  };
  for (const table of FILE_TABLES) {
    result[table.name] = repository
      .rows<Record<string, unknown>>(`SELECT * FROM "${table.name}"`)
      // Blobs (the clause graphs' compact JSON) as their text, so a difference reads as one.
      .map((row) => JSON.stringify({ ...row, file_id: paths.get(row.file_id as number) }, (_key, value: unknown) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : value)))
      .sort();
  }
  return result;
}

/**
 * The long-lived engine's index, patched file by file, equals one linked from scratch over the
 * same repository (same file ids): every list, in the same order.
 */
function assertSameLinks(longLived: QueryEngine, repository: GraphRepository, watched: readonly string[], when: string): void {
  const relinked = new QueryEngine(repository).callGraph;
  const functions = repository.values('SELECT DISTINCT function FROM functions').map((row) => row[0] as string);
  for (const id of [...functions, ...watched]) {
    assert.deepEqual(longLived.callGraph.callsFrom(id), relinked.callsFrom(id), `calls from ${id}, ${when}`);
    assert.deepEqual(longLived.callGraph.callsTo(id), relinked.callsTo(id), `calls to ${id}, ${when}`);
    assert.equal(longLived.callGraph.canonical(id), relinked.canonical(id), `canonical ${id}, ${when}`);
  }
}

function randomEdit(text: string, random: () => number): string {
  const choice = random();
  const at = Math.floor(random() * text.length);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  if (choice < 0.35) {
    // Typing inside an expression: a digit after a digit or a letter after a letter keeps most code valid.
    const match = /[a-z0-9_]/.exec(text.slice(at, at + 200));
    if (match) {
      const position = at + match.index;
      return `${text.slice(0, position)}${text[position]}${text.slice(position)}`;
    }
  }
  if (choice < 0.5) return `${text.slice(0, at)}${text.slice(at + 1)}`;
  if (choice < 0.65) return `${text.slice(0, lineStart)}\n${text.slice(lineStart)}`;
  if (choice < 0.8) {
    const end = text.lastIndexOf('\nend');
    if (end > 0) return `${text.slice(0, end)}\n  def added_${Math.floor(random() * 1e6)}(x), do: Enum.map(x, &to_string/1)${text.slice(end)}`;
  }
  if (choice < 0.9) {
    const def = text.indexOf('\n  def', at);
    const next = def === -1 ? -1 : text.indexOf('\n  def', def + 5);
    if (def !== -1 && next !== -1) return `${text.slice(0, def)}${text.slice(next)}`;
  }
  return `${text.slice(0, at)}x${text.slice(at)}`;
}
