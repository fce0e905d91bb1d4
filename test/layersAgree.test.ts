/**
 * The data-flow layer's reaching definitions agree with the control-flow layer, on every clause
 * of Elixir's own source: for each `reach` edge (definition → use), control can actually get from
 * the step that binds the definition to the step that reads it.
 *
 * The two layers are built independently (the DFG from Elixir's lexical scoping rules, the CFG
 * from evaluation order), so this is a real cross-check: a scope rule that lets a binding escape
 * a branch, or a CFG that drops an edge, shows up as a reach edge with no control path.
 *
 * Endpoints map to their nearest enclosing CFG step: a definition to the pattern step that binds
 * it (in `x when guard <- source` the `when` is a step too, but the binding is the `<-` match), a
 * read to whatever step evaluates it (a read inside a guard belongs to the guard's). A read inside an `fn` of a variable
 * bound outside it is checked at the `fn`'s own step in the enclosing region: the closure is
 * created there.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildControlFlow, regionOfNodes } from '../server/cpg/controlFlow';
import { buildDataFlow } from '../server/cpg/dataFlow';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import type { ControlFlowGraph } from '../server/cpg/graph';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot } from './support/corpus';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

test('every reaching definition has a control-flow path to its use', { timeout: 300_000 }, (t) => {
  const root = elixirCorpusRoot();
  let reachEdges = 0;
  let checked = 0;
  let reversedWithPath = 0;
  const failures: string[] = [];
  for (const file of corpusFiles(root)) {
    const analysis = analyzeSource(parser, file, fs.readFileSync(path.join(root, file), 'utf8'));
    for (const clause of analysis.definitions.functions) {
      const controlFlow = buildControlFlow(clause);
      const dataFlow = buildDataFlow(clause);
      const checker = new ControlPaths(controlFlow);
      for (const edge of dataFlow.edges) {
        if (edge.kind !== 'reach') continue;
        reachEdges++;
        const verdict = checker.reaches(edge.from, edge.to);
        if (verdict === 'unmapped') continue;
        checked++;
        if (verdict === 'no path') failures.push(`${file} ${clause.id}: [${edge.from.join('.')}] → [${edge.to.join('.')}]`);
        // The negative control: from the read back to the binding there is normally no path
        // (only loops, `for` and `reduce:`, have one), so the checker does tell them apart.
        if (checker.reaches(edge.to, edge.from, { reversed: true }) === 'path') reversedWithPath++;
      }
    }
  }
  t.diagnostic(`${reachEdges} reach edges, ${checked} with both ends on CFG steps, ${failures.length} without a control path`);
  t.diagnostic(`negative control: ${reversedWithPath} reversed edges have a control path (loops)`);
  assert.ok(reversedWithPath < checked * 0.1, 'reversed edges mostly have no control path');
  for (const failure of failures.slice(0, 20)) t.diagnostic(failure);
  assert.ok(checked > reachEdges * 0.95, `most reach edges map onto CFG steps (${checked} of ${reachEdges})`);
  assert.deepEqual(failures, []);
});

class ControlPaths {
  private readonly indexByPath = new Map<string, number>();
  private readonly patternByPath = new Map<string, number>();
  private readonly successors: number[][];
  private readonly regionOf: number[];
  private readonly reachable = new Map<number, Set<number>>();

  constructor(private readonly graph: ControlFlowGraph) {
    graph.nodes.forEach((node, index) => {
      if (node.kind === 'entry' || node.kind === 'exit' || node.kind === 'abnormal') return;
      this.indexByPath.set(node.path.join('.'), index);
      if (node.kind === 'pattern') this.patternByPath.set(node.path.join('.'), index);
    });
    this.successors = graph.nodes.map(() => []);
    for (const edge of graph.edges) this.successors[edge.from]!.push(edge.to);
    this.regionOf = regionOfNodes(graph);
  }

  reaches(from: readonly number[], to: readonly number[], options: { reversed?: boolean } = {}): 'path' | 'no path' | 'unmapped' {
    // Normally `from` is a definition (mapped to its pattern step) and `to` a read.
    const source = options.reversed ? this.stepOf(from, this.indexByPath) : this.stepOf(from, this.patternByPath);
    let target = options.reversed ? this.stepOf(to, this.patternByPath) : this.stepOf(to, this.indexByPath);
    if (source === undefined || target === undefined) return 'unmapped';
    // A captured read: climb out of closures until the read's step is in the definition's region.
    for (let guard = 0; this.regionOf[target] !== this.regionOf[source] && guard < 50; guard++) {
      const owner = this.graph.regions[this.regionOf[target]!]!.owner;
      if (owner.length === 0) return 'no path';
      const ownerStep = this.stepOf(owner, this.indexByPath);
      if (ownerStep === undefined) return 'unmapped';
      target = ownerStep;
    }
    if (source === target) return options.reversed ? 'no path' : 'path';
    return this.reachableFrom(source).has(target) ? 'path' : 'no path';
  }

  /** The nearest CFG step (among `steps`) at or above a node path. */
  private stepOf(path: readonly number[], steps: ReadonlyMap<string, number>): number | undefined {
    for (let length = path.length; length >= 0; length--) {
      const index = steps.get(path.slice(0, length).join('.'));
      if (index !== undefined) return index;
    }
    return undefined;
  }

  private reachableFrom(start: number): Set<number> {
    let seen = this.reachable.get(start);
    if (seen) return seen;
    seen = new Set<number>();
    const stack = [...this.successors[start]!];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      stack.push(...this.successors[node]!);
    }
    this.reachable.set(start, seen);
    return seen;
  }
}
