/**
 * One file from disk to its inventory record: read, decode, analyse. Shared by the worker threads
 * and the single-threaded path so both give byte-identical output.
 */
import path from 'node:path';
import type { InventoryRecord } from '../../common/inventory';
import { analyzeSource, inventoryRecord } from '../cpg/fileAnalysis';
import type { ElixirParser } from '../syntax/parser';
import { readSourceFile } from './sourceFiles';
import type { WorkerResponse } from './workerProtocol';

export interface AnalyzedFile {
  readonly record: InventoryRecord;
  readonly bytes: number;
  readonly lines: number;
  readonly parseMs: number;
  /** The file could not be read or analysed at all (as opposed to having syntax errors). */
  readonly failed: boolean;
}

export function analyzeFileOnDisk(parser: ElixirParser, root: string, relativePath: string): AnalyzedFile {
  const source = readSourceFile(path.join(root, relativePath));
  if (!source.ok) return failedFile(relativePath, source.message);
  try {
    const analysis = analyzeSource(parser, relativePath, source.text);
    const record = inventoryRecord(analysis, source.text);
    const withWarning: InventoryRecord =
      source.warning && record.parse_ok
        ? { ...record, parse_ok: false, error: { line: null, column: null, message: source.warning } }
        : record;
    // Lines as editors count them: a final newline ends the last line rather than starting one.
    const lines = source.text === '' ? 0 : analysis.parse.lines.lineCount - (source.text.endsWith('\n') ? 1 : 0);
    return { record: withWarning, bytes: source.bytes, lines, parseMs: analysis.parseMs, failed: false };
  } catch (error) {
    // The analysis is written never to throw on bad code; if it does, that is our bug, and one
    // file's worth of output is lost rather than the whole run.
    return failedFile(relativePath, `internal error while analysing: ${(error as Error).stack ?? String(error)}`);
  }
}

export function failedFile(relativePath: string, message: string): AnalyzedFile {
  return {
    record: {
      file: relativePath,
      parse_ok: false,
      error: { line: null, column: null, message },
      modules: [],
      functions: [],
      calls: [],
      vars: [],
    },
    bytes: 0,
    lines: 0,
    parseMs: 0,
    failed: true,
  };
}

/** A file's result as the pool hands it on: the record serialised once, where it was made. */
export function fileResponse(index: number, result: AnalyzedFile): WorkerResponse {
  const { bytes, lines, parseMs, failed } = result;
  return { index, json: JSON.stringify(result.record), bytes, lines, parseMs, failed };
}
