/**
 * Analyses many files on all cores: a pool of worker threads, each with its own parser, fed one
 * file at a time (largest first, so no core idles at the end), with results handed back in the
 * order of the input list whatever order they finish in.
 *
 * A worker that dies (an out-of-memory wasm heap, say) costs only the file it was on: that file
 * gets an error record, and a fresh worker takes over the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ElixirParser, defaultWasmDirectory } from '../syntax/parser';
import { failedResponse, runTask } from './analyzeFile';
import type { AnalysisTask, TaskResponses, WorkerResponse, WorkerStart } from './workerProtocol';

/**
 * The analysis allocates many short-lived objects (trees, graphs, rows), so the workers' young
 * generation is set explicitly. Measured on the corpus with two workers (three interleaved runs
 * each): 16 MB built the graph as fast as 96 MB (4.95-6.1 s against 4.9-5.7 s, within the noise)
 * with a peak RSS of 348-387 MB instead of 414-468 MB; the language server must stay under 400.
 */
const YOUNG_GENERATION_MB = 16;

export interface AnalysisOptions<K extends AnalysisTask> {
  readonly task: K;
  /** Worker threads to use; 1 analyses on the calling thread. Default: one per core. */
  readonly jobs?: number;
  readonly wasmDirectory?: string;
  /** Called once per file, in input order, as soon as it and every file before it are done. */
  readonly onFile: (result: FileResult<K>) => void;
}

/** A task's response for one file, with the file's relative path. */
export type FileResult<K extends AnalysisTask> = TaskResponses[K] & { readonly file: string };

export function defaultJobCount(): number {
  return Math.max(1, os.availableParallelism());
}

export async function analyzeFiles<K extends AnalysisTask>(root: string, files: readonly string[], options: AnalysisOptions<K>): Promise<void> {
  const jobs = Math.max(1, Math.min(options.jobs ?? defaultJobCount(), files.length));
  const wasmDirectory = options.wasmDirectory ?? defaultWasmDirectory();
  const emitter = new OrderedEmitter<K>(files, options.onFile);
  if (jobs === 1) {
    const parser = await ElixirParser.load(wasmDirectory);
    try {
      files.forEach((file, index) => emitter.done(runTask(options.task, parser, root, file, index)));
    } finally {
      parser.dispose();
    }
    return;
  }
  await runPool(root, files, jobs, options.task, { wasmDirectory }, emitter);
}

function runPool<K extends AnalysisTask>(
  root: string,
  files: readonly string[],
  jobs: number,
  task: K,
  start: WorkerStart,
  emitter: OrderedEmitter<K>,
): Promise<void> {
  const queue = largestFirst(root, files);
  let remaining = files.length;
  return new Promise((resolve, reject) => {
    const workers = new Set<Worker>();
    const finishIfDone = () => {
      if (remaining > 0) return;
      for (const worker of workers) void worker.terminate();
      resolve();
    };
    const spawn = () => {
      const worker = new Worker(workerScript(), { workerData: start, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      workers.add(worker);
      let current: number | undefined;
      let started = false;
      const feed = () => {
        current = queue.shift();
        if (current === undefined) return;
        worker.postMessage({ task, index: current, root, file: files[current]! });
      };
      worker.on('message', (message: WorkerResponse | { ready: true }) => {
        if ('ready' in message) {
          started = true;
          feed();
          return;
        }
        try {
          emitter.done(message as TaskResponses[K]);
        } catch (error) {
          // The consumer failed (a full disk, a bug): stop the pool rather than crash the process.
          for (const running of workers) void running.terminate();
          reject(error);
          return;
        }
        remaining--;
        feed();
        finishIfDone();
      });
      worker.on('error', (error) => {
        workers.delete(worker);
        if (current !== undefined) {
          emitter.done(failedResponse(task, files[current]!, current, `the analysis worker crashed on this file: ${error.message}`));
          remaining--;
          current = undefined;
        }
        // A worker that could not even start will not do better a second time.
        if (started && queue.length > 0) spawn();
        if (workers.size === 0 && remaining > 0) {
          reject(new Error(`the analysis workers stopped with ${remaining} files left: ${error.message}`));
          return;
        }
        finishIfDone();
      });
    };
    for (let count = 0; count < jobs; count++) spawn();
  });
}

/** Hands results out in input order. */
class OrderedEmitter<K extends AnalysisTask> {
  private readonly pending = new Map<number, FileResult<K>>();
  private next = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly onFile: (result: FileResult<K>) => void,
  ) {}

  done(result: TaskResponses[K]): void {
    this.pending.set(result.index, { ...result, file: this.files[result.index]! });
    for (let ready = this.pending.get(this.next); ready; ready = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.next++;
      this.onFile(ready);
    }
  }
}

function largestFirst(root: string, files: readonly string[]): number[] {
  const sizes = files.map((file) => {
    try {
      return fs.statSync(path.join(root, file)).size;
    } catch {
      return 0;
    }
  });
  return files.map((_, index) => index).sort((a, b) => sizes[b]! - sizes[a]!);
}

function workerScript(): string {
  // Bundled: dist/analysisWorker.js beside dist/cli.js. Compiled by tsc: beside this file.
  return path.join(__dirname, 'analysisWorker.js');
}
