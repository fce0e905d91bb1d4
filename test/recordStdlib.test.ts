/**
 * Semantic equivalence through the whole recorder: `elixirscope record --instrument …` plans five
 * modules of Elixir 1.14's standard library from the corpus, the real agent recompiles them
 * instrumented, their own ExUnit suites (doctests included) run unchanged through
 * `test/support/stdlibSuites.exs`, and the trace the recorder wrote is read back with the
 * queries. Every test must still pass, and the trace must hold what the suites did: every
 * planned module instrumented, nothing dropped, each module's calls with their ends, the exact
 * arguments the URI tests pass, and values of a variable binding.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventType } from '../common/traceProtocol';
import { TraceReader } from '../adapter/trace/traceStore';
import { type CallRecord, type ValueRecord, queryTrace, traceSummary } from '../adapter/trace/traceQuery';
import { elixirCorpusRoot, repoRoot } from './support/corpus';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const SUITES_SCRIPT = path.join(repoRoot(), 'test', 'support', 'stdlibSuites.exs');

/** Library files and their suites; the module of each file whose calls are counted. */
const SUITES = [
  { file: 'option_parser', module: 'OptionParser' },
  { file: 'uri', module: 'URI' },
  { file: 'version', module: 'Version' },
  { file: 'keyword', module: 'Keyword' },
  { file: 'path', module: 'Path' },
] as const;

let workspace: string;
let corpus: string;
let debugRun: SpawnSyncReturns<string>;
let reader: TraceReader;

/** `elixirscope record --mode MODE --out TRACE --instrument FILES… -- elixir stdlibSuites.exs CORPUS NAMES…`. */
function recordSuites(mode: 'debug' | 'full', tracePath: string, names: readonly string[]): SpawnSyncReturns<string> {
  // One --instrument followed by every file, as a shell expands `--instrument lib/{a,b}.ex`.
  const files = names.map((name) => path.join(corpus, 'lib', 'elixir', 'lib', `${name}.ex`));
  return spawnSync(
    process.execPath,
    [CLI, 'record', '--mode', mode, '--out', tracePath, '--instrument', ...files, '--', 'elixir', SUITES_SCRIPT, corpus, ...names],
    { cwd: workspace, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: environmentWithoutRecorder() },
  );
}

/** This process's environment without a recorder's variables, so only the CLI's reach the agent. */
function environmentWithoutRecorder(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of Object.keys(environment)) if (name.startsWith('ELIXIRSCOPE_')) delete environment[name];
  return environment;
}

before(() => {
  corpus = elixirCorpusRoot();
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-record-stdlib-'));
  const tracePath = path.join(workspace, 'stdlib.estrace');
  debugRun = recordSuites('debug', tracePath, SUITES.map((suite) => suite.file));
  reader = TraceReader.open(tracePath);
});

after(() => fs.rmSync(workspace, { recursive: true, force: true }));

function output(run: SpawnSyncReturns<string>): string {
  return `status ${run.status} signal ${run.signal}\n--- stdout (end)\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}

test('the five suites pass with their modules instrumented, and the recording is complete with nothing dropped', () => {
  assert.equal(debugRun.status, 0, output(debugRun));
  assert.match(debugRun.stdout, /^SUITES tests=\d+ failures=0 excluded=\d+$/m, output(debugRun));
  assert.ok(Number(/^SUITES tests=(\d+)/m.exec(debugRun.stdout)![1]) >= 300, 'the suites and their doctests all ran');
  const summary = traceSummary(reader);
  assert.equal(summary.complete, true, summary.endReason);
  assert.equal(summary.recovered, false);
  assert.deepEqual(summary.dropped, { recorder: 0, recorderFrames: 0, agent: 0 });
  const planned = reader.metadata.manifest.modules.map((module) => module.module);
  for (const suite of SUITES) assert.ok(planned.includes(suite.module), `${suite.module} is planned`);
  for (const module of summary.modules) {
    assert.ok(module.status === 'instrumented' || module.status === 'cached', `${module.module}: ${module.status}`);
  }
});

test('each module recorded many calls of its own clauses, and every call ended', (t) => {
  const { index, metadata } = reader;
  const moduleOfClause = new Map<number, string>();
  for (const module of metadata.manifest.modules) for (const clause of module.clauses) moduleOfClause.set(clause, module.module);
  const callsByModule = new Map<string, number>();
  for (let event = 0; event < index.eventCount; event++) {
    if (index.type[event] !== EventType.call) continue;
    const module = moduleOfClause.get(index.node[event]);
    assert.ok(module !== undefined, `call event ${event} is at clause node ${index.node[event]}`);
    callsByModule.set(module, (callsByModule.get(module) ?? 0) + 1);
  }
  t.diagnostic([...callsByModule].map(([module, calls]) => `${module}: ${calls}`).join(', '));
  for (const suite of SUITES) {
    assert.ok((callsByModule.get(suite.module) ?? 0) >= 500, `${suite.module}: only ${callsByModule.get(suite.module) ?? 0} calls recorded`);
  }
  // A call ends with its return (a tail call included) or its raise; none stays open.
  assert.ok(index.callCount > 10_000);
  const open: number[] = [];
  for (let call = 0; call < index.callCount; call++) if (index.callEnd[call] === -1) open.push(call);
  assert.deepEqual(open, [], 'calls without a return or raise');
  const counts = reader.metadata.countsByType;
  assert.equal(counts.call, (counts.return ?? 0) + (counts.raise ?? 0));
  assert.ok((counts.raise ?? 0) > 0, 'the suites test error cases: some calls raised');
});

test('calls: URI.parse/1 with the exact arguments the URI tests pass, and its results', () => {
  const calls = queryTrace(reader, { calls: 'URI.parse/1' }) as CallRecord[];
  assert.ok(calls.length >= 50, `${calls.length} calls`);
  // uri_test.exs: `assert URI.parse("https://foo.com") == expected_uri`.
  const https = calls.filter((call) => call.args.length === 1 && call.args[0] === '"https://foo.com"');
  assert.ok(https.length >= 1, calls.slice(0, 5).map((call) => call.args.join(', ')).join('\n'));
  for (const call of https) {
    assert.equal(call.status, 'returned');
    assert.match(call.result!, /^%URI\{/);
    for (const field of ['scheme: "https"', 'host: "foo.com"', 'port: 443', 'path: nil', 'query: nil']) assert.ok(call.result!.includes(field), `${field} in ${call.result}`);
  }
});

test('values_at: a binding from the manifest has its recorded values', () => {
  // The `string` bound by URI.parse/1's second clause: every URI string parsed.
  const binding = reader.metadata.manifest.nodes.find((node) => node.kind === 'binding' && node.id.startsWith('URI.parse/1#') && node.name === 'string');
  assert.ok(binding, 'URI.parse/1 binds `string`');
  const values = queryTrace(reader, { values_at: binding.id }) as ValueRecord[];
  assert.ok(values.length >= 50, `${values.length} values`);
  assert.ok(values.some((value) => value.value === '"https://foo.com"'), values.slice(0, 5).map((value) => value.value).join('\n'));
  for (const value of values) assert.ok(value.call > 0, 'a binding belongs to the call it happened in');
});

test('full mode: option_parser\'s suite passes with every pipe stage recorded too', () => {
  const tracePath = path.join(workspace, 'option_parser-full.estrace');
  const run = recordSuites('full', tracePath, ['option_parser']);
  assert.equal(run.status, 0, output(run));
  assert.match(run.stdout, /^SUITES tests=\d+ failures=0 excluded=\d+$/m, output(run));
  const summary = traceSummary(TraceReader.open(tracePath));
  assert.equal(summary.complete, true, summary.endReason);
  assert.deepEqual(summary.modules.map((module) => [module.module, module.status === 'instrumented' || module.status === 'cached']), [['OptionParser', true]]);
  assert.equal(summary.dropped.agent, 0);
  assert.ok((summary.eventsByType.value ?? 0) >= 50, `${summary.eventsByType.value ?? 0} expression values`);
  assert.equal(summary.eventsByType.call, (summary.eventsByType.return ?? 0) + (summary.eventsByType.raise ?? 0));
});
