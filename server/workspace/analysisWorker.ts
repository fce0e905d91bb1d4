/**
 * Worker-thread entry: loads its own parser (wasm instances are per thread) and analyses the files
 * the pool sends, one message per file. Bundled to `dist/analysisWorker.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ElixirParser } from '../syntax/parser';
import { analyzeFileOnDisk, fileResponse } from './analyzeFile';
import type { WorkerRequest, WorkerResponse, WorkerStart } from './workerProtocol';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('analysisWorker must run in a worker thread');
  const start = workerData as WorkerStart;
  const parser = await ElixirParser.load(start.wasmDirectory);
  port.on('message', (request: WorkerRequest) => {
    const response: WorkerResponse = fileResponse(request.index, analyzeFileOnDisk(parser, request.root, request.file));
    port.postMessage(response);
  });
  port.postMessage({ ready: true });
}

void main();
