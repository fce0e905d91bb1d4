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

/** Found graphs kept in memory per store: a data-flow search reads the same clauses query after query. */
const MAX_REMEMBERED = 2048;

export class ClauseGraphStore {
  private builtFileCount = 0;
  /** Graphs found, by table and clause; valid while the repository's generation stays. */
  private readonly remembered = new Map<string, ClauseGraphLookup & { found: true }>();
  private rememberedGeneration = -1;

  constructor(
    private readonly repository: GraphRepository,
    private readonly source: StoredFileSource | null,
  ) {}

  /**
   * The stored graph of `clauseId` in `table`, of the first file by path that defines the clause.
   * Builds and stores the graphs of that file first when they are not stored yet.
   */
  graphOf(table: ClauseGraphTableName, clauseId: string): ClauseGraphLookup {
    if (this.rememberedGeneration !== this.repository.generation || this.remembered.size >= MAX_REMEMBERED) {
      this.remembered.clear();
      this.rememberedGeneration = this.repository.generation;
    }
    const key = `${table}\0${clauseId}`;
    const remembered = this.remembered.get(key);
    if (remembered) return remembered;
    const lookup = this.lookUp(table, clauseId);
    if (lookup.found) this.remembered.set(key, lookup);
    return lookup;
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

  private lookUp(table: ClauseGraphTableName, clauseId: string): ClauseGraphLookup {
    const file = this.fileDefining(table, clauseId);
    if (!file) return { found: false, reason: 'unknown-clause' };
    if (file.graph !== null) return { found: true, file: file.path, bytes: file.graph };
    const built = this.build(file);
    if (built !== 'built') return { found: false, reason: built, file: file.path };
    const bytes = this.fileDefining(table, clauseId, file.id)?.graph;
    return bytes ? { found: true, file: file.path, bytes } : { found: false, reason: 'unknown-clause' };
  }

  /** The first file by path (or file `fileId`) that defines the clause, with the clause's stored graph or `null`. */
  private fileDefining(table: ClauseGraphTableName, clauseId: string, fileId?: number): (StoredFileRow & { graph: Uint8Array | null }) | undefined {
    // `+g.file_id` keeps SQLite on the clause index (a row or two) instead of the file index
    // (every clause of the file).
    const sql = `SELECT files.id, files.path, files.hash, g.graph FROM functions
                 JOIN files ON files.id = functions.file_id
                 LEFT JOIN ${table} g ON g.clause = functions.id AND +g.file_id = functions.file_id
                 WHERE functions.id = ?${fileId === undefined ? '' : ' AND files.id = ?'} ORDER BY files.path LIMIT 1`;
    return this.repository.rows<StoredFileRow & { graph: Uint8Array | null }>(sql, fileId === undefined ? [clauseId] : [clauseId, fileId])[0];
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
