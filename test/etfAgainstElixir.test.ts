/**
 * The decoder and `inspectTerm` against a real `elixir` (1.14): `test/fixtures/etf/terms.exs`
 * prints a few hundred varied terms, each as `:erlang.term_to_binary/2` in several encodings
 * (minor versions 0, 1 and 2, and sometimes compressed) with Elixir's own `inspect/1`. Every
 * encoding must decode, and our rendering must be Elixir's exactly, except for the cases listed in
 * JUSTIFIED, where Elixir prints with knowledge the recorder does not have (the struct's module
 * and its `Inspect` implementation, the name of the function that defined a closure) or where we
 * print the agent's truncation marker as `...` on purpose. Each of those asserts what we print
 * today, so a change in either direction is seen.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeTerm } from '../adapter/agent/etf';
import { inspectTerm } from '../adapter/agent/inspect';
import { repoRoot } from './support/corpus';

interface ElixirCase {
  readonly label: string;
  readonly etf: readonly string[];
  readonly inspect: string;
}

/** What we print instead of Elixir's output, and why; keyed by the script's labels. */
const JUSTIFIED: Record<string, { readonly why: string; readonly ours: (elixir: string) => string | RegExp }> = {
  'struct:exception': {
    why: 'Elixir prints struct fields in defstruct order (from the module); we have the map, sorted',
    ours: () => '%ElixirScopeProbe.Failure{code: 7, message: "boom"}',
  },
  'struct:defstruct-order': {
    why: 'defstruct order (z, a) is known only to the module',
    ours: () => '%ElixirScopeProbe.Reversed{a: 2, z: 1}',
  },
  'struct:unknown-module': {
    why: 'Elixir falls back to a map when the struct module is not loaded; the recorder never has the module, so it always prints the struct form',
    ours: () => '%NoSuchModule{a: 1}',
  },
  'struct:inspect-impl:URI': {
    why: 'URI derives Inspect with its own field order',
    ours: () => '%URI{authority: "example.com", fragment: nil, host: "example.com", path: "/a", port: 80, query: "b=1", scheme: "http", userinfo: nil}',
  },
  'struct:inspect-impl:Date': { why: 'Date has its own Inspect (~D[...])', ours: () => '%Date{calendar: Calendar.ISO, day: 2, month: 1, year: 2024}' },
  'struct:inspect-impl:MapSet': {
    why: 'MapSet has its own Inspect (MapSet.new([...]))',
    ours: () => '%MapSet{map: %{1 => [], 2 => [], 3 => []}, version: 2}',
  },
  'struct:inspect-impl:Range': { why: 'Range has its own Inspect (1..10)', ours: () => '%Range{first: 1, last: 10, step: 1}' },
  'struct:inspect-impl:Regex': {
    why: 'Regex has its own Inspect (~r/.../); the compiled pattern bytes depend on the PCRE version',
    ours: () => /^%Regex\{opts: "i", re_pattern: \{:re_pattern, 0, 0, 0, <<.*, \.\.\.>>\}, re_version: \{".*", :little\}, source: "a\+b"\}$/,
  },
  'struct:inspect-impl:Version': {
    why: 'Version derives Inspect with optional fields left out',
    ours: () => '%Version{build: nil, major: 1, minor: 2, patch: 3, pre: []}',
  },
  'closure:identity': { why: 'the defining function (.closures/0) is in the loaded module, not the term', ours: withoutDefiningFunction },
  'closure:free-variable': { why: 'as closure:identity', ours: withoutDefiningFunction },
  'closure:arity-0': { why: 'as closure:identity', ours: withoutDefiningFunction },
  'truncated:items': { why: 'the agent\'s truncation marker prints as ...', ours: () => '[1, 2, ...]' },
};

/** `#Function<0.1/1 in Mod.fun/0>` → `#Function<0.1/1 in Mod>`. */
function withoutDefiningFunction(elixir: string): string {
  return elixir.replace(/ in (.+)\.[^.]+\/\d+>$/, ' in $1>');
}

function runElixir(): ElixirCase[] {
  const root = repoRoot();
  const script = path.join(root, 'test', 'fixtures', 'etf', 'terms.exs');
  const result = spawnSync('elixir', [script], { encoding: 'utf8', cwd: root, maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw new Error(`cannot run elixir: ${result.error.message}`);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ElixirCase);
}

test('decoded terms print as Elixir 1.14 prints them, apart from the justified cases', (t) => {
  const cases = runElixir();
  assert.ok(cases.length >= 300, `only ${cases.length} terms from elixir`);
  let exact = 0;
  let encodings = 0;
  const justifiedSeen = new Set<string>();
  const unexpected: string[] = [];
  for (const elixirCase of cases) {
    const printed = new Set<string>();
    for (const base64 of elixirCase.etf) {
      printed.add(inspectTerm(decodeTerm(new Uint8Array(Buffer.from(base64, 'base64')))));
      encodings++;
    }
    assert.equal(printed.size, 1, `${elixirCase.label}: the encodings print differently: ${[...printed].join(' | ')}`);
    const ours = [...printed][0];
    const justified = JUSTIFIED[elixirCase.label];
    if (justified !== undefined) {
      justifiedSeen.add(elixirCase.label);
      assert.notEqual(ours, elixirCase.inspect, `${elixirCase.label} now matches Elixir: remove it from JUSTIFIED`);
      const expected = justified.ours(elixirCase.inspect);
      if (typeof expected === 'string') assert.equal(ours, expected, elixirCase.label);
      else assert.match(ours, expected, elixirCase.label);
      continue;
    }
    if (ours === elixirCase.inspect) exact++;
    else unexpected.push(`${elixirCase.label}:\n  elixir: ${elixirCase.inspect}\n  ours:   ${ours}`);
  }
  assert.deepEqual(unexpected, []);
  assert.deepEqual([...justifiedSeen].sort(), Object.keys(JUSTIFIED).sort());
  t.diagnostic(`${exact} of ${cases.length} terms print exactly as Elixir does (${encodings} encodings decoded); ${justifiedSeen.size} justified differences`);
});
