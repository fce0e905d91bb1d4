/**
 * The workspace call graph, linked: every stored call site with its resolved target function,
 * indexed both ways (callees of a function, callers of a function) for transitive queries.
 *
 * Call sites are stored as each file saw them (`calls` table); imported calls can only be linked
 * against what the other files export, so linking happens here, at read time. The index follows
 * the repository by file: when files change, only their rows are re-read, and the two-way maps
 * are rebuilt from memory on the next query (tens of milliseconds for Elixir's whole source).
 */
import type { CallKind, CallSite } from './graph';
import { resolveImportedCall, withKernelExports } from './callGraph';
import { CALL_FLAGS } from './fileFacts';
import type { GraphRepository } from './repository';

export interface LinkedCall {
  readonly fileId: number;
  /** Calling clause ID, `Mod.g/1#1`. */
  readonly caller: string;
  /** Calling function ID, `Mod.g/1`. */
  readonly callerFunction: string;
  /** Node path of the call inside the caller. */
  readonly path: string;
  readonly kind: CallKind;
  /** The called function, `Mod.f/2`; `null` when it cannot be known statically. */
  readonly target: string | null;
  readonly line: number;
  readonly column: number;
  readonly flags: number;
}

interface StoredCall {
  readonly caller: string;
  readonly caller_function: string;
  readonly path: string;
  readonly kind: CallKind;
  readonly module: string | null;
  readonly name: string | null;
  readonly arity: number;
  readonly candidates: string | null;
  readonly line: number;
  readonly column: number;
  readonly flags: number;
}

interface FileEntry {
  readonly hash: string;
  readonly path: string;
  readonly calls: StoredCall[];
  readonly exports: Map<string, Set<string>>;
  readonly functions: Set<string>;
  /** `Mod.f/1` → `Mod.f/2` for each arity a default argument adds to a function. */
  readonly defaultArities: Map<string, string>;
  /** The modules the file defines functions in. */
  readonly modules: Set<string>;
}

const PUBLIC_KINDS = ['def', 'defmacro', 'defguard', 'defdelegate', 'defn'];

interface Linked {
  readonly byCaller: Map<string, LinkedCall[]>;
  readonly byTarget: Map<string, LinkedCall[]>;
  readonly defaultArities: Map<string, string>;
  readonly functions: Set<string>;
  /** Each file's linked calls, so an edited file's can be taken out again. */
  readonly byFile: Map<number, LinkedCall[]>;
  /** Imported calls resolved so far, by name, arity and candidates. */
  readonly resolved: Map<string, string | null>;
  readonly exportsOf: (module: string) => ReadonlySet<string> | undefined;
}

/** More changed files than this are linked again from scratch rather than patched in. */
const PATCH_LIMIT = 8;
/** When definitions change, more files calling into them than this are cheaper to link all. */
const RELINK_FILE_LIMIT = 64;

export class CallGraphIndex {
  private readonly files = new Map<number, FileEntry>();
  private seenGeneration = -1;
  private linked: Linked | null = null;

  constructor(private readonly repository: GraphRepository) {}

  /** Call sites in the clauses of `functionId`. */
  callsFrom(functionId: string): readonly LinkedCall[] {
    return this.link().byCaller.get(functionId) ?? [];
  }

  /** Call sites whose target is `functionId`. */
  callsTo(functionId: string): readonly LinkedCall[] {
    return this.link().byTarget.get(functionId) ?? [];
  }

  /**
   * The function ID a call with this name and arity runs: `Mod.f/2` for `Mod.f/1` when `f/2`
   * has a default argument (Elixir generates `f/1` to call it) and no `f/1` is defined, else
   * the ID itself.
   */
  canonical(functionId: string): string {
    const linked = this.link();
    if (linked.functions.has(functionId)) return functionId;
    return linked.defaultArities.get(functionId) ?? functionId;
  }

  filePath(fileId: number): string {
    this.sync();
    return this.files.get(fileId)?.path ?? '';
  }

  private link(): Linked {
    this.sync();
    this.linked ??= this.linkAll();
    return this.linked;
  }

  private linkAll(): Linked {
    const linked: Linked = { byCaller: new Map(), byTarget: new Map(), byFile: new Map(), resolved: new Map(), ...this.definitionsOfAllFiles() };
    // Files in id order, each file's calls in stored order: patching a file in keeps this order.
    for (const fileId of [...this.files.keys()].sort((a, b) => a - b)) {
      const calls = this.linkFile(linked, fileId, this.files.get(fileId)!);
      linked.byFile.set(fileId, calls);
      for (const call of calls) {
        pushTo(linked.byCaller, call.callerFunction, call);
        if (call.target !== null) pushTo(linked.byTarget, call.target, call);
      }
    }
    return linked;
  }

  private linkFile(linked: Linked, fileId: number, entry: FileEntry): LinkedCall[] {
    return entry.calls.map((call) => {
      let target: string | null = null;
      if ((call.kind === 'remote' || call.kind === 'local') && call.module !== null && call.name !== null) {
        target = `${call.module}.${call.name}/${call.arity}`;
      } else if (call.kind === 'imported' && call.name !== null) {
        const key = `${call.name}/${call.arity}\u0000${call.candidates}`;
        let module = linked.resolved.get(key);
        if (module === undefined) {
          module = resolveImportedCall(importedSite(call.name, call.arity, JSON.parse(call.candidates ?? '[]') as string[]), linked.exportsOf);
          linked.resolved.set(key, module);
        }
        if (module !== null) target = `${module}.${call.name}/${call.arity}`;
      }
      if (target !== null && !linked.functions.has(target)) target = linked.defaultArities.get(target) ?? target;
      return {
        fileId,
        caller: call.caller,
        callerFunction: call.caller_function,
        path: call.path,
        kind: call.kind,
        target,
        line: call.line,
        column: call.column,
        flags: call.flags,
      };
    });
  }

  /**
   * Replaces one file's calls in the linked maps. Valid only when what the workspace defines is
   * unchanged (the edit stayed inside function bodies), so no other file's call resolves anew.
   */
  private patchFile(linked: Linked, fileId: number, entry: FileEntry | undefined): void {
    const old = linked.byFile.get(fileId) ?? [];
    const calls = entry ? this.linkFile(linked, fileId, entry) : [];
    linked.byFile.delete(fileId);
    if (entry) linked.byFile.set(fileId, calls);
    replaceFileCalls(linked.byCaller, fileId, old, calls, (call) => call.callerFunction);
    replaceFileCalls(linked.byTarget, fileId, old, calls, (call) => call.target);
  }

  /** What the workspace defines, summed over its files: what linking a call reads. */
  private definitionsOfAllFiles(): Pick<Linked, 'functions' | 'defaultArities' | 'exportsOf'> {
    const functions = new Set<string>();
    const defaultArities = new Map<string, string>();
    for (const entry of this.files.values()) {
      for (const id of entry.functions) functions.add(id);
      for (const [shorter, full] of entry.defaultArities) defaultArities.set(shorter, full);
    }
    return { functions, defaultArities, exportsOf: this.exportsLookup() };
  }

  private exportsLookup(): (module: string) => ReadonlySet<string> | undefined {
    const merged = new Map<string, Set<string>>();
    for (const entry of this.files.values()) {
      for (const [module, keys] of entry.exports) {
        let set = merged.get(module);
        if (!set) merged.set(module, (set = new Set()));
        for (const key of keys) set.add(key);
      }
    }
    return withKernelExports((module) => merged.get(module));
  }

  /** Re-reads the rows of files written since the last look. */
  private sync(): void {
    if (this.seenGeneration === this.repository.generation) return;
    this.seenGeneration = this.repository.generation;
    const stored = this.repository.rows<{ id: number; path: string; hash: string }>('SELECT id, path, hash FROM files');
    const present = new Set<number>();
    const stale: { id: number; path: string; hash: string }[] = [];
    for (const file of stored) {
      present.add(file.id);
      const entry = this.files.get(file.id);
      if (entry && entry.hash === file.hash) {
        if (entry.path !== file.path) this.files.set(file.id, { ...entry, path: file.path });
      } else {
        stale.push(file);
      }
    }
    const removed = [...this.files.keys()].filter((id) => !present.has(id));
    if (stale.length === 0 && removed.length === 0) return;
    // A few files (an edit) are read one by one; many (the first look) in one pass over each table.
    const rows = stale.length > PATCH_LIMIT ? this.readAll() : null;
    // Modules whose definitions changed: calls into them may now resolve differently.
    const affected = new Set<string>();
    for (const id of removed) {
      for (const module of this.files.get(id)!.modules) affected.add(module);
      this.files.delete(id);
    }
    for (const file of stale) {
      const calls = rows ? (rows.calls.get(file.id) ?? []) : this.readCalls(file.id);
      const functions = rows ? (rows.functions.get(file.id) ?? []) : this.readFunctions(file.id);
      const entry = fileEntry(file.path, file.hash, calls, functions);
      const previous = this.files.get(file.id);
      if (!previous || !sameDefinitions(previous, entry)) {
        for (const module of [...(previous?.modules ?? []), ...entry.modules]) affected.add(module);
      }
      this.files.set(file.id, entry);
    }
    if (this.linked === null || stale.length + removed.length > PATCH_LIMIT) {
      this.linked = null;
      return;
    }
    const relink = new Set<number>([...removed, ...stale.map((file) => file.id)]);
    if (affected.size > 0) {
      // The definitions are summed up again (cheap), then every file with a call into an
      // affected module is linked again; too many such files and a full link is as cheap.
      for (const [fileId, entry] of this.files) {
        if (!relink.has(fileId) && entry.calls.some((call) => callDependsOn(call, affected))) relink.add(fileId);
        if (relink.size > RELINK_FILE_LIMIT) {
          this.linked = null;
          return;
        }
      }
      this.linked = { ...this.linked, ...this.definitionsOfAllFiles(), resolved: new Map() };
    }
    for (const fileId of relink) this.patchFile(this.linked, fileId, this.files.get(fileId));
  }

  private readCalls(fileId: number): StoredCall[] {
    return this.repository.values(`SELECT ${CALL_COLUMNS} FROM calls WHERE file_id = ?`, [fileId]).map(storedCall);
  }

  private readFunctions(fileId: number): StoredFunction[] {
    return this.repository.values(`SELECT ${FUNCTION_COLUMNS} FROM functions WHERE file_id = ?`, [fileId]).map(storedFunction);
  }

  private readAll(): { calls: Map<number, StoredCall[]>; functions: Map<number, StoredFunction[]> } {
    const calls = new Map<number, StoredCall[]>();
    for (const values of this.repository.values(`SELECT file_id, ${CALL_COLUMNS} FROM calls`)) {
      pushTo(calls, values[0] as number, storedCall(values.slice(1)));
    }
    const functions = new Map<number, StoredFunction[]>();
    for (const values of this.repository.values(`SELECT file_id, ${FUNCTION_COLUMNS} FROM functions`)) {
      pushTo(functions, values[0] as number, storedFunction(values.slice(1)));
    }
    return { calls, functions };
  }
}

const CALL_COLUMNS = 'caller, caller_function, path, kind, module, name, arity, candidates, line, "column", flags';
const FUNCTION_COLUMNS = 'module, name, kind, arities, function';

interface StoredFunction {
  readonly module: string;
  readonly name: string | null;
  readonly kind: string;
  readonly arities: string;
  readonly function: string;
}

function storedCall(values: readonly unknown[]): StoredCall {
  const [caller, callerFunction, path, kind, module, name, arity, candidates, line, column, flags] = values;
  return {
    caller: caller as string,
    caller_function: callerFunction as string,
    path: path as string,
    kind: kind as CallKind,
    module: module as string | null,
    name: name as string | null,
    arity: arity as number,
    candidates: candidates as string | null,
    line: line as number,
    column: column as number,
    flags: flags as number,
  };
}

function storedFunction(values: readonly unknown[]): StoredFunction {
  const [module, name, kind, arities, functionId] = values;
  return { module: module as string, name: name as string | null, kind: kind as string, arities: arities as string, function: functionId as string };
}

/** A file's calls and what it defines: its functions, their exports and default arities. */
function fileEntry(path: string, hash: string, calls: StoredCall[], functionRows: readonly StoredFunction[]): FileEntry {
  const exports = new Map<string, Set<string>>();
  const functions = new Set<string>();
  const defaultArities = new Map<string, string>();
  const modules = new Set<string>();
  for (const row of functionRows) {
    functions.add(row.function);
    modules.add(row.module);
    const arities = JSON.parse(row.arities) as number[];
    for (const arity of arities.slice(0, -1)) defaultArities.set(`${row.module}.${row.name}/${arity}`, row.function);
    if (row.name === null || !PUBLIC_KINDS.includes(row.kind)) continue;
    let keys = exports.get(row.module);
    if (!keys) exports.set(row.module, (keys = new Set()));
    for (const arity of arities) keys.add(`${row.name}/${arity}`);
  }
  return { hash, path, calls, exports, functions, defaultArities, modules };
}

export function isInQuote(call: LinkedCall): boolean {
  return (call.flags & CALL_FLAGS.inQuote) !== 0;
}

/** The node ID of the call expression itself. */
export function callNodeId(call: LinkedCall): string {
  return call.path === '' ? call.caller : `${call.caller}:${call.path}`;
}

function importedSite(name: string, arity: number, candidates: readonly string[]): CallSite {
  return {
    caller: '',
    path: [],
    kind: 'imported',
    module: null,
    name,
    arity,
    candidates,
    line: 0,
    column: 0,
    piped: false,
    capture: false,
    delegate: false,
    inQuote: false,
  };
}

/** A call whose target could change when the definitions of `modules` change. */
function callDependsOn(call: StoredCall, modules: ReadonlySet<string>): boolean {
  if (call.kind === 'imported') {
    if (call.candidates === null) return false;
    for (const module of modules) if (call.candidates.includes(JSON.stringify(module))) return true;
    return false;
  }
  return call.module !== null && modules.has(call.module);
}

/** Both files define the same functions with the same exports and default arities. */
function sameDefinitions(a: FileEntry, b: FileEntry): boolean {
  if (a.functions.size !== b.functions.size || a.defaultArities.size !== b.defaultArities.size || a.exports.size !== b.exports.size) return false;
  for (const id of a.functions) if (!b.functions.has(id)) return false;
  for (const [shorter, full] of a.defaultArities) if (b.defaultArities.get(shorter) !== full) return false;
  for (const [module, keys] of a.exports) {
    const other = b.exports.get(module);
    if (!other || other.size !== keys.size) return false;
    for (const key of keys) if (!other.has(key)) return false;
  }
  return true;
}

/**
 * Swaps one file's calls in a map of call lists ordered by file id: the old ones leave, the new
 * ones go where the file's block belongs, so the order equals a link from scratch.
 */
function replaceFileCalls(
  map: Map<string, LinkedCall[]>,
  fileId: number,
  old: readonly LinkedCall[],
  calls: readonly LinkedCall[],
  keyOf: (call: LinkedCall) => string | null,
): void {
  const keys = new Set<string>();
  for (const call of old) {
    const key = keyOf(call);
    if (key !== null) keys.add(key);
  }
  const added = new Map<string, LinkedCall[]>();
  for (const call of calls) {
    const key = keyOf(call);
    if (key !== null) pushTo(added, key, call);
  }
  for (const key of added.keys()) keys.add(key);
  for (const key of keys) {
    const list = (map.get(key) ?? []).filter((call) => call.fileId !== fileId);
    const block = added.get(key) ?? [];
    let at = list.findIndex((call) => call.fileId > fileId);
    if (at === -1) at = list.length;
    list.splice(at, 0, ...block);
    if (list.length > 0) map.set(key, list);
    else map.delete(key);
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
