/**
 * Erlang terms as the recorder holds them after decoding the agent's frames (external term
 * format, `etf.ts`): plain tagged objects. Atoms stay strings (nothing is interned, so a
 * debuggee cannot grow the recorder's memory through atoms), integers beyond 2^53 are bigints,
 * and pids, ports, references and funs keep what Elixir needs to print them as it does
 * (`inspect.ts`).
 */
export type Term =
  | { readonly type: 'atom'; readonly value: string }
  | { readonly type: 'integer'; readonly value: number | bigint }
  | { readonly type: 'float'; readonly value: number }
  /** `bits` is set for a bitstring whose last byte is partial (1–7 bits used). */
  | { readonly type: 'binary'; readonly value: Uint8Array; readonly bits?: number }
  /** A proper list has no `tail`; an improper one has its final non-list tail. */
  | { readonly type: 'list'; readonly items: readonly Term[]; readonly tail?: Term }
  | { readonly type: 'tuple'; readonly items: readonly Term[] }
  | { readonly type: 'map'; readonly entries: readonly (readonly [Term, Term])[] }
  | { readonly type: 'pid'; readonly node: string; readonly id: number; readonly serial: number; readonly creation: number }
  | { readonly type: 'port'; readonly node: string; readonly id: number | bigint; readonly creation: number }
  | { readonly type: 'reference'; readonly node: string; readonly ids: readonly number[]; readonly creation: number }
  /** `name`/`arity` for `&Mod.fun/2`; for a closure the module, arity, index and `uniq`. */
  | {
      readonly type: 'fun';
      readonly module: string;
      readonly name: string | null;
      readonly arity: number;
      readonly index?: number;
      readonly uniq?: string;
    };
