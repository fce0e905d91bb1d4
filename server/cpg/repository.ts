/**
 * The code property graph in SQLite (sql.js): the tables of `schema.ts`, written one file at a
 * time and read by the query engine.
 *
 * Writes are per file and, inside a file, per clause: `writeFile` compares each clause's
 * fingerprint with the stored one and rewrites only the clauses that changed (and the file's
 * few file-level rows), so a keystroke inside one function costs a handful of row writes
 * whatever the size of the file or the workspace. Deleting a file deletes exactly its rows;
 * renaming one moves its `files` row, since nothing else stores the path.
 *
 * The database lives in wasm memory; `close()` frees it (sql.js heaps never shrink, so a
 * repository that is dropped without closing leaks for the life of the process).
 */
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { type ClauseGraphRows, FILE_TABLES, type FileRows, SCHEMA_VERSION, TABLES, createSchemaSql, type TableDefinition } from './schema';

const CLAUSE_GRAPH_TABLES = TABLES.filter((table) => table.name === 'control_flow' || table.name === 'data_flow');
const NOTHING_KEPT: ReadonlySet<string> = new Set();

export interface FileRecord {
  readonly path: string;
  readonly hash: string;
  readonly bytes: number;
  readonly lines: number;
  readonly parseOk: boolean;
  readonly error: string | null;
}

export interface StoredFile {
  readonly id: number;
  readonly path: string;
  readonly hash: string;
}

/** What `writeFile` did, for logs and benchmarks. */
export interface WriteSummary {
  readonly clausesWritten: number;
  readonly clausesKept: number;
  readonly rowsWritten: number;
}

/** Why a stored database was not used, when it was not. */
export type OpenOutcome = { readonly reused: true } | { readonly reused: false; readonly reason: string | null };

export class GraphRepository {
  /** Bumped on every write, so caches built from the tables know when they are stale. */
  private generationCounter = 0;
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly database: Database) {
    // The database lives in sql.js's memory file system and reaches the disk only through
    // `export()`, so a rollback journal in a file and syncs protect nothing: keep the journal in
    // memory (transactions still roll back) and skip the syncs. Measured on the corpus's rows:
    // the inserts of a cold build take 10-15 % less.
    database.run('PRAGMA journal_mode = MEMORY');
    database.run('PRAGMA synchronous = OFF');
  }

  /**
   * Opens a stored graph, or starts an empty one when there is none or it cannot be used (not a
   * database, another schema version); `outcome` says which and why.
   */
  static open(sql: SqlJsStatic, stored: Uint8Array | null): { repository: GraphRepository; outcome: OpenOutcome } {
    if (stored !== null) {
      let database: Database | undefined;
      try {
        database = new sql.Database(stored);
        const version = readSchemaVersion(database);
        if (version === SCHEMA_VERSION) return { repository: new GraphRepository(database), outcome: { reused: true } };
        database.close();
        return { repository: GraphRepository.empty(sql), outcome: { reused: false, reason: `it was written by schema version ${version ?? 'unknown'}, this is version ${SCHEMA_VERSION}` } };
      } catch (error) {
        database?.close();
        return { repository: GraphRepository.empty(sql), outcome: { reused: false, reason: `it is not a readable graph database (${(error as Error).message})` } };
      }
    }
    return { repository: GraphRepository.empty(sql), outcome: { reused: false, reason: null } };
  }

  static empty(sql: SqlJsStatic): GraphRepository {
    const database = new sql.Database();
    database.run('BEGIN');
    for (const statement of createSchemaSql()) database.run(statement);
    database.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['schema_version', String(SCHEMA_VERSION)]);
    database.run('COMMIT');
    return new GraphRepository(database);
  }

  get generation(): number {
    return this.generationCounter;
  }

  files(): StoredFile[] {
    return this.rows<StoredFile>('SELECT id, path, hash FROM files ORDER BY path');
  }

  fileByPath(path: string): StoredFile | undefined {
    return this.rows<StoredFile>('SELECT id, path, hash FROM files WHERE path = ?', [path])[0];
  }

  /**
   * Stores a file's facts, replacing what was stored for its path. Clauses whose fingerprint is
   * unchanged keep their rows; file-level rows are always rewritten.
   */
  writeFile(file: FileRecord, rows: FileRows): WriteSummary {
    return this.transaction(() => this.writeFileRows(file, rows));
  }

  /** Several files in one transaction: what a cold build or a batch of changes on disk does. */
  writeFiles(files: readonly { file: FileRecord; rows: FileRows }[]): WriteSummary {
    return this.transaction(() => {
      let clausesWritten = 0;
      let clausesKept = 0;
      let rowsWritten = 0;
      for (const { file, rows } of files) {
        const summary = this.writeFileRows(file, rows);
        clausesWritten += summary.clausesWritten;
        clausesKept += summary.clausesKept;
        rowsWritten += summary.rowsWritten;
      }
      return { clausesWritten, clausesKept, rowsWritten };
    });
  }

  /**
   * Stores the clause graphs of a stored file (`clauseGraphRows`), replacing any it has. They
   * are a cache of what the file's text determines, so no other fact changes and the
   * generation stays.
   */
  writeClauseGraphs(fileId: number, rows: ClauseGraphRows): void {
    this.transaction(() => {
      for (const table of CLAUSE_GRAPH_TABLES) {
        this.run(`DELETE FROM "${table.name}" WHERE file_id = ?`, [fileId]);
        this.insertRows(table, fileId, rows[table.name as keyof ClauseGraphRows] as Record<string, SqlValue>[], NOTHING_KEPT);
      }
    });
  }

  /**
   * Drops the secondary indexes before loading many files into an empty graph: SQLite builds an
   * index faster once over all rows than row by row. `restoreIndexes` must follow, also when
   * the load fails (the queries need them).
   */
  dropIndexes(): void {
    this.freeStatements();
    for (const table of TABLES) for (const index of table.indexes) this.database.run(`DROP INDEX IF EXISTS "${index.name}"`);
  }

  restoreIndexes(): void {
    this.freeStatements();
    for (const table of TABLES) {
      for (const index of table.indexes) this.database.run(index.createSql.replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS'));
    }
  }

  removeFile(path: string): boolean {
    const stored = this.fileByPath(path);
    if (!stored) return false;
    this.transaction(() => {
      for (const table of FILE_TABLES) this.run(`DELETE FROM "${table.name}" WHERE file_id = ?`, [stored.id]);
      this.run('DELETE FROM files WHERE id = ?', [stored.id]);
    });
    // Readers that follow the repository by generation (the call-graph index) must see the loss.
    this.generationCounter++;
    return true;
  }

  /** Moves a file's facts to a new path: valid because no stored fact other than `files.path` names the path. */
  renameFile(from: string, to: string): boolean {
    const stored = this.fileByPath(from);
    if (!stored || this.fileByPath(to)) return false;
    this.transaction(() => this.run('UPDATE files SET path = ? WHERE id = ?', [to, stored.id]));
    this.generationCounter++;
    return true;
  }

  /** Runs a read-only query and returns its rows as objects. */
  rows<T>(sql: string, params: SqlValue[] = []): T[] {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      const result: T[] = [];
      while (statement.step()) result.push(statement.getAsObject() as T);
      return result;
    } finally {
      statement.reset();
    }
  }

  /** Runs a read-only query and returns its rows as arrays of column values: cheaper for many rows. */
  values(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      const result: SqlValue[][] = [];
      while (statement.step()) result.push(statement.get());
      return result;
    } finally {
      statement.reset();
    }
  }

  /** The database file's bytes, for saving. */
  export(): Uint8Array {
    // sql.js's export closes every prepared statement; drop our handles to them first.
    this.freeStatements();
    return this.database.export();
  }

  close(): void {
    this.freeStatements();
    this.database.close();
  }

  private writeFileRows(file: FileRecord, rows: FileRows): WriteSummary {
    const stored = this.fileByPath(file.path);
    let fileId: number;
    const storedFingerprints = new Map<string, string>();
    if (stored) {
      fileId = stored.id;
      this.run('UPDATE files SET hash = ?, bytes = ?, lines = ?, parse_ok = ?, error = ? WHERE id = ?', [
        file.hash, file.bytes, file.lines, file.parseOk ? 1 : 0, file.error, fileId,
      ]);
      for (const row of this.rows<{ id: string; fingerprint: string }>('SELECT id, fingerprint FROM functions WHERE file_id = ?', [fileId])) {
        // A clause ID seen twice in one file (a module defined twice) cannot be diffed by ID.
        storedFingerprints.set(row.id, storedFingerprints.has(row.id) ? '' : row.fingerprint);
      }
    } else {
      this.run('INSERT INTO files (path, hash, bytes, lines, parse_ok, error) VALUES (?, ?, ?, ?, ?, ?)', [
        file.path, file.hash, file.bytes, file.lines, file.parseOk ? 1 : 0, file.error,
      ]);
      fileId = this.rows<{ id: number }>('SELECT last_insert_rowid() AS id')[0]!.id;
    }

    const newFingerprints = new Map<string, string>();
    for (const row of rows.functions) newFingerprints.set(row.id, newFingerprints.has(row.id) ? '' : row.fingerprint);
    const kept = new Set<string>();
    for (const [clause, fingerprint] of newFingerprints) {
      if (fingerprint !== '' && storedFingerprints.get(clause) === fingerprint) kept.add(clause);
    }
    const stale = [...storedFingerprints.keys()].filter((clause) => !kept.has(clause));

    let rowsWritten = 0;
    for (const table of FILE_TABLES) {
      if (!stored) {
        // A new file has nothing to delete.
      } else if (table.clauseColumn === null) {
        this.run(`DELETE FROM "${table.name}" WHERE file_id = ?`, [fileId]);
      } else {
        for (const clause of stale) this.run(`DELETE FROM "${table.name}" WHERE file_id = ? AND "${table.clauseColumn}" = ?`, [fileId, clause]);
      }
      rowsWritten += this.insertRows(table, fileId, rows[table.name as keyof FileRows] as Record<string, SqlValue>[], kept);
    }
    this.generationCounter++;
    return { clausesWritten: newFingerprints.size - kept.size, clausesKept: kept.size, rowsWritten };
  }

  private insertRows(table: TableDefinition, fileId: number, rows: readonly Record<string, SqlValue>[], kept: ReadonlySet<string>): number {
    if (rows.length === 0) return 0;
    const columns = table.columns;
    const statement = this.statement(
      `INSERT INTO "${table.name}" (${columns.map((column) => `"${column}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    let written = 0;
    const values: SqlValue[] = new Array(columns.length);
    for (const row of rows) {
      if (table.clauseColumn !== null && kept.has(row[table.clauseColumn] as string)) continue;
      for (let index = 0; index < columns.length; index++) {
        const column = columns[index]!;
        values[index] = column === 'file_id' ? fileId : (row[column] ?? null);
      }
      statement.run(values);
      written++;
    }
    return written;
  }

  private transaction<T>(body: () => T): T {
    this.database.run('BEGIN');
    try {
      const result = body();
      this.database.run('COMMIT');
      return result;
    } catch (error) {
      this.database.run('ROLLBACK');
      throw error;
    }
  }

  private run(sql: string, params: SqlValue[]): void {
    const statement = this.statement(sql);
    try {
      statement.run(params);
    } finally {
      statement.reset();
    }
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private freeStatements(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

function readSchemaVersion(database: Database): number | null {
  const result = database.exec("SELECT value FROM meta WHERE key = 'schema_version'");
  const value = result[0]?.values[0]?.[0];
  return typeof value === 'string' ? Number(value) : null;
}

