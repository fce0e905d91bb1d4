/**
 * `elixirscope record` and `elixirscope trace`: run a program with the agent loaded and store
 * what it did in a trace file, then read such a file (summary and queries) without the program.
 *
 * `record` plans what to instrument from the code property graph, starts the recorder (which
 * listens on loopback for the agent), runs the command with the agent injected and exits with
 * the command's own exit code, after saying on stderr where the trace is.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENVIRONMENT, type RecordingMode } from '../common/traceProtocol';
import { type RecordingSummary, startRecorder } from '../adapter/trace/ingest';
import { TraceFormatError, TraceReader } from '../adapter/trace/traceStore';
import { TraceQueryError, queryTrace, traceSummary } from '../adapter/trace/traceQuery';
import { RecordingSetupError, agentCommand, filesToInstrument, findBootScript, planFiles } from '../server/workspace/recordingSetup';
import { UsageError } from './usageError';

const MODES: readonly RecordingMode[] = ['minimal', 'debug', 'full'];

export async function recordCommand(args: readonly string[]): Promise<number> {
  const separator = args.indexOf('--');
  if (separator === -1 || separator === args.length - 1) {
    throw new UsageError('`record` needs the command to run after `--`, e.g. `elixirscope record -- mix test`.');
  }
  const { values, positionals } = parseArgs({
    args: args.slice(0, separator),
    allowPositionals: false,
    options: {
      mode: { type: 'string', short: 'm' },
      out: { type: 'string', short: 'o' },
      instrument: { type: 'string', short: 'i', multiple: true },
      'no-processes': { type: 'boolean' },
      overload: { type: 'string' },
    },
  });
  void positionals;
  const command = args.slice(separator + 1);
  const mode = (values.mode ?? 'debug') as RecordingMode;
  if (!MODES.includes(mode)) throw new UsageError(`--mode is one of ${MODES.join(', ')}, not \`${values.mode}\`.`);
  const overload = values.overload ?? 'drop';
  if (overload !== 'drop' && overload !== 'block') throw new UsageError(`--overload is drop or block, not \`${overload}\`.`);

  const projectRoot = process.cwd();
  let bootScript: string;
  let files: string[];
  let launch: ReturnType<typeof agentCommand>;
  try {
    bootScript = findBootScript();
    files = filesToInstrument(projectRoot, values.instrument ?? []);
    launch = agentCommand(command, bootScript, process.env);
  } catch (error) {
    if (error instanceof RecordingSetupError) throw new UsageError(error.message);
    throw error;
  }

  const { manifest, skipped } = await planFiles(files, mode, { traceProcesses: !values['no-processes'] });
  for (const entry of skipped) process.stderr.write(`elixirscope: not instrumented: ${entry}\n`);
  const tracePath = path.resolve(values.out ?? defaultTracePath(projectRoot, command));
  fs.mkdirSync(path.dirname(tracePath), { recursive: true });
  const manifestPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-')), 'manifest.json');
  fs.writeFileSync(manifestPath, JSON.stringify(manifest));

  const token = randomBytes(16).toString('hex');
  const recorder = await startRecorder({ token, tracePath, manifest, command: command.join(' '), overload });
  process.stderr.write(
    `elixirscope: recording \`${command.join(' ')}\` (${mode}: ${manifest.modules.length} modules, ${manifest.nodes.length} nodes planned)\n`,
  );
  const exitCode = await run(launch.file, launch.args, {
    ...process.env,
    ...launch.environment,
    [ENVIRONMENT.port]: String(recorder.port),
    [ENVIRONMENT.token]: token,
    [ENVIRONMENT.manifest]: manifestPath,
  });
  // The agent says goodbye as the VM stops; give the last frames a moment to arrive.
  const summary = await Promise.race([recorder.done, delay(2000).then(() => recorder.stop())]);
  fs.rmSync(path.dirname(manifestPath), { recursive: true, force: true });
  process.stderr.write(describeRecording(summary));
  return exitCode;
}

export async function traceCommand(args: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'summary') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('`trace summary` takes one trace file.');
    const summary = traceSummary(openTrace(positionals[0]!));
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
    throw error;
  }
}

function defaultTracePath(projectRoot: string, command: readonly string[]): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const label = command.slice(0, 2).map((part) => path.basename(part)).join('-').replace(/[^A-Za-z0-9_-]/g, '_');
  return path.join(projectRoot, '.elixirscope', 'traces', `${stamp}-${label}.estrace`);
}

function run(file: string, args: readonly string[], environment: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'inherit', env: environment });
    child.on('error', (error) => {
      process.stderr.write(`elixirscope: could not start \`${file}\`: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function describeRecording(summary: RecordingSummary): string {
  const dropped = summary.droppedEvents > 0 ? `, ${summary.droppedEvents} dropped` : '';
  const incomplete = summary.complete ? '' : ` (incomplete: ${summary.endReason})`;
  return `elixirscope: recorded ${summary.events} events${dropped}${incomplete}\nelixirscope: trace written to ${summary.tracePath}\n`;
}

function renderSummary(summary: ReturnType<typeof traceSummary>): string {
  const lines = [
    `command: ${summary.command}`,
    `recorded: ${summary.startedAt} → ${summary.endedAt ?? '(did not end)'}${summary.complete ? '' : ` — incomplete: ${summary.endReason}`}`,
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
  ];
  return `${lines.join('\n')}\n`;
}
