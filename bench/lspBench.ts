/**
 * One round of the `lsp` section of `npm run bench`: the language server (`dist/server.js`) on the
 * Elixir corpus, driven over stdio by the tests' JSON-RPC client (`test/support/lspClient.ts`) as
 * VS Code drives it. A cold start with no stored graph, then a warm start from the graph the cold
 * one stored, each a new server process; on the warm one, hover, definition and references at
 * fixed places in `enum.ex`, one-character edits timed to their diagnostics (with a hover after
 * each), and the server's peak RSS. Last, with no server running, the in-process baseline for an edit: a full parse (and a
 * full parse plus analysis) of the same edited texts. Prints one JSON object on stdout;
 * `bench/run.mjs` runs one process per round and renders the tables.
 *
 *   node out/bench/lspBench.js CORPUS_ROOT DATABASE_PATH [EDITS]
 *   node out/bench/lspBench.js CORPUS_ROOT --list-positions    (the request positions and edits, to review)
 *
 * Every latency is taken at the client: from just before the message is written to the moment its
 * answer (or the `publishDiagnostics` carrying the edit's document version) is read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { fileRows } from '../server/cpg/fileFacts';
import { ElixirParser } from '../server/syntax/parser';
import { type ServerHandle, startServer } from '../test/support/lspClient';

/** The document every request and edit goes to (4,790 lines). */
const DOCUMENT = 'lib/elixir/lib/enum.ex';
/** Request positions per kind of name: remote calls, local (or imported) calls, variables. */
const POSITIONS_PER_KIND = { remote: 34, local: 33, variable: 33 } as const;
const COLD_START_TIMEOUT_MS = 300_000;
const WARM_START_TIMEOUT_MS = 120_000;
/** An edit whose diagnostics have not come after this long is counted as unanswered. */
const DIAGNOSTICS_TIMEOUT_MS = 10_000;

type PositionKind = keyof typeof POSITIONS_PER_KIND;
type RequestKind = 'hover' | 'definition' | 'references';

interface RequestPosition {
  readonly kind: PositionKind;
  readonly name: string;
  /** UTF-16 offset of the cursor in the file's text (inside the name). */
  readonly offset: number;
  readonly line: number;
  readonly character: number;
}

async function main(): Promise<void> {
  const [root, databasePath, editsText] = process.argv.slice(2);
  if (!root || !databasePath) throw new Error('usage: lspBench CORPUS_ROOT DATABASE_PATH [EDITS]');
  const editCount = Number(editsText ?? '60');
  const text = fs.readFileSync(path.join(root, DOCUMENT), 'utf8');
  const positions = requestPositions(text);
  const edits = typingPositions(text, editCount);
  if (databasePath === '--list-positions') {
    const lines = text.split('\n');
    for (const position of positions) process.stdout.write(`${position.kind}\t${position.name}\t${position.line + 1}:${position.character + 1}\t${lines[position.line]!.trim()}\n`);
    for (const offset of edits) {
      const at = lspPosition(text, offset);
      process.stdout.write(`edit\t${text[offset]}\t${at.line + 1}:${at.character + 1}\t${lines[at.line]!.trim()}\n`);
    }
    return;
  }

  removeDatabase(databasePath);
  const cold = await coldStart(root, databasePath);
  const warm = await warmSession(root, databasePath, text, positions, edits);
  const baseline = await editBaseline(text, edits);
  const result = {
    document: DOCUMENT,
    documentLines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
    positions: countBy(positions, (position) => position.kind),
    cold,
    warm: warm.start,
    requests: warm.requests,
    edits: warm.edits,
    baseline,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Starts with no stored graph, waits for the whole corpus to be indexed, and stops (which saves). */
async function coldStart(root: string, databasePath: string) {
  const start = await startUntilReady(root, databasePath, COLD_START_TIMEOUT_MS);
  try {
    const memory = await shutDown(start.server);
    return { ...start.figures, memory, graphBytes: fileSize(databasePath) };
  } finally {
    await start.server.stop();
  }
}

/** Starts from the graph the cold start stored, then measures requests and edits on `enum.ex`. */
async function warmSession(root: string, databasePath: string, text: string, positions: RequestPosition[], edits: number[]) {
  const { server, figures } = await startUntilReady(root, databasePath, WARM_START_TIMEOUT_MS);
  try {
    const uri = server.uri(DOCUMENT);
    let started = performance.now();
    server.open(DOCUMENT, text, 1);
    await server.waitForDiagnostics(uri, (_diagnostics, version) => version === 1, 60_000);
    const openToDiagnosticsMs = server.diagnostics.get(uri)!.at - started;
    const initialDiagnostics = server.diagnostics.get(uri)!.diagnostics.length;

    // The first request after start-up pays for whatever the server builds lazily (the linked
    // call-graph index, unless the server links it ahead); it is reported apart.
    const firstPosition = positions.find((position) => position.kind === 'remote')!;
    started = performance.now();
    const firstHoverAnswer = await sendRequest(server, 'hover', uri, firstPosition);
    const firstHoverMs = performance.now() - started;

    const requests: Record<RequestKind, unknown> = {
      hover: await measureRequests(server, 'hover', uri, positions),
      definition: await measureRequests(server, 'definition', uri, positions),
      references: await measureRequests(server, 'references', uri, positions),
    };
    const editFigures = await measureEdits(server, uri, text, edits, firstPosition);
    const memory = await shutDown(server);
    return {
      start: {
        ...figures,
        openToDiagnosticsMs,
        initialDiagnostics,
        firstHoverMs,
        firstHoverAnswered: !isEmptyAnswer(firstHoverAnswer),
        memory,
        graphBytes: fileSize(databasePath),
      },
      requests,
      edits: editFigures,
    };
  } finally {
    // After an error the server may still run; once it has exited, stop() only closes the connection.
    await server.stop();
  }
}

/**
 * Spawns the server and waits for the index to be ready. The client writes `initialize` as soon as
 * the process is spawned, so "from initialize" here includes Node starting the server (tens of ms).
 */
async function startUntilReady(root: string, databasePath: string, timeoutMs: number) {
  const started = performance.now();
  const server = await startServer(root, { initializationOptions: { databasePath } });
  const initializeMs = performance.now() - started;
  const status = await server.waitForStatus((entry) => entry.state === 'ready' || entry.state === 'failed', timeoutMs);
  const readyMs = performance.now() - started;
  if (status.state === 'failed') {
    await server.stop();
    throw new Error(`indexing failed: ${status.message}; stderr: ${server.stderr.join('').slice(-2000)}`);
  }
  // The session's own figure for the refresh ("536 files, 536 analysed in 4.21 s").
  const seconds = /in ([\d.]+) s\b/.exec(status.message);
  return {
    server,
    figures: {
      initializeMs,
      readyMs,
      serverRefreshMs: seconds ? Number(seconds[1]) * 1000 : null,
      files: status.files,
      message: status.message,
      pid: server.process.pid!,
    },
  };
}

async function measureRequests(server: ServerHandle, request: RequestKind, uri: string, positions: RequestPosition[]) {
  const samples: number[] = [];
  const nonEmptyByKind: Record<string, number> = {};
  const samplesByKind: Record<string, number[]> = {};
  for (const position of positions) {
    const started = performance.now();
    const answer = await sendRequest(server, request, uri, position);
    const elapsed = performance.now() - started;
    samples.push(elapsed);
    (samplesByKind[position.kind] ??= []).push(elapsed);
    if (!isEmptyAnswer(answer)) nonEmptyByKind[position.kind] = (nonEmptyByKind[position.kind] ?? 0) + 1;
  }
  const nonEmpty = Object.values(nonEmptyByKind).reduce((total, count) => total + count, 0);
  return { samples, nonEmpty, nonEmptyByKind, p95ByKind: Object.fromEntries(Object.entries(samplesByKind).map(([kind, values]) => [kind, stats(values).p95])) };
}

function sendRequest(server: ServerHandle, request: RequestKind, uri: string, position: RequestPosition): Promise<unknown> {
  const params = { textDocument: { uri }, position: { line: position.line, character: position.character } };
  switch (request) {
    case 'hover':
      return server.connection.sendRequest('textDocument/hover', params);
    case 'definition':
      return server.connection.sendRequest('textDocument/definition', params);
    case 'references':
      return server.connection.sendRequest('textDocument/references', { ...params, context: { includeDeclaration: true } });
  }
}

function isEmptyAnswer(answer: unknown): boolean {
  return answer === null || answer === undefined || (Array.isArray(answer) && answer.length === 0);
}

/**
 * Each edit doubles one character (incremental `didChange`), waits for the diagnostics of that
 * version, then undoes it and waits again; only the edit is timed. Between the two, one hover at
 * `hoverAt` (a remote call) is timed apart: the first request that needs the call graph after an
 * edit, which is what a user who types and then points at a call waits for.
 */
async function measureEdits(server: ServerHandle, uri: string, text: string, edits: number[], hoverAt: RequestPosition) {
  const samples: number[] = [];
  const hoverAfterEditSamples: number[] = [];
  const perEdit: { line: number; character: number; lineText: string; ms: number | null; diagnostics: number }[] = [];
  const undoSamples: number[] = [];
  let version = 1;
  let published = 0;
  let withDiagnostics = 0;
  let unanswered = 0;
  const change = async (changes: unknown[]): Promise<{ ms: number; diagnostics: Diagnostic[] } | null> => {
    version++;
    const expected = version;
    const started = performance.now();
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: expected }, contentChanges: changes });
    try {
      await server.waitForDiagnostics(uri, (_diagnostics, received) => received === expected, DIAGNOSTICS_TIMEOUT_MS);
    } catch {
      return null;
    }
    const latest = server.diagnostics.get(uri)!;
    return { ms: latest.at - started, diagnostics: latest.diagnostics };
  };
  for (const offset of edits) {
    const at = lspPosition(text, offset);
    const edit = await change([{ range: { start: at, end: at }, text: text[offset] }]);
    const lineStart = offset - at.character;
    const lineText = text.slice(lineStart, text.indexOf('\n', offset)).trim();
    perEdit.push({ ...at, lineText, ms: edit?.ms ?? null, diagnostics: edit?.diagnostics.length ?? 0 });
    if (edit === null) unanswered++;
    else {
      published++;
      samples.push(edit.ms);
      if (edit.diagnostics.length > 0) withDiagnostics++;
    }
    // The edit is before `hoverAt` or after it on another line, so its position still names the call.
    const hoverPosition = offset < hoverAt.offset && lspPosition(text, offset).line === hoverAt.line ? { ...hoverAt, character: hoverAt.character + 1 } : hoverAt;
    const started = performance.now();
    await sendRequest(server, 'hover', uri, hoverPosition);
    hoverAfterEditSamples.push(performance.now() - started);
    const after = { line: at.line, character: at.character + 1 };
    const undo = await change([{ range: { start: at, end: after }, text: '' }]);
    if (undo !== null) undoSamples.push(undo.ms);
  }
  return { count: edits.length, samples, undoSamples, hoverAfterEditSamples, published, withDiagnostics, unanswered, perEdit };
}

/** What an edit would cost a server that parsed (and analysed) the whole file again: same texts, in process. */
async function editBaseline(text: string, edits: number[]) {
  const parser = await ElixirParser.load();
  try {
    const editedTexts = edits.map((offset) => `${text.slice(0, offset)}${text[offset]}${text.slice(offset)}`);
    // Warm the parser and the JIT first, as the server's would be after its index.
    for (const edited of editedTexts.slice(0, 3)) fileRows(analyzeSource(parser, DOCUMENT, edited));
    const parseMs: number[] = [];
    const fullAnalysisMs: number[] = [];
    for (const edited of editedTexts) {
      let started = performance.now();
      parser.parse(edited);
      parseMs.push(performance.now() - started);
      started = performance.now();
      fileRows(analyzeSource(parser, DOCUMENT, edited));
      fullAnalysisMs.push(performance.now() - started);
    }
    return { parseMs, fullAnalysisMs };
  } finally {
    parser.dispose();
  }
}

/**
 * The server's memory from /proc just before it is asked to shut down, and again after `shutdown`
 * is answered (the session saves the graph then): the peak resident set (VmHWM; worker threads are
 * in the process) and its threads, and the same for any descendant processes.
 */
async function shutDown(server: ServerHandle) {
  const pid = server.process.pid!;
  const beforeShutdown = processMemory(pid);
  const helpers = descendantProcesses(pid).map((child) => ({ pid: child, ...processMemory(child) }));
  await server.connection.sendRequest('shutdown');
  const afterShutdown = processMemory(pid);
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  if (server.process.exitCode === null) {
    await server.connection.sendNotification('exit');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  await server.stop();
  return { beforeShutdown, afterShutdown, helpers, exitCode: server.process.exitCode };
}

function processMemory(pid: number) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const command = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
  return { command, peakRssKiB: field('VmHWM'), rssKiB: field('VmRSS'), threads: field('Threads') };
}

function descendantProcesses(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const parent = pending.pop()!;
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      const children = fs.readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim();
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

/**
 * Fixed places in `enum.ex` where an editor user hovers: the names of remote calls
 * (`Enumerable.reduce(`, `:lists.reverse(`), of local or imported calls (`reduce(`, `is_list(`)
 * and variables, in function bodies (indented four spaces or more, outside heredocs, strings and
 * comments, not on `@` attribute lines), spread evenly over the file. The cursor sits in the middle
 * of the name. The same text gives the same positions on every run.
 */
function requestPositions(text: string): RequestPosition[] {
  const candidates: Record<PositionKind, { name: string; offset: number }[]> = { remote: [], local: [], variable: [] };
  const isBodyLine = functionBodyLines(text);
  let lineStart = 0;
  for (const [lineNumber, rawLine] of text.split('\n').entries()) {
    const offsetOfLine = lineStart;
    lineStart += rawLine.length + 1;
    if (!isBodyLine[lineNumber]) continue;
    const line = maskStringsAndComments(rawLine);
    const taken = new Set<number>();
    for (const match of line.matchAll(/(?:\b[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*|:[a-z_][a-z0-9_]*)\.([a-z_][a-zA-Z0-9_]*[?!]?)\(/g)) {
      const at = match.index + match[0].length - 1 - match[1]!.length;
      taken.add(at);
      candidates.remote.push({ name: match[1]!, offset: offsetOfLine + at });
    }
    for (const match of line.matchAll(/(?<![\w.:@&?!-])([a-z_][a-zA-Z0-9_]*[?!]?)\(/g)) {
      const before = line.slice(0, match.index);
      if (KEYWORDS.has(match[1]!) || /\bdef[a-z]*\s+$/.test(before)) continue;
      taken.add(match.index);
      candidates.local.push({ name: match[1]!, offset: offsetOfLine + match.index });
    }
    for (const match of line.matchAll(/(?<![\w.:@&?!%])([a-z_][a-zA-Z0-9_]*)(?![\w?!(:])/g)) {
      const name = match[1]!;
      if (taken.has(match.index) || name === '_' || KEYWORDS.has(name) || /\bdef[a-z]*\s+$/.test(line.slice(0, match.index))) continue;
      // A name followed by a space and an argument is a call without parentheses.
      if (/^\s+[\w[{"'%:&@-]/.test(line.slice(match.index + name.length)) && !/^\s+(do|when|in|and|or|<-|->|=|\|>|\|\||&&|<>|\+\+|--)\b/.test(line.slice(match.index + name.length))) continue;
      candidates.variable.push({ name, offset: offsetOfLine + match.index });
    }
  }
  const positions: RequestPosition[] = [];
  for (const kind of Object.keys(POSITIONS_PER_KIND) as PositionKind[]) {
    const pool = candidates[kind];
    const wanted = POSITIONS_PER_KIND[kind];
    if (pool.length < wanted) throw new Error(`${DOCUMENT} has only ${pool.length} ${kind} candidates; expected ${wanted}`);
    for (let index = 0; index < wanted; index++) {
      const candidate = pool[Math.floor(((index + 0.5) * pool.length) / wanted)]!;
      const offset = candidate.offset + Math.floor(candidate.name.length / 2);
      positions.push({ kind, name: candidate.name, offset, ...lspPosition(text, offset) });
    }
  }
  return positions;
}

/**
 * Per line: whether it is code inside a definition, by layout as `mix format` leaves it: indented
 * four spaces or more, outside heredocs (`@doc` text and its `iex>` examples) and not part of a
 * module attribute (`@spec` and its continuation lines, which are indented deeper than the `@`).
 */
function functionBodyLines(text: string): boolean[] {
  const result: boolean[] = [];
  let inHeredoc = false;
  let attributeIndent = -1;
  for (const line of text.split('\n')) {
    const quotes = (line.match(/"""|'''/g) ?? []).length;
    const wasInHeredoc = inHeredoc;
    if (quotes % 2 === 1) inHeredoc = !inHeredoc;
    const indent = line.length - line.trimStart().length;
    if (attributeIndent >= 0 && (line.trim() === '' || indent <= attributeIndent)) attributeIndent = -1;
    if (!wasInHeredoc && /^\s*@/.test(line)) attributeIndent = indent;
    result.push(!wasInHeredoc && quotes === 0 && attributeIndent < 0 && /^ {4,}\S/.test(line));
  }
  return result;
}

const KEYWORDS = new Set(
  (
    'do end fn when and or not in true false nil case cond if unless else after rescue catch with for receive try ' +
    'quote unquote unquote_splicing raise reraise throw import alias require use super __MODULE__ __CALLER__ __ENV__ ' +
    'def defp defmacro defmacrop defguard defguardp defdelegate defstruct defimpl defprotocol defmodule defexception'
  ).split(' '),
);

/** Blanks out string and charlist contents and comments, keeping every other character's column. */
function maskStringsAndComments(line: string): string {
  const masked = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (literal) => ' '.repeat(literal.length));
  const comment = masked.indexOf('#');
  return comment === -1 ? masked : masked.slice(0, comment) + ' '.repeat(masked.length - comment);
}

/**
 * One-character edits as `bench/cpgBench.ts` makes them (the same generator and seed): a letter or
 * digit doubled on an indented line without a comment or quote; unlike there, only in function
 * bodies (not in the text of `@doc`s), since the diagnostics are about code.
 */
function typingPositions(text: string, count: number): number[] {
  const isBodyLine = functionBodyLines(text);
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
    if (!/^ {4,}[a-z_]/.test(line) || line.includes('#') || line.includes('"')) continue;
    if (!isBodyLine[lspPosition(text, at).line]) continue;
    if (/[a-z0-9]/.test(text[at]!)) positions.push(at);
  }
  return positions;
}

/** LSP position (0-based line, UTF-16 character) of a UTF-16 offset. */
function lspPosition(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, character: offset - lineStart };
}

function removeDatabase(databasePath: string): void {
  const folder = path.dirname(databasePath);
  const base = path.basename(databasePath);
  fs.mkdirSync(folder, { recursive: true });
  // The graph file and any temporary file of an atomic save beside it.
  for (const name of fs.readdirSync(folder)) if (name.startsWith(base)) fs.rmSync(path.join(folder, name), { force: true });
}

function fileSize(filePath: string): number | null {
  return fs.statSync(filePath, { throwIfNoEntry: false })?.size ?? null;
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
