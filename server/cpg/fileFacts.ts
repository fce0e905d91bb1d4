/**
 * The passes that turn one analysed file into the rows of every graph layer (`schema.ts`):
 * modules and clauses (ast), each clause's complexity (from its control-flow graph), its call
 * sites (callGraph) and the OTP facts (otp); and, apart, the stored form of each clause's
 * control-flow and data-flow graphs (cfg, dataflow).
 *
 * Pure: rows depend only on the file's text and path. Each clause's rows are fingerprinted
 * together, which is how the repository tells, after an edit, which clauses need rewriting.
 *
 * The per-clause graphs are the costliest rows to make and the least read: a query, a hover on a
 * variable or the graph view asks for one clause at a time. So indexing stores every other fact
 * and builds only what the complexity needs; `clauseGraphRows` makes a file's graph rows when
 * they are first asked for (`clauseGraphStore.ts`). A graph depends on nothing but its clause's
 * own text and where it starts (it holds lines and columns, never offsets), and an editor session
 * passes a `ClauseGraphCache` keyed by exactly that, so after an edit only the edited clause's
 * complexity is computed again, and the graphs its diagnostics read are built once.
 */
import { type AstNode, childrenOf } from '../syntax/ast';
import type { CallSite, DataFlowGraph } from './graph';
import { buildControlFlow } from './controlFlow';
import { buildDataFlow } from './dataFlow';
import type { FileAnalysis } from './fileAnalysis';
import { findOtpFacts } from './otp';
import type { ClauseGraphRows, FileRows, Row } from './schema';
import type { FunctionClause } from './definitions';
import { encodeControlFlow, encodeDataFlow } from './graphCodec';

/** Call-site flag bits, as stored in `calls.flags`. */
export const CALL_FLAGS = { piped: 1, capture: 2, delegate: 4, inQuote: 8 } as const;

/**
 * The graphs of the clauses of one file, by clause text and starting position. Entries not used
 * by the latest `fileRows` call are dropped by the next one, so the cache holds at most two
 * versions of the file's clauses.
 */
export class ClauseGraphCache {
  private current = new Map<string, ClauseGraphs>();
  private previous = new Map<string, ClauseGraphs>();

  /** Starts a new round: what the last round did not use is forgotten after this one. */
  beginRound(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  graphsOf(clause: FunctionClause, text: string): ClauseGraphs {
    const key = graphKey(clause, text);
    let graphs = this.current.get(key) ?? this.previous.get(key);
    graphs ??= new ClauseGraphs(clause, key);
    this.current.set(key, graphs);
    return graphs;
  }

  /**
   * A clause's data-flow graph, built once and kept: the editor's diagnostics read every clause's
   * graph after each edit.
   */
  dataFlowOf(clause: FunctionClause, text: string): DataFlowGraph {
    return this.graphsOf(clause, text).dataFlow();
  }
}

/**
 * What the rows need of one clause's graphs: the complexity and the key's hash at once (every
 * clause's row needs them), the data-flow graph on first use (the editor's diagnostics). Holds
 * the clause's tree for that.
 */
class ClauseGraphs {
  readonly complexity: number;
  /** Hash of what the graphs are a function of (`graphKey`), for the clause's fingerprint. */
  readonly hash: string;
  private dataFlowGraph: DataFlowGraph | undefined;

  constructor(
    private readonly clause: FunctionClause,
    key: string,
  ) {
    // The control-flow graph itself is not kept: it is built again on the rare occasion it is stored.
    this.complexity = buildControlFlow(clause).complexity;
    this.hash = fingerprintOf([key]);
  }

  dataFlow(): DataFlowGraph {
    this.dataFlowGraph ??= buildDataFlow(this.clause);
    return this.dataFlowGraph;
  }
}

/** Everything a clause's graphs depend on: its text and where it starts. */
function graphKey(clause: FunctionClause, text: string): string {
  return `${clause.line}:${clause.column}:${text.slice(clause.node.start, clause.node.end)}`;
}

/**
 * The rows of the `control_flow` and `data_flow` tables for every clause of a file, in the compact
 * encodings of `graphCodec.ts`; an open document's data-flow graphs come from its cache.
 */
export function clauseGraphRows(analysis: FileAnalysis, cache?: ClauseGraphCache): ClauseGraphRows {
  const rows: ClauseGraphRows = { control_flow: [], data_flow: [] };
  for (const clause of analysis.definitions.functions) {
    const dataFlow = cache ? cache.dataFlowOf(clause, analysis.text) : buildDataFlow(clause);
    rows.control_flow.push({ clause: clause.id, graph: encodeControlFlow(buildControlFlow(clause)) });
    rows.data_flow.push({ clause: clause.id, graph: encodeDataFlow(dataFlow) });
  }
  return rows;
}

/**
 * A file's rows in every table but the clause graphs' (`clauseGraphRows` makes those), which are
 * left empty.
 */
export function fileRows(analysis: FileAnalysis, cache?: ClauseGraphCache): FileRows {
  const rows = emptyFileRows();
  cache?.beginRound();
  for (const module of analysis.definitions.modules) {
    rows.modules.push({
      name: module.name,
      kind: module.kind,
      line: module.line,
      column: module.column,
      end_line: module.endLine,
      parent: module.parent,
      dynamic: module.dynamic ? 1 : 0,
    });
  }

  const otp = findOtpFacts(analysis);
  for (const use of otp.behaviours) {
    rows.otp_behaviours.push({ module: use.module, behaviour: use.behaviour, via: use.via, line: use.line, column: use.column });
  }
  const clauseRows = new Map<string, ClauseRows>();
  const rowsOf = (clause: string): ClauseRows => {
    let entry = clauseRows.get(clause);
    if (!entry) clauseRows.set(clause, (entry = { callbacks: [], sends: [], receives: [] }));
    return entry;
  };
  for (const callback of otp.callbacks) rowsOf(callback.clause).callbacks.push({ clause: callback.clause, behaviour: callback.behaviour, callback: callback.callback });
  for (const send of otp.sends) {
    rowsOf(send.caller).sends.push({
      caller: send.caller,
      path: send.path.join('.'),
      kind: send.kind,
      via: send.via,
      target_module: send.targetModule,
      target: send.target,
      message: send.message,
      line: send.line,
      column: send.column,
    });
  }
  for (const receive of otp.receives) {
    rowsOf(receive.clause).receives.push({
      clause: receive.clause,
      path: receive.path.join('.'),
      patterns: JSON.stringify(receive.patterns),
      has_after: receive.hasAfter ? 1 : 0,
      line: receive.line,
      column: receive.column,
    });
  }

  analysis.definitions.functions.forEach((clause, index) => {
    const graphs = cache ? cache.graphsOf(clause, analysis.text) : new ClauseGraphs(clause, graphKey(clause, analysis.text));
    const calls = (analysis.callSites[index] ?? []).map(callRow);
    const extra = clauseRows.get(clause.id) ?? { callbacks: [], sends: [], receives: [] };
    const functionRow = clauseFunctionRow(clause, graphs.complexity, parameterPaths(clause));
    const fingerprint = fingerprintOf([JSON.stringify([functionRow, calls, extra]), graphs.hash]);
    rows.functions.push({ ...functionRow, fingerprint });
    rows.calls.push(...calls);
    rows.otp_callbacks.push(...extra.callbacks);
    rows.message_sends.push(...extra.sends);
    rows.receive_sites.push(...extra.receives);
  });
  return rows;
}

interface ClauseRows {
  callbacks: Omit<Row<'otp_callbacks'>, 'file_id'>[];
  sends: Omit<Row<'message_sends'>, 'file_id'>[];
  receives: Omit<Row<'receive_sites'>, 'file_id'>[];
}

/** `Mod.fun/2` from `Mod.fun/2#1`. */
export function functionIdOf(clauseId: string): string {
  return clauseId.slice(0, clauseId.lastIndexOf('#'));
}

/**
 * The node paths of a clause's parameters. Each parameter sits a few levels below the `def`
 * node (inside the head call, perhaps inside `when`), so its path is found by descending into
 * the child whose span holds it rather than by walking the whole clause.
 */
function parameterPaths(clause: FunctionClause): string[] {
  return clause.params.map((param) => {
    const path: number[] = [];
    let node: AstNode = clause.node;
    for (let depth = 0; depth < 8 && node !== param; depth++) {
      const children = childrenOf(node);
      let index = children.indexOf(param);
      if (index === -1) index = children.findIndex((child) => child.start <= param.start && param.end <= child.end);
      if (index === -1) return '';
      path.push(index);
      node = children[index]!;
    }
    return node === param ? path.join('.') : '';
  });
}

function clauseFunctionRow(clause: FunctionClause, complexity: number, params: string[]): Omit<Row<'functions'>, 'file_id' | 'fingerprint'> {
  return {
    id: clause.id,
    function: functionIdOf(clause.id),
    module: clause.module,
    name: clause.name,
    arity: clause.arity,
    arities: JSON.stringify(clause.arities),
    clause: clause.clause,
    kind: clause.kind,
    line: clause.line,
    column: clause.column,
    end_line: clause.endLine,
    complexity,
    params: JSON.stringify(params),
  };
}

function callRow(site: CallSite): Omit<Row<'calls'>, 'file_id'> {
  return {
    caller: site.caller,
    caller_function: functionIdOf(site.caller),
    path: site.path.join('.'),
    kind: site.kind,
    module: site.module,
    name: site.name,
    arity: site.arity,
    candidates: site.kind === 'imported' ? JSON.stringify(site.candidates) : null,
    line: site.line,
    column: site.column,
    flags:
      (site.piped ? CALL_FLAGS.piped : 0) |
      (site.capture ? CALL_FLAGS.capture : 0) |
      (site.delegate ? CALL_FLAGS.delegate : 0) |
      (site.inQuote ? CALL_FLAGS.inQuote : 0),
  };
}

/**
 * A 53-bit hash of everything a clause stores (cyrb53 over the texts, each followed by a
 * separator). It only has to tell an edited clause from its previous version, so a fast
 * non-cryptographic hash is enough.
 */
function fingerprintOf(texts: readonly string[]): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const text of texts) {
    for (let index = 0; index <= text.length; index++) {
      const code = index < text.length ? text.charCodeAt(index) : 0xffff;
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** A file with no facts: what a file that cannot be read contributes. */
export function emptyFileRows(): FileRows {
  return {
    modules: [],
    functions: [],
    control_flow: [],
    data_flow: [],
    calls: [],
    otp_behaviours: [],
    otp_callbacks: [],
    message_sends: [],
    receive_sites: [],
  };
}
