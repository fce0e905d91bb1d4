/**
 * `elixirscope record` and `elixirscope trace`: run a program with the agent loaded and store
 * what it did in a trace file, then read such a file (summary and queries) without the program.
 *
 * `record` plans what to instrument from the code property graph, starts the recorder (which
 * listens on loopback for the agent), runs the command with the agent injected and exits with
 * the command's own exit code, after saying on stderr where the trace is. However the command
 * ends — normally, killed, or interrupted with Ctrl-C, which is passed on to it — the trace file
 * is finished before the CLI exits; what cannot be recorded is said in one sentence, never a
 * stack trace.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENVIRONMENT, type RecordingMode } from '../common/traceProtocol';
import { type Recorder, type RecorderOptions, type RecordingSummary, startRecorder } from '../adapter/trace/ingest';
import { TraceFormatError, TraceReader } from '../adapter/trace/traceStore';
import { TraceQueryError, type TraceSummary, queryTrace, traceSummary } from '../adapter/trace/traceQuery';
import { contentHash } from '../server/workspace/analyzeFile';
import { readSourceFile } from '../server/workspace/sourceFiles';
import { type AgentCommand, RecordingSetupError, agentCommand, defaultCacheDirectory, filesToInstrument, findBootScript, planFiles } from '../server/workspace/recordingSetup';
import { UsageError } from './usageError';

const MODES: readonly RecordingMode[] = ['minimal', 'debug', 'full'];

type ArgumentToken = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export async function recordCommand(args: readonly string[]): Promise<number> {
  const separator = args.indexOf('--');
  if (separator === -1 || separator === args.length - 1) {
    throw new UsageError('`record` needs the command to run after `--`, e.g. `elixirscope record -- mix test`.');
  }
  const { values, tokens } = parseArgs({
    args: args.slice(0, separator),
    allowPositionals: true,
    tokens: true,
    options: {
      mode: { type: 'string', short: 'm' },
      out: { type: 'string', short: 'o' },
      instrument: { type: 'string', short: 'i', multiple: true },
      'no-processes': { type: 'boolean' },
      'max-pending': { type: 'string' },
      overload: { type: 'string' },
    },
  });
  const command = args.slice(separator + 1);
  const mode = (values.mode ?? 'debug') as RecordingMode;
  if (!MODES.includes(mode)) throw new UsageError(`--mode is one of ${MODES.join(', ')}, not \`${values.mode}\`.`);
  const overload = values.overload ?? 'drop';
  if (overload !== 'drop' && overload !== 'block') throw new UsageError(`--overload is drop or block, not \`${overload}\`.`);
  let maxPending: number | undefined;
  if (values['max-pending'] !== undefined) {
    maxPending = Number(values['max-pending']);
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new UsageError(`--max-pending takes a whole number of at least 1, not \`${values['max-pending']}\`.`);
  }

  const projectRoot = process.cwd();
  const paths = instrumentPaths(tokens);
  let files: string[];
  let launch: AgentCommand;
  try {
    launch = agentCommand(command, findBootScript(), process.env);
    files = filesToInstrument(projectRoot, paths);
  } catch (error) {
    if (error instanceof RecordingSetupError) throw new UsageError(error.message);
    throw error;
  }
  if (files.length === 0) {
    throw new UsageError(`there is nothing to instrument: no .ex files in ${paths.length > 0 ? paths.join(', ') : path.join(projectRoot, 'lib')}.`);
  }

  const cacheDirectory = process.env.ELIXIRSCOPE_CACHE ?? defaultCacheDirectory(process.env);
  const planned = await planFiles(files, mode, { traceProcesses: !values['no-processes'], cacheDirectory });
  const skipped = planned.skipped;
  const manifest = maxPending === undefined ? planned.manifest : { ...planned.manifest, maxPending };
  for (const entry of skipped) process.stderr.write(`elixirscope: not instrumented: ${entry}\n`);
  const tracePath = path.resolve(values.out ?? defaultTracePath(projectRoot, command));
  const manifestDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-'));
  try {
    const manifestPath = path.join(manifestDirectory, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const token = randomBytes(16).toString('hex');
    const recorder = await startRecorderAt(tracePath, { token, manifest, command: command.join(' '), overload });
    process.stderr.write(
      `elixirscope: recording \`${command.join(' ')}\` (${mode}: ${manifest.modules.length} modules, ${manifest.nodes.length} nodes planned)\n`,
    );
    return await recordProgram(recorder, launch.file, launch.args, {
      ...process.env,
      ...launch.environment,
      [ENVIRONMENT.port]: String(recorder.port),
      [ENVIRONMENT.token]: token,
      [ENVIRONMENT.manifest]: manifestPath,
    });
  } finally {
    fs.rmSync(manifestDirectory, { recursive: true, force: true });
  }
}

export async function traceCommand(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'summary') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('`trace summary` takes one trace file.');
    const reader = openTrace(positionals[0]!);
    const summary = { ...traceSummary(reader), sources: sourceStates(reader) };
    process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
    return 0;
  }
  if (subcommand === 'query') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
    if (positionals.length !== 2) throw new UsageError('`trace query` takes a trace file and a query, e.g. `trace query run.estrace \'{"calls": "MyApp.f/1"}\'`.');
    const reader = openTrace(positionals[0]!);
    let query: unknown;
    try {
      query = JSON.parse(positionals[1] === '-' ? fs.readFileSync(0, 'utf8') : positionals[1]!);
    } catch (error) {
      throw new UsageError(`the query is not valid JSON (${(error as Error).message}).`);
    }
    try {
      process.stdout.write(`${JSON.stringify(queryTrace(reader, query), null, 2)}\n`);
    } catch (error) {
      if (error instanceof TraceQueryError) throw new UsageError(error.message);
      throw error;
    }
    return 0;
  }
  throw new UsageError('`trace` takes `summary FILE [--json]` or `query FILE QUERY`.');
}

function openTrace(file: string): TraceReader {
  if (!fs.existsSync(file)) throw new UsageError(`no such trace file: ${file}`);
  try {
    return TraceReader.open(file);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new UsageError(`${file} is not a readable ElixirScope trace: ${error.message}`);
    // A folder, a file without read permission…
    if (typeof (error as NodeJS.ErrnoException).code === 'string') throw new UsageError(`cannot read the trace ${file}: ${(error as Error).message}`);
    throw error;
  }
}

function defaultTracePath(projectRoot: string, command: readonly string[]): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const label = command.slice(0, 2).map((part) => path.basename(part)).join('-').replace(/[^A-Za-z0-9_-]/g, '_');
  return path.join(projectRoot, '.elixirscope', 'traces', `${stamp}-${label}.estrace`);
}

/**
 * The paths to instrument: each `--instrument PATH`, and the words right after one, so that a
 * shell's expansion of `--instrument lib/{a,b}.ex` or `--instrument lib/*.ex` means every file.
 * Any other word before `--` is a mistake: the command goes after `--`.
 */
function instrumentPaths(tokens: readonly ArgumentToken[]): string[] {
  const paths: string[] = [];
  let afterInstrument = false;
  for (const token of tokens) {
    if (token.kind === 'option') {
      afterInstrument = token.name === 'instrument';
      if (afterInstrument && token.value !== undefined) paths.push(token.value);
    } else if (token.kind === 'positional') {
      if (!afterInstrument) {
        throw new UsageError(`\`${token.value}\` before \`--\`: options go before \`--\` and the command after it, e.g. \`elixirscope record --instrument lib -- mix test\`.`);
      }
      paths.push(token.value);
    }
  }
  return paths;
}

/** Creates the trace file's folder and starts the recorder; a path it cannot write is the user's to fix. */
async function startRecorderAt(tracePath: string, options: Omit<RecorderOptions, 'tracePath'>): Promise<Recorder> {
  try {
    fs.mkdirSync(path.dirname(tracePath), { recursive: true });
    return await startRecorder({ ...options, tracePath });
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException).code === 'string') {
      throw new UsageError(`cannot write the trace to ${tracePath}: ${(error as Error).message}`);
    }
    throw error;
  }
}

/** Signals that stop the recorded program rather than the recorder (Ctrl-C, `kill`, a closed terminal). */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * How long after a forwarded SIGINT the program gets a second one. The recorded program is always
 * a BEAM, and a BEAM takes its first SIGINT to open its BREAK menu, which waits for an answer on
 * stdin; a second SIGINT aborts it. At a terminal the program gets Ctrl-C itself as well, so the
 * forwarded one already aborts it; sent to this process alone (`kill -INT`), it takes both.
 */
const SECOND_INTERRUPT_MS = 1000;

/**
 * How long the recorder may make no progress, once the program has exited, before the recording
 * is ended from this side: the agent's connection normally closes with the program, and a
 * recorder still writing what it received is never cut short.
 */
const RECORDER_IDLE_MS = 2000;

/**
 * Runs the program with the recorder listening, then finishes the trace and says where it is.
 * Returns the program's exit code (128 + the signal number if a signal ended it). While it runs,
 * SIGINT, SIGTERM and SIGHUP are passed on to the program, so the trace is still finished when
 * the user interrupts; a second one kills the program, and one more while the trace is being
 * finished stops waiting for the agent.
 */
async function recordProgram(recorder: Recorder, file: string, args: readonly string[], environment: NodeJS.ProcessEnv): Promise<number> {
  const state: { program: RunningProgram | null; interruptedBy: NodeJS.Signals | null; finishing: boolean } = {
    program: null,
    interruptedBy: null,
    finishing: false,
  };
  const releaseSignals = interceptSignals((signal) => {
    if (state.finishing) {
      void recorder.stop();
    } else if (state.interruptedBy !== null) {
      state.program?.signal('SIGKILL');
    } else {
      state.interruptedBy = signal;
      process.stderr.write(`elixirscope: ${signal}: stopping the program and finishing the trace (again to kill it)\n`);
      state.program?.signal(signal);
      if (signal === 'SIGINT') state.program?.signalLater('SIGINT', SECOND_INTERRUPT_MS);
    }
  });
  try {
    state.program = startProgram(file, args, environment);
    const outcome = await state.program.outcome;
    state.finishing = true;
    if (!outcome.started) void recorder.stop();
    let summary: RecordingSummary;
    try {
      summary = await finishRecording(recorder);
    } catch (error) {
      process.stderr.write(`elixirscope: the trace could not be written: ${(error as Error).message}\n`);
      return outcome.exitCode === 0 ? 1 : outcome.exitCode;
    }
    process.stderr.write(describeRecording(summary));
    return interruptedExitCode(outcome.exitCode, state.interruptedBy);
  } finally {
    state.program?.dispose();
    releaseSignals();
  }
}

/**
 * The exit code of an interrupted recording: the program's, unless it says success. A BEAM
 * aborted from its BREAK menu exits with 0, which must not read as a passing `mix test`; the
 * shell's convention for a program ended by a signal (130 for SIGINT) says what happened.
 */
function interruptedExitCode(exitCode: number, interruptedBy: NodeJS.Signals | null): number {
  return interruptedBy === null || exitCode !== 0 ? exitCode : signalExitCode(interruptedBy);
}

/** Waits for the recorder to finish the trace, ending the recording when it has gone idle. */
async function finishRecording(recorder: Recorder): Promise<RecordingSummary> {
  let lastCount = recorder.eventCount;
  const watch = setInterval(() => {
    const count = recorder.eventCount;
    if (count === lastCount) void recorder.stop();
    lastCount = count;
  }, RECORDER_IDLE_MS);
  try {
    return await recorder.done;
  } finally {
    clearInterval(watch);
  }
}

/** Calls `onSignal` for the forwarded signals instead of letting them end this process; returns the undo. */
function interceptSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

interface ProgramOutcome {
  /** False when the program could not be started at all. */
  readonly started: boolean;
  readonly exitCode: number;
}

interface RunningProgram {
  readonly outcome: Promise<ProgramOutcome>;
  /** Sends a signal to the program if it still runs. */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal after `milliseconds` if the program still runs then. */
  signalLater(signal: NodeJS.Signals, milliseconds: number): void;
  dispose(): void;
}

function startProgram(file: string, args: readonly string[], environment: NodeJS.ProcessEnv): RunningProgram {
  const child = spawn(file, args, { stdio: 'inherit', env: environment });
  const timers = new Set<NodeJS.Timeout>();
  let running = true;
  const outcome = new Promise<ProgramOutcome>((resolve) => {
    child.on('error', (error) => {
      // Only a failure to start ends the program here; one to signal it leaves it running.
      if (child.pid !== undefined) return;
      running = false;
      process.stderr.write(`elixirscope: could not start \`${file}\`: ${error.message}\n`);
      resolve({ started: false, exitCode: 127 });
    });
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ started: true, exitCode: code ?? (signal ? signalExitCode(signal) : 1) });
    });
  });
  const signal = (name: NodeJS.Signals) => {
    if (running) child.kill(name);
  };
  return {
    outcome,
    signal,
    signalLater: (name, milliseconds) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        signal(name);
      }, milliseconds);
      timers.add(timer);
    },
    dispose: () => {
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

/** The shell's exit code for a process a signal ended. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

function describeRecording(summary: RecordingSummary): string {
  // The agent's own drops (it never blocks the program) come with its goodbye; both are shown.
  const agentDropped = summary.metadata.end?.agentCounts?.dropped ?? 0;
  const droppedTotal = summary.droppedEvents + agentDropped;
  const dropped = droppedTotal > 0 ? `; dropped ${droppedTotal}: ${summary.droppedEvents} by the recorder, ${agentDropped} by the agent` : '';
  const incomplete = summary.complete ? '' : ` (incomplete: ${summary.endReason})`;
  return `elixirscope: recorded ${summary.events} events${dropped}${incomplete}\nelixirscope: trace written to ${summary.tracePath}\n`;
}

interface SourceState {
  readonly module: string;
  readonly file: string;
  /** Whether the file still has the content the recording was planned from. */
  readonly state: 'unchanged' | 'changed' | 'missing';
}

/**
 * The instrumented sources against the files on disk now: node IDs and positions in a trace
 * describe the sources as they were recorded, so a changed file makes them unreliable for it.
 */
function sourceStates(reader: TraceReader): SourceState[] {
  const hashes = new Map<string, string | null>();
  return reader.metadata.manifest.modules.map((module) => {
    if (!hashes.has(module.file)) {
      const source = readSourceFile(module.file);
      hashes.set(module.file, source.ok ? contentHash(source.text) : null);
    }
    const hash = hashes.get(module.file)!;
    return { module: module.module, file: module.file, state: hash === null ? 'missing' : hash === module.sourceHash ? 'unchanged' : 'changed' };
  });
}

function renderSources(sources: readonly SourceState[]): string[] {
  const stale = sources.filter((source) => source.state !== 'unchanged');
  if (stale.length === 0) return [`sources: the ${sources.length} instrumented modules are unchanged since the recording`];
  return [
    `sources: ${stale.length} of ${sources.length} instrumented modules changed since the recording (their node IDs and lines may not match the files now):`,
    ...stale.map((source) => `  ${source.module}: ${source.state} (${source.file})`),
  ];
}

function renderSummary(summary: TraceSummary & { sources: readonly SourceState[] }): string {
  const lines = [
    `command: ${summary.command}`,
    `recorded: ${summary.startedAt} → ${summary.endedAt ?? '(did not end)'}${summary.complete ? '' : ` — incomplete: ${summary.endReason}`}`,
    ...(summary.recovered ? ['recovered: the file has no usable index (it was cut short); every complete record was read back'] : []),
    `events: ${summary.events} (${Object.entries(summary.eventsByType).map(([type, count]) => `${count} ${type}`).join(', ')})`,
    `dropped: ${summary.dropped.recorder} by the recorder, ${summary.dropped.agent ?? 'unknown'} by the agent`,
    `processes: ${summary.processes.length}`,
    ...summary.processes
      .slice()
      .sort((a, b) => b.events - a.events)
      .slice(0, 10)
      .map((process) => `  ${process.pid}${process.names.length ? ` (${process.names.join(', ')})` : ''}: ${process.events} events`),
    `modules: ${summary.modules.length}`,
    ...summary.modules.map((module) => `  ${module.module}: ${module.status ?? 'not reported'}`),
    ...renderSources(summary.sources),
  ];
  return `${lines.join('\n')}\n`;
}
