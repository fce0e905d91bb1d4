/**
 * The recorder's wire protocol and event schema, shared by the Elixir agent (`runtime/`, which
 * mirrors these numbers in `ElixirScope.Protocol`), the ingestion pipeline (`adapter/`) and the
 * trace queries. `docs/protocol.md` describes the same thing in prose; change both together and
 * bump `PROTOCOL_VERSION` when a frame or event changes shape.
 *
 * ## Connection
 * The recorder listens on a loopback TCP port and starts the debuggee with `ELIXIRSCOPE_PORT`,
 * `ELIXIRSCOPE_TOKEN` (a random hex secret) and `ELIXIRSCOPE_MANIFEST` (the path of the manifest
 * JSON, `RecordingManifest` below) in its environment. The agent connects, sends `hello` with the
 * token first, then `loaded` once it has instrumented the planned modules, then `events` frames,
 * and `goodbye` when the VM stops normally. A connection whose first frame is not a `hello` with
 * the right token is closed without reading further.
 *
 * ## Frames
 * `<<length:32 big-endian, version:8, kind:8, payload:length-2 bytes>>`: `length` counts the
 * version and kind bytes and the payload. Payloads are Erlang external term format
 * (`:erlang.term_to_binary/1`), never compressed.
 *
 * ## Events
 * An `events` payload is a list of event tuples, in the order the agent emitted them:
 * `{type, seq, time, pid, node, call, parent, value}` —
 * - `type`: an `EventType` code (small integer);
 * - `seq`: a VM-wide sequence number (total order of all events of the recording);
 * - `time`: `:erlang.monotonic_time(:nanosecond)` when it happened;
 * - `pid`: the process it happened in (an Erlang pid);
 * - `node`: index into `RecordingManifest.nodes` (the node ID), or -1;
 * - `call`: the call ID it belongs to (for `call`, the new call's ID), or 0;
 * - `parent`: for `call`, the caller's call ID on the same process (0 at the top), else 0;
 * - `value`: the event's term, already bounded by the agent (see `TRUNCATED_TAG`).
 */

export const PROTOCOL_VERSION = 1;

export const ENVIRONMENT = {
  port: 'ELIXIRSCOPE_PORT',
  token: 'ELIXIRSCOPE_TOKEN',
  manifest: 'ELIXIRSCOPE_MANIFEST',
} as const;

/** Frame kinds (the byte after the version). */
export const FrameKind = {
  /** Payload: map `%{token, agent_version, elixir, otp, os_pid, node}` (binaries for text). */
  hello: 1,
  /** Payload: map `%{modules: [%{module, source_hash, compile_us, status, error}]}`. */
  loaded: 2,
  /** Payload: list of event tuples. */
  events: 3,
  /** Payload: map `%{events, dropped}` — what the agent emitted and what it had to drop. */
  goodbye: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Event type codes and what their `value` holds. */
export const EventType = {
  /** A clause was entered. `node`: the clause; `value`: the argument list. */
  call: 1,
  /** A call returned. `call`: which; `value`: the result. */
  return: 2,
  /** A call raised, threw or exited. `call`: which; `value`: `{kind, reason}`. */
  raise: 3,
  /** A variable was bound (debug, full). `node`: the binding occurrence; `value`: the value. */
  bind: 4,
  /** An expression's value (full: each stage of a pipe). `node`: the expression; `value`: it. */
  value: 5,
  /** A process was spawned. `pid`: the parent; `value`: the child pid. */
  spawn: 6,
  /** A process exited. `value`: the reason. */
  exit: 7,
  /** A message was sent. `pid`: the sender; `value`: `{to, message}` (`to` a pid, or a name). */
  send: 8,
  /** A message was taken from the mailbox. `pid`: the receiver; `value`: the message. */
  receive: 9,
  /** `value`: the linked pid. */
  link: 10,
  /** `value`: the unlinked pid. */
  unlink: 11,
  /** A process registered a name. `value`: the name (an atom). */
  register: 12,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * What the agent puts where it cut a term short: `{:"$elixirscope_truncated", what, count}`, with
 * `what` one of `:depth`, `:items` and `count` the number of elements left out; a cut binary
 * becomes `{:"$elixirscope_truncated", :bytes, count, prefix}` keeping its first bytes. A cut list
 * or tuple ends with the marker; a cut map holds it as a key (with itself as the value). The agent
 * gives argument lists, `{kind, reason}` and `{to, message}` one level of depth more than the
 * limit, since it built those wrappers itself.
 */
export const TRUNCATED_TAG = '$elixirscope_truncated';

/**
 * The `return` value of a call whose clause ended by tail-calling a function of its own module:
 * `{:"$elixir_scope_tail_call", name, arity}`. The instrumented clause reports its return just
 * before making that call as a real tail call, so recursion and receive loops keep running in
 * constant stack, as they do uninstrumented; the tail-called function's own `call` event follows,
 * with the returned call's caller as its parent — the stack the BEAM itself has.
 */
export const TAIL_CALL_TAG = '$elixir_scope_tail_call';

/** How much of each value the agent keeps (it cuts deeper, wider or longer parts). */
export interface ValueLimits {
  readonly depth: number;
  /** Elements kept of a list, tuple or map. */
  readonly items: number;
  /** Bytes kept of a binary. */
  readonly bytes: number;
}

export const DEFAULT_VALUE_LIMITS: ValueLimits = { depth: 6, items: 32, bytes: 256 };

export type RecordingMode = 'minimal' | 'debug' | 'full';

/**
 * What to record, written by the planner (`elixirscope record`) for the agent. Node positions are
 * Elixir's (1-based line, column in code points, as `Code.string_to_quoted(columns: true)` puts
 * them in the metadata), so the agent finds each node in Elixir's own AST by position and kind,
 * and the node's ID is the analyzer's.
 */
export interface RecordingManifest {
  readonly version: typeof PROTOCOL_VERSION;
  readonly mode: RecordingMode;
  readonly limits: ValueLimits;
  /** Every node events can refer to; an event's `node` is an index into this list. */
  readonly nodes: readonly ManifestNode[];
  readonly modules: readonly ManifestModule[];
  /** Trace process lifecycle (spawn, exit, link, register) and messages of the traced processes. */
  readonly traceProcesses: boolean;
  /**
   * How many events the agent lets wait unwritten before it drops (and counts) further ones;
   * absent: the agent's default (100,000).
   */
  readonly maxPending?: number;
}

export interface ManifestNode {
  /** The analyzer's node ID: a clause ID for `clause`, a node ID inside it otherwise. */
  readonly id: string;
  readonly kind: 'clause' | 'binding' | 'expression';
  readonly line: number;
  readonly column: number;
  /** For `binding`: the variable's name. */
  readonly name?: string;
}

export interface ManifestModule {
  readonly module: string;
  /** Absolute path of the source file the module is compiled from. */
  readonly file: string;
  /** SHA-1 (hex) of the source text the plan was made from; a different file is not instrumented. */
  readonly sourceHash: string;
  /** Indices into `nodes` of the clauses to record (`def` keyword positions). */
  readonly clauses: readonly number[];
  /** Indices into `nodes` of the variable bindings to record (debug, full). */
  readonly bindings: readonly number[];
  /** Indices into `nodes` of the expressions whose values to record (full). */
  readonly expressions: readonly number[];
}
