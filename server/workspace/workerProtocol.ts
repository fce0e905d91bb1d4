/** Messages between the analysis pool and its worker threads (in-process only, never persisted). */
import type { FileRows } from '../cpg/schema';
import type { FileRecord } from '../cpg/repository';

export interface WorkerStart {
  readonly wasmDirectory: string;
}

/**
 * What a worker computes for a file: `inventory` is the record `elixirscope analyze` writes;
 * `graph` is the file's rows in every layer of the code property graph.
 */
export type AnalysisTask = 'inventory' | 'graph';

export interface WorkerRequest {
  readonly task: AnalysisTask;
  readonly index: number;
  readonly root: string;
  readonly file: string;
}

interface ResponseBase {
  readonly index: number;
  readonly bytes: number;
  readonly lines: number;
  readonly parseMs: number;
  /** The file could not be read or analysed at all (as opposed to having syntax errors). */
  readonly failed: boolean;
}

export interface InventoryResponse extends ResponseBase {
  readonly task: 'inventory';
  /** The file's inventory record, already serialised: the pool only writes it out. */
  readonly json: string;
}

export interface GraphResponse extends ResponseBase {
  readonly task: 'graph';
  /** The file's row in the `files` table. */
  readonly record: FileRecord;
  /** Empty tables when the file failed: its old facts are dropped, its `files` row says why. */
  readonly rows: FileRows;
}

export type WorkerResponse = InventoryResponse | GraphResponse;

/** The response type of each task. */
export interface TaskResponses {
  readonly inventory: InventoryResponse;
  readonly graph: GraphResponse;
}
