/**
 * OTP facts of a file: behaviour modules, the clauses that implement their callbacks, message
 * sends with their destination, and receive sites.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from '../../test/support/corpus';
import { ElixirParser } from '../syntax/parser';
import { analyzeSource } from './fileAnalysis';
import { type OtpFacts, findOtpFacts } from './otp';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

function facts(source: string): OtpFacts {
  return findOtpFacts(analyzeSource(parser, 'lib/fixture.ex', source));
}

/** `kind via → targetModule (target) message @line:column`. */
function sends(otp: OtpFacts): string[] {
  return otp.sends.map((send) => `${send.kind} ${send.via} → ${send.targetModule ?? '-'} (${send.target}) ${send.message} @${send.line}:${send.column}`);
}

test('a GenServer and an Agent: behaviours, callbacks, sends and receives (fixture project)', () => {
  const file = path.join(repoRoot(), 'test', 'fixtures', 'callgraph', 'lib', 'counter.ex');
  const otp = findOtpFacts(analyzeSource(parser, 'lib/counter.ex', fs.readFileSync(file, 'utf8')));
  assert.deepEqual(otp.behaviours, [
    { module: 'Fixture.Counter', behaviour: 'GenServer', via: 'use', line: 2, column: 3 },
    { module: 'Fixture.Store', behaviour: 'Agent', via: 'use', line: 33, column: 3 },
  ]);
  assert.deepEqual(
    otp.callbacks.map((callback) => `${callback.clause} ${callback.behaviour} ${callback.callback}`),
    [
      'Fixture.Counter.init/1#1 GenServer init/1',
      'Fixture.Counter.handle_call/3#1 GenServer handle_call/3',
      'Fixture.Counter.handle_cast/2#1 GenServer handle_cast/2',
      'Fixture.Counter.handle_info/2#1 GenServer handle_info/2',
      'Fixture.Counter.handle_info/2#2 GenServer handle_info/2',
    ],
  );
  assert.deepEqual(sends(otp), [
    'cast GenServer.cast/2 → Fixture.Counter (__MODULE__) :increment @5:32',
    'call GenServer.call/3 → - (server) :value @6:50',
    'send_after Process.send_after/3 → Fixture.Counter (__MODULE__) :tick @7:31',
    'call Agent.get/2 → Fixture.Store (__MODULE__) &Map.get(&1, key) @36:27',
    'call Agent.update/2 → Fixture.Store (__MODULE__) &Map.put(&1, key, value) @37:34',
  ]);
  assert.deepEqual(otp.receives, [
    {
      clause: 'Fixture.Counter.wait_for_reply/1#1',
      path: [1, 0, 0],
      patterns: ['{:reply, value}', '{:error, reason} when is_atom(reason)'],
      hasAfter: true,
      line: 23,
      column: 5,
    },
  ]);
});

test('@behaviour and @impl: table callbacks, @impl Mod, @impl false, and @impl true for an unknown behaviour', () => {
  const otp = facts(`defmodule Machine do
  alias My.Plugin
  @behaviour :gen_statem
  @behaviour Plugin
  def callback_mode, do: :state_functions
  @impl false
  def init(args), do: {:ok, :idle, args}
  @impl Plugin
  def configure(opts), do: opts
  @impl true
  def describe(x), do: x
  def terminate(_reason, _state, _data), do: :ok
  def helper(x), do: x
end
`);
  assert.deepEqual(otp.behaviours.map((use) => `${use.behaviour} ${use.via}`), [':gen_statem behaviour', 'My.Plugin behaviour']);
  assert.deepEqual(
    otp.callbacks.map((callback) => `${callback.clause} ${callback.behaviour}`),
    [
      'Machine.callback_mode/0#1 :gen_statem',
      'Machine.configure/1#1 My.Plugin',
      'Machine.describe/1#1 My.Plugin',
      'Machine.terminate/3#1 :gen_statem',
    ],
  );
});

test('sends: Kernel.send, piped, Erlang argument order, registered and global names; quoted code is left out', () => {
  const otp = facts(`defmodule Client do
  alias My.Server
  def run(pid) do
    send(pid, {:hello, self()})
    {:ping, 1} |> then(&send(Server, &1))
    :erlang.send_after(100, Server, :tick)
    GenServer.call({:global, :server}, :state)
    GenServer.cast(:registered, {:put, 1, 2})
    GenServer.reply(from(), :ok)
    quote do: send(pid, :never)
  end
  def from, do: nil
end
`);
  assert.deepEqual(sends(otp), [
    'send Kernel.send/2 → - (pid) {:hello, self()} @4:5',
    'send Kernel.send/2 → My.Server (Server) &1 @5:25',
    'send_after :erlang.send_after/3 → My.Server (Server) :tick @6:13',
    'call GenServer.call/2 → - ({:global, :server}) :state @7:15',
    'cast GenServer.cast/2 → - (:registered) {:put, 1, 2} @8:15',
    'reply GenServer.reply/2 → - (from()) :ok @9:15',
  ]);
});

test('a send on the right of a pipe takes the piped value as its first argument; long texts are cut', () => {
  const otp = facts(`defmodule Client do
  def run(pid) do
    pid |> send({:a_rather_long_message_name, "with a string payload that goes on and on", [1, 2, 3, 4, 5]})
  end
end
`);
  assert.equal(otp.sends.length, 1);
  const [send] = otp.sends;
  assert.equal(send!.target, 'pid');
  assert.equal(send!.message.length, 80);
  assert.ok(send!.message.endsWith('…'));
});

test('self() is the server inside a callback, and unknown anywhere else', () => {
  const otp = facts(`defmodule Server do
  use GenServer

  def poke, do: send(self(), :poke)

  @impl true
  def handle_info(:tick, state) do
    Process.send_after(self(), :tick, 1000)
    {:noreply, state}
  end
end
`);
  assert.deepEqual(sends(otp), [
    'send Kernel.send/2 → - (self()) :poke @4:17',
    'send_after Process.send_after/3 → Server (self()) :tick @8:13',
  ]);
});
