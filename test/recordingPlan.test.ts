/**
 * The recording planner: what each mode plans on a small fixture (by hand), and, on real stdlib
 * files, that every node it names sits exactly where Elixir's own parser puts that node — the
 * agent finds nodes by those positions, so a planner position Elixir does not have is a node
 * that silently goes unrecorded.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filesToInstrument, planFiles } from '../server/workspace/recordingSetup';
import { elixirCorpusRoot, repoRoot } from './support/corpus';

const SHOP = path.join(repoRoot(), 'test', 'fixtures', 'cpg');

test('minimal plans public functions and callbacks; debug adds private ones and bindings; full adds pipe stages', async () => {
  const files = filesToInstrument(SHOP, ['lib']);
  assert.equal(files.length, 4);

  const minimal = (await planFiles(files, 'minimal')).manifest;
  const minimalClauses = minimal.nodes.filter((node) => node.kind === 'clause').map((node) => node.id);
  assert.ok(minimalClauses.includes('Shop.Cart.total/1#1'));
  assert.ok(minimalClauses.includes('Shop.Checkout.handle_call/3#1'));
  assert.ok(!minimalClauses.includes('Shop.Cart.line_total/1#1'), 'private functions are not in minimal');
  assert.ok(!minimalClauses.some((id) => id.startsWith('Shop.Format.pad/2')), 'a delegate is not instrumented');
  assert.equal(minimal.nodes.filter((node) => node.kind !== 'clause').length, 0);

  const debug = (await planFiles(files, 'debug')).manifest;
  const debugIds = new Set(debug.nodes.map((node) => node.id));
  assert.ok(debugIds.has('Shop.Cart.line_total/1#1') && debugIds.has('Shop.Cart.line_total/1#2'));
  const item = debug.nodes.find((node) => node.kind === 'binding' && node.name === 'item' && node.id.startsWith('Shop.Cart.add/3#1'));
  assert.deepEqual(item && { line: item.line, column: item.column }, { line: 11, column: 5 });
  const cart = debug.modules.find((module) => module.module === 'Shop.Cart')!;
  assert.equal(cart.file, path.join(SHOP, 'lib', 'shop', 'cart.ex'));
  assert.match(cart.sourceHash, /^[0-9a-f]{40}$/);
  for (const index of [...cart.clauses, ...cart.bindings]) assert.ok(debug.nodes[index], 'module entries index into nodes');

  const full = (await planFiles(files, 'full')).manifest;
  const pipes = full.nodes.filter((node) => node.kind === 'expression' && node.id.startsWith('Shop.Cart.total/1#1'));
  assert.deepEqual(pipes.map((node) => node.line).sort(), [17, 18, 19], 'one value per stage of the pipe in total/1');
});

test('every planned node is where Elixir puts it, on stdlib files', { timeout: 120_000 }, async () => {
  const root = elixirCorpusRoot();
  const files = ['option_parser.ex', 'uri.ex', 'version.ex', 'keyword.ex', 'path.ex', 'base.ex', 'enum.ex'].map((name) =>
    path.join(root, 'lib', 'elixir', 'lib', name),
  );
  const { manifest } = await planFiles(files, 'full');
  const output = execFileSync('elixir', [path.join(repoRoot(), 'test', 'support', 'astPositions.exs'), ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const known = new Set<string>();
  for (const line of output.split('\n')) {
    if (!line) continue;
    const node = JSON.parse(line) as { file: string; kind: string; name: string; line: number; column: number };
    known.add(`${node.file}:${node.kind}:${node.line}:${node.column}`);
    if (node.kind === 'variable') known.add(`${node.file}:variable:${node.name}:${node.line}:${node.column}`);
  }
  const fileOfNode = new Map<number, string>();
  for (const module of manifest.modules) {
    for (const index of [...module.clauses, ...module.bindings, ...module.expressions]) fileOfNode.set(index, module.file);
  }
  const missing: string[] = [];
  const counts = { clause: 0, binding: 0, expression: 0 };
  manifest.nodes.forEach((node, index) => {
    counts[node.kind]++;
    const file = fileOfNode.get(index)!;
    const key =
      node.kind === 'clause'
        ? `${file}:definition:${node.line}:${node.column}`
        : node.kind === 'binding'
          ? `${file}:variable:${node.name}:${node.line}:${node.column}`
          : `${file}:pipe:${node.line}:${node.column}`;
    if (!known.has(key)) missing.push(`${node.kind} ${node.id} at ${node.line}:${node.column}`);
  });
  // Base and others define clauses with `unquote` names inside comprehensions; those are dynamic
  // and never planned, so every planned node must be found.
  assert.ok(counts.clause > 500 && counts.binding > 1000 && counts.expression > 100, JSON.stringify(counts));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} planned nodes Elixir does not have`);
});

test('a plan is cached by the files\' content and reused; a changed file is planned again', async () => {
  const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-plans-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-plan-source-'));
  try {
    const file = path.join(workspace, 'a.ex');
    fs.writeFileSync(file, 'defmodule A do\n  def f(x), do: x + 1\nend\n');
    const first = await planFiles([file], 'debug', { cacheDirectory });
    assert.equal(fs.readdirSync(path.join(cacheDirectory, 'plans')).length, 1);
    const again = await planFiles([file], 'debug', { cacheDirectory });
    assert.deepEqual(again.manifest, first.manifest);
    fs.writeFileSync(file, 'defmodule A do\n  def f(x), do: x + 1\n  def g(y), do: y\nend\n');
    const changed = await planFiles([file], 'debug', { cacheDirectory });
    assert.ok(changed.manifest.nodes.some((node) => node.id === 'A.g/1#1'), 'the new clause is planned');
    assert.equal(fs.readdirSync(path.join(cacheDirectory, 'plans')).length, 2);
  } finally {
    fs.rmSync(cacheDirectory, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
