/**
 * The recorder when things go wrong, with the real CLI, the real agent and a real `elixir`
 * running the scripts of `test/fixtures/recorder/` (which call the instrumented
 * `Recorder.Tally`): a debuggee killed mid-run, a flood that overruns the agent and the
 * recorder, intruders on the recorder's port before the agent connects, Ctrl-C, and command lines
 * and trace files that are wrong. Whatever happens, the CLI exits with a code and a sentence
 * (never a stack trace) and what was recorded is left in a readable trace.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ENVIRONMENT, EventType, FrameKind } from '../common/traceProtocol';
import { startRecorder } from '../adapter/trace/ingest';
import { findCall } from '../adapter/trace/traceIndex';
import { type CallRecord, type TraceSummary, queryTrace, traceSummary } from '../adapter/trace/traceQuery';
import { TraceReader } from '../adapter/trace/traceStore';
import { agentCommand, findBootScript, planFiles } from '../server/workspace/recordingSetup';
import { atomMap, binary, encodeFrame, encodeTerm } from './support/etfEncode';
import { repoRoot } from './support/corpus';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'recorder');
const TALLY = path.join(FIXTURES, 'tally.ex');
const LOOP_SCRIPT = path.join(FIXTURES, 'loop.exs');
const FLOOD_SCRIPT = path.join(FIXTURES, 'flood.exs');

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-robustness-'));
/** OS pids of the loop script's BEAMs not yet seen gone, killed at the end should a test fail half-way. */
const startedBeams = new Set<number>();

after(() => {
  for (const osPid of startedBeams) if (isAlive(osPid)) process.kill(osPid, 'SIGKILL');
  fs.rmSync(workspace, { recursive: true, force: true });
});

/** This process's environment without a recorder's variables, so only the CLI's reach the agent. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  for (const name of Object.keys(environment)) if (name.startsWith('ELIXIRSCOPE_')) delete environment[name];
  return environment;
}

function isAlive(osPid: number): boolean {
  try {
    process.kill(osPid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LiveRecording {
  readonly cli: ChildProcessWithoutNullStreams;
  readonly tracePath: string;
  /** The recorded BEAM's OS pid, once the loop script has started. */
  readonly beamPid: Promise<number>;
  /** Resolves once the program has printed `marker` (which reaches the CLI's inherited stdout). */
  waitForOutput(marker: string): Promise<void>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `elixirscope record --instrument tally.ex -- elixir loop.exs PID_FILE`, with pipes to watch it. */
function recordLoop(name: string): LiveRecording {
  const tracePath = path.join(workspace, `${name}.estrace`);
  const pidFile = path.join(workspace, `${name}.pid`);
  const cli = spawn(process.execPath, [CLI, 'record', '--out', tracePath, '--instrument', TALLY, '--', 'elixir', LOOP_SCRIPT, pidFile], {
    cwd: workspace,
    env: cleanEnvironment(),
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  const waiters: { marker: string; resolve: () => void }[] = [];
  cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters) if (stdout.includes(waiter.marker)) waiter.resolve();
  });
  cli.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    cli.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  const waitForOutput = (marker: string) =>
    new Promise<void>((resolve, reject) => {
      if (stdout.includes(marker)) return resolve();
      waiters.push({ marker, resolve });
      void exit.then((result) => reject(new Error(`the CLI exited (${result.code}) before printing ${marker}:\n${result.stdout}\n${result.stderr}`)));
    });
  const beamPid = waitForOutput('LOOPING').then(() => {
    const osPid = Number(fs.readFileSync(pidFile, 'utf8'));
    startedBeams.add(osPid);
    return osPid;
  });
  return { cli, tracePath, beamPid, waitForOutput, exit };
}

/** Each call returned (after it started) or is still open, and at most `maxOpen` are open. */
function assertCallsPairedOrOpen(calls: readonly CallRecord[], maxOpen: number): void {
  for (const call of calls) {
    assert.ok(call.status === 'returned' || call.status === 'open', `call ${call.call}: ${call.status}`);
    if (call.status === 'returned') assert.ok(call.end !== null && call.end >= call.start);
  }
  const open = calls.filter((call) => call.status === 'open');
  assert.ok(open.length <= maxOpen, `${open.length} calls open: ${open.map((call) => call.clause).join(', ')}`);
}

function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /internal error|^\s+at .+:\d+:\d+\)?$/m, stderr);
}

let killedTracePath: string | null = null;

test('a debuggee killed with SIGKILL: the CLI exits 137 and leaves a finished, incomplete trace of what was received', { timeout: 60_000 }, async (t) => {
  const recording = recordLoop('killed');
  const beamPid = await recording.beamPid;
  process.kill(beamPid, 'SIGKILL');
  const { code, stderr } = await recording.exit;
  startedBeams.delete(beamPid);
  assert.equal(code, 137, stderr);
  assert.match(stderr, /incomplete: the debuggee closed the connection without goodbye/);
  assert.match(stderr, /trace written to /);
  assertNoStackTrace(stderr);

  const reader = TraceReader.open(recording.tracePath);
  assert.equal(reader.recovered, false, 'the recorder finished the file');
  const summary = traceSummary(reader);
  assert.equal(summary.complete, false);
  assert.match(summary.endReason, /without goodbye \(it was killed or crashed\)/);
  assert.deepEqual(summary.modules.map((module) => [module.module, module.status]), [['Recorder.Tally', 'instrumented']]);
  const calls = queryTrace(reader, { calls: 'Recorder.Tally.add/2' }) as CallRecord[];
  t.diagnostic(`${calls.length} calls of add/2 recorded before the kill; ${summary.events} events`);
  // The loop printed its marker after 200 calls and a pause: those had reached the recorder.
  assert.ok(calls.length >= 200, `${calls.length} calls`);
  assert.deepEqual(calls.slice(0, 3).map((call) => call.args), [['0', '1'], ['1', '2'], ['3', '3']]);
  // Killed at any point, at most add/2 and the weight/1 it calls are open.
  assertCallsPairedOrOpen(calls, 1);
  assertCallsPairedOrOpen(queryTrace(reader, { calls: 'Recorder.Tally.weight/1' }) as CallRecord[], 1);
  killedTracePath = recording.tracePath;
});

test('Ctrl-C: SIGINT to the CLI stops the program, finishes the trace and exits 130', { timeout: 60_000 }, async () => {
  const recording = recordLoop('interrupted');
  const beamPid = await recording.beamPid;
  const interruptedAt = Date.now();
  recording.cli.kill('SIGINT');
  const { code, stderr } = await recording.exit;
  // The BEAM opens its BREAK menu on the forwarded SIGINT, and the CLI's second one aborts it.
  assert.ok(Date.now() - interruptedAt < 10_000, 'the program stopped promptly');
  assert.equal(isAlive(beamPid), false, 'the program is gone');
  startedBeams.delete(beamPid);
  // A BEAM aborted from its BREAK menu exits 0; an interrupted recording must not say success.
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGINT: stopping the program and finishing the trace/);
  assert.match(stderr, /trace written to /);
  assertNoStackTrace(stderr);

  const reader = TraceReader.open(recording.tracePath);
  assert.equal(reader.recovered, false, 'the recorder finished the file');
  const summary = traceSummary(reader);
  assert.equal(summary.complete, false);
  const calls = queryTrace(reader, { calls: 'Recorder.Tally.add/2' }) as CallRecord[];
  assert.ok(calls.length >= 200, `${calls.length} calls`);
  assertCallsPairedOrOpen(calls, 1);
});

test('a flood: the program finishes normally, drops are counted and stored, and what was stored is consistent', { timeout: 90_000 }, async (t) => {
  const tracePath = path.join(workspace, 'flood.estrace');
  const processes = 4;
  const callsPerProcess = 500_000;
  // A small bound on the agent's pending events makes it drop for sure, whatever the machine.
  const run = spawnSync(
    process.execPath,
    [CLI, 'record', '--mode', 'minimal', '--max-pending', '2000', '--out', tracePath, '--instrument', TALLY, '--', 'elixir', FLOOD_SCRIPT, String(processes), String(callsPerProcess)],
    { cwd: workspace, env: cleanEnvironment(), encoding: 'utf8', timeout: 80_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  // The program computed what it computes unrecorded.
  assert.match(run.stdout, new RegExp(`^FLOOD calls=${processes * callsPerProcess} total=${floodTotal(processes, callsPerProcess)}$`, 'm'));
  assertNoStackTrace(run.stderr);

  const reader = TraceReader.open(tracePath);
  const summary = traceSummary(reader);
  t.diagnostic(`stored ${summary.events} events; dropped ${summary.dropped.recorder} by the recorder (${summary.dropped.recorderFrames} frames), ${summary.dropped.agent} by the agent`);
  assert.equal(summary.complete, true, summary.endReason);
  assert.ok(summary.dropped.agent !== null, 'the agent said goodbye with its counts');
  const dropped = summary.dropped.recorder + summary.dropped.agent;
  assert.ok(summary.dropped.agent > 0, 'the flood overran the agent\'s bound of 2000 pending events');
  assert.match(run.stderr, new RegExp(`recorded ${summary.events} events; dropped ${dropped}: ${summary.dropped.recorder} by the recorder, ${summary.dropped.agent} by the agent`));
  // Nothing is lost silently: what the agent emitted was stored or dropped by the recorder.
  assert.equal(reader.metadata.end?.agentCounts?.events, summary.events + summary.dropped.recorder);
  const orphans = assertFloodConsistent(reader, summary);
  t.diagnostic(`${orphans} stored returns whose call was dropped`);
});

/** What flood.exs prints as its total: weight/1 is 1, 2, 3 for n ≡ 1, 2, 0 (mod 3). */
function floodTotal(processes: number, callsPerProcess: number): number {
  return processes * (Math.floor(callsPerProcess / 3) * 6 + [0, 1, 3][callsPerProcess % 3]!);
}

/**
 * What a flood stored is a faithful subset: each process's events in sequence order, and every
 * stored return belongs to a stored call, or to one that was dropped — the recorder drops whole
 * frames, which leaves a gap in the (VM-wide) sequence numbers between the return and that
 * process's previous stored event.
 */
function assertFloodConsistent(reader: TraceReader, summary: TraceSummary): number {
  const { index } = reader;
  for (let pidIndex = 0; pidIndex < reader.pids.length; pidIndex++) {
    let previous = -Infinity;
    for (let position = index.pidStart[pidIndex]; position < index.pidStart[pidIndex + 1]; position++) {
      const seq = index.seq[index.pidEvents[position]];
      assert.ok(seq > previous, `process ${pidIndex}: seq ${seq} after ${previous}`);
      previous = seq;
    }
  }
  const storedSeqs = Float64Array.from(index.seq).sort();
  const storedBetween = (low: number, high: number) => lowerBound(storedSeqs, high) - lowerBound(storedSeqs, low + 1);
  const previousOnProcess = new Map<number, number>();
  let returns = 0;
  let orphans = 0;
  for (let event = 0; event < index.eventCount; event++) {
    const type = index.type[event];
    const pid = index.pid[event];
    const seq = index.seq[event];
    if (type === EventType.return || type === EventType.raise) {
      returns++;
      const callIndex = findCall(index, pid, index.call[event]);
      if (callIndex !== -1) {
        assert.ok(index.seq[index.callEvent[callIndex]] < seq, `return ${seq} after its call`);
      } else {
        orphans++;
        const previous = previousOnProcess.get(pid) ?? 0;
        const gap = storedBetween(previous, seq) < seq - previous - 1;
        // The agent keeps calls whole (a dropped call's end is dropped too), so only a frame the
        // recorder dropped can separate a return from its call, and that leaves a gap.
        assert.ok(gap, `the return at seq ${seq} has no call and follows no dropped frame`);
      }
    }
    previousOnProcess.set(pid, seq);
  }
  assert.ok(returns > 100_000, `${returns} returns stored`);
  assert.ok(orphans <= summary.dropped.recorderFrames * processesOf(reader), `${orphans} returns without their call`);
  return orphans;
}

function processesOf(reader: TraceReader): number {
  return Math.max(1, reader.pids.length);
}

/** The first position in the sorted `values` whose value is at least `value`. */
function lowerBound(values: Float64Array, value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

test('intruders on the recorder\'s port are turned away, and the real agent that connects afterwards is recorded', { timeout: 60_000 }, async () => {
  const token = 'c0ffee'.repeat(5) + '00';
  const tracePath = path.join(workspace, 'intruders.estrace');
  const { manifest } = await planFiles([TALLY], 'debug');
  const manifestPath = path.join(workspace, 'intruders-manifest.json');
  fs.writeFileSync(manifestPath, JSON.stringify(manifest));
  const recorder = await startRecorder({ token, tracePath, manifest, command: 'elixir flood.exs 2 100', overload: 'drop' });

  const hello = (sentToken: string) => encodeFrame(FrameKind.hello, encodeTerm(atomMap({ token: binary(sentToken) })));
  await sendAndAwaitClose(recorder.port, Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  await sendAndAwaitClose(recorder.port, hello('0'.repeat(token.length)));
  await sendAndAwaitClose(recorder.port, encodeFrame(FrameKind.hello, Uint8Array.of(131, 255, 0)));

  const launch = agentCommand(['elixir', FLOOD_SCRIPT, '2', '100'], findBootScript(), process.env);
  const program = spawnSync(launch.file, launch.args, {
    cwd: workspace,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...cleanEnvironment(), ...launch.environment, [ENVIRONMENT.port]: String(recorder.port), [ENVIRONMENT.token]: token, [ENVIRONMENT.manifest]: manifestPath },
  });
  assert.equal(program.status, 0, program.stderr);
  assert.match(program.stdout, new RegExp(`^FLOOD calls=200 total=${floodTotal(2, 100)}$`, 'm'));
  const summary = await recorder.done;
  assert.equal(summary.complete, true, summary.endReason);
  assert.equal(summary.rejectedConnections, 3);

  const reader = TraceReader.open(tracePath);
  const notes = reader.metadata.notes;
  assert.deepEqual(notes.map((note) => note.kind), ['rejectedConnection', 'rejectedConnection', 'rejectedConnection']);
  assert.match(notes[0]!.reason, /^malformed frame: frame length \d+ is outside /);
  assert.equal(notes[1]!.reason, 'wrong token');
  assert.match(notes[2]!.reason, /^hello is not a readable term /);
  const calls = queryTrace(reader, { calls: 'Recorder.Tally.add/2' }) as CallRecord[];
  assert.equal(calls.length, 200);
  assertCallsPairedOrOpen(calls, 0);
});

/** Connects, writes `bytes` and waits until the recorder has closed the connection. */
async function sendAndAwaitClose(port: number, bytes: Uint8Array): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(bytes);
  await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

test('a program that cannot be started: exit 127 with a sentence, and an empty finished trace', () => {
  const tracePath = path.join(workspace, 'not-started.estrace');
  const missingElixir = path.join(workspace, 'no-such-folder', 'elixir');
  const started = Date.now();
  const run = cli(['record', '--out', tracePath, '--instrument', TALLY, '--', missingElixir, LOOP_SCRIPT]);
  assert.equal(run.status, 127, run.stderr);
  assert.match(run.stderr, /could not start `.*no-such-folder\/elixir`: spawn .* ENOENT/);
  assertNoStackTrace(run.stderr);
  assert.ok(Date.now() - started < 10_000, 'no wait for an agent that cannot come');
  const summary = traceSummary(TraceReader.open(tracePath));
  assert.equal(summary.complete, false);
  assert.equal(summary.endReason, 'stopped before an agent connected');
  assert.equal(summary.events, 0);
});

/** Runs the CLI with `args` in `cwd`; misuse must end it quickly. */
function cli(args: readonly string[], cwd = workspace) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env: cleanEnvironment(), encoding: 'utf8', timeout: 30_000 });
}

test('misused record command lines exit 2 with a sentence that says what to do', () => {
  const empty = fs.mkdtempSync(path.join(workspace, 'not-a-project-'));
  const cases: [string[], RegExp][] = [
    [['record', 'elixir', LOOP_SCRIPT], /`record` needs the command to run after `--`/],
    [['record', '--instrument', TALLY, '--'], /`record` needs the command to run after `--`/],
    [['record', '--mode', 'fast', '--instrument', TALLY, '--', 'elixir', LOOP_SCRIPT], /--mode is one of minimal, debug, full, not `fast`/],
    [['record', '--overload', 'queue', '--instrument', TALLY, '--', 'elixir', LOOP_SCRIPT], /--overload is drop or block, not `queue`/],
    [['record', '--instrument', TALLY, '--', 'make', 'test'], /record runs `mix …` or `elixir …` commands, not `make`/],
    [['record', '--', 'mix'], /`mix` needs a task to run/],
    [['record', '--', 'elixir', LOOP_SCRIPT], /is not a Mix project \(no mix\.exs\): name what to instrument with --instrument PATH/],
    [['record', '--instrument', path.join(empty, 'missing.ex'), '--', 'elixir', LOOP_SCRIPT], /nothing to instrument at .*missing\.ex: no such file or folder/],
    [['record', '--instrument', LOOP_SCRIPT, '--', 'elixir', LOOP_SCRIPT], /loop\.exs is not an \.ex file/],
    [['record', '--instrument', empty, '--', 'elixir', LOOP_SCRIPT], /there is nothing to instrument: no \.ex files in /],
    [['record', 'stray', '--instrument', TALLY, '--', 'elixir', LOOP_SCRIPT], /`stray` before `--`: options go before `--` and the command after it/],
    [['record', '--frobnicate', '--', 'elixir', LOOP_SCRIPT], /Unknown option '--frobnicate'/],
    [['record', '--out', empty, '--instrument', TALLY, '--', 'elixir', LOOP_SCRIPT], /cannot write the trace to .*not-a-project-\w+: /],
  ];
  for (const [args, message] of cases) {
    const run = cli(args, empty);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assert.match(run.stderr, /Run `elixirscope --help` for usage\./);
    assertNoStackTrace(run.stderr);
  }
});

test('trace summary and trace query: missing, corrupt and truncated files, bad and unknown queries', () => {
  // The trace the killed debuggee left is the real one these read back and cut short.
  assert.ok(killedTracePath !== null, 'the killed-debuggee test did not leave a trace');
  const corrupt = path.join(workspace, 'corrupt.estrace');
  fs.writeFileSync(corrupt, 'this is not a trace\n'.repeat(50));
  const empty = path.join(workspace, 'empty.estrace');
  fs.writeFileSync(empty, '');
  const cases: [string[], RegExp][] = [
    [['trace', 'summary', path.join(workspace, 'missing.estrace')], /no such trace file: .*missing\.estrace/],
    [['trace', 'summary', corrupt], /corrupt\.estrace is not a readable ElixirScope trace: not an ElixirScope trace file \(bad magic\)/],
    [['trace', 'summary', empty], /empty\.estrace is not a readable ElixirScope trace/],
    [['trace', 'summary', workspace], /cannot read the trace .*: EISDIR/],
    [['trace', 'summary'], /`trace summary` takes one trace file/],
    [['trace', 'query', killedTracePath, '{"calls": '], /the query is not valid JSON/],
    [['trace', 'query', killedTracePath, '{"frobnicate": "Recorder.Tally.add/2"}'], /unknown query "frobnicate"; write one of \{"calls": "Mod\.fun\/2"\}/],
    [['trace', 'query', killedTracePath, '{"calls": "Nowhere.f/1"}'], /Nowhere\.f\/1 was not recorded/],
    [['trace', 'query', killedTracePath], /`trace query` takes a trace file and a query/],
    [['trace', 'replay', killedTracePath], /`trace` takes `summary FILE \[--json\]` or `query FILE QUERY`/],
  ];
  for (const [args, message] of cases) {
    const run = cli(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assertNoStackTrace(run.stderr);
  }

  // A trace cut in the middle of its records (a full disk, an interrupted copy) is read back by
  // scanning. The footer ends with the offset of the index, which follows the last record.
  const whole = fs.readFileSync(killedTracePath);
  const wholeEvents = TraceReader.open(killedTracePath).eventCount;
  const indexOffset = whole.readDoubleLE(whole.length - 16);
  const truncated = path.join(workspace, 'truncated.estrace');
  fs.writeFileSync(truncated, whole.subarray(0, Math.floor(indexOffset / 2)));
  const text = cli(['trace', 'summary', truncated]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /incomplete: the recording was cut short \(no end record\)/);
  assert.match(text.stdout, /^recovered: /m);
  const json = cli(['trace', 'summary', '--json', truncated]);
  assert.equal(json.status, 0, json.stderr);
  const summary = JSON.parse(json.stdout) as TraceSummary;
  assert.equal(summary.recovered, true);
  assert.equal(summary.complete, false);
  assert.ok(summary.events > 0 && summary.events < wholeEvents, `${summary.events} of ${wholeEvents} events recovered`);
  const query = cli(['trace', 'query', truncated, '{"calls": "Recorder.Tally.add/2", "limit": 3}']);
  assert.equal(query.status, 0, query.stderr);
  const calls = JSON.parse(query.stdout) as CallRecord[];
  assert.deepEqual(calls.map((call) => [call.args, call.status, call.result]), [
    [['0', '1'], 'returned', '1'],
    [['1', '2'], 'returned', '3'],
    [['3', '3'], 'returned', '6'],
  ]);
});
