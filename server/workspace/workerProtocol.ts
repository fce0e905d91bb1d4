/** Messages between the analysis pool and its worker threads (in-process only, never persisted). */

export interface WorkerStart {
  readonly wasmDirectory: string;
}

export interface WorkerRequest {
  readonly index: number;
  readonly root: string;
  readonly file: string;
}

export interface WorkerResponse {
  readonly index: number;
  /** The file's inventory record, already serialised: the pool only writes it out. */
  readonly json: string;
  readonly bytes: number;
  readonly lines: number;
  readonly parseMs: number;
  readonly failed: boolean;
}
