/**
 * What the editor features (`server/ide/*`) read: the workspace's stored graph, one long-lived
 * query engine over it, and analysed documents. The features are pure functions of this view,
 * so they can be tested on a graph built from text fixtures and called by the LSP layer alike.
 *
 * A document is the editor's text when it is open (`WorkspaceGraph.document`), else the file as
 * the injected reader returns it, parsed here. Both are cached: open documents by the identity of
 * their parse (a new `updateDocument` makes a new one), other files by content, and checked again
 * only when the repository's `generation` moves. Line indexes of other files (to turn stored
 * Elixir positions into LSP ones) are cached by the stored content hash. Every cache is bounded.
 */
import { LineIndex } from '../../common/lineIndex';
import { type FileDefinitions, findDefinitions } from '../cpg/definitions';
import { FileNodeIds } from '../cpg/nodeIds';
import { QueryEngine } from '../cpg/query';
import type { GraphRepository } from '../cpg/repository';
import type { AstNode } from '../syntax/ast';
import type { ElixirParser, ParseResult } from '../syntax/parser';
import type { WorkspaceGraph } from '../workspace/workspaceGraph';

export interface IdeDocument {
  /** Workspace-relative, forward slashes. */
  readonly path: string;
  readonly text: string;
  readonly lines: LineIndex;
  readonly parse: ParseResult;
  readonly definitions: FileDefinitions;
  readonly nodeIds: FileNodeIds;
}

export interface WorkspaceView {
  readonly repository: GraphRepository;
  /** `.callGraph` is the linked `CallGraphIndex`, which follows the repository by generation. */
  readonly queries: QueryEngine;
  /**
   * An analysed document: the editor's text when open (`WorkspaceGraph.document(path)`), else the
   * file read through the injected reader and parsed; cached by content; `undefined` when missing.
   */
  document(path: string): IdeDocument | undefined;
  /**
   * Line index of any file in the graph, to turn stored Elixir positions (1-based line,
   * code-point column) into LSP ones (0-based line, UTF-16 character).
   */
  lines(path: string): LineIndex | undefined;
}

/** Parsed documents kept besides the open ones: a parse of a big file is a few megabytes. */
const MAX_CACHED_DOCUMENTS = 24;
/**
 * Line indexes hold their file's text; references and workspace symbols touch many files, so the
 * bound is on characters (the whole Elixir source is 6.6 million) as well as on files.
 */
const MAX_CACHED_LINE_FILES = 4096;
const MAX_CACHED_LINE_CHARACTERS = 48_000_000;

export function createWorkspaceView(
  graph: WorkspaceGraph,
  parser: ElixirParser,
  readText: (path: string) => string | undefined,
): WorkspaceView {
  return new GraphWorkspaceView(graph, parser, readText);
}

interface CachedDocument {
  readonly document: IdeDocument;
  /** The parse an open document was built from: a new `updateDocument` replaces it. */
  readonly openParse: ParseResult | null;
  /** Repository generation at which a closed file's text was last compared with the disk. */
  checkedGeneration: number;
}

interface CachedLines {
  readonly hash: string;
  readonly lines: LineIndex;
  readonly size: number;
}

class GraphWorkspaceView implements WorkspaceView {
  readonly repository: GraphRepository;
  readonly queries: QueryEngine;
  private readonly documents = new Map<string, CachedDocument>();
  private readonly lineIndexes = new Map<string, CachedLines>();
  private lineCharacters = 0;
  private storedHashes: { generation: number; byPath: Map<string, string> } | null = null;

  constructor(
    private readonly graph: WorkspaceGraph,
    private readonly parser: ElixirParser,
    private readonly readText: (path: string) => string | undefined,
  ) {
    this.repository = graph.repository;
    this.queries = new QueryEngine(graph.repository, graph.storedFileSource(parser));
  }

  document(path: string): IdeDocument | undefined {
    const cached = this.documents.get(path);
    const open = this.graph.document(path);
    if (open) {
      if (cached && cached.openParse === open.parse) return this.touch(path, cached).document;
      const document = analysedDocument(path, open.text, open.parse, open.definitions);
      return this.remember(path, { document, openParse: open.parse, checkedGeneration: this.repository.generation }).document;
    }
    const generation = this.repository.generation;
    // Nothing was written since the last look: the graph still describes the text we hold.
    if (cached && cached.openParse === null && cached.checkedGeneration === generation) return this.touch(path, cached).document;
    const text = this.safeRead(path);
    if (text === undefined) {
      this.documents.delete(path);
      return undefined;
    }
    if (cached && cached.openParse === null && cached.document.text === text) {
      cached.checkedGeneration = generation;
      return this.touch(path, cached).document;
    }
    const parse = this.parser.parse(text);
    const definitions = findDefinitions(parse.forms, sourceTextOf(text));
    const document = analysedDocument(path, text, parse, definitions);
    return this.remember(path, { document, openParse: null, checkedGeneration: generation }).document;
  }

  lines(path: string): LineIndex | undefined {
    const open = this.graph.document(path);
    if (open) return open.parse.lines;
    const cachedDocument = this.documents.get(path);
    if (cachedDocument && cachedDocument.openParse === null && cachedDocument.checkedGeneration === this.repository.generation) {
      return cachedDocument.document.lines;
    }
    const hash = this.storedHash(path);
    const cached = this.lineIndexes.get(path);
    if (cached && hash !== undefined && cached.hash === hash) {
      this.lineIndexes.delete(path);
      this.lineIndexes.set(path, cached);
      return cached.lines;
    }
    const text = this.safeRead(path);
    if (text === undefined) return undefined;
    const lines = new LineIndex(text);
    // Only files the graph holds are kept: their stored hash says when the index goes stale.
    if (hash !== undefined) this.rememberLines(path, { hash, lines, size: text.length });
    return lines;
  }

  private storedHash(path: string): string | undefined {
    const generation = this.repository.generation;
    if (this.storedHashes?.generation !== generation) {
      const byPath = new Map<string, string>();
      for (const file of this.repository.files()) byPath.set(file.path, file.hash);
      this.storedHashes = { generation, byPath };
    }
    return this.storedHashes.byPath.get(path);
  }

  private safeRead(path: string): string | undefined {
    try {
      return this.readText(path);
    } catch {
      // A reader that throws (a file deleted under us, a permission error) is a missing file.
      return undefined;
    }
  }

  private touch(path: string, entry: CachedDocument): CachedDocument {
    this.documents.delete(path);
    this.documents.set(path, entry);
    return entry;
  }

  private remember(path: string, entry: CachedDocument): CachedDocument {
    this.documents.delete(path);
    this.documents.set(path, entry);
    while (this.documents.size > MAX_CACHED_DOCUMENTS) {
      const oldest = this.documents.keys().next().value as string;
      this.documents.delete(oldest);
    }
    return entry;
  }

  private rememberLines(path: string, entry: CachedLines): void {
    const previous = this.lineIndexes.get(path);
    if (previous) {
      this.lineCharacters -= previous.size;
      this.lineIndexes.delete(path);
    }
    this.lineIndexes.set(path, entry);
    this.lineCharacters += entry.size;
    while (this.lineIndexes.size > MAX_CACHED_LINE_FILES || (this.lineCharacters > MAX_CACHED_LINE_CHARACTERS && this.lineIndexes.size > 1)) {
      const [oldest, evicted] = this.lineIndexes.entries().next().value as [string, CachedLines];
      this.lineIndexes.delete(oldest);
      this.lineCharacters -= evicted.size;
    }
  }
}

function analysedDocument(path: string, text: string, parse: ParseResult, definitions: FileDefinitions): IdeDocument {
  return { path, text, lines: parse.lines, parse, definitions, nodeIds: new FileNodeIds(parse.forms, definitions, parse.lines, path) };
}

function sourceTextOf(text: string): (node: AstNode) => string {
  return (node) => text.slice(node.start, node.end);
}
