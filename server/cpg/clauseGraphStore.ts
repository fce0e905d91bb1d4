/**
 * The per-clause control-flow and data-flow graphs, built when first asked for and then kept in
 * the `control_flow` and `data_flow` tables.
 *
 * Indexing stores every other fact of a file but not these graphs: they are the costliest rows to
 * make (about a fifth of a cold build of Elixir's source, and half of the stored database) and
 * the least read, one clause at a time, by the `cfg`/`dfg`/`dataflow` queries and the graph view.
 * The first question about a clause builds the graphs of every clause of its file, from the
 * file's text as the graph has it (the editor's for an open document, else the disk's), and
 * stores them. A graph depends only on its clause's text and position, so stored graphs stay
 * right for as long as the clause does; an edit that rewrites a clause's rows drops its graphs
 * with them (`GraphRepository.writeFile`).
 *
 * This layer does no I/O: the text comes from a `StoredFileSource` the caller provides, which
 * must give the text the graph was built from (the same content hash) or nothing.
 */
import type { FileAnalysis } from './fileAnalysis';
import { type ClauseGraphCache, clauseGraphRows } from './fileFacts';
import type { GraphRepository } from './repository';
import type { ClauseGraphTableName } from './schema';

/** Analyses stored files again, from the text whose content hash the graph stored. */
export interface StoredFileSource {
  /**
   * The analysis of the file at `path` (workspace-relative) if its text still has content hash
   * `hash`, with the graph cache of an open document when there is one; `undefined` when the text
   * changed since the graph stored it or cannot be read.
   */
  analysisOf(path: string, hash: string): { analysis: FileAnalysis; graphs?: ClauseGraphCache } | undefined;
}

/** A clause's stored graph, or why there is none. */
export type ClauseGraphLookup =
  | { readonly found: true; readonly file: string; readonly bytes: Uint8Array }
  | { readonly found: false; readonly reason: 'unknown-clause' | 'file-changed' | 'no-source'; readonly file?: string };

export class ClauseGraphStore {
  private builtFileCount = 0;

  constructor(
    private readonly repository: GraphRepository,
    private readonly source: StoredFileSource | null,
  ) {}

  /**
   * The stored graph of `clauseId` in `table`: of the first file by path that defines the clause,
   * or of file `fileId` when given. Builds and stores the graphs of that file first when they are
   * not stored yet.
   */
  graphOf(table: ClauseGraphTableName, clauseId: string, fileId?: number): ClauseGraphLookup {
    const file = this.fileDefining(clauseId, fileId);
    if (!file) return { found: false, reason: 'unknown-clause' };
    const stored = this.storedGraph(table, clauseId, file.id);
    if (stored) return { found: true, file: file.path, bytes: stored };
    const built = this.build(file);
    if (built !== 'built') return { found: false, reason: built, file: file.path };
    const bytes = this.storedGraph(table, clauseId, file.id);
    return bytes ? { found: true, file: file.path, bytes } : { found: false, reason: 'unknown-clause' };
  }

  /** How many files' graphs this store has built and stored. */
  get builtFiles(): number {
    return this.builtFileCount;
  }

  /** Builds and stores the graphs of every file that has clauses without them; returns how many files. */
  buildAll(): number {
    const files = this.repository.rows<StoredFileRow>(
      `SELECT DISTINCT files.id, files.path, files.hash FROM functions JOIN files ON files.id = functions.file_id
       WHERE NOT EXISTS (SELECT 1 FROM control_flow g WHERE g.file_id = functions.file_id AND g.clause = functions.id)
       ORDER BY files.path`,
    );
    let built = 0;
    for (const file of files) if (this.build(file) === 'built') built++;
    return built;
  }

  private fileDefining(clauseId: string, fileId: number | undefined): StoredFileRow | undefined {
    const sql = `SELECT files.id, files.path, files.hash FROM functions JOIN files ON files.id = functions.file_id
                 WHERE functions.id = ?${fileId === undefined ? '' : ' AND files.id = ?'} ORDER BY files.path LIMIT 1`;
    return this.repository.rows<StoredFileRow>(sql, fileId === undefined ? [clauseId] : [clauseId, fileId])[0];
  }

  private storedGraph(table: ClauseGraphTableName, clauseId: string, fileId: number): Uint8Array | undefined {
    return this.repository.rows<{ graph: Uint8Array }>(`SELECT graph FROM ${table} WHERE clause = ? AND file_id = ? LIMIT 1`, [clauseId, fileId])[0]?.graph;
  }

  private build(file: StoredFileRow): 'built' | 'file-changed' | 'no-source' {
    if (this.source === null) return 'no-source';
    const analysed = this.source.analysisOf(file.path, file.hash);
    if (!analysed) return 'file-changed';
    this.repository.writeClauseGraphs(file.id, clauseGraphRows(analysed.analysis, analysed.graphs));
    this.builtFileCount++;
    return 'built';
  }
}

interface StoredFileRow {
  readonly id: number;
  readonly path: string;
  readonly hash: string;
}
