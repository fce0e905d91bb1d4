/**
 * In-process measurements of the code property graph for `npm run bench` (section `cpg`): the
 * incremental update after a one-character edit, against a full re-analysis of the same file
 * measured in the same run, and query latencies on the whole Elixir corpus. Prints one JSON
 * object on stdout; `bench/run.mjs` runs it and renders the tables.
 *
 *   node out/bench/cpgBench.js CORPUS_ROOT RUNS
 */
import fs from 'node:fs';
import path from 'node:path';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { fileRows } from '../server/cpg/fileFacts';
import { QueryEngine } from '../server/cpg/query';
import { ElixirParser } from '../server/syntax/parser';
import { WorkspaceGraph } from '../server/workspace/workspaceGraph';

async function main(): Promise<void> {
  const [root, runsText] = process.argv.slice(2);
  if (!root) throw new Error('usage: cpgBench CORPUS_ROOT [EDITS]');
  const edits = Number(runsText ?? '60');
  const graph = await WorkspaceGraph.open(root, { databasePath: null });
  const parser = await ElixirParser.load();
  try {
    const build = await graph.refresh();
    const result: Record<string, unknown> = { files: build.files, buildMs: build.wallMs };
    for (const file of ['lib/elixir/lib/file.ex', 'lib/elixir/lib/enum.ex']) {
      result[file] = await measureEdits(graph, parser, root, file, edits);
    }
    result.queries = await measureQueries(graph);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    parser.dispose();
    graph.dispose();
  }
}

/**
 * One-character edits at random places on indented code lines (function bodies and `@doc` text;
 * a digit or letter doubled, as typing does), each applied and then undone, so every edit starts
 * from the same text.
 */
async function measureEdits(graph: WorkspaceGraph, parser: ElixirParser, root: string, file: string, edits: number) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const lineCount = text.split('\n').length;
  const positions = typingPositions(text, edits);
  await graph.updateDocument(file, text);
  const update: number[] = [];
  const full: number[] = [];
  const paths: Record<string, number> = {};
  for (const position of positions) {
    const edited = `${text.slice(0, position)}${text[position]}${text.slice(position)}`;
    let started = performance.now();
    const summary = await graph.updateDocument(file, edited);
    update.push(performance.now() - started);
    paths[summary.reparsed] = (paths[summary.reparsed] ?? 0) + 1;
    await graph.updateDocument(file, text);

    // The baseline: what the update would cost without clause-level reparse and row diffing.
    started = performance.now();
    fileRows(analyzeSource(parser, file, edited));
    full.push(performance.now() - started);
  }
  return { lines: lineCount, update: stats(update), fullAnalysis: stats(full), paths };
}

async function measureQueries(graph: WorkspaceGraph) {
  const engine = await graph.queryEngine();
  const first = performance.now();
  engine.run({ callers: 'Enum.map/2' });
  const firstQueryMs = performance.now() - first;
  // Clause graphs are built when first asked for: the first `cfg` of a clause in the largest file
  // parses it and builds and stores the graphs of all its clauses.
  const firstGraph = performance.now();
  engine.run({ cfg: 'Enum.map/2#1' });
  const firstGraphMs = performance.now() - firstGraph;
  const dataflow = dataflowQuery(engine);
  const queries: [string, unknown][] = [
    ['callers of Enum.map/2', { callers: 'Enum.map/2' }],
    ['transitive callees of Enum.map/2', { callees: 'Enum.map/2', transitive: true }],
    ['transitive callers of File.read/1', { callers: 'File.read/1', transitive: true }],
    ['functions in Enum with complexity > 5', { functions: { module: 'Enum', complexity_gt: 5 } }],
    ['data-flow path across a call (File.read!/1 → File.read/1)', dataflow],
  ];
  const results: Record<string, unknown> = { firstQueryMs, firstGraphMs };
  for (const [label, query] of queries) {
    const samples: number[] = [];
    let size = 0;
    for (let run = 0; run < 50; run++) {
      const started = performance.now();
      const answer = engine.run(query);
      samples.push(performance.now() - started);
      size = Array.isArray(answer) ? answer.length : 1;
    }
    results[label] = { ...stats(samples), results: size, query };
  }
  return results;
}

/**
 * A path that crosses a call: from the parameter of `File.read!/1` (rebound, then passed to
 * `read/1`) to the last variable read inside `File.read/1`.
 */
function dataflowQuery(engine: QueryEngine): unknown {
  const caller = engine.dataFlow('File.read!/1#1');
  const callee = engine.dataFlow('File.read/1#1');
  const parameter = caller.nodes.find((node) => node.kind === 'definition');
  const lastUse = callee.nodes.filter((node) => node.kind === 'use').pop();
  if (!parameter || !lastUse) throw new Error('File.read!/1 and File.read/1 are not as this benchmark expects');
  return { dataflow: { from: parameter.id, to: lastUse.id } };
}

function typingPositions(text: string, count: number): number[] {
  const positions: number[] = [];
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  while (positions.length < count) {
    const at = Math.floor(random() * text.length);
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const line = text.slice(lineStart, text.indexOf('\n', at));
    // An indented line (a function body, or the text of a @doc) without a comment or a quote.
    if (!/^ {4,}[a-z_]/.test(line) || line.includes('#') || line.includes('"')) continue;
    if (/[a-z0-9]/.test(text[at]!)) positions.push(at);
  }
  return positions;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]!, count: sorted.length };
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
