/**
 * The inventory format `elixirscope analyze` writes: one JSON object per source file with the
 * modules, function clauses, calls and variable bindings found in it. It is the schema of the
 * ground-truth oracle (`shared/oracle/README.md`), so the analyzer's output can be compared with
 * Elixir's own parser entry by entry. Keys stay snake_case so a parsed line is a record as-is.
 */

export type ModuleKind = 'defmodule' | 'defprotocol' | 'defimpl';

export type FunctionKind =
  | 'def'
  | 'defp'
  | 'defmacro'
  | 'defmacrop'
  | 'defguard'
  | 'defguardp'
  | 'defdelegate'
  | 'defn'
  | 'defnp';

export type VarBinding =
  | 'param'
  | 'match'
  | 'generator'
  | 'case'
  | 'receive'
  | 'fn'
  | 'catch'
  | 'rescue'
  | 'else'
  | 'reduce'
  | 'clause';

export interface ModuleEntry {
  /** Full name as Elixir computes it; for a dynamic name, the expression's source text. */
  name: string;
  kind: ModuleKind;
  line: number;
  column: number;
  /** `null` for `defmodule X, do: ...`. */
  end_line: number | null;
  parent: string | null;
  dynamic: boolean;
  /** `defimpl` only. */
  protocol?: string;
  /** `defimpl` only. */
  for?: string;
}

export interface FunctionEntry {
  /** `Module.name/arity#clause`, referenced by `CallEntry.caller` and `VarEntry.function`. */
  id: string;
  module: string;
  /** `null` when the name is `unquote(...)` of something other than a literal atom. */
  name: string | null;
  /** Source text of an `unquote(...)` name. */
  name_expr?: string;
  /** `null` when the argument list uses `unquote_splicing`. */
  arity: number | null;
  arities: number[];
  kind: FunctionKind;
  clause: number;
  line: number;
  column: number;
  name_line: number | null;
  name_column: number | null;
  end_line: number | null;
  has_guard: boolean;
  bodiless: boolean;
  dynamic: boolean;
  /** Written `Kernel.def ...`. */
  qualified?: boolean;
}

export interface CallEntry {
  caller: string;
  callee_module: string;
  callee: string;
  arity: number;
  line: number;
  column: number;
  local: boolean;
  piped?: boolean;
  capture?: boolean;
  delegate?: boolean;
  in_quote?: boolean;
  no_parens?: boolean;
}

export interface VarEntry {
  function: string;
  name: string;
  line: number;
  column: number;
  via: VarBinding;
}

export interface ParseError {
  /** `null` when the error has no position (the file could not be read at all). */
  line: number | null;
  column: number | null;
  message: string;
}

export interface InventoryRecord {
  /** Path relative to the analysed root; the join key between the two sides. */
  file: string;
  parse_ok: boolean;
  /** Only when `parse_ok` is false. */
  error?: ParseError;
  /** Only when the oracle's own analysis crashed on a file that parsed. */
  analysis_error?: string;
  /** Lines where Elixir 1.14 columns may be too small; absent when `parse_ok` is false. */
  column_drift_lines?: number[];
  modules: ModuleEntry[];
  functions: FunctionEntry[];
  calls: CallEntry[];
  vars: VarEntry[];
}

