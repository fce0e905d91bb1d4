/**
 * The custom part of the protocol between the ElixirScope client (`client/`) and its language
 * server (`server/lsp/`): method names, parameters, results and initialization options, as plain
 * JSON shapes. Both sides import these; `docs/protocol.md` describes them for other clients.
 *
 * Positions and ranges are LSP's: 0-based lines, UTF-16 characters.
 */

export const LspMethod = {
  /** Request: the innermost syntax node at a position, with its node ID. */
  nodeAt: 'elixirScope/nodeAt',
  /** Request: answer a code-property-graph query (the `elixirscope query` forms). */
  query: 'elixirScope/query',
  /** Request: the control-flow and data-flow graphs of the function clause at a position. */
  functionGraph: 'elixirScope/functionGraph',
  /** Request: drop nothing, but bring the whole graph in line with the disk now. */
  reindex: 'elixirScope/reindex',
  /** Notification, server → client: the state of the workspace index. */
  indexStatus: 'elixirScope/indexStatus',
} as const;

/**
 * Commands the server puts in code lenses, which the client implements. Arguments are plain
 * JSON; the client turns them into its editor's types.
 */
export const ClientCommand = {
  /** Arguments `[uri: string, position: Position]`: peek the references of the symbol there. */
  showReferences: 'elixirScope.showReferences',
} as const;

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export interface TextDocumentPositionParams {
  readonly textDocument: { readonly uri: string };
  readonly position: Position;
}

export interface NodeAtResult {
  /** The node ID (`common/nodeId.ts`). */
  readonly nodeId: string;
  /** The node's shape in the Elixir AST: `call`, `var`, `alias`, `literal`, … */
  readonly kind: string;
  /** A short source excerpt of the node. */
  readonly label: string;
  readonly range: Range;
  /** The function clause the node belongs to (`Mod.f/1#2`), or `null` at module level. */
  readonly clause: string | null;
}

export interface QueryParams {
  /** A query object or its JSON text, as `elixirscope query` takes it. */
  readonly query: unknown;
  /** The workspace folder (or a file in it) whose graph answers; default the first folder. */
  readonly folder?: string;
}

export interface QueryResult {
  readonly result: unknown;
  readonly elapsedMs: number;
}

/** One function-level graph (CFG or DFG), as `{"cfg": …}` and `{"dfg": …}` queries answer. */
export interface GraphView {
  readonly clause: string;
  readonly file: string;
  readonly nodes: { id: string; kind: string; label: string; line: number | null; column: number | null }[];
  readonly edges: { from: string; to: string; kind: string }[];
  readonly complexity?: number;
}

export interface FunctionGraphResult {
  /** The clause ID, `Mod.f/1#2`. */
  readonly clause: string;
  /** The document the clause is in. */
  readonly uri: string;
  readonly cfg: GraphView;
  readonly dfg: GraphView;
}

export type IndexState = 'starting' | 'indexing' | 'ready' | 'failed';

export interface IndexStatus {
  readonly state: IndexState;
  /** Files analysed so far in this indexing run, and how many it needs. */
  readonly done: number;
  readonly total: number;
  /** Files in the graph. */
  readonly files: number;
  /** A sentence for the user: why indexing failed, or what the last run did. */
  readonly message: string;
}

/** The language features the server offers; each can be turned off (`elixirScope.features.*`). */
export interface FeatureSet {
  readonly hover: boolean;
  readonly definition: boolean;
  readonly references: boolean;
  readonly documentSymbols: boolean;
  readonly workspaceSymbols: boolean;
  readonly callHierarchy: boolean;
  readonly codeLens: boolean;
  readonly diagnostics: boolean;
}

export const ALL_FEATURES: FeatureSet = {
  hover: true,
  definition: true,
  references: true,
  documentSymbols: true,
  workspaceSymbols: true,
  callHierarchy: true,
  codeLens: true,
  diagnostics: true,
};

export interface InitializationOptions {
  readonly features?: Partial<FeatureSet>;
  /**
   * Where the graph is stored between sessions; default `<workspace>/.elixirscope/cpg.sqlite`.
   * `null` keeps it in memory only.
   */
  readonly databasePath?: string | null;
}
