/**
 * `nodeAt` and `functionGraph`, and every feature's behaviour on input that is not sound: an
 * empty file, a cursor past the end or at a nonsense position, a file the graph does not hold, a
 * file that cannot be read, astral characters and a byte-order mark.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureParser, openFixture, readFixture } from '../../test/support/ideFixture';
import { incomingCalls, prepareCallHierarchy } from './callHierarchy';
import { codeLenses } from './codeLens';
import { functionGraph } from './functionGraph';
import { hover } from './hover';
import { definition, references } from './navigation';
import { nodeAt } from './nodeAt';
import { documentSymbols, workspaceSymbols } from './symbols';

after(async () => (await fixtureParser()).dispose());

/** At the fixture's cursor: the node, and the graphs of its clause. */
async function check(fixture: string, expected: { nodeId: string; kind: string; label: string; clause: string | null; rangeLabel: string }): Promise<void> {
  const opened = await openFixture(readFixture(`robustness/${fixture}.txt`));
  try {
    const node = nodeAt(opened.view, opened.cursor.path, opened.cursor.position);
    assert.ok(node);
    assert.deepEqual(
      { nodeId: node.nodeId, kind: node.kind, label: node.label, clause: node.clause, rangeLabel: opened.label({ path: opened.cursor.path, range: node.range }) },
      expected,
    );
    const graphs = functionGraph(opened.view, opened.cursor.path, opened.cursor.position);
    assert.equal(graphs?.clause, expected.clause);
    assert.ok(graphs && graphs.cfg.nodes.length > 0 && graphs.cfg.clause === expected.clause && graphs.dfg.clause === expected.clause);
    assert.deepEqual(definition(opened.view, opened.cursor.path, opened.cursor.position).map((location) => opened.label(location)), ['loud']);
  } finally {
    opened.dispose();
  }
}

test('after astral characters and a byte-order mark, the node, its range and its clause', () =>
  check('astral_bom', { nodeId: 'Emoji.shout/1#1:1.0.0.1', kind: 'remote', label: 'Emoji.loud(x)', clause: 'Emoji.shout/1#1', rangeLabel: 'lib/emoji.ex:1:29-1:42' }));

test('no feature throws or answers on nonsense: empty file, past the end, unknown file, NaN', async () => {
  const opened = await openFixture('#- /lib/empty.ex\n$0\n#- /lib/a.ex\ndefmodule A do\n  def f(x), do: x\nend\n');
  try {
    const { view } = opened;
    const positions = [
      { line: 0, character: 0 },
      { line: 99, character: 5 },
      { line: 1, character: 999 },
      { line: -1, character: -1 },
      { line: Number.NaN, character: 0 },
    ];
    for (const path of ['lib/empty.ex', 'lib/missing.ex', 'lib/a.ex']) {
      for (const position of positions) {
        const answers = [
          hover(view, path, position),
          nodeAt(view, path, position),
          functionGraph(view, path, position),
          definition(view, path, position),
          references(view, path, position, true),
          prepareCallHierarchy(view, path, position),
        ];
        if (path !== 'lib/a.ex') assert.deepEqual(answers, [null, null, null, [], [], []], `${path} ${JSON.stringify(position)}`);
      }
      assert.ok(Array.isArray(codeLenses(view, path)));
    }
    assert.equal(view.document('lib/missing.ex'), undefined);
    assert.deepEqual(documentSymbols(view.document('lib/empty.ex')!), []);
    assert.deepEqual(workspaceSymbols(view, '\u0000'), []);
    assert.deepEqual(incomingCalls(view, {}), []);
    // Past the end of a real file: the last node holding the end, or nothing, but never a throw.
    assert.equal(nodeAt(view, 'lib/a.ex', { line: 99, character: 5 }), null);
  } finally {
    opened.dispose();
  }
});

test('an edit shows at once: the open document is read from the editor, not the disk', async () => {
  const opened = await openFixture('#- /lib/a.ex\ndefmodule A do\n  def f(x), do: g$0(x)\n  def g(y), do: y\nend\n');
  try {
    const { view, graph, cursor } = opened;
    assert.equal(definition(view, cursor.path, cursor.position).length, 1);
    await graph.updateDocument(cursor.path, 'defmodule A do\n  def f(x), do: h(x)\n  def h(y), do: y\nend\n');
    const [found] = definition(view, cursor.path, cursor.position);
    assert.deepEqual(found?.range, { start: { line: 2, character: 6 }, end: { line: 2, character: 7 } });
    assert.match(hover(view, cursor.path, cursor.position)!.markdown, /^`A\.h\/1`/);
  } finally {
    opened.dispose();
  }
});
