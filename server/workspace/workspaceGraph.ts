/**
 * The code property graph of one workspace, kept in step with the files: the composition of the
 * parser, the passes (`cpg/fileFacts.ts`) and the repository (`cpg/repository.ts`) that the
 * language server, the CLI and the benchmarks share.
 *
 * - `refresh()` brings the stored graph in line with the disk: files whose content hash is
 *   unchanged are skipped, changed and new ones are analysed on all cores, deleted ones are
 *   dropped, and a file that reappears under another path with the same content is renamed in
 *   place rather than re-analysed.
 * - `updateDocument()` applies an editor's unsaved text: only the edited clause is reparsed when
 *   the edit stays inside one (`cpg/incrementalParse.ts`), and only clauses whose facts changed
 *   are rewritten.
 * - `save()` writes the database file atomically (a temporary file renamed over the old one), so
 *   a crash while saving leaves the previous graph readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';
import type { FileDefinitions } from '../cpg/definitions';
import type { StoredFileSource } from '../cpg/clauseGraphStore';
import { type FileAnalysis, analyzeParsed, analyzeSource } from '../cpg/fileAnalysis';
import { ClauseGraphCache, fileRows } from '../cpg/fileFacts';
import { reparseClause } from '../cpg/incrementalParse';
import { QueryEngine } from '../cpg/query';
import { GraphRepository, type OpenOutcome, type WriteSummary } from '../cpg/repository';
import { ElixirParser, type ParseResult, type RetainedTree, defaultWasmDirectory } from '../syntax/parser';
import { textChange } from '../syntax/textChange';
import { analyzeFiles } from './analyzeFiles';
import { contentHash, fileRecord, graphOnDisk } from './analyzeFile';
import { listSourceFiles, readSourceFile } from './sourceFiles';

export interface WorkspaceGraphOptions {
  /** Where the graph is stored between runs; `null` keeps it in memory only. */
  readonly databasePath: string | null;
  readonly wasmDirectory?: string;
  /** Worker threads for `refresh`; default one per core. */
  readonly jobs?: number;
}

/** Progress of a `refresh`: files analysed so far out of those that needed it. */
export type RefreshProgress = (done: number, total: number) => void;

/** What the graph holds in memory for a document the editor has open. */
export interface DocumentSnapshot {
  readonly path: string;
  readonly text: string;
  readonly parse: ParseResult;
  readonly definitions: FileDefinitions;
  /** The per-clause CFG/DFG cache of the document, filled by `updateDocument`. */
  readonly graphs: ClauseGraphCache;
}

export interface RefreshSummary {
  readonly files: number;
  readonly analysed: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly renamed: number;
  /** Files that could not be read or analysed; their `files` row holds the reason. */
  readonly failed: readonly string[];
  readonly withSyntaxErrors: number;
  readonly rowsWritten: number;
  readonly wallMs: number;
}

export interface DocumentUpdate {
  /** `clause` when only the edited clause was reparsed, `file` for a full parse, `none` for no change. */
  readonly reparsed: 'clause' | 'file' | 'none';
  readonly clausesWritten: number;
  readonly clausesKept: number;
  readonly rowsWritten: number;
}

/** The default place of a workspace's stored graph. */
export function defaultDatabasePath(root: string): string {
  return path.join(root, '.elixirscope', 'cpg.sqlite');
}

export async function loadSqlJs(wasmDirectory: string = defaultWasmDirectory()): Promise<SqlJsStatic> {
  const wasmFile = path.join(wasmDirectory, 'sql-wasm.wasm');
  if (!fs.existsSync(wasmFile)) throw new Error(`ElixirScope is missing ${wasmFile}; reinstall the extension or run \`npm run build\`.`);
  const binary = fs.readFileSync(wasmFile);
  return initSqlJs({ wasmBinary: binary.buffer.slice(binary.byteOffset, binary.byteOffset + binary.byteLength) as ArrayBuffer });
}

/** Open documents whose last wasm tree is kept for tree-sitter to reuse on the next full parse. */
const MAX_RETAINED_TREES = 16;

interface OpenDocument {
  readonly text: string;
  readonly parse: ParseResult;
  readonly definitions: FileDefinitions;
  readonly graphs: ClauseGraphCache;
  /** The wasm tree of the document's last whole-file parse, for the next one; `null` when not kept. */
  syntaxTree: RetainedTree | null;
  /** The analysis of `text` while its rows are not written yet (`analyzeDocument` without `writeDocument`). */
  unwritten: FileAnalysis | null;
}

export class WorkspaceGraph {
  private readonly documents = new Map<string, OpenDocument>();
  private parser: ElixirParser | null = null;

  private constructor(
    readonly root: string,
    readonly repository: GraphRepository,
    /** Why a stored graph was not reused, when there was one. */
    readonly openOutcome: OpenOutcome,
    private readonly options: WorkspaceGraphOptions,
  ) {}

  static async open(root: string, options: WorkspaceGraphOptions): Promise<WorkspaceGraph> {
    const sql = await loadSqlJs(options.wasmDirectory);
    let stored: Uint8Array | null = null;
    if (options.databasePath !== null && fs.existsSync(options.databasePath)) stored = fs.readFileSync(options.databasePath);
    const { repository, outcome } = GraphRepository.open(sql, stored);
    return new WorkspaceGraph(path.resolve(root), repository, outcome, options);
  }

  /**
   * Brings the stored graph in line with the disk. Documents open in the editor (applied with
   * `updateDocument` and not closed) are left as the editor has them.
   */
  async refresh(onProgress?: RefreshProgress): Promise<RefreshSummary> {
    const started = performance.now();
    const onDisk = listSourceFiles(this.root);
    const stored = new Map(this.repository.files().map((file) => [file.path, file]));
    const hashes = new Map<string, string>();
    // With nothing stored, every file is new: hashing them here first would only be repeated by
    // the workers.
    if (stored.size > 0) {
      for (const file of onDisk) {
        const source = readSourceFile(path.join(this.root, file));
        // Unreadable files are analysed (to record why) whatever their stored state.
        hashes.set(file, source.ok ? contentHash(source.text) : '');
      }
    }

    // The editor owns its open documents: their unsaved text, not the disk's, is the truth.
    const missing = [...stored.keys()].filter((file) => !hashes.has(file) && !this.documents.has(file));
    const renamed = this.applyRenames(missing, onDisk, hashes, stored);
    const removed = missing.filter((file) => !renamed.has(file));
    for (const file of removed) this.repository.removeFile(file);

    // Renames moved stored rows to new paths; only then is the listing read again.
    const current = renamed.size === 0 ? stored : new Map(this.repository.files().map((file) => [file.path, file]));
    const changed = onDisk.filter((file) => {
      if (this.documents.has(file)) return false;
      const previous = current.get(file);
      return previous === undefined || previous.hash === '' || previous.hash !== hashes.get(file);
    });

    const failed: string[] = [];
    let done = 0;
    onProgress?.(0, changed.length);
    let withSyntaxErrors = 0;
    let rowsWritten = 0;
    let batch: Parameters<GraphRepository['writeFiles']>[0][number][] = [];
    const flush = () => {
      rowsWritten += this.repository.writeFiles(batch).rowsWritten;
      batch = [];
    };
    // Filling an empty graph: the indexes are built once at the end instead of row by row.
    const bulkLoad = stored.size === 0 && changed.length > 1;
    if (bulkLoad) this.repository.dropIndexes();
    try {
      await analyzeFiles(this.root, changed, {
        task: 'graph',
        jobs: this.options.jobs,
        wasmDirectory: this.options.wasmDirectory,
        onFile: (result) => {
          if (result.failed) failed.push(result.file);
          else if (!result.record.parseOk) withSyntaxErrors++;
          batch.push({ file: result.record, rows: result.rows });
          onProgress?.(++done, changed.length);
          // Writing in batches as results arrive overlaps the inserts with the workers' parsing.
          if (batch.length >= 32) flush();
        },
      });
      flush();
    } finally {
      if (bulkLoad) this.repository.restoreIndexes();
    }
    return {
      files: onDisk.length,
      analysed: changed.length,
      unchanged: onDisk.length - changed.length - renamed.size,
      removed: removed.length,
      renamed: renamed.size,
      failed,
      withSyntaxErrors,
      rowsWritten,
      wallMs: performance.now() - started,
    };
  }

  /**
   * Applies the current text of a file (unsaved editor contents, or a file changed on disk).
   * `relativePath` uses forward slashes from the workspace root. `onAnalysed` sees the parsed
   * document before its rows are written.
   */
  async updateDocument(relativePath: string, text: string, onAnalysed?: (document: DocumentSnapshot) => void): Promise<DocumentUpdate> {
    const analysed = await this.analyzeDocument(relativePath, text);
    if (analysed === null) return { reparsed: 'none', clausesWritten: 0, clausesKept: 0, rowsWritten: 0 };
    // What needs only this document (the editor's diagnostics) is served before the rows are
    // derived and written: a keystroke's feedback should not wait for the database.
    onAnalysed?.(analysed.document);
    const summary = this.writeDocument(relativePath) ?? { clausesWritten: 0, clausesKept: 0, rowsWritten: 0 };
    return { reparsed: analysed.reparsed, ...summary };
  }

  /**
   * The first half of `updateDocument`: parses and analyses the text and keeps it as the
   * document, without writing its rows; `null` when the text is unchanged. `writeDocument`
   * writes them, so a burst of edits can be written once, after the last.
   */
  async analyzeDocument(relativePath: string, text: string): Promise<{ reparsed: 'clause' | 'file'; document: DocumentSnapshot } | null> {
    const parser = await this.ensureParser();
    const previous = this.documents.get(relativePath);
    const parseStart = performance.now();
    let parse: ParseResult | null = null;
    let reparsed: 'clause' | 'file' = 'file';
    let syntaxTree = previous?.syntaxTree ?? null;
    if (previous) {
      const change = textChange(previous.text, text);
      if (change === null) return null;
      parse = reparseClause(parser, previous.text, previous.parse, previous.definitions, text, change);
      if (parse !== null) reparsed = 'clause';
      // A failed splice may have left the previous tree half-moved: it must not be used again.
      this.documents.delete(relativePath);
    }
    if (parse === null) {
      // The whole file, with tree-sitter reusing the document's previous wasm tree: the clause
      // splice does not apply while the file has syntax errors elsewhere or the edit is between
      // clauses (typing a new function), and such keystrokes come one after another.
      const parsed = parser.parseDocument(text, syntaxTree);
      parse = parsed.result;
      syntaxTree = parsed.retained;
    }
    const analysis = analyzeParsed(relativePath, text, parse, performance.now() - parseStart);
    const graphs = previous?.graphs ?? new ClauseGraphCache();
    this.documents.set(relativePath, { text, parse, definitions: analysis.definitions, graphs, syntaxTree, unwritten: analysis });
    this.limitRetainedTrees();
    return { reparsed, document: { path: relativePath, text, parse, definitions: analysis.definitions, graphs } };
  }

  /** Writes the rows of a document analysed since its last write; `null` when there is nothing to write. */
  writeDocument(relativePath: string): WriteSummary | null {
    const document = this.documents.get(relativePath);
    const analysis = document?.unwritten;
    if (!document || !analysis) return null;
    document.unwritten = null;
    const file = fileRecord(relativePath, analysis.text, contentHash(analysis.text), Buffer.byteLength(analysis.text), analysis.parse, null);
    return this.repository.writeFile(file, fileRows(analysis, document.graphs));
  }

  /** The editor text of an open document as last applied by `updateDocument`, with its parse. */
  document(relativePath: string): DocumentSnapshot | undefined {
    const document = this.documents.get(relativePath);
    return document && { path: relativePath, text: document.text, parse: document.parse, definitions: document.definitions, graphs: document.graphs };
  }

  /** Paths of the documents applied by `updateDocument` and not closed since. */
  openDocuments(): string[] {
    return [...this.documents.keys()];
  }

  /**
   * Drops what is kept in memory for a document the editor closed (its tree and graph cache);
   * its rows stay. The next update of it parses the whole file again.
   */
  closeDocument(relativePath: string): void {
    this.documents.get(relativePath)?.syntaxTree?.dispose();
    this.documents.delete(relativePath);
  }

  /**
   * Brings a few files in line with the disk without owning them (a file changed, created or
   * deleted behind the editor's back, or a document closed without saving). Open documents are
   * skipped; unchanged content is not analysed again. Cheaper than `refresh` for a handful of
   * files: nothing else is listed or hashed.
   */
  async syncFiles(relativePaths: readonly string[]): Promise<{ analysed: number; removed: number }> {
    let analysed = 0;
    let removed = 0;
    for (const file of relativePaths) {
      if (this.documents.has(file)) continue;
      const source = readSourceFile(path.join(this.root, file));
      if (!source.ok && !fs.existsSync(path.join(this.root, file))) {
        if (this.repository.removeFile(file)) removed++;
        continue;
      }
      const stored = this.repository.fileByPath(file);
      if (source.ok && stored && stored.hash !== '' && stored.hash === contentHash(source.text)) continue;
      const result = graphOnDisk(await this.ensureParser(), this.root, file);
      this.repository.writeFile(result.record, result.rows);
      analysed++;
    }
    return { analysed, removed };
  }

  /**
   * The stored files' texts as the graph has them, for building clause graphs when they are first
   * asked for (`cpg/clauseGraphStore.ts`): an open document's text, with its graph cache, else the
   * disk's; either only while its content hash is the stored one.
   */
  storedFileSource(parser: ElixirParser): StoredFileSource {
    return {
      analysisOf: (relativePath, hash) => {
        const document = this.documents.get(relativePath);
        if (document) {
          if (contentHash(document.text) !== hash) return undefined;
          return { analysis: analyzeParsed(relativePath, document.text, document.parse, 0), graphs: document.graphs };
        }
        const source = readSourceFile(path.join(this.root, relativePath));
        if (!source.ok || contentHash(source.text) !== hash) return undefined;
        return { analysis: analyzeSource(parser, relativePath, source.text) };
      },
    };
  }

  /** A query engine over the graph that builds clause graphs from the files when first asked for. */
  async queryEngine(): Promise<QueryEngine> {
    return new QueryEngine(this.repository, this.storedFileSource(await this.ensureParser()));
  }

  /** The parser the graph uses, for callers that parse files the graph does not hold open. */
  async sharedParser(): Promise<ElixirParser> {
    return this.ensureParser();
  }

  /** Forgets a file (deleted in the editor or on disk). */
  removeDocument(relativePath: string): boolean {
    this.documents.get(relativePath)?.syntaxTree?.dispose();
    this.documents.delete(relativePath);
    return this.repository.removeFile(relativePath);
  }

  renameDocument(from: string, to: string): boolean {
    this.writeDocument(from);
    const document = this.documents.get(from);
    this.documents.delete(from);
    if (document) this.documents.set(to, document);
    return this.repository.renameFile(from, to);
  }

  /** Writes the stored graph, if it has a place; returns its size in bytes. */
  save(): number {
    for (const path of this.documents.keys()) this.writeDocument(path);
    const target = this.options.databasePath;
    const bytes = this.repository.export();
    if (target === null) return bytes.length;
    const folder = path.dirname(target);
    if (!fs.existsSync(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      // The stored graph is a cache of the sources: keep it out of the project's version control.
      fs.writeFileSync(path.join(folder, '.gitignore'), '*\n');
    }
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, target);
    return bytes.length;
  }

  dispose(): void {
    for (const document of this.documents.values()) document.syntaxTree?.dispose();
    this.documents.clear();
    this.parser?.dispose();
    this.parser = null;
    this.repository.close();
  }

  /**
   * Keeps wasm trees for the documents edited last only: a tree is a few megabytes of wasm memory
   * for a large file, and wasm memory is never given back.
   */
  private limitRetainedTrees(): void {
    let retained = 0;
    for (const document of this.documents.values()) if (document.syntaxTree) retained++;
    // Map order is the order of the last analysis, oldest first.
    for (const document of this.documents.values()) {
      if (retained <= MAX_RETAINED_TREES) break;
      if (!document.syntaxTree) continue;
      document.syntaxTree.dispose();
      document.syntaxTree = null;
      retained--;
    }
  }

  private async ensureParser(): Promise<ElixirParser> {
    this.parser ??= await ElixirParser.load(this.options.wasmDirectory);
    return this.parser;
  }

  /** Stored files missing from disk whose exact content reappears at one new path are moved there. */
  private applyRenames(
    missing: readonly string[],
    onDisk: readonly string[],
    hashes: ReadonlyMap<string, string>,
    stored: ReadonlyMap<string, { hash: string }>,
  ): Set<string> {
    const renamed = new Set<string>();
    if (missing.length === 0) return renamed;
    const newByHash = new Map<string, string[]>();
    for (const file of onDisk) {
      if (stored.has(file)) continue;
      const hash = hashes.get(file)!;
      if (hash === '') continue;
      newByHash.set(hash, [...(newByHash.get(hash) ?? []), file]);
    }
    for (const file of missing) {
      const candidates = newByHash.get(stored.get(file)!.hash);
      if (candidates?.length !== 1) continue;
      const [target] = candidates;
      if (this.repository.renameFile(file, target!)) {
        renamed.add(file);
        newByHash.delete(stored.get(file)!.hash);
      }
    }
    return renamed;
  }
}
