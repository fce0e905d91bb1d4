/**
 * The control-flow graph of every clause of the Elixir 1.14 source tree (and of the CFG fixtures)
 * checked against invariants that a wrong wiring breaks: node paths unique and naming real nodes
 * at the node's position, edges inside one region, every step reachable from its region's entry,
 * an exit reachable from every node, `loop` edges going back to a generator, complexity ≥ 1. The
 * same holds for corpus files with random spans cut out, except that broken code may have dead code.
 * Region membership is recomputed here from paths alone, not taken from the builder. Prints a
 * summary: clauses, nodes, edges, the largest complexity and where.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionClause } from '../server/cpg/definitions';
import { analyzeSource } from '../server/cpg/fileAnalysis';
import { buildControlFlow } from '../server/cpg/controlFlow';
import type { ControlFlowGraph } from '../server/cpg/graph';
import { followPath } from '../server/cpg/nodeIds';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot, repoRoot, seededRandom } from './support/corpus';

const FIXTURE_DIRECTORY = path.join(repoRoot(), 'test', 'fixtures', 'cfg');
const MANGLED_FILES = 40;
const CUTS_PER_FILE = 5;
const MANGLE_SEED = 0xcf6;
const UNREACHABLE = ' is unreachable from its entry';
/** How many violations the failure message lists. */
const VIOLATIONS_SHOWN = 20;

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

interface Summary {
  files: number;
  clauses: number;
  nodes: number;
  edges: number;
  closures: number;
  maxComplexity: number;
  maxComplexityClause: string;
  violations: string[];
}

test('control-flow invariants hold on the CFG fixtures', () => {
  const files = fs.readdirSync(FIXTURE_DIRECTORY).filter((name) => name.endsWith('.ex')).sort();
  const summary = checkFiles(FIXTURE_DIRECTORY, files);
  assert.ok(summary.clauses > 0);
  assert.deepEqual(summary.violations, []);
});

test('control-flow invariants hold on every clause of the Elixir corpus', { timeout: 120_000 }, (t) => {
  const root = elixirCorpusRoot();
  const started = performance.now();
  const summary = checkFiles(root, corpusFiles(root));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  t.diagnostic(
    `${summary.files} files, ${summary.clauses} clauses, ${summary.nodes} nodes, ${summary.edges} edges, ` +
      `${summary.closures} closure regions; max complexity ${summary.maxComplexity} (${summary.maxComplexityClause}); ${seconds} s`,
  );
  assert.ok(summary.clauses > 10_000, `only ${summary.clauses} clauses found`);
  assert.deepEqual(summary.violations.slice(0, VIOLATIONS_SHOWN), [], `${summary.violations.length} violations`);
});

test('control-flow invariants hold on half-typed code (corpus files with spans cut out)', { timeout: 120_000 }, (t) => {
  const root = elixirCorpusRoot();
  const random = seededRandom(MANGLE_SEED);
  const files = corpusFiles(root).filter((file) => file.endsWith('.ex'));
  const violations: string[] = [];
  let clauses = 0;
  let nodes = 0;
  let deadNodes = 0;
  for (let sample = 0; sample < MANGLED_FILES; sample++) {
    const file = files[Math.floor(random() * files.length)]!;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (let cut = 0; cut < CUTS_PER_FILE; cut++) {
      // A cut of a few characters to a few lines: an unclosed `do`, half a pipe, a stray `->`.
      const start = Math.floor(random() * text.length);
      const length = 1 + Math.floor(random() * random() * 400);
      const mangled = text.slice(0, start) + text.slice(start + length);
      const label = `${file} without [${start}, ${start + length})`;
      const analysis = analyzeSource(parser, label, mangled);
      for (const clause of analysis.definitions.functions) {
        clauses++;
        const graph = buildControlFlow(clause);
        nodes += graph.nodes.length;
        const found = invariantViolations(clause, graph);
        // Broken code has dead code (clauses after one that always matches, code after a
        // `raise`, a macro's `do` block ending in one): unreachable is allowed there, nothing else.
        const dead = found.filter((violation) => violation.endsWith(UNREACHABLE));
        deadNodes += dead.length;
        for (const violation of found) if (!dead.includes(violation)) violations.push(`${label} ${clause.id}: ${violation}`);
      }
    }
  }
  t.diagnostic(`${MANGLED_FILES * CUTS_PER_FILE} mangled files, ${clauses} clauses, ${nodes} nodes of which ${deadNodes} unreachable`);
  assert.deepEqual(violations.slice(0, VIOLATIONS_SHOWN), [], `${violations.length} violations`);
});

function checkFiles(root: string, files: readonly string[]): Summary {
  const summary: Summary = {
    files: files.length,
    clauses: 0,
    nodes: 0,
    edges: 0,
    closures: 0,
    maxComplexity: 0,
    maxComplexityClause: '',
    violations: [],
  };
  for (const file of files) {
    const analysis = analyzeSource(parser, file, fs.readFileSync(path.join(root, file), 'utf8'));
    for (const clause of analysis.definitions.functions) {
      const graph = buildControlFlow(clause);
      summary.clauses++;
      summary.nodes += graph.nodes.length;
      summary.edges += graph.edges.length;
      summary.closures += graph.regions.length - 1;
      if (graph.complexity > summary.maxComplexity) {
        summary.maxComplexity = graph.complexity;
        summary.maxComplexityClause = `${clause.id} in ${file}`;
      }
      for (const violation of invariantViolations(clause, graph)) summary.violations.push(`${file} ${clause.id}: ${violation}`);
    }
  }
  return summary;
}

function invariantViolations(clause: FunctionClause, graph: ControlFlowGraph): string[] {
  const violations: string[] = [];
  const { nodes, edges, regions } = graph;
  const nodeCount = nodes.length;

  for (const [index, edge] of edges.entries()) {
    if (!validIndex(edge.from, nodeCount) || !validIndex(edge.to, nodeCount)) violations.push(`edge ${index} points outside the nodes`);
  }
  if (violations.length > 0) return violations;

  // Boundaries: three per region, named after the owner, listed before every step.
  const boundaryRegion = new Map<number, number>();
  regions.forEach((region, regionIndex) => {
    const owned: [number, string][] = [
      [region.entry, 'entry'],
      [region.exit, 'exit'],
      [region.abnormal, 'abnormal'],
    ];
    for (const [index, kind] of owned) {
      if (!validIndex(index, nodeCount)) {
        violations.push(`region ${regionIndex} ${kind} index ${index} is invalid`);
        continue;
      }
      if (nodes[index]!.kind !== kind) violations.push(`region ${regionIndex} ${kind} is a ${nodes[index]!.kind} node`);
      if (pathKey(nodes[index]!.path) !== pathKey(region.owner)) {
        violations.push(`region ${regionIndex} ${kind} is not named after its owner`);
      }
      if (index >= regions.length * 3) violations.push(`region ${regionIndex} ${kind} comes after a step`);
      boundaryRegion.set(index, regionIndex);
    }
  });
  if (violations.length > 0) return violations;
  if (regions[0]?.owner.length !== 0) violations.push('the first region is not the clause');

  // Steps: unique paths that name real nodes at the recorded position.
  const seenPaths = new Set<string>();
  const regionByOwner = new Map(regions.map((region, regionIndex) => [pathKey(region.owner), regionIndex]));
  const regionOf = nodes.map((node, index) => {
    const boundary = boundaryRegion.get(index);
    if (boundary !== undefined) return boundary;
    if (node.kind === 'entry' || node.kind === 'exit' || node.kind === 'abnormal') {
      violations.push(`#${index} is a ${node.kind} outside the regions`);
    }
    const key = pathKey(node.path);
    if (seenPaths.has(key)) violations.push(`path ${key} appears twice`);
    seenPaths.add(key);
    const astNode = followPath(clause.node, node.path);
    if (astNode === undefined) violations.push(`path ${key} (#${index} ${node.label}) names no node`);
    else if (astNode.line !== node.line || astNode.column !== node.column) {
      violations.push(`path ${key} (#${index} ${node.label}) is at ${astNode.line}:${astNode.column}, not ${node.line}:${node.column}`);
    }
    // The innermost closure strictly containing the node owns it.
    for (let length = node.path.length - 1; length > 0; length--) {
      const owner = regionByOwner.get(pathKey(node.path.slice(0, length)));
      if (owner !== undefined) return owner;
    }
    return 0;
  });

  const successors = nodes.map((): number[] => []);
  const predecessors = nodes.map((): number[] => []);
  for (const edge of edges) {
    successors[edge.from]!.push(edge.to);
    predecessors[edge.to]!.push(edge.from);
    const from = nodes[edge.from]!;
    const to = nodes[edge.to]!;
    if (regionOf[edge.from] !== regionOf[edge.to]) violations.push(`edge ${from.label} → ${to.label} crosses regions`);
    if (from.kind === 'exit' || from.kind === 'abnormal') violations.push(`an edge leaves the ${from.kind} node`);
    if (to.kind === 'entry') violations.push('an edge enters an entry node');
    if (edge.kind === 'loop' && !(to.kind === 'pattern' && to.label.endsWith('<- …'))) {
      violations.push(`loop edge ${from.label} → ${to.label} does not go to a generator`);
    }
  }

  regions.forEach((region, regionIndex) => {
    const reached = reach([region.entry], successors);
    const exits = reach([region.exit, region.abnormal], predecessors);
    nodes.forEach((node, index) => {
      if (regionOf[index] !== regionIndex || index === region.exit || index === region.abnormal) return;
      if (!reached.has(index)) violations.push(`#${index} ${node.label} at ${node.line}:${node.column}${UNREACHABLE}`);
      if (!exits.has(index)) violations.push(`#${index} ${node.label} at ${node.line}:${node.column} reaches no exit`);
    });
  });
  if (!(graph.complexity >= 1)) violations.push(`complexity ${graph.complexity}`);
  return violations;
}

function reach(starts: readonly number[], neighbours: readonly (readonly number[])[]): Set<number> {
  const reached = new Set(starts);
  const pending = [...starts];
  while (pending.length > 0) {
    for (const next of neighbours[pending.pop()!]!) {
      if (!reached.has(next)) {
        reached.add(next);
        pending.push(next);
      }
    }
  }
  return reached;
}

function validIndex(index: number, count: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < count;
}

function pathKey(path: readonly number[]): string {
  return path.join('.');
}
