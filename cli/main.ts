/**
 * `elixirscope`, the headless front door to the same engine the extension runs: the composition
 * root of the CLI process. Commands print their results on stdout, and progress and diagnostics
 * on stderr, so output can be piped.
 *
 * Exit codes: 0 success; 1 the command ran but some input could not be processed (each such file
 * is named on stderr and carries an error in the output); 2 the command line or its arguments are
 * wrong; 3 an internal error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QueryError, parseQuery } from '../server/cpg/query';
import { analyzeFiles, defaultJobCount } from '../server/workspace/analyzeFiles';
import { listSourceFiles } from '../server/workspace/sourceFiles';
import { WorkspaceGraph, defaultDatabasePath } from '../server/workspace/workspaceGraph';
import { recordCommand, traceCommand } from './recording';
import { UsageError } from './usageError';

const VERSION = '0.1.0';

const USAGE = `Usage: elixirscope <command> [options]

Commands:
  analyze DIR [--out FILE] [--jobs N]
      Parse every .ex/.exs file under DIR (skipping .git, node_modules and the
      root's _build and deps) and write
      one JSON object per file (modules, functions, calls, variable bindings) as JSON Lines to
      FILE (its folder is created if need be), or to stdout. --jobs sets the number of parser threads (default: one per core).

  query DIR QUERY [--db FILE] [--no-store] [--jobs N]
      Answer QUERY (JSON; - reads it from stdin) from the code property graph of DIR and print
      the result as JSON. The graph is stored in FILE (default DIR/.elixirscope/cpg.sqlite) and
      brought up to date first: only files whose content changed since are analysed again.
      --no-store builds it in memory only. Query forms (docs/protocol.md):
        {"callers": "Mod.fun/2"}                 call sites of a function
        {"callers": "Mod.fun/2", "transitive": true}
        {"callees": "Mod.fun/2", "transitive": true, "paths": true}
        {"functions": {"module": "MyApp.*", "complexity_gt": 5}}
        {"cfg": "Mod.fun/2#1"}  {"dfg": "Mod.fun/2#1"}
        {"dataflow": {"from": "Mod.f/1#1:0.0", "to": "Mod.f/1#1:1.0.1"}}
        {"otp": "MyApp.*"}  {"messages": "MyApp.*"}

  record [--mode minimal|debug|full] [--out FILE] [--instrument PATH]... [--no-processes]
         [--overload drop|block] [--max-pending N] -- COMMAND...
      Run COMMAND (\`mix …\` or \`elixir …\`) with the ElixirScope agent loaded and record what
      the instrumented code does (default: the Mix project's lib/, mode debug) into a trace file
      (default .elixirscope/traces/…). --instrument takes files and folders (several after one
      flag too); the Mix project's lib/ by default. Exits with COMMAND's exit code; Ctrl-C stops
      COMMAND, finishes the trace (marked incomplete) and exits 130. --no-processes leaves out
      process and message events; --overload drop|block says what the recorder does when it
      falls behind (drop counts what it drops; block slows the program down instead);
      --max-pending bounds the events the agent lets wait unwritten (default 100000).

  trace summary FILE [--json]      what a trace holds
  trace query FILE QUERY           {"calls": "Mod.f/2"}, {"values_at": NODE_ID},
                                   {"state_history": PID_OR_NAME}, {"messages": {"from", "to"}},
                                   {"stack": {"pid", "at"}}, {"timeline": PID_OR_NAME}

Options:
  -h, --help       show this help
  -v, --version    show the version

Not in this version yet: mcp.`;


export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`elixirscope ${VERSION}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'analyze':
        return await analyzeCommand(rest);
      case 'query':
        return await queryCommand(rest);
      case 'record':
        return await recordCommand(rest);
      case 'trace':
        return await traceCommand(rest);
      case 'mcp':
        throw new UsageError(`\`elixirscope ${command}\` is not available in this version yet.`);
      default:
        throw new UsageError(`unknown command \`${command}\`.`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(`elixirscope: ${(error as Error).message}\nRun \`elixirscope --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`elixirscope: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 3;
  }
}

async function analyzeCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      jobs: { type: 'string', short: 'j' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('`analyze` takes exactly one directory.');
  const root = existingDirectory(positionals[0]!);
  const jobs = values.jobs === undefined ? defaultJobCount() : parsePositiveInteger(values.jobs, '--jobs');

  const files = listSourceFiles(root);
  if (files.length === 0) process.stderr.write(`elixirscope: no .ex or .exs files under ${positionals[0]}\n`);

  const output = openOutput(values.out);
  const progress = process.stderr.isTTY ? new Progress(files.length) : null;
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  let parseMs = 0;
  let withSyntaxErrors = 0;
  const failedFiles: string[] = [];
  await analyzeFiles(root, files, {
    task: 'inventory',
    jobs,
    onFile: (result) => {
      output.write(`${result.json}\n`);
      bytes += result.bytes;
      lines += result.lines;
      parseMs += result.parseMs;
      if (result.failed) failedFiles.push(result.file);
      else if (result.json.includes('"parse_ok":false')) withSyntaxErrors++;
      progress?.update(result.index + 1);
    },
  });
  await output.close();
  const wallMs = performance.now() - started;
  progress?.clear();

  for (const file of failedFiles) process.stderr.write(`elixirscope: could not analyse ${file} (see its "error" in the output)\n`);
  process.stderr.write(
    `elixirscope: analysed ${files.length} files, ${lines} lines in ${(wallMs / 1000).toFixed(2)} s` +
      (withSyntaxErrors ? `; ${withSyntaxErrors} with syntax errors` : '') +
      (failedFiles.length ? `; ${failedFiles.length} could not be analysed` : '') +
      (values.out ? `; wrote ${values.out}` : '') +
      '\n',
  );
  if (process.env.ELIXIRSCOPE_TIMINGS === '1') {
    const timings = { files: files.length, bytes, lines, wallMs: Math.round(wallMs), parseMs: Math.round(parseMs), workers: Math.min(jobs, files.length) };
    process.stderr.write(`${JSON.stringify(timings)}\n`);
  }
  return failedFiles.length > 0 ? 1 : 0;
}

async function queryCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'no-store': { type: 'boolean' },
      jobs: { type: 'string', short: 'j' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('`query` takes a directory and a query, e.g. `elixirscope query . \'{"callers": "MyApp.f/1"}\'`.');
  const root = existingDirectory(positionals[0]!);
  const queryText = positionals[1] === '-' ? fs.readFileSync(0, 'utf8') : positionals[1]!;
  const jobs = values.jobs === undefined ? undefined : parsePositiveInteger(values.jobs, '--jobs');
  if (values['no-store'] && values.db !== undefined) throw new UsageError('--db and --no-store do not go together.');
  const databasePath = values['no-store'] ? null : path.resolve(values.db ?? defaultDatabasePath(root));
  if (databasePath !== null && fs.existsSync(databasePath) && !fs.statSync(databasePath).isFile()) {
    throw new UsageError(`--db must name a file, and ${values.db ?? databasePath} is not one.`);
  }

  // A malformed query is reported before any analysis work is done.
  const query = asUsageError(() => parseQuery(queryText));

  const graph = await WorkspaceGraph.open(root, { databasePath, jobs });
  try {
    if (graph.openOutcome.reused === false && graph.openOutcome.reason !== null) {
      process.stderr.write(`elixirscope: rebuilding the stored graph: ${graph.openOutcome.reason}\n`);
    }
    // Not being able to store the graph costs the next run time, not this answer.
    const save = () => {
      if (databasePath === null) return;
      try {
        graph.save();
      } catch (error) {
        process.stderr.write(`elixirscope: could not store the graph in ${databasePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
      }
    };
    const summary = await graph.refresh();
    if (summary.analysed > 0 || summary.removed > 0 || summary.renamed > 0) {
      save();
      process.stderr.write(
        `elixirscope: graph of ${summary.files} files (${summary.analysed} analysed, ${summary.unchanged} unchanged` +
          (summary.removed ? `, ${summary.removed} removed` : '') +
          (summary.renamed ? `, ${summary.renamed} renamed` : '') +
          `) in ${(summary.wallMs / 1000).toFixed(2)} s\n`,
      );
    }
    for (const file of summary.failed) process.stderr.write(`elixirscope: could not analyse ${file}\n`);
    const engine = await graph.queryEngine();
    const result = asUsageError(() => engine.answer(query));
    await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`, () => resolve()));
    // Clause graphs the answer had to build are kept for the next query.
    if (engine.clauseGraphs.builtFiles > 0) save();
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    graph.dispose();
  }
}

/** Runs `body`, reporting a query the engine refuses as a usage error (exit code 2). */
function asUsageError<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof QueryError) throw new UsageError(error.message);
    throw error;
  }
}

function existingDirectory(given: string): string {
  const root = path.resolve(given);
  if (!fs.existsSync(root)) throw new UsageError(`no such directory: ${given}`);
  if (!fs.statSync(root).isDirectory()) throw new UsageError(`not a directory: ${given}`);
  return root;
}

function parsePositiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 256) throw new UsageError(`${option} takes a whole number from 1 to 256, not \`${text}\`.`);
  return value;
}

interface Output {
  write(text: string): void;
  close(): Promise<void>;
}

function openOutput(file: string | undefined): Output {
  if (file === undefined) {
    return {
      write: (text) => void process.stdout.write(text),
      close: () => new Promise((resolve) => process.stdout.write('', () => resolve())),
    };
  }
  let descriptor: number;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    descriptor = fs.openSync(file, 'w');
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // Buffered: one write call per file would dominate the run time on small files.
  let buffer: string[] = [];
  let size = 0;
  const flush = () => {
    if (buffer.length === 0) return;
    fs.writeSync(descriptor, buffer.join(''));
    buffer = [];
    size = 0;
  };
  return {
    write(text) {
      buffer.push(text);
      size += text.length;
      if (size > 1 << 20) flush();
    },
    async close() {
      flush();
      fs.closeSync(descriptor);
    },
  };
}

class Progress {
  private lastPaint = 0;

  constructor(private readonly total: number) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.lastPaint < 100 && done < this.total) return;
    this.lastPaint = now;
    process.stderr.write(`\ranalysing ${done}/${this.total} files`);
  }

  clear(): void {
    process.stderr.write('\r\x1b[K');
  }
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`elixirscope: internal error: ${String(error)}\n`);
      process.exitCode = 3;
    },
  );
}
