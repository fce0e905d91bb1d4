/**
 * The client's pure helpers: status bar texts, query answers, positions, the webview page and
 * the webview message check. None of them imports 'vscode', so they run in plain Node.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseGraphViewMessage } from '../common/webviewProtocol';
import { createCrashPolicy } from './crashPolicy';
import { contentSecurityPolicy, graphPageHtml } from './graphHtml';
import { lineIndexOf, utf16Character } from './positions';
import { checkQueryText, presentQueryResult, QUERY_HISTORY_LENGTH, rememberQuery, validHistory } from './queryResults';
import { indexStatusPresentation, startingPresentation, stoppedPresentation } from './statusText';

test('status texts name ElixirScope, show progress and counts, and flag failures', () => {
  const base = { done: 0, total: 0, files: 0, message: '' };
  assert.equal(indexStatusPresentation({ ...base, state: 'indexing', done: 120, total: 536 }).text, '$(sync~spin) ElixirScope: indexing 120/536');
  assert.equal(indexStatusPresentation({ ...base, state: 'ready', files: 536 }).text, '$(check) ElixirScope: 536 files');
  assert.equal(indexStatusPresentation({ ...base, state: 'ready', files: 1 }).text, '$(check) ElixirScope: 1 file');
  const failed = indexStatusPresentation({ ...base, state: 'failed', message: 'cannot write .elixirscope/cpg.sqlite' });
  assert.equal(failed.text, '$(error) ElixirScope');
  assert.ok(failed.isError);
  assert.match(failed.tooltip, /cannot write/);
  for (const presentation of [startingPresentation(), stoppedPresentation('gone.'), failed]) assert.match(presentation.text, /ElixirScope/);
});

test('located answers become a pick list; others JSON; empty lists say so', () => {
  const callers = presentQueryResult([
    { caller: 'Bank.Transfer.run/3#1', file: 'lib/bank/transfer.ex', line: 12, column: 5, node: 'Bank.Transfer.run/3#1:1.0' },
  ]);
  assert.equal(callers.kind, 'locations');
  if (callers.kind === 'locations') {
    assert.deepEqual(callers.items[0], {
      label: 'Bank.Transfer.run/3#1',
      description: 'lib/bank/transfer.ex:12',
      detail: 'node: Bank.Transfer.run/3#1:1.0',
      file: 'lib/bank/transfer.ex',
      line: 12,
      column: 5,
    });
  }
  const functions = presentQueryResult([{ function: 'Bank.f/1', complexity: 3, clauses: 2, kind: 'def', file: 'lib/bank.ex', line: 4 }]);
  assert.ok(functions.kind === 'locations' && functions.items[0]!.column === null && functions.items[0]!.label === 'Bank.f/1');
  assert.equal(presentQueryResult(['Bank.a/0', 'Bank.b/1']).kind, 'json');
  assert.equal(presentQueryResult({ clause: 'A.f/0#1', nodes: [], edges: [] }).kind, 'json');
  assert.equal(presentQueryResult([]).kind, 'empty');
  // One item without a place makes the whole answer JSON, so nothing is silently left out.
  assert.equal(presentQueryResult([{ function: 'A.f/0', file: 'a.ex', line: 1 }, { function: 'B.g/0' }]).kind, 'json');
});

test('query text is checked for JSON with an example of what to write', () => {
  assert.deepEqual(checkQueryText(' {"callers": "A.f/1"} '), { ok: true, query: { callers: 'A.f/1' } });
  for (const bad of ['', '{callers: A.f/1}', '[1]', '"callers"']) {
    const checked = checkQueryText(bad);
    assert.equal(checked.ok, false, bad);
    if (!checked.ok) assert.match(checked.message, /\{"callers": "MyApp\.Accounts\.get_user\/1"\}/);
  }
});

test('query history: most recent first, no duplicates, bounded, and robust to stored junk', () => {
  assert.deepEqual(rememberQuery(['b', 'a'], 'a'), ['a', 'b']);
  const long = Array.from({ length: QUERY_HISTORY_LENGTH }, (_, index) => `q${index}`);
  assert.equal(rememberQuery(long, 'new').length, QUERY_HISTORY_LENGTH);
  assert.equal(rememberQuery(long, 'new')[0], 'new');
  assert.deepEqual(validHistory(['a', 3, null, 'b']), ['a', 'b']);
  assert.deepEqual(validHistory({ not: 'a list' }), []);
});

test('Elixir columns count code points; editor characters count UTF-16 units', () => {
  assert.equal(utf16Character('  foo(x)', 3), 2);
  assert.equal(utf16Character('"😀" <> x', 5), 5); // the emoji is two UTF-16 units
  assert.equal(utf16Character('abc', 99), 3);
  assert.equal(utf16Character('', 1), 0);
  assert.equal(lineIndexOf(1, 10), 0);
  assert.equal(lineIndexOf(11, 10), 9);
  assert.equal(lineIndexOf(0, 10), 0);
});

test('the graph page allows only its own nonce-bearing script and the extension\'s styles', () => {
  const resources = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/graph.js', styleUri: 'https://x/graph.css', nonce: 'abc+/=' };
  const policy = contentSecurityPolicy(resources);
  assert.match(policy, /^default-src 'none'/);
  assert.match(policy, /script-src 'nonce-abc\+\/='(;|$)/);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
  const html = graphPageHtml(resources);
  assert.match(html, /<script nonce="abc\+\/=" src="https:\/\/x\/graph\.js"><\/script>/);
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.match(graphPageHtml({ ...resources, styleUri: 'https://x/a"b.css' }), /href="https:\/\/x\/a&quot;b\.css"/);
});

test('webview messages are accepted only in the protocol\'s shapes', () => {
  assert.deepEqual(parseGraphViewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseGraphViewMessage({ type: 'reveal', line: 3, column: 7, extra: 1 }), { type: 'reveal', line: 3, column: 7 });
  for (const bad of [null, 'reveal', { type: 'reveal', line: 0, column: 1 }, { type: 'reveal', line: 1.5, column: 1 }, { type: 'reveal', line: '3', column: 1 }, { type: 'run', command: 'rm' }]) {
    assert.equal(parseGraphViewMessage(bad), null, JSON.stringify(bad));
  }
});

test('crashes: the first is announced, later ones restart quietly, too many in the window give up', () => {
  const decide = createCrashPolicy(4, 180_000);
  assert.deepEqual([0, 1000, 2000, 3000, 4000].map(decide), ['restart-and-notify', 'restart', 'restart', 'restart', 'give-up']);
  // Crashes spread over more than the window never give up.
  const spread = createCrashPolicy(4, 180_000);
  const decisions = Array.from({ length: 20 }, (_, index) => spread(index * 60_000));
  assert.ok(!decisions.includes('give-up'));
  assert.equal(decisions.filter((decision) => decision === 'restart-and-notify').length, 1);
});
