// The benchmark harness behind `npm run bench`. Each benchmark is a named section in `benchSections`;
// a section runs its measurements as separate child processes (so every run is cold: a new process
// with nothing cached in memory but the operating system's page cache) and returns plain tables that
// are printed to stdout and, with --write, kept in bench/RESULTS.md. Tables give the median, the
// minimum and the maximum of the runs; the maximum shows how quiet the machine was.
//
//   node bench/run.mjs [--runs N] [--only NAME[,NAME]] [--write] [--cli PATH]
//
//   --runs N     runs per measurement (default 5)
//   --only NAME  run only the named sections (repeatable or comma-separated); see --help for names
//   --write      rewrite the sections that ran in bench/RESULTS.md (other sections are kept)
//   --cli PATH   the CLI to measure (default dist/cli.js), e.g. a stand-in or an older build
//
// Peak RSS and CPU time come from GNU time (`/usr/bin/time -f '%M %U %S' -o FILE`): the resident set of
// the largest single process among the measured one and the descendants it waited for (worker threads
// share their process, so that is the whole CLI), and the user+system CPU seconds of all of them.
// Without GNU time, node processes are started with a tiny `--import` hook that records
// `process.resourceUsage()` on exit, and the Elixir baseline's RSS and CPU time are not shown.
// Either way the wrapper's own start-up is inside the measured wall time (a few milliseconds at most).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsPath = path.join(repoRoot, 'bench', 'RESULTS.md');

/**
 * The registry. A later benchmark (CPG build, incremental update, query latency, language-server
 * latency) is one more entry: `requires` names the prerequisites checked before anything runs
 * ('cli', 'elixir', 'corpus'), and `run(context)` returns a SectionResult (see renderText).
 */
const benchSections = [
  {
    name: 'analyze',
    title: 'Cold `elixirscope analyze` of the Elixir 1.14 corpus against Elixir\'s own parser',
    requires: ['cli', 'elixir', 'corpus'],
    run: runAnalyzeSection,
  },
  {
    name: 'cpg',
    title: 'Code property graph of the Elixir 1.14 corpus: cold build, one-character edits, queries',
    requires: ['cli', 'corpus'],
    run: runCpgSection,
  },
  {
    name: 'recorder',
    title: 'Recording stdlib test suites: overhead against no recording and OTP\'s interpreter, trace store, per-event cost',
    requires: ['cli', 'elixir', 'corpus'],
    run: runRecorderSection,
  },
  {
    name: 'lsp',
    title: 'Language server on the Elixir 1.14 corpus: start-up, request latency, memory',
    requires: ['cli', 'corpus'],
    run: runLspSection,
  },
];

async function main(argv) {
  const options = parseArguments(argv);
  if (options.help) {
    process.stdout.write(usageText());
    return 0;
  }
  const selectedSections = selectSections(options.onlyNames);
  const context = createContext(options);
  checkPrerequisites(context, selectedSections);
  const machine = describeMachine();
  const results = [];
  for (const section of selectedSections) {
    logProgress(`${section.name}: starting (${context.runCount} run(s) per measurement)`);
    const result = await section.run(context);
    results.push({ section, result });
    process.stdout.write(renderText(section, result) + '\n');
  }
  const loadAverages =
    `1-minute load average ${machine.loadAverageAtStart} at the start and ${currentLoadAverage()} at the end ` +
    '(the end figure includes the benchmark itself)';
  process.stdout.write(`${loadAverages}; ${machine.coreCount} cores.\n`);
  if (options.write) {
    writeResultsFile(results, { ...machine, loadAverages }, context);
    logProgress(`wrote ${path.relative(process.cwd(), resultsPath)}`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// The `analyze` section.

async function runAnalyzeSection(context) {
  const corpus = context.corpus();
  const defaultOutputPath = path.join(context.temporaryDirectory, 'analyze-default-jobs.jsonl');
  const singleJobOutputPath = path.join(context.temporaryDirectory, 'analyze-jobs-1.jsonl');
  const cliEnvironment = { ...process.env, ELIXIRSCOPE_TIMINGS: '1' };
  const measurements = [
    {
      key: 'defaultJobs',
      command: process.execPath,
      args: [context.cliPath, 'analyze', corpus.root, '--out', defaultOutputPath],
      environment: cliEnvironment,
      outputPath: defaultOutputPath,
      isNode: true,
    },
    {
      key: 'singleJob',
      command: process.execPath,
      args: [context.cliPath, 'analyze', corpus.root, '--out', singleJobOutputPath, '--jobs', '1'],
      environment: cliEnvironment,
      outputPath: singleJobOutputPath,
      isNode: true,
    },
    {
      key: 'elixirBaseline',
      command: 'elixir',
      args: [path.join(repoRoot, 'bench', 'analyzeBaseline.exs'), corpus.root],
      environment: process.env,
      isNode: false,
    },
  ];

  // Interleaved rounds, so that a slow spell of the machine spreads over all measurements alike.
  const runsByKey = new Map(measurements.map((measurement) => [measurement.key, []]));
  for (let round = 1; round <= context.runCount; round++) {
    for (const measurement of measurements) {
      const run = await measureProcess(context, measurement);
      if (run.exitCode !== 0) {
        throw new BenchError(
          `${describeCommand(measurement)} exited with ${run.exitCode}` + formatStderrTail(run.stderr),
        );
      }
      const parsed = measurement.isNode ? readCliRun(run, measurement) : readBaselineRun(run, measurement);
      runsByKey.get(measurement.key).push({ ...run, ...parsed });
      logProgress(`analyze: round ${round}/${context.runCount} ${measurement.key}: ${formatMs(run.wallMs)} ms`);
    }
  }
  return summariseAnalyzeRuns(context, corpus, runsByKey);
}

function readCliRun(run, measurement) {
  const outputText = readFileOrEmpty(measurement.outputPath);
  const outputLines = outputText.split('\n').filter((line) => line.length > 0);
  let invalidOutputLineCount = 0;
  for (const line of outputLines) {
    try {
      JSON.parse(line);
    } catch {
      invalidOutputLineCount++;
    }
  }
  fs.rmSync(measurement.outputPath, { force: true });
  return { timings: lastJsonLine(run.stderr), outputLineCount: outputLines.length, invalidOutputLineCount };
}

function readBaselineRun(run, measurement) {
  const report = lastJsonLine(run.stdout);
  if (!report || typeof report.parseMs !== 'number') {
    throw new BenchError(`${describeCommand(measurement)} printed no JSON report` + formatStderrTail(run.stderr));
  }
  return { baseline: report };
}

function summariseAnalyzeRuns(context, corpus, runsByKey) {
  const defaultRuns = runsByKey.get('defaultJobs');
  const singleJobRuns = runsByKey.get('singleJob');
  const baselineRuns = runsByKey.get('elixirBaseline');
  const oddities = [
    ...checkCliRuns('default jobs', defaultRuns, corpus),
    ...checkCliRuns('--jobs 1', singleJobRuns, corpus),
    ...checkBaselineRuns(baselineRuns, corpus),
  ];

  const defaultWall = summarise(defaultRuns.map((run) => run.wallMs));
  const singleJobWall = summarise(singleJobRuns.map((run) => run.wallMs));
  const baselineParse = summarise(baselineRuns.map((run) => run.baseline.parseMs));
  const baselineWall = summarise(baselineRuns.map((run) => run.wallMs));
  const defaultWorkers = describeWorkers(defaultRuns);
  const singleJobWorkers = describeWorkers(singleJobRuns);

  const throughputRow = (label, wall, runs) => [
    label,
    formatMs(wall.median),
    formatMs(wall.min),
    formatMs(wall.max),
    formatRate(corpus.fileCount / (wall.median / 1000)),
    formatRate(corpus.lineCount / (wall.median / 1000)),
    formatDecimal(corpus.byteCount / 1e6 / (wall.median / 1000), 2),
    runs ? formatCpuSeconds(runs) : '—',
    runs ? formatPeakRss(runs) : '—',
  ];
  const mainTable = {
    columns: [
      'measurement',
      'wall median ms',
      'wall min ms',
      'wall max ms',
      'files/s',
      'lines/s',
      'MB/s',
      'CPU s',
      'peak RSS MiB',
    ],
    alignRight: [false, true, true, true, true, true, true, true, true],
    rows: [
      throughputRow(`ElixirScope, default jobs (${defaultWorkers})`, defaultWall, defaultRuns),
      throughputRow(`ElixirScope, --jobs 1 (${singleJobWorkers})`, singleJobWall, singleJobRuns),
      throughputRow('Elixir parser, in-VM parse only', baselineParse, null),
      throughputRow('Elixir parser, whole process', baselineWall, baselineRuns),
    ],
  };

  const ratioRow = (label, numerator) => [
    label,
    formatRatio(numerator.median / baselineParse.median),
    formatRatio(numerator.median / baselineWall.median),
  ];
  const ratioTable = {
    heading: 'Ratios of median wall times (above 1: ElixirScope takes longer)',
    columns: ['ElixirScope wall', '÷ Elixir parse only', '÷ Elixir process wall'],
    alignRight: [false, true, true],
    rows: [ratioRow('default jobs', defaultWall), ratioRow('--jobs 1', singleJobWall)],
  };

  const inProcessRow = (label, runs) => {
    const medianOf = (field) => {
      const values = runs.map((run) => run.timings?.[field]).filter((value) => typeof value === 'number');
      return values.length === runs.length ? summarise(values).median : null;
    };
    const inProcessWall = medianOf('wallMs');
    const parse = medianOf('parseMs');
    const outside = inProcessWall === null ? null : summarise(runs.map((run) => run.wallMs)).median - inProcessWall;
    return [label, ...[inProcessWall, parse, outside].map((ms) => (ms === null ? '—' : formatMs(ms)))];
  };
  const inProcessTable = {
    heading: 'ElixirScope\'s own figures (ELIXIRSCOPE_TIMINGS=1), medians',
    columns: ['run', 'in-process wall ms', 'parse ms (summed over threads)', 'outside in-process wall ms'],
    alignRight: [false, true, true, true],
    rows: [inProcessRow('default jobs', defaultRuns), inProcessRow('--jobs 1', singleJobRuns)],
  };

  const baselineErrorCount = baselineRuns[0].baseline.errors ?? 0;
  return {
    summary: [
      `Corpus: ${corpus.displayPath} — ${corpus.fileCount} files, ${formatInteger(corpus.lineCount)} lines, ` +
        `${formatDecimal(corpus.byteCount / 1e6, 2)} MB; ${context.runCount} run(s) per measurement.`,
    ],
    tables: [mainTable, ratioTable, inProcessTable],
    notes: [
      `Commands: \`node ${displayPath(context.cliPath)} analyze CORPUS --out /tmp/….jsonl [--jobs 1]\` ` +
        'with ELIXIRSCOPE_TIMINGS=1, and `elixir bench/analyzeBaseline.exs CORPUS`, interleaved round by round.',
      'Wall time runs from spawn to exit of the child process. Throughputs use the median wall time; ' +
        'MB = 10^6 bytes; lines are newline characters, plus one for a last line without one.',
      `Peak RSS and CPU time (user + system; medians over runs): ${context.resourceProbe.description}. ` +
        'CPU time above wall time means more than one core was busy. A wide gap between wall min and max ' +
        'means the machine was not quiet: compare medians of one run, not across runs.',
      'The baseline reads the same file list (`Path.wildcard("**/*.{ex,exs}", match_dot: true)`) and times only ' +
        '`Code.string_to_quoted(src, columns: true, token_metadata: true, emit_warnings: false)` over every ' +
        'file, one after another on one scheduler; "whole process" adds VM start, compiling the script and ' +
        `reading the files. It rejected ${baselineErrorCount} file(s).`,
      '"Outside in-process wall" is process start, module loading and exit: spawn-to-exit wall minus the ' +
        'wallMs the CLI reports.',
    ],
    oddities,
  };
}

/** The fields of the CLI's ELIXIRSCOPE_TIMINGS=1 line, by contract. */
const timingFields = ['files', 'bytes', 'lines', 'wallMs', 'parseMs', 'workers'];

function checkCliRuns(label, runs, corpus) {
  const oddities = new Set();
  for (const run of runs) {
    if (!run.timings) {
      oddities.add(`${label}: no timings line on stderr (ELIXIRSCOPE_TIMINGS=1 was set).`);
      continue;
    }
    const missingFields = timingFields.filter((field) => typeof run.timings[field] !== 'number');
    if (missingFields.length > 0) {
      oddities.add(`${label}: the timings line lacks ${missingFields.join(', ')}.`);
    }
    for (const [field, expected] of [
      ['files', corpus.fileCount],
      ['bytes', corpus.byteCount],
      ['lines', corpus.lineCount],
    ]) {
      const reported = run.timings[field];
      if (typeof reported === 'number' && reported !== expected) {
        const hint =
          field === 'lines' && reported - expected === corpus.filesEndingWithNewline
            ? ' (the difference is the number of files ending in a newline: the CLI counts the empty ' +
              '"line" after the last newline)'
            : '';
        oddities.add(`${label}: the CLI reports ${field}=${reported}, the corpus has ${expected}${hint}.`);
      }
    }
    if (run.outputLineCount !== corpus.fileCount) {
      oddities.add(`${label}: ${run.outputLineCount} JSON lines written for ${corpus.fileCount} files.`);
    }
    if (run.invalidOutputLineCount > 0) {
      oddities.add(`${label}: ${run.invalidOutputLineCount} output lines are not valid JSON.`);
    }
  }
  return [...oddities];
}

function checkBaselineRuns(runs, corpus) {
  const oddities = new Set();
  for (const run of runs) {
    if (run.baseline.files !== corpus.fileCount || run.baseline.bytes !== corpus.byteCount) {
      oddities.add(
        `baseline: read ${run.baseline.files} files / ${run.baseline.bytes} bytes, ` +
          `the corpus has ${corpus.fileCount} / ${corpus.byteCount}.`,
      );
    }
    if (run.baseline.errors > 0) oddities.add(`baseline: Elixir's parser rejected ${run.baseline.errors} file(s).`);
  }
  return [...oddities];
}

function describeWorkers(runs) {
  const workerCounts = [...new Set(runs.map((run) => run.timings?.workers).filter((n) => n !== undefined))];
  if (workerCounts.length === 0) return 'workers unknown';
  return `${workerCounts.join('/')} worker${workerCounts.length === 1 && workerCounts[0] === 1 ? '' : 's'}`;
}

function formatPeakRss(runs) {
  const values = runs.map((run) => run.usage?.peakRssKiB).filter((value) => typeof value === 'number');
  if (values.length === 0) return 'n/a';
  return formatDecimal(summarise(values).median / 1024, 0);
}

function formatCpuSeconds(runs) {
  const values = runs.map((run) => run.usage?.cpuSeconds).filter((value) => typeof value === 'number');
  if (values.length === 0) return 'n/a';
  return formatDecimal(summarise(values).median, 2);
}

// ---------------------------------------------------------------------------------------------------
// The `cpg` section.

async function runCpgSection(context) {
  const corpus = context.corpus();
  const benchScript = path.join(repoRoot, 'out', 'bench', 'cpgBench.js');
  if (!fs.existsSync(benchScript)) throw new BenchError(`${displayPath(benchScript)} not found — run \`npm run build\` first.`);
  const databasePath = path.join(context.temporaryDirectory, 'cpg.sqlite');
  const query = JSON.stringify({ functions: { name: 'no_such_function' } });
  const cold = [];
  const warm = [];
  const inventory = [];
  let databaseBytes = 0;
  for (let round = 1; round <= context.runCount; round++) {
    fs.rmSync(databasePath, { force: true });
    const coldRun = await measureProcess(context, {
      key: 'cpgCold', command: process.execPath, args: [context.cliPath, 'query', corpus.root, query, '--db', databasePath],
      environment: process.env, isNode: true,
    });
    if (coldRun.exitCode !== 0) throw new BenchError(`cold graph build exited with ${coldRun.exitCode}` + formatStderrTail(coldRun.stderr));
    databaseBytes = fs.statSync(databasePath).size;
    cold.push(coldRun);
    const warmRun = await measureProcess(context, {
      key: 'cpgWarm', command: process.execPath, args: [context.cliPath, 'query', corpus.root, query, '--db', databasePath],
      environment: process.env, isNode: true,
    });
    if (warmRun.exitCode !== 0) throw new BenchError(`warm graph open exited with ${warmRun.exitCode}` + formatStderrTail(warmRun.stderr));
    warm.push(warmRun);
    const outputPath = path.join(context.temporaryDirectory, 'inventory.jsonl');
    const inventoryRun = await measureProcess(context, {
      key: 'cpgInventory', command: process.execPath, args: [context.cliPath, 'analyze', corpus.root, '--out', outputPath],
      environment: process.env, isNode: true,
    });
    fs.rmSync(outputPath, { force: true });
    inventory.push(inventoryRun);
    logProgress(`cpg: round ${round}/${context.runCount}: cold ${formatMs(coldRun.wallMs)} ms, warm ${formatMs(warmRun.wallMs)} ms, analyze ${formatMs(inventoryRun.wallMs)} ms`);
  }
  logProgress('cpg: one-character edits and queries (in process)');
  const inProcess = runChild(process.execPath, [benchScript, corpus.root, '60'], process.env);
  const inProcessResult = await inProcess;
  if (inProcessResult.exitCode !== 0) throw new BenchError(`cpgBench exited with ${inProcessResult.exitCode}` + formatStderrTail(inProcessResult.stderr));
  const report = lastJsonLine(inProcessResult.stdout);

  const wallRow = (label, runs, baseline) => {
    const wall = summarise(runs.map((run) => run.wallMs));
    return [label, formatMs(wall.median), formatMs(wall.min), formatMs(wall.max), formatPeakRss(runs), baseline ? formatRatio(wall.median / summarise(baseline.map((run) => run.wallMs)).median) : '—'];
  };
  const buildTable = {
    heading: 'Whole corpus, one process each (spawn to exit)',
    columns: ['measurement', 'wall median ms', 'wall min ms', 'wall max ms', 'peak RSS MiB', 'ratio to analyze'],
    alignRight: [false, true, true, true, true, true],
    rows: [
      wallRow('cold build: parse, all layers, SQLite, save', cold, inventory),
      wallRow('warm open: load the saved graph, hash every file, nothing to redo', warm, inventory),
      wallRow('baseline: `analyze` (parse + inventory only, no graph)', inventory, null),
    ],
  };
  const editRow = (file) => {
    const entry = report[file];
    return [
      `${file} (${formatInteger(entry.lines)} lines)`,
      formatDecimal(entry.update.median, 2), formatDecimal(entry.update.p95, 2), formatDecimal(entry.fullAnalysis.median, 2),
      formatRatio(entry.update.median / entry.fullAnalysis.median),
      Object.entries(entry.paths).map(([kind, count]) => `${count} ${kind}`).join(', '),
    ];
  };
  const editTable = {
    heading: 'One-character edit, applied to the graph (`updateDocument`), 60 edits per file',
    columns: ['file', 'update median ms', 'update p95 ms', 'baseline: full re-analysis median ms', 'ratio', 'reparse path taken'],
    alignRight: [false, true, true, true, true, false],
    rows: ['lib/elixir/lib/file.ex', 'lib/elixir/lib/enum.ex'].map(editRow),
  };
  const queryRows = Object.entries(report.queries)
    .filter(([label]) => label !== 'firstQueryMs' && label !== 'firstGraphMs')
    .map(([label, entry]) => [label, formatDecimal(entry.median, 3), formatDecimal(entry.p95, 3), formatInteger(entry.results)]);
  const queryTable = {
    heading: 'Query latency on the built graph, 50 runs each (in process)',
    columns: ['query', 'median ms', 'p95 ms', 'results'],
    alignRight: [false, true, true, true],
    rows: queryRows,
  };
  return {
    summary: [
      `Corpus: ${corpus.displayPath} — ${corpus.fileCount} files, ${formatInteger(corpus.lineCount)} lines; ` +
        `${context.runCount} run(s) per process measurement. Stored graph: ${formatDecimal(databaseBytes / 2 ** 20, 1)} MiB.`,
    ],
    tables: [buildTable, editTable, queryTable],
    notes: [
      `Commands: \`node ${displayPath(context.cliPath)} query CORPUS '${query}' --db /tmp/…/cpg.sqlite\` with no database (cold) and again with it (warm); ` +
        `\`node ${displayPath(context.cliPath)} analyze CORPUS --out /tmp/…\` as the baseline; \`node out/bench/cpgBench.js CORPUS 60\` for edits and queries.`,
      'An edit doubles a letter or digit at a random place on a line indented four spaces or more (function bodies, and the text of `@doc`s) ' +
        'that has no comment or string quote, as typing does; it is applied and then undone; ' +
        'only the time to apply it is counted. "Full re-analysis" parses the edited file and derives all its rows without writing them: ' +
        'what every edit would cost without the clause-level reparse.',
      `The first query on a freshly built graph (loading and linking the call graph index) took ${formatMs(report.queries.firstQueryMs)} ms; the latencies above are after it.`,
      `Clause graphs are not built by indexing but when first asked for: the first \`{"cfg": "Enum.map/2#1"}\` parsed lib/elixir/lib/enum.ex and built and stored the graphs of its clauses in ${formatMs(report.queries.firstGraphMs)} ms (the data-flow query's clauses had their graphs built before its timed runs).`,
      `Peak RSS: ${context.resourceProbe.description}.`,
    ],
    oddities: [],
  };
}

// ---------------------------------------------------------------------------------------------------
// The `recorder` section.

/** The stdlib suites recorded, and the corpus files whose modules they exercise (and are instrumented). */
const recordedSuiteNames = ['version', 'uri', 'option_parser'];
const recorderAims = { minimal: 1.05, debug: 1.2, ingestEventsPerSecond: 1e6, bytesPerEvent: 100, queryP95Ms: 50 };

async function runRecorderSection(context) {
  const corpus = context.corpus();
  const sources = recordedSuiteNames.map((name) => path.join(corpus.root, 'lib', 'elixir', 'lib', `${name}.ex`));
  const traceBenchScript = path.join(repoRoot, 'out', 'bench', 'traceBench.js');
  if (!fs.existsSync(traceBenchScript)) throw new BenchError(`${displayPath(traceBenchScript)} not found — run \`npm run build\` first.`);
  // One cache of instrumented modules (and of the agent's own .beam files) for every recorded run.
  const cacheDirectory = path.join(context.temporaryDirectory, 'instrumented-cache');
  const suitesArgs = [path.join(repoRoot, 'bench', 'timedSuites.exs'), corpus.root, ...recordedSuiteNames];
  const recordedMeasurement = (mode) => ({
    key: mode,
    command: process.execPath,
    args: [
      context.cliPath, 'record', '--mode', mode, '--out', path.join(context.temporaryDirectory, `recorded-${mode}.estrace`),
      ...sources.flatMap((source) => ['--instrument', source]), '--', 'elixir', ...suitesArgs,
    ],
    environment: { ...process.env, ELIXIRSCOPE_CACHE: cacheDirectory },
    isNode: true,
    tracePath: path.join(context.temporaryDirectory, `recorded-${mode}.estrace`),
  });
  const debugger_ = findDebuggerEbin();
  const measurements = [
    { key: 'baseline', command: 'elixir', args: suitesArgs, environment: process.env, isNode: false },
    ...(debugger_.ebin === null
      ? []
      : [{
          key: 'interpreted',
          command: 'elixir',
          args: [
            path.join(repoRoot, 'bench', 'interpretedSuites.exs'), debugger_.ebin, path.join(context.temporaryDirectory, 'interpreted-beams'),
            corpus.root, sources.join(','), ...recordedSuiteNames,
          ],
          environment: process.env,
          isNode: false,
        }]),
    recordedMeasurement('minimal'),
    recordedMeasurement('debug'),
  ];

  // A warm-up round fills the caches (instrumented modules, the agent, the interpreter's .beam files)
  // and the page cache; then interleaved rounds, so a slow spell of the machine spreads over all alike.
  const runsByKey = new Map(measurements.map((measurement) => [measurement.key, []]));
  for (let round = 0; round <= context.runCount; round++) {
    for (const measurement of measurements) {
      const spawnedAt = Date.now();
      const run = await measureProcess(context, measurement);
      if (run.exitCode !== 0) {
        throw new BenchError(`${describeCommand(measurement)} exited with ${run.exitCode}` + formatStderrTail(run.stderr + run.stdout));
      }
      const parsed = readSuitesRun(context, measurement, run, spawnedAt);
      const label = round === 0 ? 'warm-up' : `round ${round}/${context.runCount}`;
      logProgress(`recorder: ${label} ${measurement.key}: ${formatMs(run.wallMs)} ms`);
      if (round > 0) runsByKey.get(measurement.key).push({ ...run, ...parsed });
    }
  }

  const storeRuns = [];
  for (let round = 1; round <= context.runCount; round++) {
    const run = await runChild(process.execPath, [traceBenchScript], process.env);
    const report = lastJsonLine(run.stdout);
    if (run.exitCode !== 0 || !report?.ingest) throw new BenchError(`traceBench exited with ${run.exitCode}` + formatStderrTail(run.stderr));
    storeRuns.push(report);
    logProgress(`recorder: trace store ${round}/${context.runCount}: ingest ${formatInteger(report.ingest.eventsPerSecond)} events/s`);
  }

  const deliveryScript = path.join(repoRoot, 'runtime', 'test', 'bench_delivery.exs');
  const deliveryRuns = [];
  for (let round = 1; round <= context.runCount; round++) {
    const run = await runChild('elixir', [deliveryScript], { ...process.env, ELIXIRSCOPE_CACHE: cacheDirectory });
    if (run.exitCode !== 0) throw new BenchError(`bench_delivery.exs exited with ${run.exitCode}` + formatStderrTail(run.stderr + run.stdout));
    deliveryRuns.push(readDeliveryFigures(run.stdout));
    logProgress(`recorder: per-event cost ${round}/${context.runCount}`);
  }

  return summariseRecorderRuns(context, corpus, { runsByKey, storeRuns, deliveryRuns, debugger_, sources });
}

/**
 * OTP's `debugger` application (home of `:int`): '-' when it is on the code path, else an ebin folder
 * unpacked from Debian's erlang-debugger package into .cache/ (the package itself would pull in wx and
 * GTK, which the interpreter does not need); fetched once with `apt-get download` when missing.
 */
function findDebuggerEbin() {
  const probe = spawnSync('erl', ['-noshell', '-eval', 'io:format("~p", [code:lib_dir(debugger)]), halt().'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.startsWith('"')) return { ebin: '-', origin: 'the installed OTP' };
  const unpacked = path.join(repoRoot, '.cache', 'erlang-debugger');
  const findUnpacked = () => {
    const libraries = path.join(unpacked, 'usr', 'lib', 'erlang', 'lib');
    const folder = fs.existsSync(libraries) && fs.readdirSync(libraries).find((name) => name.startsWith('debugger-'));
    return folder ? path.join(libraries, folder, 'ebin') : null;
  };
  if (findUnpacked() === null) {
    logProgress('recorder: OTP\'s debugger application is not installed; fetching erlang-debugger with apt-get download');
    const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-debugger-'));
    const downloaded = spawnSync('apt-get', ['download', 'erlang-debugger'], { cwd: downloads, encoding: 'utf8' });
    const packageFile = fs.readdirSync(downloads).find((name) => name.endsWith('.deb'));
    if (downloaded.status === 0 && packageFile) {
      fs.mkdirSync(unpacked, { recursive: true });
      spawnSync('dpkg-deb', ['-x', path.join(downloads, packageFile), unpacked]);
    }
    fs.rmSync(downloads, { recursive: true, force: true });
  }
  const ebin = findUnpacked();
  return ebin === null
    ? { ebin: null, origin: 'OTP\'s debugger application was not found and could not be fetched (Debian: apt-get install erlang-debugger)' }
    : { ebin, origin: `Debian's erlang-debugger package unpacked into ${displayPath(ebin)}` };
}

/** The suites' own timing line, and for a recorded run what its trace says. */
function readSuitesRun(context, measurement, run, spawnedAt) {
  const timingLine = run.stdout.split('\n').find((line) => line.startsWith('SUITES_TIMING '));
  const suitesLine = run.stdout.split('\n').find((line) => line.startsWith('SUITES '));
  if (!timingLine || !suitesLine) throw new BenchError(`${describeCommand(measurement)} printed no SUITES lines` + formatStderrTail(run.stderr));
  const timing = JSON.parse(timingLine.slice('SUITES_TIMING '.length));
  const parsed = { scriptMs: timing.scriptUs / 1000, exunitRunMs: timing.exunitRunUs / 1000, suitesLine: suitesLine.trim() };
  if (!measurement.tracePath) return parsed;
  const summaryRun = spawnSync(process.execPath, [context.cliPath, 'trace', 'summary', '--json', measurement.tracePath], { encoding: 'utf8' });
  if (summaryRun.status !== 0) throw new BenchError(`\`trace summary\` of the ${measurement.key} recording failed` + formatStderrTail(summaryRun.stderr));
  const summary = JSON.parse(summaryRun.stdout);
  const traceBytes = fs.statSync(measurement.tracePath).size;
  fs.rmSync(measurement.tracePath, { force: true });
  const startedAt = Date.parse(summary.startedAt);
  const endedAt = Date.parse(summary.endedAt);
  return {
    ...parsed,
    events: summary.events,
    dropped: summary.dropped.recorder + (summary.dropped.agent ?? 0),
    complete: summary.complete,
    endReason: summary.endReason,
    traceBytes,
    // Phases on the wall clock: the CLI's start and planning until the recorder writes its trace header,
    // the debuggee's life until the trace is finished, and what follows until the CLI exits.
    beforeRecorderMs: startedAt - spawnedAt,
    recordingMs: endedAt - startedAt,
    untilTraceWrittenMs: endedAt - spawnedAt,
    afterTraceWrittenMs: run.wallMs - (endedAt - spawnedAt),
  };
}

/** bench_delivery.exs prints `label    N ns` lines; these are the ones this section reports. */
function readDeliveryFigures(stdout) {
  const figures = new Map();
  for (const line of stdout.split('\n')) {
    const match = /^(\S.*?)\s{2,}([\d.]+) ns$/.exec(line.trimEnd());
    if (match) figures.set(match[1], Number(match[2]));
  }
  const need = (label) => {
    if (!figures.has(label)) throw new BenchError(`bench_delivery.exs printed no "${label}" line.`);
    return figures.get(label);
  };
  return {
    valueOff: need('reporter off: value/2'),
    valueOn: need('recording: value/2'),
    valueEmitterOnly: need('recording, collector paused: value/2 (the emitter\'s own cost)'),
    // Per pair, both off and on: halved below to a per-event figure.
    pairOff: need('reporter off: enter/2 + return/2 (per pair)'),
    pairOn: need('recording: enter/2 + return/2 (two events)'),
    valueParallel: need('recording: value/2, 4 processes at once (wall time per event)'),
    boundOnly: need('part: Value.bound/2 of the argument'),
  };
}

function summariseRecorderRuns(context, corpus, { runsByKey, storeRuns, deliveryRuns, debugger_, sources }) {
  const runsOf = (key) => runsByKey.get(key) ?? [];
  const medianOf = (runs, field) => summarise(runs.map((run) => run[field])).median;
  const baselineRuns = runsOf('baseline');
  const rowKeys = ['baseline', 'interpreted', 'minimal', 'debug'].filter((key) => runsOf(key).length > 0);
  const labels = {
    baseline: 'no recording (baseline)',
    interpreted: 'modules under OTP\'s interpreter (`:int.ni`, as ElixirLS)',
    minimal: '`record --mode minimal`, warm cache',
    debug: '`record --mode debug`, warm cache',
  };
  // Each round ran every measurement once, back to back: a ratio is taken within a round and the median
  // of those is shown, so a busy spell of the machine that spans rounds does not skew it.
  const pairedRatio = (key, field) => summarise(runsOf(key).map((run, round) => run[field] / baselineRuns[round][field])).median;
  const aimOf = (key) => (key in recorderAims ? recorderAims[key] : null);
  const verdict = (ratio, aim) => (aim === null ? '—' : `${ratio <= aim ? 'met' : 'missed'} (≤ ${formatRatio(aim)})`);

  const wallTable = {
    heading: 'Whole process, spawn to exit (the recorded runs include planning, the recorder and the agent\'s start)',
    columns: ['run', 'wall median ms', 'wall min ms', 'wall max ms', '÷ baseline', 'aim', 'CPU s', 'peak RSS MiB'],
    alignRight: [false, true, true, true, true, false, true, true],
    rows: rowKeys.map((key) => {
      const wall = summarise(runsOf(key).map((run) => run.wallMs));
      return [
        labels[key], formatMs(wall.median), formatMs(wall.min), formatMs(wall.max),
        key === 'baseline' ? '—' : formatRatio(pairedRatio(key, 'wallMs')),
        key === 'baseline' ? '—' : verdict(pairedRatio(key, 'wallMs'), aimOf(key)),
        formatCpuSeconds(runsOf(key)), formatPeakRss(runsOf(key)),
      ];
    }),
  };
  const inVmTable = {
    heading: 'Inside the VM only: the suites script (compiling and running the test files) and ExUnit\'s run of the tests, medians',
    columns: ['run', 'suites script ms', '÷ baseline', 'aim', 'ExUnit run ms', '÷ baseline'],
    alignRight: [false, true, true, false, true, true],
    rows: rowKeys.map((key) => {
      const script = medianOf(runsOf(key), 'scriptMs');
      const exunit = medianOf(runsOf(key), 'exunitRunMs');
      return [
        labels[key], formatMs(script),
        key === 'baseline' ? '—' : formatRatio(pairedRatio(key, 'scriptMs')),
        key === 'baseline' ? '—' : verdict(pairedRatio(key, 'scriptMs'), aimOf(key)),
        formatMs(exunit), key === 'baseline' ? '—' : formatRatio(pairedRatio(key, 'exunitRunMs')),
      ];
    }),
  };
  const recordedKeys = ['minimal', 'debug'];
  const phaseTable = {
    heading: 'The recorded runs in phases (medians, ms) and what they recorded',
    columns: [
      'mode', 'CLI start + planning', 'debuggee (VM, agent, suites)', 'to trace written', 'after trace written',
      'events', 'events/s of suites script', 'trace bytes', 'bytes/event', 'dropped',
    ],
    alignRight: [false, true, true, true, true, true, true, true, true, true],
    rows: recordedKeys.map((key) => {
      const runs = runsOf(key);
      const events = summarise(runs.map((run) => run.events));
      return [
        key, formatMs(medianOf(runs, 'beforeRecorderMs')), formatMs(medianOf(runs, 'recordingMs')),
        formatMs(medianOf(runs, 'untilTraceWrittenMs')), formatMs(medianOf(runs, 'afterTraceWrittenMs')),
        events.min === events.max ? formatInteger(events.median) : `${formatInteger(events.min)}–${formatInteger(events.max)}`,
        formatRate(medianOf(runs, 'events') / (medianOf(runs, 'scriptMs') / 1000)),
        formatInteger(medianOf(runs, 'traceBytes')),
        formatDecimal(medianOf(runs, 'traceBytes') / medianOf(runs, 'events'), 1),
        formatInteger(Math.max(...runs.map((run) => run.dropped))),
      ];
    }),
  };

  const storeMedian = (pick) => summarise(storeRuns.map(pick));
  const storeRow = (label, figure, format, aimText, isMet) => [
    label, format(figure.median), format(figure.min), format(figure.max), aimText, isMet === null ? '—' : isMet ? 'met' : 'missed',
  ];
  const ingest = storeMedian((report) => report.ingest.eventsPerSecond);
  const bytesPerEvent = storeMedian((report) => report.append.totalBytesPerEvent);
  const queryRows = [['calls', 'calls'], ['values_at', 'valuesAt'], ['stack', 'stack'], ['calls with limit 100', 'callsLimit100']].map(([label, field]) => {
    const p95 = storeMedian((report) => report.queries[field].p95Ms);
    return storeRow(`\`${label}\` query p95 ms`, p95, (ms) => formatDecimal(ms, 2), `< ${recorderAims.queryP95Ms}`, p95.median < recorderAims.queryP95Ms);
  });
  const realBytesRows = recordedKeys.map((key) => {
    const perEvent = summarise(runsOf(key).map((run) => run.traceBytes / run.events));
    return storeRow(
      `bytes per stored event, the real ${key} recording above`, perEvent, (value) => formatDecimal(value, 1),
      `≤ ${recorderAims.bytesPerEvent}`, perEvent.median <= recorderAims.bytesPerEvent,
    );
  });
  const storeTable = {
    heading: `Trace store on a synthetic recording of ${formatInteger(storeRuns[0].events)} events (\`node out/bench/traceBench.js\`), ${storeRuns.length} run(s)`,
    columns: ['figure', 'median', 'min', 'max', 'aim', 'verdict'],
    alignRight: [false, true, true, true, false, false],
    rows: [
      storeRow('events/s through the whole ingestion pipeline', ingest, formatInteger, `≥ ${formatInteger(recorderAims.ingestEventsPerSecond)}`, ingest.median >= recorderAims.ingestEventsPerSecond),
      storeRow('events/s appended to the store alone', storeMedian((report) => report.append.eventsPerSecond), formatInteger, '', null),
      storeRow('bytes per stored event (whole file)', bytesPerEvent, (value) => formatDecimal(value, 1), `≤ ${recorderAims.bytesPerEvent}`, bytesPerEvent.median <= recorderAims.bytesPerEvent),
      storeRow('bytes per event of the agent\'s frames (ETF)', storeMedian((report) => report.append.etfBytesPerEvent), (value) => formatDecimal(value, 1), '', null),
      ...realBytesRows,
      ...queryRows,
      storeRow('opening a finished trace ms', storeMedian((report) => report.open.footerMs), formatMs, '', null),
      storeRow('recovering a trace cut at 60% ms (scan)', storeMedian((report) => report.open.recoveryScanMs), formatMs, '', null),
    ],
  };

  const deliveryFigure = (pick) => summarise(deliveryRuns.map(pick)).median;
  const deliveryRow = (label, offNs, onNs) => [
    label, formatDecimal(offNs, 1), formatDecimal(onNs, 1), formatDecimal(onNs - offNs, 1),
  ];
  const deliveryTable = {
    heading: `Cost of one event in the emitting process (\`elixir runtime/test/bench_delivery.exs\`, 200,000 events per figure), medians of ${deliveryRuns.length} run(s), ns`,
    columns: ['what', 'recording off', 'recording on', 'difference'],
    alignRight: [false, true, true, true],
    rows: [
      deliveryRow('`Runtime.value/2` (one event)', deliveryFigure((run) => run.valueOff), deliveryFigure((run) => run.valueOn)),
      deliveryRow('`Runtime.value/2`, collector paused (the emitter alone)', deliveryFigure((run) => run.valueOff), deliveryFigure((run) => run.valueEmitterOnly)),
      deliveryRow('`enter/2` + `return/2`, per event', deliveryFigure((run) => run.pairOff / 2), deliveryFigure((run) => run.pairOn / 2)),
      deliveryRow('`Runtime.value/2`, 4 processes at once (wall per event)', deliveryFigure((run) => run.valueOff), deliveryFigure((run) => run.valueParallel)),
    ],
  };

  const oddities = [];
  for (const key of rowKeys) {
    const lines = new Set(runsOf(key).map((run) => run.suitesLine));
    if (lines.size > 1 || ![...lines][0].includes('failures=0')) oddities.push(`${key}: the suites reported ${[...lines].join(' / ')}.`);
  }
  for (const key of recordedKeys) {
    for (const run of runsOf(key)) {
      if (!run.complete) oddities.push(`${key}: a recording is incomplete (${run.endReason}).`);
      if (run.dropped > 0) oddities.push(`${key}: a recording dropped ${run.dropped} events.`);
    }
  }
  if (debugger_.ebin === null) oddities.push(`The interpreter row is missing: ${debugger_.origin}.`);
  const baselineSpread = summarise(baselineRuns.map((run) => run.wallMs));
  if (baselineSpread.max > 1.25 * baselineSpread.min) {
    oddities.push(
      `The baseline's wall time ranged from ${formatMs(baselineSpread.min)} to ${formatMs(baselineSpread.max)} ms: the machine was busy, ` +
        'so absolute times and per-event costs are inflated; the within-round ratios hold up better.',
    );
  }
  for (const report of storeRuns) {
    if (report.ingest.dropped > 0 || report.ingest.stored !== report.events) {
      oddities.push(`traceBench: ingestion stored ${report.ingest.stored} of ${report.events} events, ${report.ingest.dropped} dropped.`);
    }
  }
  const afterTraceWritten = recordedKeys.map((key) => medianOf(runsOf(key), 'afterTraceWrittenMs'));
  if (Math.min(...afterTraceWritten) > 1000) {
    oddities.push(
      `The recorded runs go on for about ${formatMs(Math.min(...afterTraceWritten))} ms after the trace is written: \`record\` ` +
        'races the recorder\'s end against a 2 s timer (cli/recording.ts) and never clears it, so Node waits for it before exiting.',
    );
  }

  return {
    summary: [
      `Suites: ${recordedSuiteNames.map((name) => `${name}_test.exs`).join(', ')} of ${corpus.displayPath} (${baselineRuns[0].suitesLine.replace('SUITES ', '')}); ` +
        `instrumented and interpreted: ${sources.map((source) => path.relative(corpus.root, source)).join(', ')}. ` +
        `${context.runCount} measured run(s) per measurement after one warm-up round.`,
    ],
    tables: [wallTable, inVmTable, phaseTable, storeTable, deliveryTable],
    notes: [
      `Commands, interleaved round by round: \`elixir bench/timedSuites.exs CORPUS ${recordedSuiteNames.join(' ')}\` (runs ` +
        '`test/support/stdlibSuites.exs` and prints its in-VM times); `elixir bench/interpretedSuites.exs DEBUGGER_EBIN BEAMS CORPUS SOURCES …` ' +
        `(the same after \`:int.ni/1\` of every module of the three files; :int from ${debugger_.origin}); ` +
        `\`node ${displayPath(context.cliPath)} record --mode minimal|debug --out /tmp/… --instrument SOURCE… -- elixir bench/timedSuites.exs CORPUS …\` ` +
        'with `ELIXIRSCOPE_CACHE` set to one temporary folder, which the warm-up round fills with the agent\'s and the instrumented modules\' .beam files.',
      '"÷ baseline" is the median over rounds of the ratio to the baseline run of the same round. The interpreted and recorded runs load the modules compiled from the corpus\'s sources (from a cache), the baseline ' +
        'uses the installed Elixir\'s own copies (the same 1.14.0 source).',
      '"Suites script" is the in-VM time of `stdlibSuites.exs` (copying and compiling the test files, then running them): it leaves out VM start, ' +
        'the agent\'s start and loading the instrumented (or interpreting the) modules, which happen before the script. "ExUnit run" is ExUnit\'s ' +
        'own run time of the 202 tests (the `run` of its `suite_finished` event), the part where the instrumented code runs; it is tens of ms, so ' +
        'its ratios are coarse.',
      'Phases of a recorded run are on the wall clock: from spawn to the recorder\'s trace header (`startedAt`: Node start, planning the three ' +
        'files with the analyzer, starting the recorder), from there to the finished trace (`endedAt`: the VM, the agent, the suites, goodbye), ' +
        'and from there to exit. Events/s divides the events by the suites script\'s in-VM time. Bytes/event is the finished trace file\'s size ' +
        'over its events.',
      'The trace store figures are `node out/bench/traceBench.js` (synthetic: nested calls over 200 functions and 50 processes, a binding per ' +
        'call, small realistic values): ingestion is TCP → socket thread → ring → writer with the client in its own process; query p95s are ' +
        'over 40 queries of each kind per run, and the table gives the median over runs of that p95.',
      'Per-event cost: `runtime/test/bench_delivery.exs` with the agent connected to a recorder that discards what it reads; "off" is the ' +
        'same call with no recording active (one `:persistent_term` read). The enter/return figures are the script\'s per-pair figures halved.',
      `CPU time and peak RSS: ${context.resourceProbe.description}.`,
    ],
    oddities,
  };
}

// ---------------------------------------------------------------------------------------------------
// The `lsp` section.

/** The issue's aims for the language server on the corpus. */
const lspAims = { coldStartMs: 5000, warmStartMs: 1000, requestP95Ms: 20, diagnosticsP95Ms: 100, peakRssBytes: 400e6 };
const lspEditCount = 60;

async function runLspSection(context) {
  const corpus = context.corpus();
  const benchScript = path.join(repoRoot, 'out', 'bench', 'lspBench.js');
  if (!fs.existsSync(benchScript)) throw new BenchError(`${displayPath(benchScript)} not found — run \`npm run build\` first.`);
  const serverScript = path.join(repoRoot, 'dist', 'server.js');
  if (!fs.existsSync(serverScript)) throw new BenchError(`${displayPath(serverScript)} not found — run \`npm run build\` first.`);
  const cliDatabasePath = path.join(context.temporaryDirectory, 'lsp-cli.sqlite');
  const serverDatabasePath = path.join(context.temporaryDirectory, 'lsp-server', 'cpg.sqlite');
  const query = JSON.stringify({ functions: { name: 'x' } });
  const cliRuns = [];
  const reports = [];
  const loadAverages = [];
  // Interleaved rounds: the CLI's cold build and warm open (the baselines), then one lspBench process,
  // which starts the server cold (no stored graph), then warm (from the graph the cold one stored).
  for (let round = 1; round <= context.runCount; round++) {
    loadAverages.push(os.loadavg()[0]);
    fs.rmSync(cliDatabasePath, { force: true });
    const cliRun = await measureProcess(context, {
      key: 'lspCliCold', command: process.execPath, args: [context.cliPath, 'query', corpus.root, query, '--db', cliDatabasePath],
      environment: process.env, isNode: true,
    });
    if (cliRun.exitCode !== 0) throw new BenchError(`cold graph build exited with ${cliRun.exitCode}` + formatStderrTail(cliRun.stderr));
    const cliWarmRun = await measureProcess(context, {
      key: 'lspCliWarm', command: process.execPath, args: [context.cliPath, 'query', corpus.root, query, '--db', cliDatabasePath],
      environment: process.env, isNode: true,
    });
    if (cliWarmRun.exitCode !== 0) throw new BenchError(`warm graph open exited with ${cliWarmRun.exitCode}` + formatStderrTail(cliWarmRun.stderr));
    cliRuns.push({ ...cliRun, graphBytes: fs.statSync(cliDatabasePath).size, warmWallMs: cliWarmRun.wallMs });
    const benchRun = await runChild(process.execPath, [benchScript, corpus.root, serverDatabasePath, String(lspEditCount)], process.env);
    const report = lastJsonLine(benchRun.stdout);
    if (benchRun.exitCode !== 0 || !report?.cold) throw new BenchError(`lspBench exited with ${benchRun.exitCode}` + formatStderrTail(benchRun.stderr));
    reports.push(report);
    logProgress(
      `lsp: round ${round}/${context.runCount}: CLI cold build ${formatMs(cliRun.wallMs)} ms, server cold ${formatMs(report.cold.readyMs)} ms, ` +
        `warm ${formatMs(report.warm.readyMs)} ms, edit p50 ${formatMs(percentile(report.edits.samples, 0.5))} ms (load ${formatDecimal(loadAverages.at(-1), 2)})`,
    );
  }
  return summariseLspRuns(context, corpus, { cliRuns, reports, loadAverages, query });
}

function summariseLspRuns(context, corpus, { cliRuns, reports, loadAverages, query }) {
  const first = reports[0];
  const cliWall = summarise(cliRuns.map((run) => run.wallMs));
  const figure = (pick) => summarise(reports.map(pick));
  // Each round ran the baseline and the server back to back: ratios are taken within a round and
  // the median of those is shown, as in the recorder section.
  const pairedRatio = (pick, baseline) => summarise(reports.map((report, round) => pick(report) / baseline(cliRuns[round]))).median;
  const verdict = (value, aim) => `${value < aim ? 'met' : 'missed'} (< ${formatInteger(aim)})`;
  const msRow = (label, values, aim, ratio) => [
    label, formatMs(values.median), formatMs(values.min), formatMs(values.max),
    aim === null ? '—' : verdict(values.median, aim), ratio === null ? '—' : formatRatio(ratio),
  ];
  const cold = figure((report) => report.cold.readyMs);
  const warm = figure((report) => report.warm.readyMs);
  const startTable = {
    heading: 'Start-up, one new server process each (spawn to the `ready` index status; the client writes `initialize` at spawn)',
    columns: ['measurement', 'median ms', 'min ms', 'max ms', 'aim ms (median)', '÷ CLI baseline'],
    alignRight: [false, true, true, true, false, true],
    rows: [
      msRow(`cold start: no stored graph, all ${formatInteger(first.cold.files)} files indexed`, cold, lspAims.coldStartMs, pairedRatio((report) => report.cold.readyMs, (run) => run.wallMs)),
      msRow('  of which the index run, as the server reports it', figure((report) => report.cold.serverRefreshMs ?? NaN), null, null),
      msRow('warm start: the stored graph, every file hashed, nothing to redo', warm, lspAims.warmStartMs, pairedRatio((report) => report.warm.readyMs, (run) => run.warmWallMs)),
      msRow('  of which the index run, as the server reports it', figure((report) => report.warm.serverRefreshMs ?? NaN), null, null),
      msRow('  of which spawn to the `initialize` answer', figure((report) => report.warm.initializeMs), null, null),
      msRow('baseline: CLI cold graph build (spawn to exit, includes the save)', cliWall, null, null),
      msRow('baseline: CLI warm open of that graph (spawn to exit)', summarise(cliRuns.map((run) => run.warmWallMs)), null, null),
      msRow(`warm: didOpen of ${first.document} to its first diagnostics`, figure((report) => report.warm.openToDiagnosticsMs), null, null),
      msRow('warm: first hover after that (a remote call; pays for what is built lazily)', figure((report) => report.warm.firstHoverMs), null, null),
    ],
  };

  const pooled = (pick) => reports.flatMap(pick);
  const latencyRow = (label, samples, aim, answered) => [
    label, formatInteger(samples.length), formatDecimal(percentile(samples, 0.5), 1), formatDecimal(percentile(samples, 0.95), 1),
    formatDecimal(Math.min(...samples), 1), formatDecimal(Math.max(...samples), 1),
    aim === null ? '—' : verdict(percentile(samples, 0.95), aim), answered,
  ];
  const answeredOf = (request) => `${formatInteger(reports.reduce((total, report) => total + report.requests[request].nonEmpty, 0))} of ${formatInteger(reports.length * first.requests[request].samples.length)} non-empty`;
  const editSamples = pooled((report) => report.edits.samples);
  const parseSamples = pooled((report) => report.baseline.parseMs);
  const analysisSamples = pooled((report) => report.baseline.fullAnalysisMs);
  const editsSent = reports.reduce((total, report) => total + report.edits.count, 0);
  const editsPublished = reports.reduce((total, report) => total + report.edits.published, 0);
  const editsWithDiagnostics = reports.reduce((total, report) => total + report.edits.withDiagnostics, 0);
  const latencyTable = {
    heading: `Latency at the client on ${first.document} (${formatInteger(first.documentLines)} lines), warm server, samples pooled over ${reports.length} round(s)`,
    columns: ['request', 'samples', 'p50 ms', 'p95 ms', 'min ms', 'max ms', 'aim ms (p95)', 'answers'],
    alignRight: [false, true, true, true, true, true, false, false],
    rows: [
      latencyRow('textDocument/hover', pooled((report) => report.requests.hover.samples), lspAims.requestP95Ms, answeredOf('hover')),
      latencyRow('textDocument/definition', pooled((report) => report.requests.definition.samples), lspAims.requestP95Ms, answeredOf('definition')),
      latencyRow('textDocument/references (with the declaration)', pooled((report) => report.requests.references.samples), lspAims.requestP95Ms, answeredOf('references')),
      latencyRow(
        'didChange (one character) → publishDiagnostics of that version', editSamples, lspAims.diagnosticsP95Ms,
        `${formatInteger(editsPublished)} of ${formatInteger(editsSent)} published; ${formatInteger(editsWithDiagnostics)} with ≥ 1 diagnostic`,
      ),
      latencyRow('hover at a remote call just after each edit\'s diagnostics', pooled((report) => report.edits.hoverAfterEditSamples), lspAims.requestP95Ms, '—'),
      latencyRow('baseline: full parse of the edited file, in process', parseSamples, null, '—'),
      latencyRow('baseline: full parse + analysis (all rows) of the edited file, in process', analysisSamples, null, '—'),
    ],
  };
  const ratioRow = (label, fraction) => [
    label,
    formatRatio(percentile(editSamples, fraction) / percentile(parseSamples, fraction)),
    formatRatio(percentile(editSamples, fraction) / percentile(analysisSamples, fraction)),
  ];
  const ratioTable = {
    heading: 'didChange → diagnostics against re-doing the whole file (below 1: faster than a full reparse)',
    columns: ['edit latency', '÷ full parse', '÷ full parse + analysis'],
    alignRight: [false, true, true],
    rows: [ratioRow('p50', 0.5), ratioRow('p95', 0.95)],
  };

  const mib = (kib) => kib / 1024;
  const rssAimMiB = lspAims.peakRssBytes / 2 ** 20;
  const rssRow = (label, values, aim) => [
    label, formatDecimal(values.median, 0), formatDecimal(values.min, 0), formatDecimal(values.max, 0),
    aim === null ? '—' : `${values.max < rssAimMiB ? 'met' : 'missed'} (< ${formatInteger(lspAims.peakRssBytes / 1e6)} MB = ${formatDecimal(rssAimMiB, 0)} MiB)`,
  ];
  const cliRss = cliRuns.map((run) => run.usage?.peakRssKiB).filter((value) => typeof value === 'number');
  const memoryTable = {
    heading: 'Peak RSS of the server process (VmHWM of /proc/PID/status; its worker threads are inside it), MiB',
    columns: ['when read', 'median', 'min', 'max', 'aim (max)'],
    alignRight: [false, true, true, true, false],
    rows: [
      rssRow('cold server, before `shutdown` (after indexing all files)', figure((report) => mib(report.cold.memory.beforeShutdown.peakRssKiB)), true),
      rssRow('cold server, after `shutdown` was answered (the graph saved)', figure((report) => mib(report.cold.memory.afterShutdown.peakRssKiB)), null),
      rssRow('warm server, before `shutdown` (after the requests and edits)', figure((report) => mib(report.warm.memory.beforeShutdown.peakRssKiB)), true),
      rssRow('warm server, after `shutdown` was answered (includes saving the graph)', figure((report) => mib(report.warm.memory.afterShutdown.peakRssKiB)), null),
      ...(cliRss.length > 0 ? [rssRow('baseline: CLI cold graph build', summarise(cliRss.map(mib)), null)] : []),
    ],
  };

  const oddities = [];
  for (const report of reports) {
    if (report.cold.files !== corpus.fileCount) oddities.push(`The cold server indexed ${report.cold.files} files; the corpus has ${corpus.fileCount}.`);
    if (!/\b0 analysed\b/.test(report.warm.message)) oddities.push(`A warm start analysed files again: "${report.warm.message}".`);
    if (report.edits.unanswered > 0) oddities.push(`${report.edits.unanswered} edit(s) got no diagnostics within 10 s.`);
    if (report.warm.initialDiagnostics > 0) oddities.push(`${first.document} as it is on disk got ${report.warm.initialDiagnostics} diagnostic(s) on opening.`);
    for (const start of [report.cold, report.warm]) {
      if (start.memory.exitCode !== 0) oddities.push(`A server exited with ${start.memory.exitCode} after shutdown/exit.`);
      if (start.memory.helpers.length > 0) {
        oddities.push(`The server had helper processes: ${start.memory.helpers.map((helper) => `${helper.command} (peak ${formatDecimal(mib(helper.peakRssKiB), 0)} MiB)`).join(', ')}.`);
      }
    }
  }
  if (!first.warm.firstHoverAnswered) oddities.push('The first hover after start-up (a remote call) was answered with nothing.');
  const busiest = Math.max(...loadAverages);
  if (busiest > os.availableParallelism()) {
    oddities.push(
      `The machine was busy: the 1-minute load average was ${loadAverages.map((load) => formatDecimal(load, 2)).join(', ')} at the start of the rounds ` +
        `on ${os.availableParallelism()} cores, so every figure here is inflated; the within-round ratios hold up better than the absolute times.`,
    );
  }
  // Which edits were slowest (median over rounds), to point at what to look into.
  const slowestEdits = first.edits.perEdit
    .map((edit, index) => ({ ...edit, ms: summarise(reports.map((report) => report.edits.perEdit[index].ms ?? Infinity)).median }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((edit) => `${edit.line + 1}:${edit.character + 1} \`${edit.lineText.length > 60 ? `${edit.lineText.slice(0, 57)}…` : edit.lineText}\` ${formatMs(edit.ms)} ms`)
    .join('; ');
  const positions = Object.entries(first.positions).map(([kind, count]) => `${count} ${kind}`).join(', ');
  const threads = [...new Set(reports.flatMap((report) => [report.cold.memory.beforeShutdown.threads, report.warm.memory.beforeShutdown.threads]))].join('/');
  return {
    summary: [
      `Corpus: ${corpus.displayPath} — ${corpus.fileCount} files, ${formatInteger(corpus.lineCount)} lines; ${reports.length} round(s), each a CLI cold build ` +
        `and a cold and a warm start of a new server process. Stored graph: ${formatDecimal(first.cold.graphBytes / 2 ** 20, 1)} MiB after the cold start ` +
        `(the CLI's: ${formatDecimal(cliRuns[0].graphBytes / 2 ** 20, 1)} MiB). 1-minute load average at the start of each round: ` +
        `${loadAverages.map((load) => formatDecimal(load, 2)).join(', ')} on ${os.availableParallelism()} cores.`,
    ],
    tables: [startTable, latencyTable, ratioTable, memoryTable],
    notes: [
      `Commands, interleaved round by round: \`node ${displayPath(context.cliPath)} query CORPUS '${query}' --db /tmp/…\` with no database and again with it (the baselines), ` +
        `then \`node out/bench/lspBench.js CORPUS /tmp/…/cpg.sqlite ${lspEditCount}\`, which deletes that graph, starts \`dist/server.js --stdio\` through ` +
        '`test/support/lspClient.ts` with `initializationOptions: { databasePath }`, waits for the `ready` index status and shuts it down (the graph is saved), ' +
        'then starts it again on the stored graph for the requests and edits. The server indexes with its default worker threads (one per core).',
      'Every latency is taken in the client: request written → response read; didChange written → the `publishDiagnostics` carrying that document version read. ' +
        'Before any request the document is opened (`didOpen`, as an editor does) and its first diagnostics awaited; one hover at a remote call comes next and ' +
        'is reported apart (it pays for anything the server builds lazily); the measured requests follow, one at a time.',
      `Request positions: ${positions} names in ${first.document}, chosen by a regular expression over the text (function bodies only: no heredocs, ` +
        'strings, comments or `@` attributes), evenly spread over the file, the cursor in the middle of the name; the same 100 every run, for all three requests. ' +
        `"Answers" counts non-empty results. Per kind, p95 of hover / definition / references in the first round: ${formatKindP95(first)}.`,
      `Edits: ${lspEditCount} one-character edits (a letter or digit doubled on an indented code line, as \`bench/cpgBench.ts\` makes them, but not in \`@doc\` text), ` +
        'each an incremental `didChange` followed by its undo; only the edit is counted. Between edit and undo one hover at the first remote call of the ' +
        'positions is timed apart ("just after each edit"): the call-graph index must take in the edited file before it answers, ' +
        'so this is what pointing at a call right after typing costs. The baseline parses the same edited texts with the same parser in the ' +
        'lspBench process after the servers have stopped (three warm-up parses first); "parse + analysis" derives all the file\'s rows as a server without ' +
        `incremental reparse would. The five slowest edits (line:column of the doubled character, median over rounds): ${slowestEdits}.`,
      'Start-up and memory tables give the median, min and max over rounds; the aims of the start-up rows are judged on the median, the RSS aim on the maximum. ' +
        `"÷ CLI baseline" is the median over rounds of the ratio within a round, cold start to the CLI's cold build, warm start to its warm open. Peak RSS: VmHWM read from /proc while the server runs (${threads} threads); ` +
        'no helper processes were found unless noted below. The CLI\'s peak RSS: ' + `${context.resourceProbe.description}.`,
    ],
    oddities,
  };
}

function formatKindP95(report) {
  const kinds = Object.keys(report.positions);
  return kinds
    .map((kind) => `${kind} ${['hover', 'definition', 'references'].map((request) => formatDecimal(report.requests[request].p95ByKind[kind] ?? NaN, 1)).join(' / ')} ms`)
    .join('; ');
}

/** The value at `fraction` of the sorted samples (nearest rank below), as lspBench and cpgBench compute it. */
function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

// ---------------------------------------------------------------------------------------------------
// Context, prerequisites and the corpus.

function createContext(options) {
  const temporaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-bench-'));
  process.on('exit', () => fs.rmSync(temporaryDirectory, { recursive: true, force: true }));
  let corpus;
  return {
    runCount: options.runCount,
    cliPath: options.cliPath,
    commandLine: options.commandLine,
    temporaryDirectory,
    resourceProbe: chooseResourceProbe(temporaryDirectory),
    corpus: () => (corpus ??= loadCorpus()),
  };
}

function checkPrerequisites(context, sections) {
  const required = new Set(sections.flatMap((section) => section.requires));
  if (required.has('cli') && !fs.existsSync(context.cliPath)) {
    throw new BenchError(
      `${displayPath(context.cliPath)} not found — run \`npm run build\` first (or use \`npm run bench\`).`,
    );
  }
  if (required.has('elixir')) {
    const probe = spawnSync('elixir', ['--version'], { encoding: 'utf8' });
    if (probe.error?.code === 'ENOENT') {
      throw new BenchError(
        '`elixir` is not installed (not on PATH); the baseline needs it (Debian: apt-get install elixir).',
      );
    }
    if (probe.status !== 0) {
      throw new BenchError(`\`elixir --version\` failed with ${probe.status}` + formatStderrTail(probe.stderr ?? ''));
    }
  }
  if (required.has('corpus')) context.corpus();
}

/** Finds (fetching once) the Elixir 1.14 source tree, and counts its files as the CLI should see them. */
function loadCorpus() {
  const fetchScript = path.resolve(repoRoot, '..', 'shared', 'corpus', 'fetch-elixir-source.sh');
  if (!fs.existsSync(fetchScript)) throw new BenchError(`the corpus script ${fetchScript} is missing.`);
  const fetched = spawnSync('bash', [fetchScript, '.cache/corpus'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (fetched.status !== 0) throw new BenchError(`fetching the corpus failed (exit ${fetched.status}).`);
  const treePath = fetched.stdout.trim().split('\n').at(-1);
  const root = path.resolve(repoRoot, treePath);
  if (!treePath || !fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BenchError(`the corpus script printed "${treePath}", which is not a folder.`);
  }
  let fileCount = 0;
  let byteCount = 0;
  let lineCount = 0;
  let filesEndingWithNewline = 0;
  // Reading every file here also warms the page cache, so that no measured run pays for the disk.
  for (const filePath of listElixirFiles(root)) {
    const content = fs.readFileSync(filePath);
    fileCount++;
    byteCount += content.length;
    lineCount += countLines(content);
    if (content.length > 0 && content[content.length - 1] === 10) filesEndingWithNewline++;
  }
  return { root, displayPath: displayPath(root), fileCount, byteCount, lineCount, filesEndingWithNewline };
}

/** Every regular .ex/.exs file under root, dot-files and dot-folders included, symbolic links not followed. */
function listElixirFiles(root) {
  const filePaths = [];
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop();
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const entryPath = path.join(folder, entry.name);
      if (entry.isDirectory()) pending.push(entryPath);
      else if (entry.isFile() && /\.exs?$/.test(entry.name)) filePaths.push(entryPath);
    }
  }
  return filePaths.sort();
}

function countLines(content) {
  let newlineCount = 0;
  for (let index = content.indexOf(10); index !== -1; index = content.indexOf(10, index + 1)) newlineCount++;
  const endsWithoutNewline = content.length > 0 && content[content.length - 1] !== 10;
  return newlineCount + (endsWithoutNewline ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------
// Running one measured child process.

/** GNU time's report, and the hook's: peak RSS in KiB, user and system CPU seconds. */
const gnuTimeFormat = '%M %U %S';

/**
 * How peak RSS and CPU time are read: GNU time where it works, else a preload hook for node processes
 * only. Chosen once, by trying GNU time on `true`.
 */
function chooseResourceProbe(temporaryDirectory) {
  const probeFile = path.join(temporaryDirectory, 'time-probe.txt');
  const probe = spawnSync('/usr/bin/time', ['-f', gnuTimeFormat, '-o', probeFile, 'true'], { stdio: 'ignore' });
  const gnuTimeWorks = probe.status === 0 && parseUsage(readFileOrEmpty(probeFile)) !== null;
  if (gnuTimeWorks) {
    return {
      kind: 'gnuTime',
      description:
        "GNU time (`/usr/bin/time -f '%M %U %S'`): the resident set of the largest single process among the " +
        'measured one and the descendants it waited for (worker threads are inside the process), and the CPU ' +
        'time of all of them',
    };
  }
  return {
    kind: 'nodeHook',
    description:
      '`process.resourceUsage()` recorded on exit by an `--import` hook (GNU time not found); ' +
      'not measured for the Elixir baseline',
  };
}

const nodeUsageHookSource = [
  "import { writeFileSync } from 'node:fs';",
  "import { isMainThread } from 'node:worker_threads';",
  'const target = process.env.ELIXIRSCOPE_BENCH_USAGE_FILE;',
  "if (isMainThread && target) process.on('exit', () => {",
  '  const usage = process.resourceUsage();',
  '  writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}`);',
  '});',
].join('\n');

async function measureProcess(context, measurement) {
  const usageFile = path.join(context.temporaryDirectory, `usage-${measurement.key}.txt`);
  fs.rmSync(usageFile, { force: true });
  let command = measurement.command;
  let args = measurement.args;
  let environment = measurement.environment;
  if (context.resourceProbe.kind === 'gnuTime') {
    args = ['-f', gnuTimeFormat, '-o', usageFile, command, ...args];
    command = '/usr/bin/time';
  } else if (measurement.isNode) {
    args = ['--import', `data:text/javascript,${encodeURIComponent(nodeUsageHookSource)}`, ...args];
    environment = { ...environment, ELIXIRSCOPE_BENCH_USAGE_FILE: usageFile };
  }
  const run = await runChild(command, args, environment);
  return { ...run, usage: parseUsage(readFileOrEmpty(usageFile)) };
}

/** Reads "KiB user system"; GNU time puts "Command exited with non-zero status N" before it. */
function parseUsage(text) {
  const fields = (text.trim().split('\n').at(-1) ?? '').split(' ');
  const numbers = fields.map((field) => (field.trim() === '' ? NaN : Number(field)));
  if (numbers.length !== 3 || !numbers.every(Number.isFinite)) return null;
  return { peakRssKiB: numbers[0], cpuSeconds: numbers[1] + numbers[2] };
}

function runChild(command, args, environment) {
  return new Promise((resolve, reject) => {
    const stdoutChunks = [];
    const stderrChunks = [];
    let wallMs = 0;
    const startedAt = performance.now();
    const child = spawn(command, args, { cwd: repoRoot, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => stdoutChunks.push(chunk));
    child.stderr.on('data', (chunk) => stderrChunks.push(chunk));
    child.on('error', (error) => reject(new BenchError(`could not start ${command}: ${error.message}`)));
    child.on('exit', () => {
      wallMs = performance.now() - startedAt;
    });
    child.on('close', (exitCode, signal) =>
      resolve({
        wallMs,
        exitCode: exitCode ?? `signal ${signal}`,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderr: Buffer.concat(stderrChunks).toString('utf8'),
      }),
    );
  });
}

function describeCommand(measurement) {
  const shownArgs = measurement.args.map((arg) => (path.isAbsolute(arg) ? displayPath(arg) : arg));
  const shownCommand = measurement.isNode ? 'node' : measurement.command;
  return `\`${[shownCommand, ...shownArgs].join(' ')}\``;
}

// ---------------------------------------------------------------------------------------------------
// Output: the stdout table and bench/RESULTS.md.

/**
 * A SectionResult is { summary: string[], tables: Table[], notes: string[], oddities: string[] };
 * a Table is { heading?, columns: string[], alignRight: boolean[], rows: string[][] }.
 */
function renderText(section, result) {
  const lines = [`== ${section.name}: ${section.title.replaceAll('`', '')}`, ...result.summary, ''];
  for (const table of result.tables) {
    if (table.heading) lines.push(table.heading);
    lines.push(...renderTextTable(table), '');
  }
  if (result.oddities.length > 0) lines.push('Odd:', ...result.oddities.map((oddity) => `  ! ${oddity}`), '');
  return lines.join('\n');
}

function renderTextTable(table) {
  const widths = table.columns.map((column, index) =>
    Math.max(column.length, ...table.rows.map((row) => row[index].length)),
  );
  const renderRow = (cells) =>
    cells
      .map((cell, index) => (table.alignRight[index] ? cell.padStart(widths[index]) : cell.padEnd(widths[index])))
      .join('  ')
      .trimEnd();
  return [renderRow(table.columns), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(renderRow)];
}

function renderMarkdownSection(section, result, machine, context) {
  const lines = [
    sectionStartMarker(section.name),
    `## ${section.name}: ${section.title}`,
    '',
    `Measured ${machine.date} with \`${context.commandLine}\` at revision ${machine.revision}.`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.coreCount} cores, ${machine.memory}, ${machine.operatingSystem}; ` +
      `${machine.nodeVersion}; ${machine.elixirVersion}; ${machine.loadAverages}.`,
    '',
    ...result.summary,
    '',
  ];
  for (const table of result.tables) {
    if (table.heading) lines.push(`${table.heading}:`, '');
    lines.push(...renderMarkdownTable(table), '');
  }
  lines.push(...result.notes.map((note) => `- ${note}`), '');
  if (result.oddities.length > 0) {
    lines.push('Odd findings of this run:', '', ...result.oddities.map((oddity) => `- ${oddity}`), '');
  }
  lines.push(sectionEndMarker(section.name));
  return lines.join('\n');
}

function renderMarkdownTable(table) {
  const escapeCell = (cell) => cell.replaceAll('|', '\\|');
  return [
    `| ${table.columns.map(escapeCell).join(' | ')} |`,
    `|${table.alignRight.map((right) => (right ? ' ---: ' : ' --- ')).join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ];
}

const resultsPreamble = `# Benchmark results

Figures written by \`bench/run.mjs --write\`. \`npm run bench\` only prints them; it does not touch this
file. To refresh it, on an otherwise idle machine:

\`\`\`
npm run build && node bench/run.mjs --write                  # every section
npm run build && node bench/run.mjs --write --only analyze   # one section; the others are kept
\`\`\`

\`--write\` replaces each section that ran between its \`bench:section\` markers and keeps everything
else, so comments belong outside the markers.
`;

/**
 * Replaces each section that ran between its markers, in place; a section new to the file goes at its
 * end, and a missing file starts from the preamble. Text outside the markers is kept as it is.
 */
function writeResultsFile(results, machine, context) {
  let text = readFileOrEmpty(resultsPath) || resultsPreamble;
  for (const { section, result } of results) {
    const block = renderMarkdownSection(section, result, machine, context);
    const start = text.indexOf(sectionStartMarker(section.name));
    const endMarker = sectionEndMarker(section.name);
    const end = start === -1 ? -1 : text.indexOf(endMarker, start);
    text =
      end === -1
        ? `${text.trimEnd()}\n\n${block}\n`
        : text.slice(0, start) + block + text.slice(end + endMarker.length);
  }
  fs.writeFileSync(resultsPath, text);
}

function sectionStartMarker(name) {
  return `<!-- bench:section ${name} -->`;
}

function sectionEndMarker(name) {
  return `<!-- /bench:section ${name} -->`;
}

function currentLoadAverage() {
  return formatDecimal(os.loadavg()[0], 2);
}

function describeMachine() {
  const commandOutput = (command, args) => {
    const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  const elixirOutput = commandOutput('elixir', ['--version']);
  const elixirLine = elixirOutput.split('\n').find((line) => line.startsWith('Elixir ')) ?? '';
  const revision = commandOutput('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = commandOutput('git', ['status', '--porcelain']).length > 0;
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpuModel: os.cpus()[0]?.model.trim() || 'unknown CPU',
    coreCount: os.availableParallelism(),
    memory: `${formatDecimal(os.totalmem() / 2 ** 30, 1)} GiB RAM`,
    operatingSystem: `${os.type()} ${os.release()} ${os.arch()}`,
    nodeVersion: `node ${commandOutput(process.execPath, ['--version']) || process.version}`,
    elixirVersion: elixirLine || 'Elixir not found',
    revision: `${revision}${dirty ? ' (with uncommitted changes)' : ''}`,
    loadAverageAtStart: currentLoadAverage(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Arguments and small helpers.

function parseArguments(argv) {
  const options = {
    runCount: 5,
    onlyNames: [],
    write: false,
    help: false,
    cliPath: path.join(repoRoot, 'dist', 'cli.js'),
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new BenchError(`${argument} needs a value.\n\n${usageText()}`);
      return next;
    };
    if (argument === '--runs') {
      options.runCount = Number(value());
      if (!Number.isInteger(options.runCount) || options.runCount < 1) {
        throw new BenchError('--runs needs a whole number of at least 1.');
      }
    } else if (argument === '--only') options.onlyNames.push(...value().split(',').filter(Boolean));
    else if (argument === '--write') options.write = true;
    else if (argument === '--cli') options.cliPath = path.resolve(value());
    else if (argument === '--help' || argument === '-h') options.help = true;
    else throw new BenchError(`unknown argument ${argument}.\n\n${usageText()}`);
  }
  const invokedThroughNpm = process.env.npm_lifecycle_event === 'bench';
  options.commandLine = invokedThroughNpm
    ? ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ')
    : ['node bench/run.mjs', ...argv].join(' ');
  return options;
}

function selectSections(onlyNames) {
  if (onlyNames.length === 0) return benchSections;
  const unknown = onlyNames.filter((name) => !benchSections.some((section) => section.name === name));
  if (unknown.length > 0) {
    throw new BenchError(`no section named ${unknown.join(', ')}; sections: ${sectionNames()}.`);
  }
  return benchSections.filter((section) => onlyNames.includes(section.name));
}

function usageText() {
  return (
    'usage: node bench/run.mjs [--runs N] [--only NAME[,NAME]] [--write] [--cli PATH]\n' +
    `sections: ${sectionNames()}\n`
  );
}

function sectionNames() {
  return benchSections.map((section) => section.name).join(', ');
}

class BenchError extends Error {}

function summarise(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function lastJsonLine(text) {
  const candidates = text.split('\n').filter((line) => line.trim().startsWith('{'));
  for (const line of candidates.reverse()) {
    try {
      return JSON.parse(line);
    } catch {
      // A progress line that happens to start with a brace; keep looking.
    }
  }
  return null;
}

/** A path relative to the repository when it lies inside it, else absolute. */
function displayPath(absolutePath) {
  const relativePath = path.relative(repoRoot, absolutePath);
  return relativePath === '' || relativePath.startsWith('..') ? absolutePath : relativePath;
}

function readFileOrEmpty(filePath) {
  try {
    return fs.readFileSync(filePath, 'utf8');
  } catch {
    return '';
  }
}

function formatStderrTail(stderr) {
  const tail = stderr.trim().split('\n').slice(-15).join('\n');
  return tail ? `; its stderr ends with:\n${tail}` : '.';
}

function logProgress(message) {
  process.stderr.write(`bench: ${message}\n`);
}

function formatMs(ms) {
  return ms < 100 ? formatDecimal(ms, 1) : formatInteger(Math.round(ms));
}

function formatRate(perSecond) {
  return perSecond < 100 ? formatDecimal(perSecond, 1) : formatInteger(Math.round(perSecond));
}

function formatRatio(ratio) {
  return `${formatDecimal(ratio, 2)}×`;
}

function formatInteger(value) {
  return value.toLocaleString('en-US');
}

function formatDecimal(value, digits) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchError)) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 1;
}
