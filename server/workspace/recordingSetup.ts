/**
 * Everything `elixirscope record` prepares before the debuggee starts: which source files to
 * instrument (the Mix project's own `lib/` by default, or the paths given), the manifest the
 * planner makes from their graphs, and the command line that loads the agent into the program
 * without touching the user's project (`elixir -r runtime/boot.exs …`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RecordingManifest, RecordingMode } from '../../common/traceProtocol';
import { analyzeSource } from '../cpg/fileAnalysis';
import { type FileToRecord, planRecording } from '../cpg/recordingPlan';
import { ElixirParser } from '../syntax/parser';
import { contentHash } from './analyzeFile';
import { listSourceFiles, readSourceFile } from './sourceFiles';

export class RecordingSetupError extends Error {}

/**
 * The `.ex` files to instrument: each path is a file or a folder (searched like `analyze` does);
 * with no paths, the `lib/` folder of the Mix project at `projectRoot`. Scripts (`.exs`) are not
 * instrumented: they are evaluated, not compiled into modules.
 */
export function filesToInstrument(projectRoot: string, paths: readonly string[]): string[] {
  const roots = paths.length > 0 ? paths.map((given) => path.resolve(projectRoot, given)) : [path.join(projectRoot, 'lib')];
  if (paths.length === 0 && !fs.existsSync(path.join(projectRoot, 'mix.exs'))) {
    throw new RecordingSetupError(`${projectRoot} is not a Mix project (no mix.exs): name what to instrument with --instrument PATH.`);
  }
  const files = new Set<string>();
  for (const root of roots) {
    if (!fs.existsSync(root)) throw new RecordingSetupError(`nothing to instrument at ${root}: no such file or folder.`);
    if (fs.statSync(root).isDirectory()) {
      for (const file of listSourceFiles(root)) if (file.endsWith('.ex')) files.add(path.join(root, file));
    } else {
      if (!root.endsWith('.ex')) throw new RecordingSetupError(`${root} is not an .ex file; only compiled modules can be instrumented.`);
      files.add(root);
    }
  }
  return [...files].sort();
}

/**
 * Analyses the files and plans what to record in them. Unreadable files are left out and named.
 * With a `cacheDirectory`, a plan is kept under `plans/` keyed by the files' content hashes, the
 * options and this build of the planner, so recording the same sources again skips the analysis.
 */
export async function planFiles(
  files: readonly string[],
  mode: RecordingMode,
  options: { traceProcesses?: boolean; wasmDirectory?: string; cacheDirectory?: string } = {},
): Promise<{ manifest: RecordingManifest; skipped: string[] }> {
  const sources = files.map((file) => ({ file, source: readSourceFile(file) }));
  const skipped = sources.flatMap(({ file, source }) => (source.ok ? [] : [`${file}: ${source.message}`]));
  const readable = sources.flatMap(({ file, source }) => (source.ok ? [{ file, text: source.text, hash: contentHash(source.text) }] : []));
  const cachePath =
    options.cacheDirectory === undefined
      ? null
      : path.join(
          options.cacheDirectory,
          'plans',
          `${contentHash(JSON.stringify([plannerBuild(), mode, options.traceProcesses ?? null, readable.map(({ file, hash }) => [file, hash])]))}.json`,
        );
  if (cachePath !== null && fs.existsSync(cachePath)) {
    try {
      return { manifest: JSON.parse(fs.readFileSync(cachePath, 'utf8')) as RecordingManifest, skipped };
    } catch {
      // A damaged entry is planned again and rewritten below.
    }
  }

  const parser = await ElixirParser.load(options.wasmDirectory);
  let manifest: RecordingManifest;
  try {
    const planned: FileToRecord[] = readable.map(({ file, text, hash }) => ({ absolutePath: file, sourceHash: hash, analysis: analyzeSource(parser, file, text) }));
    manifest = planRecording(planned, { mode, ...(options.traceProcesses !== undefined ? { traceProcesses: options.traceProcesses } : {}) });
  } finally {
    parser.dispose();
  }
  if (cachePath !== null) writeAtomically(cachePath, JSON.stringify(manifest));
  return { manifest, skipped };
}

/** A cache that cannot be written costs the next recording time, never this one. */
function writeAtomically(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  } catch {
    // Nothing to do: the plan is in memory already.
  }
}

let plannerBuildHash: string | undefined;

/** The hash of the running code: any change to the planner (or anything else) makes older plans unusable. */
function plannerBuild(): string {
  if (plannerBuildHash === undefined) {
    try {
      plannerBuildHash = contentHash(fs.readFileSync(__filename, 'utf8'));
    } catch {
      plannerBuildHash = String(Date.now());
    }
  }
  return plannerBuildHash;
}

export interface AgentCommand {
  readonly file: string;
  readonly args: string[];
  readonly environment: Record<string, string>;
}

/**
 * The command line that runs `command` with the agent loaded: `mix TASK …` becomes
 * `elixir -r BOOT -S mix elixir_scope.run TASK …` (the task compiles the project, instruments it,
 * then runs TASK), `elixir ARGS…` becomes `elixir -r BOOT ARGS…`. `mix test` gets `MIX_ENV=test`
 * unless the environment already sets it, as `mix test` itself would, and `ELIXIRSCOPE_CACHE`
 * defaults to the user's cache folder.
 */
export function agentCommand(command: readonly string[], bootScript: string, environment: NodeJS.ProcessEnv): AgentCommand {
  const [program, ...rest] = command;
  const base = path.basename(program ?? '');
  const extra: Record<string, string> = {};
  // The agent's own compiled modules and the instrumented ones are cached by content hash, so
  // only the first recording of a given source pays for compiling it.
  if (environment.ELIXIRSCOPE_CACHE === undefined) extra.ELIXIRSCOPE_CACHE = defaultCacheDirectory(environment);
  if (base === 'mix') {
    if (rest.length === 0) throw new RecordingSetupError('`mix` needs a task to run, e.g. `-- mix test`.');
    if (rest[0] === 'test' && environment.MIX_ENV === undefined) extra.MIX_ENV = 'test';
    return { file: 'elixir', args: ['-r', bootScript, '-S', 'mix', 'elixir_scope.run', ...rest], environment: extra };
  }
  if (base === 'elixir') return { file: program!, args: ['-r', bootScript, ...rest], environment: extra };
  throw new RecordingSetupError(`record runs \`mix …\` or \`elixir …\` commands, not \`${program ?? ''}\`.`);
}

/** Where compiled agent and instrumented modules are kept between recordings: the user's cache folder. */
export function defaultCacheDirectory(environment: NodeJS.ProcessEnv): string {
  const base = environment.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'elixirscope');
}

/** `runtime/boot.exs` of the installed extension (or of this checkout). */
export function findBootScript(): string {
  let directory = __dirname;
  for (let level = 0; level < 6; level++) {
    const candidate = path.join(directory, 'runtime', 'boot.exs');
    if (fs.existsSync(candidate)) return candidate;
    directory = path.dirname(directory);
  }
  throw new RecordingSetupError('the ElixirScope agent (runtime/boot.exs) is missing; reinstall the extension or use a full checkout.');
}
