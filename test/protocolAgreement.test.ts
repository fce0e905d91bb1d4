/**
 * The wire protocol is defined in `common/traceProtocol.ts` and mirrored, by hand, in the agent's
 * `ElixirScope.Protocol`: two processes that disagree about a code fail silently, so this test
 * asks the Elixir module for every constant (with the installed `elixir`) and compares.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ClientCommand, LspMethod } from '../common/lspProtocol';
import {
  DEFAULT_VALUE_LIMITS,
  ENVIRONMENT,
  EventType,
  FrameKind,
  PROTOCOL_VERSION,
  TAIL_CALL_TAG,
  TRUNCATED_TAG,
} from '../common/traceProtocol';
import { repoRoot } from './support/corpus';

test('the agent and the recorder agree on every protocol constant', () => {
  const protocol = path.join(repoRoot(), 'runtime', 'lib', 'elixir_scope', 'protocol.ex');
  const script = `
    Code.require_file(${JSON.stringify(protocol)})
    alias ElixirScope.Protocol
    pairs = fn map -> map |> Enum.sort() |> Enum.map(fn {k, v} -> [Atom.to_string(k), v] end) end
    env = for name <- [:port, :token, :manifest], do: [Atom.to_string(name), Protocol.environment_variable(name)]
    limits = Protocol.default_value_limits()
    IO.inspect(%{
      version: Protocol.protocol_version(),
      frames: pairs.(Protocol.frame_kind_codes()),
      events: pairs.(Protocol.event_type_codes()),
      truncated: Atom.to_string(Protocol.truncated_tag()),
      tail_call: Atom.to_string(Protocol.tail_call_tag()),
      environment: env,
      limits: [limits.depth, limits.items, limits.bytes]
    }, limit: :infinity, printable_limit: :infinity)
  `;
  const printed = execFileSync('elixir', ['-e', script], { encoding: 'utf8' });
  // The map is printed as Elixir data; its lists of pairs read as JSON once `%{` and `key:` go.
  const json = printed
    .trim()
    .replace(/^%\{/, '{')
    .replace(/(\w+): /g, '"$1": ');
  const elixir = JSON.parse(json) as {
    version: number;
    frames: [string, number][];
    events: [string, number][];
    truncated: string;
    tail_call: string;
    environment: [string, string][];
    limits: [number, number, number];
  };
  const sorted = (record: Record<string, number | string>) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.equal(elixir.version, PROTOCOL_VERSION);
  assert.deepEqual(elixir.frames, sorted(FrameKind));
  assert.deepEqual(elixir.events, sorted(EventType));
  assert.equal(elixir.truncated, TRUNCATED_TAG);
  assert.equal(elixir.tail_call, TAIL_CALL_TAG);
  assert.deepEqual(elixir.environment.sort(), sorted(ENVIRONMENT));
  assert.deepEqual(elixir.limits, [DEFAULT_VALUE_LIMITS.depth, DEFAULT_VALUE_LIMITS.items, DEFAULT_VALUE_LIMITS.bytes]);
});

test('every custom LSP method and client command is documented in docs/protocol.md', () => {
  const documentation = fs.readFileSync(path.join(repoRoot(), 'docs', 'protocol.md'), 'utf8');
  const names = [...Object.values(LspMethod), ...Object.values(ClientCommand)];
  assert.ok(names.length >= 6);
  for (const name of names) assert.ok(documentation.includes(`\`${name}\``), `${name} is not described in docs/protocol.md`);
  assert.ok(!documentation.includes('`elixirScope/notAMethod`'), 'the check can fail');
});
