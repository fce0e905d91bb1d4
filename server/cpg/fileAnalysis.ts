/**
 * One file, analysed: parse, definitions, references and node IDs, and its inventory record in
 * the format `elixirscope analyze` writes (`common/inventory.ts`). Pure apart from the parser's
 * wasm memory, which `ElixirParser.parse` frees before returning; never throws on bad code.
 */
import type {
  CallEntry,
  FunctionEntry,
  FunctionKind,
  InventoryRecord,
  ModuleEntry,
  VarEntry,
} from '../../common/inventory';
import type { AstNode } from '../syntax/ast';
import type { ElixirParser, ParseResult } from '../syntax/parser';
import { type FileDefinitions, findDefinitions } from './definitions';
import type { CallSite } from './graph';
import { FileNodeIds } from './nodeIds';
import { type ClauseReferences, findClauseReferences, moduleInventories } from './references';

export interface FileAnalysis {
  /** Path relative to the workspace root, with forward slashes. */
  readonly path: string;
  /** The analysed text, for passes that show source (OTP message texts). */
  readonly text: string;
  readonly parse: ParseResult;
  readonly definitions: FileDefinitions;
  /** Per clause, in the order of `definitions.functions`. */
  readonly references: ClauseReferences[];
  /**
   * Per clause, parallel to `references`: every call site (remote, local, imported with its
   * candidates, dynamic), sorted by position. `imported` sites are linked with
   * `resolveImportedCall` (`callGraph.ts`) once the workspace's exports are known.
   */
  readonly callSites: CallSite[][];
  readonly nodeIds: FileNodeIds;
  /** Time spent parsing (tree-sitter, copying its tree, building the AST), for benchmarks. */
  readonly parseMs: number;
}

export function analyzeSource(parser: ElixirParser, path: string, text: string): FileAnalysis {
  const parseStart = performance.now();
  const parse = parser.parse(text);
  return analyzeParsed(path, text, parse, performance.now() - parseStart);
}

/** The passes after parsing, for callers that parsed `text` themselves (incremental reparse). */
export function analyzeParsed(path: string, text: string, parse: ParseResult, parseMs: number): FileAnalysis {
  const sourceText = (node: AstNode) => text.slice(node.start, node.end);
  const definitions = findDefinitions(parse.forms, sourceText);
  const inventories = moduleInventories(definitions.functions);
  const references = definitions.functions.map((clause) =>
    findClauseReferences(clause, inventories.get(clause.module) ?? new Set(), sourceText),
  );
  const callSites = references.map((clauseReferences) => clauseReferences.callSites);
  const nodeIds = new FileNodeIds(parse.forms, definitions, parse.lines, path);
  return { path, text, parse, definitions, references, callSites, nodeIds, parseMs };
}

export function inventoryRecord(analysis: FileAnalysis, text: string): InventoryRecord {
  const { parse, definitions, references } = analysis;
  const firstError = parse.errors[0];
  const modules: ModuleEntry[] = definitions.modules.map((module) => ({
    name: module.name,
    kind: module.kind,
    line: module.line,
    column: module.column,
    end_line: module.endLine,
    parent: module.parent,
    dynamic: module.dynamic,
    ...(module.kind === 'defimpl' ? { protocol: module.protocol!, for: module.for ?? undefined } : {}),
  }));
  const functions: FunctionEntry[] = definitions.functions.map((clause) => ({
    id: clause.id,
    module: clause.module,
    name: clause.name,
    arity: clause.arity,
    arities: clause.arities,
    kind: clause.kind as FunctionKind,
    clause: clause.clause,
    line: clause.line,
    column: clause.column,
    name_line: clause.nameLine,
    name_column: clause.nameColumn,
    end_line: clause.endLine,
    has_guard: clause.hasGuard,
    bodiless: clause.bodiless,
    dynamic: clause.dynamic,
    ...(clause.nameExpression !== null ? { name_expr: clause.nameExpression } : {}),
    ...(clause.qualified ? { qualified: true } : {}),
  }));
  const calls: CallEntry[] = [];
  const vars: VarEntry[] = [];
  for (const clauseReferences of references) {
    for (const call of clauseReferences.calls) {
      calls.push({
        caller: call.caller,
        callee_module: call.calleeModule,
        callee: call.callee,
        arity: call.arity,
        line: call.line,
        column: call.column,
        local: call.local,
        ...(call.piped ? { piped: true } : {}),
        ...(call.capture ? { capture: true } : {}),
        ...(call.delegate ? { delegate: true } : {}),
        ...(call.noParens ? { no_parens: true } : {}),
        ...(call.inQuote ? { in_quote: true } : {}),
      });
    }
    for (const variable of clauseReferences.variables) {
      vars.push({
        function: variable.function,
        name: variable.name,
        line: variable.line,
        column: variable.column,
        via: variable.via,
      });
    }
  }
  return {
    file: analysis.path,
    parse_ok: parse.errors.length === 0,
    ...(firstError
      ? { error: { line: firstError.line, column: firstError.column, message: firstError.message } }
      : {}),
    column_drift_lines: driftLines(text),
    modules,
    functions,
    calls,
    vars,
  };
}

/** Lines where Elixir 1.14 under-counts columns (after an escaped `\#{`), as the oracle lists them. */
function driftLines(text: string): number[] {
  const lines: number[] = [];
  if (!text.includes('\\#{')) return lines;
  text.split('\n').forEach((line, index) => {
    if (line.includes('\\#{')) lines.push(index + 1);
  });
  return lines;
}
