/**
 * The query engine: one JSON query form answered the same way for the CLI
 * (`elixirscope query DIR 'QUERY'`), the language server and the AI tools. The forms and their
 * results are documented in `docs/protocol.md`; in short:
 *
 * - `{"callers": "Mod.fun/2"}` — the call sites that call it; with `"transitive": true`, every
 *   function that reaches it, each with one shortest call path.
 * - `{"callees": "Mod.fun/2"}` — the functions it calls; with `"transitive": true`, all reachable;
 *   with `"paths": true`, each with one shortest call path.
 * - `{"functions": {…predicates}}` — functions by module/name pattern, kind, arity, complexity,
 *   OTP callback, file, or whether they call a given function.
 * - `{"cfg": "Mod.fun/2#1"}`, `{"dfg": "Mod.fun/2#1"}` — one clause's graph as nodes and edges.
 * - `{"dataflow": {"from": NODE_ID, "to": NODE_ID}}` — the shortest data-flow paths between two
 *   nodes, within a clause and across calls.
 * - `{"otp": "Mod.*"}` — behaviours, callbacks, message sends and receives of matching modules.
 * - `{"messages": "Mod.*"}` — the messages sent to or from matching modules, each with the
 *   callback that handles it (`GenServer.call` → `handle_call/3`, `send` → `handle_info/2`).
 *
 * A query that cannot be answered as asked throws a `QueryError` whose message says what to write
 * instead; it never returns a partial answer silently.
 */
import type { GraphView } from '../../common/lspProtocol';
import { nodeIdOf, parseNodeId } from '../../common/nodeId';
import { CallGraphIndex, callNodeId, isInQuote } from './callGraphIndex';
import { ClauseGraphStore, type StoredFileSource } from './clauseGraphStore';
import { findDataFlowPaths } from './dataFlowPaths';
import { functionIdOf } from './fileFacts';
import type { CfgNode } from './graph';
import { decodeControlFlow, decodeDataFlow } from './graphCodec';
import type { GraphRepository } from './repository';
import type { ClauseGraphTableName } from './schema';

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

export interface CallerSite {
  readonly caller: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly node: string;
}

export interface ReachedFunction {
  readonly function: string;
  /** Function IDs from the query's function to this one (callees) or from this one to it (callers). */
  readonly path: string[];
}

export interface FunctionMatch {
  readonly function: string;
  readonly complexity: number;
  readonly clauses: number;
  readonly kind: string;
  readonly file: string;
  readonly line: number;
}

export interface MessageEdge {
  /** The sending clause. */
  readonly from: string;
  readonly kind: string;
  readonly via: string;
  /** The destination module, when it is static. */
  readonly to: string | null;
  readonly target: string;
  readonly message: string;
  /** The function of the destination module that handles the message, when it has one. */
  readonly handler: string | null;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Which callback of a GenServer-like receiver handles each kind of message. */
const HANDLING_CALLBACK: Readonly<Record<string, string>> = {
  call: 'handle_call/3',
  cast: 'handle_cast/2',
  send: 'handle_info/2',
  send_after: 'handle_info/2',
  info: 'handle_info/2',
};

export type { GraphView };

const QUERY_KEYS = ['callers', 'callees', 'functions', 'cfg', 'dfg', 'dataflow', 'otp', 'messages'] as const;
const FUNCTION_ID = /^(.+)\.([^./][^/]*|\/)\/(\d+|\?)$/s;
const CLAUSE_ID = /^(.+\/(?:\d+|\?))#(\d+)$/s;

export class QueryEngine {
  readonly callGraph: CallGraphIndex;
  /** The clauses' control-flow and data-flow graphs, built from `source` when first asked for. */
  readonly clauseGraphs: ClauseGraphStore;

  /**
   * `source` gives the text of stored files again, to build their clauses' graphs on demand
   * (`clauseGraphStore.ts`); without one only the graphs already stored can be read.
   */
  constructor(
    private readonly repository: GraphRepository,
    source: StoredFileSource | null = null,
  ) {
    this.callGraph = new CallGraphIndex(repository);
    this.clauseGraphs = new ClauseGraphStore(repository, source);
  }

  /** Answers a query given as JSON text, as a parsed object, or already checked by `parseQuery`. */
  run(query: unknown): unknown {
    return this.answer(isParsedQuery(query) ? query : parseQuery(query));
  }

  answer(query: Query): unknown {
    switch (query.kind) {
      case 'callers': {
        const id = this.callGraph.canonical(query.function);
        return query.transitive ? this.transitiveCallers(id) : this.callers(id);
      }
      case 'callees': {
        const reached = this.callees(this.callGraph.canonical(query.function), query.transitive);
        return query.paths ? reached : reached.map((entry) => entry.function);
      }
      case 'functions':
        return this.functions(query.predicates);
      case 'cfg':
        return this.controlFlow(query.clause);
      case 'dfg':
        return this.dataFlow(query.clause);
      case 'dataflow':
        return findDataFlowPaths(this.repository, this.clauseGraphs, this.callGraph, query.from, query.to, query.limit);
      case 'otp':
        return this.otp(query.pattern);
      case 'messages':
        return this.messages(query.pattern);
    }
  }

  /** Every call site whose target is `functionId`, in file and position order. */
  callers(functionId: string): CallerSite[] {
    return this.callGraph
      .callsTo(functionId)
      .map((call) => ({
        caller: call.caller,
        file: this.callGraph.filePath(call.fileId),
        line: call.line,
        column: call.column,
        node: callNodeId(call),
      }))
      .sort((a, b) => compareText(a.file, b.file) || a.line - b.line || a.column - b.column || compareText(a.caller, b.caller));
  }

  transitiveCallers(functionId: string): ReachedFunction[] {
    return this.reach(functionId, (id) => this.callGraph.callsTo(id).map((call) => call.callerFunction)).map((entry) => ({
      function: entry.function,
      path: [...entry.path].reverse(),
    }));
  }

  callees(functionId: string, transitive: boolean): ReachedFunction[] {
    const direct = (id: string) =>
      this.callGraph
        .callsFrom(id)
        .filter((call) => !isInQuote(call))
        .map((call) => call.target)
        .filter((target): target is string => target !== null);
    if (!transitive) {
      return [...new Set(direct(functionId))].sort(compareText).map((target) => ({ function: target, path: [functionId, target] }));
    }
    return this.reach(functionId, direct);
  }

  functions(predicates: FunctionPredicates): FunctionMatch[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (predicates.module !== undefined) {
      where.push('f.module GLOB ?');
      params.push(predicates.module);
    }
    if (predicates.name !== undefined) {
      where.push('f.name GLOB ?');
      params.push(predicates.name);
    }
    if (predicates.file !== undefined) {
      where.push('files.path GLOB ?');
      params.push(predicates.file);
    }
    if (predicates.kinds !== undefined) {
      where.push(`f.kind IN (${predicates.kinds.map(() => '?').join(', ')})`);
      params.push(...predicates.kinds);
    }
    if (predicates.arity !== undefined) {
      where.push('f.arity = ?');
      params.push(predicates.arity);
    }
    if (predicates.otpCallback === true) where.push('EXISTS (SELECT 1 FROM otp_callbacks c WHERE c.clause = f.id AND c.file_id = f.file_id)');
    else if (predicates.otpCallback === false) where.push('NOT EXISTS (SELECT 1 FROM otp_callbacks c WHERE c.clause = f.id AND c.file_id = f.file_id)');
    else if (typeof predicates.otpCallback === 'string') {
      where.push('EXISTS (SELECT 1 FROM otp_callbacks c WHERE c.clause = f.id AND c.file_id = f.file_id AND c.behaviour = ?)');
      params.push(predicates.otpCallback);
    }
    const rows = this.repository.rows<{ function: string; complexity: number; clauses: number; kind: string; file: string; line: number }>(
      `SELECT f.function AS function, SUM(f.complexity) AS complexity, COUNT(*) AS clauses, MIN(f.kind) AS kind, MIN(files.path) AS file, MIN(f.line) AS line
       FROM functions f JOIN files ON files.id = f.file_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       GROUP BY f.function ORDER BY f.function`,
      params,
    );
    let matches: FunctionMatch[] = rows;
    const { complexityGt, complexityGte } = predicates;
    if (complexityGt !== undefined) matches = matches.filter((match) => match.complexity > complexityGt);
    if (complexityGte !== undefined) matches = matches.filter((match) => match.complexity >= complexityGte);
    if (predicates.calls !== undefined) {
      const callers = new Set(this.callGraph.callsTo(this.callGraph.canonical(predicates.calls)).map((call) => call.callerFunction));
      matches = matches.filter((match) => callers.has(match.function));
    }
    return matches;
  }

  controlFlow(clauseId: string): GraphView {
    const { file, bytes } = this.storedGraph('control_flow', clauseId);
    const graph = decodeControlFlow(bytes);
    const ids = graph.nodes.map((node) => {
      const base = nodeIdOf(clauseId, node.path);
      return isBoundaryNode(node) ? `${base}$${node.kind}` : base;
    });
    return {
      clause: clauseId,
      file,
      complexity: graph.complexity,
      nodes: graph.nodes.map((node, index) => ({ id: ids[index]!, kind: node.kind, label: node.label, line: node.line, column: node.column })),
      edges: graph.edges.map((edge) => ({ from: ids[edge.from]!, to: ids[edge.to]!, kind: edge.kind })),
    };
  }

  dataFlow(clauseId: string): GraphView {
    const { file, bytes } = this.storedGraph('data_flow', clauseId);
    const graph = decodeDataFlow(bytes);
    const labels = this.nodeLabels(clauseId);
    const nodes = new Map<string, GraphView['nodes'][number]>();
    for (const definition of graph.definitions) {
      const id = nodeIdOf(clauseId, definition.path);
      nodes.set(id, { id, kind: 'definition', label: `${definition.name} (${definition.via})`, line: definition.line, column: definition.column });
    }
    for (const use of graph.uses) {
      const id = nodeIdOf(clauseId, use.path);
      const label = use.pinned ? `^${use.name}` : use.captured ? `${use.name} (captured)` : use.name;
      nodes.set(id, { id, kind: 'use', label, line: use.line, column: use.column });
    }
    const edges = graph.edges.map((edge) => {
      const from = nodeIdOf(clauseId, edge.from);
      const to = nodeIdOf(clauseId, edge.to);
      for (const id of [from, to]) {
        if (!nodes.has(id)) {
          const known = labels.get(id);
          nodes.set(id, { id, kind: 'expression', label: known?.label ?? '', line: known?.line ?? null, column: known?.column ?? null });
        }
      }
      return { from, to, kind: edge.kind };
    });
    return { clause: clauseId, file, nodes: [...nodes.values()], edges };
  }

  otp(glob: string): unknown[] {
    const behaviours = this.repository.rows<{ module: string; behaviour: string; via: string; file: string; line: number }>(
      `SELECT b.module, b.behaviour, b.via, files.path AS file, b.line FROM otp_behaviours b JOIN files ON files.id = b.file_id WHERE b.module GLOB ? ORDER BY b.module, b.line`,
      [glob],
    );
    const callbacks = this.repository.rows<{ clause: string; behaviour: string; callback: string; module: string }>(
      `SELECT c.clause, c.behaviour, c.callback, f.module FROM otp_callbacks c JOIN functions f ON f.id = c.clause AND f.file_id = c.file_id WHERE f.module GLOB ? ORDER BY c.clause`,
      [glob],
    );
    const sends = this.repository.rows<{ caller: string; kind: string; via: string; target_module: string | null; target: string; message: string; line: number; column: number; module: string }>(
      `SELECT s.caller, s.kind, s.via, s.target_module, s.target, s.message, s.line, s."column", f.module FROM message_sends s JOIN functions f ON f.id = s.caller AND f.file_id = s.file_id WHERE f.module GLOB ? ORDER BY s.caller, s.line`,
      [glob],
    );
    const receives = this.repository.rows<{ clause: string; patterns: string; has_after: number; line: number; module: string }>(
      `SELECT r.clause, r.patterns, r.has_after, r.line, f.module FROM receive_sites r JOIN functions f ON f.id = r.clause AND f.file_id = r.file_id WHERE f.module GLOB ? ORDER BY r.clause, r.line`,
      [glob],
    );
    const modules = new Map<string, { module: string; behaviours: unknown[]; callbacks: unknown[]; sends: unknown[]; receives: unknown[] }>();
    const entry = (module: string) => {
      let found = modules.get(module);
      if (!found) modules.set(module, (found = { module, behaviours: [], callbacks: [], sends: [], receives: [] }));
      return found;
    };
    for (const row of behaviours) entry(row.module).behaviours.push({ behaviour: row.behaviour, via: row.via, file: row.file, line: row.line });
    for (const row of callbacks) entry(row.module).callbacks.push({ clause: row.clause, behaviour: row.behaviour, callback: row.callback });
    for (const row of sends) {
      entry(row.module).sends.push({ caller: row.caller, kind: row.kind, via: row.via, target_module: row.target_module, target: row.target, message: row.message, line: row.line, column: row.column });
    }
    for (const row of receives) entry(row.module).receives.push({ clause: row.clause, patterns: JSON.parse(row.patterns) as string[], has_after: row.has_after === 1, line: row.line });
    return [...modules.values()].sort((a, b) => compareText(a.module, b.module));
  }

  /**
   * Messages sent by or to the modules matching `glob`, linked to the callback of the receiving
   * module that handles them, when the destination is static and the module implements it.
   */
  messages(glob: string): MessageEdge[] {
    const rows = this.repository.rows<{
      caller: string; kind: string; via: string; target_module: string | null; target: string; message: string;
      line: number; column: number; file: string; module: string;
    }>(
      `SELECT s.caller, s.kind, s.via, s.target_module, s.target, s.message, s.line, s."column", files.path AS file, f.module
       FROM message_sends s JOIN files ON files.id = s.file_id JOIN functions f ON f.id = s.caller AND f.file_id = s.file_id
       WHERE f.module GLOB ? OR s.target_module GLOB ?
       ORDER BY files.path, s.line, s."column"`,
      [glob, glob],
    );
    const handlers = new Map<string, string | null>();
    const handlerOf = (module: string, callback: string): string | null => {
      const key = `${module}.${callback}`;
      if (!handlers.has(key)) {
        const found = this.repository.rows<{ function: string }>(
          `SELECT f.function FROM otp_callbacks c JOIN functions f ON f.id = c.clause AND f.file_id = c.file_id
           WHERE f.module = ? AND c.callback = ? LIMIT 1`,
          [module, callback],
        )[0];
        handlers.set(key, found?.function ?? null);
      }
      return handlers.get(key)!;
    };
    return rows.map((row) => {
      const callback = HANDLING_CALLBACK[row.kind];
      return {
        from: row.caller,
        kind: row.kind,
        via: row.via,
        to: row.target_module,
        target: row.target,
        message: row.message,
        handler: row.target_module !== null && callback !== undefined ? handlerOf(row.target_module, callback) : null,
        file: row.file,
        line: row.line,
        column: row.column,
      };
    });
  }

  /** Breadth-first closure from `start` along `next`, with one shortest path to each function reached. */
  private reach(start: string, next: (functionId: string) => string[]): ReachedFunction[] {
    const parents = new Map<string, string | null>([[start, null]]);
    const queue = [start];
    const reached: string[] = [];
    for (let head = 0; head < queue.length; head++) {
      const current = queue[head]!;
      for (const following of next(current)) {
        if (parents.has(following)) continue;
        parents.set(following, current);
        reached.push(following);
        queue.push(following);
      }
    }
    return reached.sort(compareText).map((id) => {
      const path: string[] = [];
      for (let step: string | null = id; step !== null; step = parents.get(step) ?? null) path.push(step);
      return { function: id, path: path.reverse() };
    });
  }

  private storedGraph(table: ClauseGraphTableName, clauseId: string): { file: string; bytes: Uint8Array } {
    const lookup = this.clauseGraphs.graphOf(table, clauseId);
    if (lookup.found) return lookup;
    switch (lookup.reason) {
      case 'unknown-clause':
        throw new QueryError(this.unknownClauseMessage(clauseId));
      case 'file-changed':
        throw new QueryError(`${lookup.file} changed since the graph was built; the graph of ${clauseId} is built from the text it was indexed from, so index the workspace again first`);
      case 'no-source':
        throw new QueryError(`the graph of ${clauseId} is not stored yet and this query engine cannot read ${lookup.file} to build it`);
    }
  }

  private nodeLabels(clauseId: string): Map<string, { label: string; line: number; column: number }> {
    const labels = new Map<string, { label: string; line: number; column: number }>();
    const lookup = this.clauseGraphs.graphOf('control_flow', clauseId);
    if (!lookup.found) return labels;
    for (const node of decodeControlFlow(lookup.bytes).nodes) {
      if (isBoundaryNode(node)) continue;
      labels.set(nodeIdOf(clauseId, node.path), { label: node.label, line: node.line, column: node.column });
    }
    return labels;
  }

  private unknownClauseMessage(clauseId: string): string {
    const functionId = functionIdOf(clauseId);
    const clauses = this.repository.rows<{ id: string }>('SELECT DISTINCT id FROM functions WHERE function = ? ORDER BY clause', [functionId]);
    if (clauses.length > 0) return `no clause ${clauseId}; ${functionId} has ${clauses.map((row) => row.id).join(', ')}`;
    return `no function clause ${clauseId} in the workspace`;
  }
}

/** A query whose shape has been checked: what `parseQuery` returns and `answer` takes. */
export type Query =
  | { readonly kind: 'callers'; readonly function: string; readonly transitive: boolean }
  | { readonly kind: 'callees'; readonly function: string; readonly transitive: boolean; readonly paths: boolean }
  | { readonly kind: 'functions'; readonly predicates: FunctionPredicates }
  | { readonly kind: 'cfg' | 'dfg'; readonly clause: string }
  | { readonly kind: 'dataflow'; readonly from: string; readonly to: string; readonly limit: number }
  | { readonly kind: 'otp' | 'messages'; readonly pattern: string };

export interface FunctionPredicates {
  /** GLOB patterns (SQLite's, with `?` and `[` made literal). */
  readonly module?: string;
  readonly name?: string;
  readonly file?: string;
  readonly kinds?: readonly string[];
  readonly arity?: number;
  readonly complexityGt?: number;
  readonly complexityGte?: number;
  readonly otpCallback?: boolean | string;
  readonly calls?: string;
}

const PARSED = Symbol('parsed query');

/**
 * Checks a query (JSON text or a parsed value) without looking at any graph, so a malformed one
 * is refused before any work is done. Throws a `QueryError` saying what to write instead.
 */
export function parseQuery(query: unknown): Query {
  const parsed = typeof query === 'string' ? parseQueryText(query) : query;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new QueryError(`a query is a JSON object with one of the keys ${QUERY_KEYS.join(', ')}`);
  }
  const object = parsed as Record<string, unknown>;
  const keys = QUERY_KEYS.filter((key) => key in object);
  if (keys.length !== 1) {
    throw new QueryError(
      keys.length === 0
        ? `unknown query ${JSON.stringify(Object.keys(object))}: use one of ${QUERY_KEYS.join(', ')}`
        : `a query asks one thing; this one has ${keys.join(' and ')}`,
    );
  }
  const transitive = booleanOption(object, 'transitive');
  const checked = ((): Query => {
    switch (keys[0]!) {
      case 'callers':
        return { kind: 'callers', function: functionIdArgument(object.callers, 'callers'), transitive };
      case 'callees':
        return { kind: 'callees', function: functionIdArgument(object.callees, 'callees'), transitive, paths: booleanOption(object, 'paths') };
      case 'functions':
        return { kind: 'functions', predicates: functionPredicates(object.functions) };
      case 'cfg':
        return { kind: 'cfg', clause: clauseIdArgument(object.cfg, 'cfg') };
      case 'dfg':
        return { kind: 'dfg', clause: clauseIdArgument(object.dfg, 'dfg') };
      case 'dataflow':
        return dataflowArguments(object.dataflow);
      case 'otp':
        return { kind: 'otp', pattern: globArgument(object.otp, 'otp') };
      case 'messages':
        return { kind: 'messages', pattern: globArgument(object.messages, 'messages') };
    }
  })();
  Object.defineProperty(checked, PARSED, { value: true });
  return checked;
}

function isParsedQuery(query: unknown): query is Query {
  return typeof query === 'object' && query !== null && PARSED in query;
}

function functionPredicates(value: unknown): FunctionPredicates {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new QueryError('"functions" takes an object of predicates, e.g. {"module": "MyApp.*", "complexity_gt": 5}');
  }
  const known = ['module', 'name', 'kind', 'arity', 'complexity_gt', 'complexity_gte', 'otp_callback', 'calls', 'file'];
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new QueryError(`unknown predicate "${key}" in "functions": use ${known.join(', ')}`);
  }
  let kinds: string[] | undefined;
  if (given.kind !== undefined) {
    const list = Array.isArray(given.kind) ? given.kind : [given.kind];
    if (list.length === 0 || !list.every((kind) => typeof kind === 'string')) throw new QueryError('"kind" is a definition kind such as "def" or a list of them');
    kinds = list as string[];
  }
  const otpCallback = given.otp_callback;
  if (otpCallback !== undefined && typeof otpCallback !== 'boolean' && typeof otpCallback !== 'string') {
    throw new QueryError('"otp_callback" is true, false, or a behaviour name such as "GenServer"');
  }
  return {
    ...(given.module !== undefined ? { module: globArgument(given.module, 'module') } : {}),
    ...(given.name !== undefined ? { name: globArgument(given.name, 'name') } : {}),
    ...(given.file !== undefined ? { file: globArgument(given.file, 'file') } : {}),
    ...(kinds ? { kinds } : {}),
    ...(given.arity !== undefined ? { arity: integerArgument(given.arity, 'arity') } : {}),
    ...(given.complexity_gt !== undefined ? { complexityGt: integerArgument(given.complexity_gt, 'complexity_gt') } : {}),
    ...(given.complexity_gte !== undefined ? { complexityGte: integerArgument(given.complexity_gte, 'complexity_gte') } : {}),
    ...(otpCallback !== undefined ? { otpCallback } : {}),
    ...(given.calls !== undefined ? { calls: functionIdArgument(given.calls, 'calls') } : {}),
  };
}

function dataflowArguments(value: unknown): Query {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new QueryError('"dataflow" takes {"from": NODE_ID, "to": NODE_ID}');
  }
  const { from, to, limit } = value as Record<string, unknown>;
  for (const [name, id] of [['from', from], ['to', to]] as const) {
    if (typeof id !== 'string' || parseNodeId(id)?.moduleLevel !== false) {
      throw new QueryError(`"dataflow.${name}" must be the node ID of a node inside a function, such as "MyApp.f/1#1:0.0"`);
    }
  }
  const maximum = limit === undefined ? 10 : integerArgument(limit, 'limit');
  if (maximum < 1) throw new QueryError('"limit" is at least 1');
  return { kind: 'dataflow', from: from as string, to: to as string, limit: maximum };
}

function parseQueryText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new QueryError(`the query is not valid JSON (${(error as Error).message}); for example: {"callers": "MyApp.Repo.get/2"}`);
  }
}

function functionIdArgument(value: unknown, key: string): string {
  if (typeof value !== 'string' || !FUNCTION_ID.test(value)) {
    throw new QueryError(`"${key}" takes a function ID such as "MyApp.Accounts.get_user/1" (module, name, arity)`);
  }
  return value;
}

function clauseIdArgument(value: unknown, key: string): string {
  if (typeof value !== 'string' || !CLAUSE_ID.test(value)) {
    throw new QueryError(`"${key}" takes a clause ID such as "MyApp.Accounts.get_user/1#1" (function ID, # and the clause number)`);
  }
  return value;
}

function globArgument(value: unknown, key: string): string {
  if (typeof value !== 'string' || value === '') throw new QueryError(`"${key}" takes a name pattern such as "MyApp.*" (* matches anything, dots included)`);
  // SQLite GLOB also treats ? and [ specially; in module names they are literal.
  return value.replace(/[[?]/g, (character) => `[${character}]`);
}

function integerArgument(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new QueryError(`"${key}" takes a whole number`);
  return value;
}

function booleanOption(object: Record<string, unknown>, key: string): boolean {
  const value = object[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new QueryError(`"${key}" is true or false`);
  return value;
}

/** The entry, exit and abnormal-exit nodes of a control-flow graph, which share their path with the node they bound. */
function isBoundaryNode(node: CfgNode): boolean {
  return node.kind === 'entry' || node.kind === 'exit' || node.kind === 'abnormal';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
