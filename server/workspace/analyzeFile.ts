/**
 * One file from disk to what a task asks of it: its inventory record, or its rows in the code
 * property graph. Shared by the worker threads and the single-threaded path so both give
 * byte-identical output.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { InventoryRecord } from '../../common/inventory';
import { analyzeSource, inventoryRecord } from '../cpg/fileAnalysis';
import { emptyFileRows, fileRows } from '../cpg/fileFacts';
import type { FileRecord } from '../cpg/repository';
import type { ElixirParser, ParseResult } from '../syntax/parser';
import { readSourceFile } from './sourceFiles';
import type { AnalysisTask, GraphResponse, InventoryResponse, TaskResponses } from './workerProtocol';

export function runTask<K extends AnalysisTask>(task: K, parser: ElixirParser, root: string, relativePath: string, index: number): TaskResponses[K] {
  const response = task === 'inventory' ? inventoryOnDisk(parser, root, relativePath, index) : graphOnDisk(parser, root, relativePath, index);
  return response as TaskResponses[K];
}

/** The response for a file whose analysis never finished (its worker died). */
export function failedResponse<K extends AnalysisTask>(task: K, relativePath: string, index: number, message: string): TaskResponses[K] {
  const response = task === 'inventory' ? failedInventory(relativePath, index, message) : failedGraph(relativePath, index, message, '');
  return response as TaskResponses[K];
}

export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * A file's `files` row from its text and parse: its first problem is a decoding `warning` when
 * there is one, else its first syntax error.
 */
export function fileRecord(relativePath: string, text: string, hash: string, bytes: number, parse: ParseResult, warning: string | null): FileRecord {
  const firstError = parse.errors[0];
  const error = warning ?? (firstError ? `${firstError.line}:${firstError.column}: ${firstError.message}` : null);
  return { path: relativePath, hash, bytes, lines: lineCount(text, parse.lines.lineCount), parseOk: error === null, error };
}

function inventoryOnDisk(parser: ElixirParser, root: string, relativePath: string, index: number): InventoryResponse {
  const source = readSourceFile(path.join(root, relativePath));
  if (!source.ok) return failedInventory(relativePath, index, source.message);
  try {
    const analysis = analyzeSource(parser, relativePath, source.text);
    const record = inventoryRecord(analysis, source.text);
    const withWarning: InventoryRecord =
      source.warning && record.parse_ok
        ? { ...record, parse_ok: false, error: { line: null, column: null, message: source.warning } }
        : record;
    const lines = lineCount(source.text, analysis.parse.lines.lineCount);
    return { task: 'inventory', index, json: JSON.stringify(withWarning), bytes: source.bytes, lines, parseMs: analysis.parseMs, failed: false };
  } catch (error) {
    // The analysis is written never to throw on bad code; if it does, that is our bug, and one
    // file's worth of output is lost rather than the whole run.
    return failedInventory(relativePath, index, internalError(error));
  }
}

/** One file's graph rows, read from disk and analysed in this thread; never throws. */
export function graphOnDisk(parser: ElixirParser, root: string, relativePath: string, index = 0): GraphResponse {
  const source = readSourceFile(path.join(root, relativePath));
  if (!source.ok) return failedGraph(relativePath, index, source.message, '');
  const hash = contentHash(source.text);
  try {
    const analysis = analyzeSource(parser, relativePath, source.text);
    const file = fileRecord(relativePath, source.text, hash, source.bytes, analysis.parse, source.warning);
    return { task: 'graph', index, record: file, rows: fileRows(analysis), bytes: source.bytes, lines: file.lines, parseMs: analysis.parseMs, failed: false };
  } catch (error) {
    return failedGraph(relativePath, index, internalError(error), hash);
  }
}

function failedInventory(relativePath: string, index: number, message: string): InventoryResponse {
  const record: InventoryRecord = {
    file: relativePath,
    parse_ok: false,
    error: { line: null, column: null, message },
    modules: [],
    functions: [],
    calls: [],
    vars: [],
  };
  return { task: 'inventory', index, json: JSON.stringify(record), bytes: 0, lines: 0, parseMs: 0, failed: true };
}

function failedGraph(relativePath: string, index: number, message: string, hash: string): GraphResponse {
  const file: FileRecord = { path: relativePath, hash, bytes: 0, lines: 0, parseOk: false, error: message };
  return { task: 'graph', index, record: file, rows: emptyFileRows(), bytes: 0, lines: 0, parseMs: 0, failed: true };
}

/** Lines as editors count them: a final newline ends the last line rather than starting one. */
function lineCount(text: string, indexLineCount: number): number {
  return text === '' ? 0 : indexLineCount - (text.endsWith('\n') ? 1 : 0);
}

function internalError(error: unknown): string {
  return `internal error while analysing: ${(error as Error).stack ?? String(error)}`;
}
