/**
 * Unit tests for the node-ID format: the names Elixir allows (operators, dynamic `unquote` names,
 * `?` arities) must survive a round trip through `parseNodeId`, and text that is not a node ID
 * must be rejected rather than half-parsed.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { functionClauseId, moduleLevelNodeId, nodeIdOf, parseNodeId, type ParsedNodeId } from './nodeId';

function clauseNode(owner: string, path: number[]): ParsedNodeId {
  return { owner, path, moduleLevel: false };
}

test('parseNodeId reads operator names, whose characters overlap the separators', () => {
  const cases: [string, ParsedNodeId][] = [
    ['Kernel.+/2#1', clauseNode('Kernel.+/2#1', [])],
    ['Kernel.../2#1', clauseNode('Kernel.../2#1', [])],
    ['Kernel.//2#1:0.1', clauseNode('Kernel.//2#1', [0, 1])],
    ['Kernel.::/2#1:3', clauseNode('Kernel.::/2#1', [3])],
    ['Kernel.@/1#2:1.0.0', clauseNode('Kernel.@/1#2', [1, 0, 0])],
    ['Kernel.#/1#1', clauseNode('Kernel.#/1#1', [])],
    ['Kernel.<<>>/1#1:0', clauseNode('Kernel.<<>>/1#1', [0])],
    ['Kernel...///3#1:2.10', clauseNode('Kernel...///3#1', [2, 10])],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseNodeId(text), expected, text);
});

test('parseNodeId reads dynamic names, which may hold any character', () => {
  const cases: [string, ParsedNodeId][] = [
    ['Base.unquote(name)/2#3', clauseNode('Base.unquote(name)/2#3', [])],
    ['Base.unquote(name)/2#3:1.0', clauseNode('Base.unquote(name)/2#3', [1, 0])],
    // A name expression that itself looks like an arity, a clause and a path.
    ['M.unquote(:"f/1#2:3")/1#4:5', clauseNode('M.unquote(:"f/1#2:3")/1#4', [5])],
    ['M.unquote(:"a@0")/0#1', clauseNode('M.unquote(:"a@0")/0#1', [])],
    ['M.unquote(fun)(\n)/0#1', clauseNode('M.unquote(fun)(\n)/0#1', [])],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseNodeId(text), expected, text);
});

test('parseNodeId reads the `?` arity of an argument list with unquote_splicing', () => {
  assert.deepEqual(parseNodeId('M.unquote(name)/?#1'), clauseNode('M.unquote(name)/?#1', []));
  assert.deepEqual(parseNodeId('M.f/?#2:0.3'), clauseNode('M.f/?#2', [0, 3]));
});

test('parseNodeId reads module-level IDs, splitting at the last @', () => {
  assert.deepEqual(parseNodeId('Foo.Bar@0.2'), { owner: 'Foo.Bar', path: [0, 2], moduleLevel: true });
  assert.deepEqual(parseNodeId('Foo@1'), { owner: 'Foo', path: [1], moduleLevel: true });
  assert.deepEqual(parseNodeId('<file>@3'), { owner: '<file>', path: [3], moduleLevel: true });
  // A script's owner is its path, which may itself contain `@`.
  assert.deepEqual(parseNodeId('test/a@b.exs@0.1'), { owner: 'test/a@b.exs', path: [0, 1], moduleLevel: true });
});

test('parseNodeId rejects text that is not a node ID', () => {
  const garbage = [
    '',
    'Foo',
    'Foo.bar',
    'Foo.bar/1',
    'Foo.bar/1#',
    'Foo.bar/#1',
    'Foo.bar/x#1',
    'Foo.bar/-1#1',
    'Foo.bar/1#x',
    'Foo.bar/1#1:',
    'Foo.bar/1#1:0.',
    'Foo.bar/1#1:.0',
    'Foo.bar/1#1:0..1',
    'Foo.bar/1#1:a',
    'Foo.bar/1#1 ',
    '/1#1',
    '@0',
    'Foo@',
    'Foo@a',
    'Foo@0.',
    'Foo@-1',
  ];
  for (const text of garbage) assert.equal(parseNodeId(text), undefined, JSON.stringify(text));
});

test('functionClauseId and nodeIdOf build what parseNodeId reads back', () => {
  const refs = [
    { module: 'MyApp.Worker', name: 'handle_call', arity: 3, clause: 2 },
    { module: 'Kernel', name: '..', arity: 2, clause: 1 },
    { module: 'Kernel', name: '/', arity: 2, clause: 1 },
    { module: 'Base', name: 'unquote(name)', arity: 2, clause: 3 },
    { module: 'Base', name: 'unquote(name)', arity: null, clause: 1 },
  ];
  for (const ref of refs) {
    const clauseId = functionClauseId(ref);
    assert.equal(clauseId, `${ref.module}.${ref.name}/${ref.arity ?? '?'}#${ref.clause}`);
    assert.deepEqual(parseNodeId(nodeIdOf(clauseId, [])), clauseNode(clauseId, []));
    assert.deepEqual(parseNodeId(nodeIdOf(clauseId, [1, 0, 12])), clauseNode(clauseId, [1, 0, 12]));
  }
  assert.equal(nodeIdOf('M.f/1#1', []), 'M.f/1#1');
  assert.equal(nodeIdOf('M.f/1#1', [0, 2]), 'M.f/1#1:0.2');
});

test('moduleLevelNodeId builds what parseNodeId reads back', () => {
  assert.equal(moduleLevelNodeId('Foo.Bar', [1, 0, 0]), 'Foo.Bar@1.0.0');
  assert.deepEqual(parseNodeId(moduleLevelNodeId('Foo.Bar', [1, 0, 0])), {
    owner: 'Foo.Bar',
    path: [1, 0, 0],
    moduleLevel: true,
  });
  // The analyzer never hands out an empty module-level path (a module's own node is named from
  // outside it), so `Foo.Bar@` is not an ID.
  assert.equal(parseNodeId('Foo.Bar@'), undefined);
});
