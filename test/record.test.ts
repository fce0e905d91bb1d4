/**
 * The recorder end to end on the bundled example: `elixirscope record -- mix test` in a fresh
 * copy of `examples/bank`, then the trace read back through the same queries the CLI answers.
 * What the example's tests do is known, so the assertions are exact: the transfers with their
 * arguments and results, the call tree under a withdrawal, an account's state history up to the
 * crash its test provokes, the restart, and the messages between the test and the account.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TraceReader } from '../adapter/trace/traceStore';
import { type CallRecord, type StackFrame, type StateRecord, type TimelineRecord, queryTrace, traceSummary } from '../adapter/trace/traceQuery';
import { repoRoot } from './support/corpus';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

let workspace: string;
let tracePath: string;
let recording: ReturnType<typeof spawnSync>;
let reader: TraceReader;

before(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-record-'));
  fs.cpSync(path.join(repoRoot(), 'examples', 'bank'), workspace, {
    recursive: true,
    filter: (source) => !/[\\/](_build|deps|\.elixirscope)([\\/]|$)/.test(source),
  });
  tracePath = path.join(workspace, 'bank.estrace');
  recording = spawnSync(process.execPath, [CLI, 'record', '--mode', 'debug', '--out', tracePath, '--', 'mix', 'test', '--seed', '0'], {
    cwd: workspace,
    encoding: 'utf8',
    timeout: 240_000,
  });
  reader = TraceReader.open(tracePath);
});

after(() => fs.rmSync(workspace, { recursive: true, force: true }));

function query<T>(value: unknown): T[] {
  return queryTrace(reader, value) as unknown as T[];
}

test('record runs the suite with the agent, exits with its code and says where the trace is', () => {
  assert.equal(recording.status, 0, String(recording.stderr));
  assert.match(String(recording.stdout), /19 tests, 0 failures, 1 excluded/);
  assert.match(String(recording.stderr), new RegExp(`trace written to ${tracePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const summary = traceSummary(reader);
  assert.equal(summary.complete, true, summary.endReason);
  assert.equal(summary.dropped.recorder, 0);
  assert.equal(summary.dropped.agent, 0);
  // `cached` when an earlier recording of the same sources already compiled them.
  assert.deepEqual(
    summary.modules.map((module) => [module.module, module.status === 'cached' ? 'instrumented' : module.status]).sort(),
    [
      ['Bank', 'instrumented'],
      ['Bank.Account', 'instrumented'],
      ['Bank.Application', 'instrumented'],
      ['Bank.Describable.Any', 'instrumented'],
      ['Bank.Describable.Bank.Money', 'instrumented'],
      ['Bank.Describable.Bank.Transaction', 'instrumented'],
      ['Bank.Money', 'instrumented'],
      ['Bank.Statement', 'instrumented'],
      ['Bank.Transaction', 'instrumented'],
      ['Bank.Transfer', 'instrumented'],
    ],
  );
  for (const type of ['call', 'return', 'raise', 'bind', 'spawn', 'exit', 'send', 'receive']) {
    assert.ok((summary.eventsByType[type] ?? 0) > 0, `the trace has ${type} events`);
  }
});

test('calls: every transfer with its arguments and its result', () => {
  const transfers = query<CallRecord>({ calls: 'Bank.Transfer.run/3' });
  const outcomes = transfers.map((call) => `${call.clause} ${call.args[2]} → ${call.result ?? call.exception?.reason}`).sort();
  // transfer_test.exs: 25.00 moved, 5.01 refused, a same-account transfer and a non-positive amount.
  assert.ok(outcomes.includes('Bank.Transfer.run/3#1 2500 → :ok'), outcomes.join('\n'));
  assert.ok(outcomes.includes('Bank.Transfer.run/3#1 501 → {:error, :insufficient_funds}'), outcomes.join('\n'));
  assert.ok(outcomes.some((outcome) => outcome.startsWith('Bank.Transfer.run/3#2 ') && outcome.endsWith('→ {:error, :same_account}')), outcomes.join('\n'));
  for (const call of transfers) {
    assert.equal(call.status, 'returned');
    assert.ok(call.end !== null && call.end >= call.start);
    assert.match(call.args[0]!, /^"\w+-\d+"$/, 'account ids are strings');
  }
});

test('stack: inside a withdrawal, the account callback and its caller chain on that process', () => {
  // money_test.exs calls subtract/2 directly; withdrawals call it inside the account's callback.
  const subtractions = query<CallRecord>({ calls: 'Bank.Money.subtract/2' });
  const stacks = subtractions.map((call) => query<StackFrame>({ stack: { pid: call.pid, at: call.start } }));
  for (const stack of stacks) {
    assert.match(stack[0]!.clause, /^Bank\.Money\.subtract\/2#/, 'the innermost frame is the call itself');
    for (let index = 1; index < stack.length; index++) assert.ok(stack[index]!.start <= stack[index - 1]!.start, 'innermost first');
  }
  const inAccount = stacks.filter((stack) => stack.some((frame) => frame.clause.startsWith('Bank.Account.handle_call/3#')));
  assert.ok(inAccount.length > 0, 'withdrawals run subtract/2 inside the account callback');
  for (const stack of inAccount) {
    assert.deepEqual(stack.slice(0, 2).map((frame) => frame.clause.replace(/#\d+$/, '')), ['Bank.Money.subtract/2', 'Bank.Account.handle_call/3']);
  }
  assert.ok(stacks.some((stack) => stack.length === 1), 'a direct call from a test has no recorded caller');
});

test('state history of the account that crashes: its states in order, then the crash, then the restart', () => {
  const crashes = query<CallRecord>({ calls: 'Bank.Account.handle_cast/2' }).filter((call) => call.args[0] === ':crash');
  assert.equal(crashes.length, 1);
  const crash = crashes[0]!;
  assert.equal(crash.status, 'raised');
  assert.match(crash.exception!.reason, /account alice-\d+ crashed on purpose/);

  const history = query<StateRecord>({ state_history: crash.pid });
  const callbacks = history.map((state) => state.callback);
  assert.equal(callbacks[0], 'init/1', 'the history starts at init');
  assert.equal(callbacks[callbacks.length - 1], 'handle_cast/2');
  assert.equal(history[history.length - 1]!.status, 'raised');
  const deposit = history.find((state) => state.message?.startsWith('{:deposit,'));
  assert.ok(deposit, 'the deposit before the crash is in the history');
  assert.match(deposit.state_before!, /cents: 10000/);
  assert.match(deposit.state_after!, /cents: 10500/);
  for (let index = 1; index < history.length; index++) {
    if (history[index - 1]!.state_after !== null) assert.equal(history[index]!.state_before, history[index - 1]!.state_after, 'each state follows the previous one');
  }

  const timeline = query<TimelineRecord>({ timeline: crash.pid });
  const exit = timeline.find((event) => event.type === 'exit');
  assert.ok(exit, 'the crashed process exits');
  assert.match(exit.value, /RuntimeError/);

  // The supervisor restarts the account: init/1 runs again for the same id, in another process.
  const id = /alice-\d+/.exec(crash.exception!.reason)![0];
  const inits = query<CallRecord>({ calls: 'Bank.Account.init/1' }).filter((call) => call.args[0]!.includes(`"${id}"`));
  assert.equal(inits.length, 2, inits.map((call) => call.pid).join(', '));
  assert.notEqual(inits[0]!.pid, inits[1]!.pid);
  assert.ok(inits[1]!.start > crash.start);
});

test('messages: the test process\'s calls to an account, matched with their receives', () => {
  const crash = query<CallRecord>({ calls: 'Bank.Account.handle_cast/2' }).find((call) => call.args[0] === ':crash')!;
  const deposit = query<StateRecord>({ state_history: crash.pid }).find((state) => state.message?.startsWith('{:deposit,'))!;
  const caller = /#PID<[\d.]+>/.exec(deposit.from!)![0];
  const messages = query<{ from: string; to: string; message: string; sent: number; received: number | null }>({ messages: { from: caller, to: crash.pid } });
  assert.ok(messages.some((message) => message.message.startsWith('{:"$gen_call",') && message.message.includes('{:deposit,')), JSON.stringify(messages.slice(0, 3)));
  assert.ok(messages.some((message) => message.message === '{:"$gen_cast", :crash}'));
  for (const message of messages) if (message.received !== null) assert.ok(message.received >= message.sent);
});

test('trace summary says whether the instrumented sources changed since the recording', () => {
  const summarize = () => {
    const result = spawnSync(process.execPath, [CLI, 'trace', 'summary', tracePath, '--json'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return (JSON.parse(result.stdout) as { sources: { module: string; state: string }[] }).sources;
  };
  assert.ok(summarize().every((source) => source.state === 'unchanged'));
  fs.appendFileSync(path.join(workspace, 'lib', 'bank', 'money.ex'), '\n# edited after the recording\n');
  const changed = summarize().filter((source) => source.state !== 'unchanged');
  assert.deepEqual(changed, [{ module: 'Bank.Money', file: path.join(workspace, 'lib', 'bank', 'money.ex'), state: 'changed' }]);
});
