/**
 * Worker-thread entry: loads its own parser (wasm instances are per thread) and runs the task the
 * pool sends for each file, one message per file. Bundled to `dist/analysisWorker.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ElixirParser } from '../syntax/parser';
import { runTask } from './analyzeFile';
import type { WorkerRequest, WorkerStart } from './workerProtocol';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('analysisWorker must run in a worker thread');
  const start = workerData as WorkerStart;
  const parser = await ElixirParser.load(start.wasmDirectory);
  port.on('message', (request: WorkerRequest) => {
    port.postMessage(runTask(request.task, parser, request.root, request.file, request.index));
  });
  port.postMessage({ ready: true });
}

void main();
