/**
 * The instrumentation planner: decides, from the code property graph of the files to record,
 * which nodes the agent instruments, and writes that down as the recording manifest
 * (`common/traceProtocol.ts`) with the analyzer's node IDs and Elixir positions.
 *
 * - `minimal`: calls and results of every public function (`def`) and of every OTP callback.
 * - `debug`: calls of every function (`def` and `defp`) and every variable binding in them.
 * - `full`: as `debug`, plus the value after each stage of every pipe.
 *
 * Macros, guards, delegates and bodiless heads are never instrumented: their clauses do not run
 * as calls at run time (or run at compile time), and a delegate's target is planned instead.
 */
import {
  DEFAULT_VALUE_LIMITS,
  type ManifestModule,
  type ManifestNode,
  PROTOCOL_VERSION,
  type RecordingManifest,
  type RecordingMode,
  type ValueLimits,
} from '../../common/traceProtocol';
import { type AstNode, isCall } from '../syntax/ast';
import { buildDataFlow } from './dataFlow';
import type { FunctionClause } from './definitions';
import type { FileAnalysis } from './fileAnalysis';
import { nodePathsOf } from './nodePaths';
import { nodeIdOf } from '../../common/nodeId';
import { findOtpFacts } from './otp';

export interface FileToRecord {
  /** Absolute path: the agent reads the file from there. */
  readonly absolutePath: string;
  /** SHA-1 (hex) of `analysis.text`. */
  readonly sourceHash: string;
  readonly analysis: FileAnalysis;
}

export interface PlanOptions {
  readonly mode: RecordingMode;
  readonly limits?: ValueLimits;
  readonly traceProcesses?: boolean;
}

const RUNTIME_KINDS: ReadonlySet<string> = new Set(['def', 'defp']);

export function planRecording(files: readonly FileToRecord[], options: PlanOptions): RecordingManifest {
  const nodes: ManifestNode[] = [];
  const modules: ManifestModule[] = [];
  const add = (node: ManifestNode) => nodes.push(node) - 1;

  for (const file of files) {
    const { analysis } = file;
    const callbacks = new Set(findOtpFacts(analysis).callbacks.map((callback) => callback.clause));
    const byModule = new Map<string, { clauses: number[]; bindings: number[]; expressions: number[] }>();
    for (const clause of analysis.definitions.functions) {
      if (!shouldRecord(clause, options.mode, callbacks)) continue;
      let entry = byModule.get(clause.module);
      if (!entry) byModule.set(clause.module, (entry = { clauses: [], bindings: [], expressions: [] }));
      entry.clauses.push(add({ id: clause.id, kind: 'clause', line: clause.line, column: clause.column }));
      if (options.mode === 'minimal') continue;
      for (const definition of buildDataFlow(clause).definitions) {
        entry.bindings.push(
          add({ id: nodeIdOf(clause.id, definition.path), kind: 'binding', line: definition.line, column: definition.column, name: definition.name }),
        );
      }
      if (options.mode === 'full') {
        for (const { path, node } of pipeStages(clause)) {
          entry.expressions.push(add({ id: nodeIdOf(clause.id, path), kind: 'expression', line: node.line, column: node.column }));
        }
      }
    }
    for (const [module, entry] of byModule) {
      modules.push({ module, file: file.absolutePath, sourceHash: file.sourceHash, ...entry });
    }
  }
  return {
    version: PROTOCOL_VERSION,
    mode: options.mode,
    limits: options.limits ?? DEFAULT_VALUE_LIMITS,
    nodes,
    modules,
    traceProcesses: options.traceProcesses ?? true,
  };
}

function shouldRecord(clause: FunctionClause, mode: RecordingMode, callbacks: ReadonlySet<string>): boolean {
  if (clause.dynamic || clause.bodiless || clause.body === null || !RUNTIME_KINDS.has(clause.kind)) return false;
  if (mode !== 'minimal') return true;
  return clause.kind === 'def' || callbacks.has(clause.id);
}

/** The `|>` nodes of a clause (each one's value is the pipe's value after that stage), outside `quote`. */
function pipeStages(clause: FunctionClause): { path: readonly number[]; node: AstNode }[] {
  const stages: { path: readonly number[]; node: AstNode }[] = [];
  const quoted = new Set<AstNode>();
  for (const [node, path] of nodePathsOf(clause.node)) {
    if (isCall(node, 'quote')) quoted.add(node);
    if (isCall(node, '|>') && node.args.length === 2) stages.push({ path, node });
  }
  if (quoted.size === 0) return stages;
  const paths = nodePathsOf(clause.node);
  const quotedPaths = [...quoted].map((node) => paths.get(node)!.join('.'));
  return stages.filter(({ path }) => !quotedPaths.some((prefix) => path.join('.').startsWith(`${prefix}.`)));
}
