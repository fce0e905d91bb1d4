/**
 * Data-flow paths between two nodes, inside a clause and across calls: the search behind the
 * `dataflow` query.
 *
 * Inside a clause the steps are the data-flow graph's edges (`dataFlow.ts`). Across calls the
 * search adds two kinds of step, context-insensitively (a path may enter a function through one
 * call site and leave through another, as in Joern's default data-flow engine):
 * - an argument of a call whose target the call graph resolves to a workspace function flows to
 *   the variables bound by the matching parameter of every clause of that function;
 * - a clause's return value (its path `[]`, where `return` edges end) flows to every call site
 *   that calls its function.
 *
 * Results are all the shortest paths (up to a limit), found breadth-first, so the answer is
 * deterministic and cannot run away on a large workspace.
 */
import { nodeIdOf, parseNodeId } from '../../common/nodeId';
import { type CallGraphIndex, callNodeId } from './callGraphIndex';
import { CALL_FLAGS, functionIdOf } from './fileFacts';
import { decodeDataFlow, splitPath } from './graphCodec';
import type { ClauseGraphStore } from './clauseGraphStore';
import type { GraphRepository } from './repository';

/** How many nodes one search may visit before it gives up (and answers with what it found). */
const MAX_VISITED = 200_000;

interface ClauseFlow {
  /** Successor paths of each node path (dotted), within the clause. */
  readonly successors: Map<string, string[]>;
  /** Definitions in the clause, by dotted path. */
  readonly definitionPaths: readonly string[];
}

export function findDataFlowPaths(
  repository: GraphRepository,
  clauseGraphs: ClauseGraphStore,
  callGraph: CallGraphIndex,
  from: string,
  to: string,
  limit: number,
): string[][] {
  const search = new DataFlowSearch(repository, clauseGraphs, callGraph);
  return search.paths(from, to, limit);
}

class DataFlowSearch {
  private readonly flows = new Map<string, ClauseFlow | null>();
  private readonly callSites = new Map<string, Map<string, { target: string | null; flags: number; kind: string }>>();
  private readonly clausesByFunction = new Map<string, { id: string; params: string[] }[]>();

  constructor(
    private readonly repository: GraphRepository,
    private readonly clauseGraphs: ClauseGraphStore,
    private readonly callGraph: CallGraphIndex,
  ) {}

  paths(from: string, to: string, limit: number): string[][] {
    if (from === to) return [[from]];
    const parents = new Map<string, string[]>([[from, []]]);
    const depth = new Map<string, number>([[from, 0]]);
    let frontier = [from];
    let found = false;
    while (frontier.length > 0 && !found && parents.size < MAX_VISITED) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const successor of this.successors(node)) {
          const known = depth.get(successor);
          if (known === undefined) {
            depth.set(successor, depth.get(node)! + 1);
            parents.set(successor, [node]);
            next.push(successor);
            if (successor === to) found = true;
          } else if (known === depth.get(node)! + 1) {
            parents.get(successor)!.push(node);
          }
        }
      }
      frontier = next;
    }
    if (!found) return [];
    const paths: string[][] = [];
    const walk = (node: string, suffix: string[]) => {
      if (paths.length >= limit) return;
      if (node === from) {
        paths.push([from, ...suffix]);
        return;
      }
      for (const parent of [...parents.get(node)!].sort()) walk(parent, [node, ...suffix]);
    };
    walk(to, []);
    return paths;
  }

  private successors(nodeId: string): string[] {
    const parsed = parseNodeId(nodeId);
    if (!parsed || parsed.moduleLevel) return [];
    const clause = parsed.owner;
    const path = parsed.path.join('.');
    const flow = this.flow(clause);
    if (!flow) return [];
    const result = (flow.successors.get(path) ?? []).map((successor) => nodeIdOf(clause, splitPath(successor)));

    // Into a callee: this node is an argument of a resolved call.
    for (const argument of this.argumentsOf(clause, parsed.path)) {
      for (const callee of this.calleeClauses(argument.target)) {
        const parameter = callee.params[argument.index];
        if (parameter === undefined) continue;
        const calleeFlow = this.flow(callee.id);
        if (!calleeFlow) continue;
        for (const definition of calleeFlow.definitionPaths) {
          if (definition === parameter || definition.startsWith(`${parameter}.`)) result.push(nodeIdOf(callee.id, splitPath(definition)));
        }
      }
    }

    // Out of a callee: its return value reaches every call of its function.
    if (path === '') {
      for (const call of this.callGraph.callsTo(functionIdOf(clause))) result.push(callNodeId(call));
    }
    return result;
  }

  /**
   * The calls this node is an argument of, with the argument's position: `f(x)`, `M.f(x)` (the
   * receiver is not an argument), and the left side of `x |> f()`, which is argument 0.
   */
  private argumentsOf(clause: string, path: readonly number[]): { target: string; index: number }[] {
    if (path.length === 0) return [];
    const sites = this.sitesOf(clause);
    const found: { target: string; index: number }[] = [];
    const parent = path.slice(0, -1).join('.');
    const position = path[path.length - 1]!;
    const direct = sites.get(parent);
    if (direct?.target) {
      const piped = (direct.flags & CALL_FLAGS.piped) !== 0 ? 1 : 0;
      const index = (direct.kind === 'remote' ? position - 1 : position) + piped;
      if (index >= 0) found.push({ target: direct.target, index });
    }
    if (position === 0) {
      const pipedCall = sites.get(parent === '' ? '1' : `${parent}.1`);
      if (pipedCall?.target && (pipedCall.flags & CALL_FLAGS.piped) !== 0) found.push({ target: pipedCall.target, index: 0 });
    }
    return found;
  }

  private sitesOf(clause: string): Map<string, { target: string | null; flags: number; kind: string }> {
    let sites = this.callSites.get(clause);
    if (!sites) {
      sites = new Map();
      for (const call of this.callGraph.callsFrom(functionIdOf(clause))) {
        if (call.caller === clause) sites.set(call.path, { target: call.target, flags: call.flags, kind: call.kind });
      }
      this.callSites.set(clause, sites);
    }
    return sites;
  }

  private calleeClauses(functionId: string): { id: string; params: string[] }[] {
    let clauses = this.clausesByFunction.get(functionId);
    if (!clauses) {
      clauses = this.repository
        .rows<{ id: string; params: string }>('SELECT id, params FROM functions WHERE function = ? ORDER BY clause', [functionId])
        .map((row) => ({ id: row.id, params: JSON.parse(row.params) as string[] }));
      this.clausesByFunction.set(functionId, clauses);
    }
    return clauses;
  }

  private flow(clause: string): ClauseFlow | null {
    if (this.flows.has(clause)) return this.flows.get(clause)!;
    const lookup = this.clauseGraphs.graphOf('data_flow', clause);
    let flow: ClauseFlow | null = null;
    if (lookup.found) {
      const graph = decodeDataFlow(lookup.bytes);
      const successors = new Map<string, string[]>();
      for (const edge of graph.edges) {
        const key = edge.from.join('.');
        const list = successors.get(key);
        if (list) list.push(edge.to.join('.'));
        else successors.set(key, [edge.to.join('.')]);
      }
      flow = { successors, definitionPaths: graph.definitions.map((definition) => definition.path.join('.')) };
    }
    this.flows.set(clause, flow);
    return flow;
  }
}
