/**
 * The process layer of the graph for one file: which modules are OTP behaviours (`use GenServer`,
 * `@behaviour :gen_statem`), which clauses implement their callbacks, where messages are sent
 * (`send/2`, `GenServer.call/cast/reply`, `Process.send_after`, `Agent.*`, …) and where they are
 * received (`receive` blocks). Read from syntax and the call sites alone; pure, never throws.
 *
 * Callbacks are known from `CALLBACKS`, the standard behaviours' callback lists, and from `@impl`
 * marks: `@impl true` or `@impl Mod` before a `def` makes that function (all its clauses) a
 * callback, `@impl false` makes it not one. A send's `targetModule` is the destination when it is
 * a module written statically (`__MODULE__`, an alias, an Erlang module atom); pids, registered
 * names and `{:global, …}`/`{:via, …}` tuples leave it `null`. Code inside `quote` is code a macro
 * builds, not code the clause runs, so its sends and receives are left out.
 */
import { type AstNode, childrenOf, isCall, keywordValue } from '../syntax/ast';
import type { FunctionClause } from './definitions';
import type { FileAnalysis } from './fileAnalysis';
import type { CallSite, MessageKind, MessageSend, OtpBehaviourUse, OtpCallback, ReceiveSite } from './graph';
import { type AliasScope, expandAlias } from './moduleNames';
import { followPath } from './nodeIds';

export interface OtpFacts {
  readonly behaviours: OtpBehaviourUse[];
  readonly callbacks: OtpCallback[];
  readonly sends: MessageSend[];
  readonly receives: ReceiveSite[];
}

/** Callbacks (`name/arity`, optional ones included) of the standard behaviours, Elixir 1.14 / OTP 25. */
export const CALLBACKS: Readonly<Record<string, readonly string[]>> = {
  GenServer: ['init/1', 'handle_call/3', 'handle_cast/2', 'handle_info/2', 'handle_continue/2', 'terminate/2', 'code_change/3', 'format_status/2'],
  ':gen_server': ['init/1', 'handle_call/3', 'handle_cast/2', 'handle_info/2', 'handle_continue/2', 'terminate/2', 'code_change/3', 'format_status/1', 'format_status/2'],
  Supervisor: ['init/1'],
  ':supervisor': ['init/1'],
  DynamicSupervisor: ['init/1'],
  Application: ['start/2', 'stop/1', 'prep_stop/1', 'start_phase/3', 'config_change/3'],
  ':application': ['start/2', 'stop/1', 'prep_stop/1', 'start_phase/3', 'config_change/3'],
  GenStage: [
    'init/1', 'handle_demand/2', 'handle_events/3', 'handle_subscribe/4', 'handle_cancel/3', 'handle_call/3',
    'handle_cast/2', 'handle_info/2', 'terminate/2', 'code_change/3', 'format_status/2',
  ],
  ConsumerSupervisor: ['init/1'],
  GenEvent: ['init/1', 'handle_event/2', 'handle_call/2', 'handle_info/2', 'terminate/2', 'code_change/3'],
  ':gen_event': ['init/1', 'handle_event/2', 'handle_call/2', 'handle_info/2', 'terminate/2', 'code_change/3', 'format_status/2'],
  ':gen_statem': ['init/1', 'callback_mode/0', 'handle_event/4', 'terminate/3', 'code_change/4', 'format_status/2'],
  // `use Agent` and `use Task` only define `child_spec/1`; they name a process kind, not callbacks.
  Agent: [],
  Task: [],
};

/** The modules whose `use` makes an OTP process module (the `@behaviour` they set, or the process kind). */
export const OTP_USES: ReadonlySet<string> = new Set([
  'GenServer',
  'Supervisor',
  'DynamicSupervisor',
  'Agent',
  'Task',
  'Application',
  'GenStage',
  'ConsumerSupervisor',
  'GenEvent',
]);

export function findOtpFacts(analysis: FileAnalysis): OtpFacts {
  const { modules, functions } = analysis.definitions;
  const behaviours: OtpBehaviourUse[] = [];
  const behavioursOf = new Map<string, string[]>();
  for (const module of modules) {
    for (const directive of module.directives) {
      if (directive.kind === 'use' && !OTP_USES.has(directive.module)) continue;
      behaviours.push({ module: module.name, behaviour: directive.module, via: directive.kind === 'use' ? 'use' : 'behaviour', line: directive.line, column: directive.column });
      const list = behavioursOf.get(module.name) ?? [];
      if (!list.includes(directive.module)) list.push(directive.module);
      behavioursOf.set(module.name, list);
    }
  }
  const sends: MessageSend[] = [];
  const receives: ReceiveSite[] = [];
  functions.forEach((clause, index) => {
    for (const site of analysis.callSites[index] ?? []) {
      const send = messageSend(clause, site, analysis.text);
      if (send) sends.push(send);
    }
    receiveSites(clause, clause.node, [], false, analysis.text, receives);
  });
  const callbacks = findCallbacks(functions, behavioursOf);
  return { behaviours, callbacks, sends: sends.map((send) => withSelfDestination(send, callbacks, functions)), receives };
}

/**
 * `self()` names the server's own process inside a callback (callbacks run in the process the
 * behaviour started), so a send to it there goes to the callback's module. In any other function
 * `self()` is whoever called it, which syntax cannot tell.
 */
function withSelfDestination(send: MessageSend, callbacks: readonly OtpCallback[], functions: readonly FunctionClause[]): MessageSend {
  if (send.targetModule !== null || send.target !== 'self()') return send;
  if (!callbacks.some((callback) => callback.clause === send.caller)) return send;
  const module = functions.find((clause) => clause.id === send.caller)?.module;
  return module === undefined ? send : { ...send, targetModule: module };
}

// ---------------------------------------------------------------------------------------------
// Callbacks.

function findCallbacks(functions: readonly FunctionClause[], behavioursOf: ReadonlyMap<string, readonly string[]>): OtpCallback[] {
  // `@impl` is written once, before a function's first clause, and holds for all its clauses.
  const implOf = new Map<string, string>();
  for (const clause of functions) {
    const key = functionKey(clause);
    if (clause.impl !== null && !implOf.has(key)) implOf.set(key, clause.impl);
  }
  const callbacks: OtpCallback[] = [];
  for (const clause of functions) {
    if (clause.dynamic || clause.arity === null || (clause.kind !== 'def' && clause.kind !== 'defdelegate')) continue;
    const callback = `${clause.name}/${clause.arity}`;
    const declared = behavioursOf.get(clause.module) ?? [];
    const impl = implOf.get(functionKey(clause));
    if (impl === 'false') continue;
    const fromTable = declared.filter((behaviour) => CALLBACKS[behaviour]?.includes(callback));
    if (impl === undefined) {
      for (const behaviour of fromTable) callbacks.push({ clause: clause.id, behaviour, callback });
    } else if (impl !== 'true') {
      callbacks.push({ clause: clause.id, behaviour: impl, callback });
    } else if (fromTable.length > 0) {
      for (const behaviour of fromTable) callbacks.push({ clause: clause.id, behaviour, callback });
    } else {
      // `@impl true` for a behaviour without a known table: the one such behaviour, if unique.
      const unknown = declared.filter((behaviour) => CALLBACKS[behaviour] === undefined);
      callbacks.push({ clause: clause.id, behaviour: unknown.length === 1 ? unknown[0]! : '?', callback });
    }
  }
  return callbacks;
}

function functionKey(clause: FunctionClause): string {
  return `${clause.module}\u0000${clause.name}\u0000${clause.arity}`;
}

// ---------------------------------------------------------------------------------------------
// Sends.

interface SendApi {
  readonly kind: MessageKind;
  /** Index of the destination and of the message among the call's arguments (the piped value is 0). */
  readonly target: number;
  readonly message: number;
}

/** `Module.name/arity` → what the call sends. Imported `send/2` is Kernel's. */
const SEND_APIS: ReadonlyMap<string, SendApi> = sendApis([
  ['send', 0, 1, ['Kernel.send/2', ':erlang.send/2', ':erlang.send/3', 'Process.send/3']],
  // `Process.send_after(dest, msg, time)` but `:erlang.send_after(time, dest, msg)`.
  ['send_after', 0, 1, ['Process.send_after/3', 'Process.send_after/4']],
  ['send_after', 1, 2, [':erlang.send_after/3', ':erlang.send_after/4', ':timer.send_after/3']],
  ['call', 0, 1, ['GenServer.call/2', 'GenServer.call/3', ':gen_server.call/2', ':gen_server.call/3', 'GenStage.call/2', 'GenStage.call/3']],
  ['call', 0, 1, [':gen_statem.call/2', ':gen_statem.call/3']],
  ['cast', 0, 1, ['GenServer.cast/2', ':gen_server.cast/2', 'GenStage.cast/2', ':gen_statem.cast/2']],
  ['reply', 0, 1, ['GenServer.reply/2', ':gen_server.reply/2', 'GenStage.reply/2', ':gen_statem.reply/2']],
  // An Agent is a GenServer whose messages are functions: get/update run in the agent and wait
  // for it (a call), `cast` does not wait. The message is the function (or the module of an MFA).
  ['call', 0, 1, ['Agent.get/2', 'Agent.get/3', 'Agent.get/4', 'Agent.get/5', 'Agent.update/2', 'Agent.update/3', 'Agent.update/4', 'Agent.update/5']],
  ['call', 0, 1, ['Agent.get_and_update/2', 'Agent.get_and_update/3', 'Agent.get_and_update/4', 'Agent.get_and_update/5']],
  ['cast', 0, 1, ['Agent.cast/2', 'Agent.cast/4']],
]);

function sendApis(rows: readonly [MessageKind, number, number, readonly string[]][]): Map<string, SendApi> {
  const apis = new Map<string, SendApi>();
  for (const [kind, target, message, names] of rows) for (const name of names) apis.set(name, { kind, target, message });
  return apis;
}

function messageSend(clause: FunctionClause, site: CallSite, text: string): MessageSend | null {
  if (site.inQuote || site.capture || site.name === null) return null;
  let module: string | null;
  if (site.kind === 'remote') module = site.module;
  else if (site.kind === 'imported') module = site.candidates.includes('Kernel') ? 'Kernel' : null;
  else return null;
  const via = `${module}.${site.name}/${site.arity}`;
  const api = SEND_APIS.get(via);
  if (api === undefined || (site.kind === 'imported' && via !== 'Kernel.send/2')) return null;
  const args = callArguments(clause, site);
  const target = args[api.target] ?? null;
  const message = args[api.message] ?? null;
  return {
    caller: site.caller,
    path: site.path,
    kind: api.kind,
    via,
    targetModule: target === null ? null : destinationModule(target, clause.scope),
    target: target === null ? '' : shortened(sourceOf(target, text)),
    message: message === null ? '' : shortened(sourceOf(message, text)),
    line: site.line,
    column: site.column,
  };
}

/** The call's arguments as evaluated: on the right of `|>`, the piped expression comes first. */
function callArguments(clause: FunctionClause, site: CallSite): readonly AstNode[] {
  const node = followPath(clause.node, site.path);
  if (node === undefined || (node.kind !== 'call' && node.kind !== 'remote')) return [];
  if (!site.piped) return node.args;
  const pipe = followPath(clause.node, site.path.slice(0, -1));
  return pipe !== undefined && isCall(pipe, '|>') && pipe.args.length === 2 ? [pipe.args[0]!, ...node.args] : node.args;
}

function destinationModule(node: AstNode, scope: AliasScope): string | null {
  if (node.kind === 'variable' && node.name !== '__MODULE__') return null;
  // A bare atom is a registered name, not a module, unless it is an Erlang module written as one.
  if (node.kind === 'atom') return null;
  const module = expandAlias(node, scope);
  return module === null || module.dynamic ? null : module.text;
}

// ---------------------------------------------------------------------------------------------
// Receives.

/** `path` is the walk's own stack, grown and shrunk in place: `receive`s are rare, so only a found one copies it. */
function receiveSites(clause: FunctionClause, node: AstNode, path: number[], inQuote: boolean, text: string, out: ReceiveSite[]): void {
  if (node.kind === 'call') {
    if (node.name === 'quote') inQuote = true;
    else if (node.name === 'unquote' && inQuote) inQuote = false;
    else if (node.name === 'receive' && !inQuote && node.args.length > 0) {
      const options = node.args[node.args.length - 1];
      const clauses = keywordValue(options, 'do');
      const patterns: string[] = [];
      if (clauses?.kind === 'list') {
        for (const arrow of clauses.items) {
          if (isCall(arrow, '->') && arrow.args[0]?.kind === 'list') {
            patterns.push(shortened(arrow.args[0].items.map((pattern) => sourceOf(pattern, text)).join(', ')));
          }
        }
      }
      out.push({ clause: clause.id, path: [...path], patterns, hasAfter: keywordValue(options, 'after') !== undefined, line: node.line, column: node.column });
    }
  }
  const children = childrenOf(node);
  for (let index = 0; index < children.length; index++) {
    path.push(index);
    receiveSites(clause, children[index]!, path, inQuote, text, out);
    path.pop();
  }
}

// ---------------------------------------------------------------------------------------------

const MAX_TEXT = 80;

function sourceOf(node: AstNode, text: string): string {
  return text.slice(node.start, node.end);
}

/** Source text on one line, cut to about 80 characters. */
function shortened(source: string): string {
  const flat = source.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_TEXT ? flat : `${flat.slice(0, MAX_TEXT - 1)}…`;
}
