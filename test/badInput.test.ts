/**
 * The analyzer against input nobody should write but everybody's editor holds at some point:
 * binary files, broken encodings, huge and deeply nested files, half-typed code, stray `end`s,
 * CRLF, BOMs, tabs and astral characters. `analyzeSource` must return a well-formed analysis for
 * every one of them (STYLE rule 6: parsing never fails), report errors where Elixir would, and
 * keep its positions in Elixir's terms (1-based lines, columns in code points).
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseNodeId } from '../common/nodeId';
import { type FileAnalysis, analyzeSource, inventoryRecord } from '../server/cpg/fileAnalysis';
import { type AstNode, blockExpressions, childrenOf, keywordValue } from '../server/syntax/ast';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot, seededRandom } from './support/corpus';

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

/** Generous for a few kilobytes; a hang or a quadratic blow-up still fails. */
const QUICK = { timeout: 20_000 };
const NESTING = 5_000;

test('binary content decoded as latin1 or UTF-8 returns errors, not an exception', QUICK, () => {
  const random = seededRandom(0xb1a7);
  const bytes = Buffer.alloc(64 * 1024);
  for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(random() * 256);
  for (const encoding of ['latin1', 'utf8'] as const) {
    const text = bytes.toString(encoding);
    if (encoding === 'utf8') assert.ok(text.includes('\uFFFD'), 'random bytes hold invalid UTF-8');
    const analysis = analyzeWellFormed(text);
    assert.ok(analysis.parse.errors.length > 0, `${encoding}: random bytes are not Elixir`);
    assert.deepEqual(analysis.definitions.functions, [], encoding);
  }
});

test('a NUL-heavy buffer returns errors and no definitions', QUICK, () => {
  const random = seededRandom(0);
  const bytes = Buffer.alloc(256 * 1024);
  // Mostly NUL, starting with one, with a few `A`s scattered in.
  for (let index = 1; index < bytes.length; index += 1 + Math.floor(random() * 64)) bytes[index] = 0x41;
  const text = bytes.toString('latin1');
  const analysis = analyzeWellFormed(text);
  assert.ok(analysis.parse.errors.length > 0);
  assert.deepEqual([analysis.parse.errors[0]!.line, analysis.parse.errors[0]!.column], [1, 1]);
  assert.deepEqual(analysis.definitions.modules, []);
});

test('invalid UTF-8 (as Node decodes it) inside strings and comments is just text', QUICK, () => {
  // Each invalid sequence becomes U+FFFD, one code point, one column.
  const text = decodeWithInvalidBytes(
    'defmodule Broken do\n',
    '  # comment ', INVALID_UTF8, '\n',
    '  def f(x) do\n',
    '    {"', INVALID_UTF8, '", y} = x\n',
    '    y\n',
    '  end\n',
    'end\n',
  );
  assert.ok(text.includes('\uFFFD'));
  const analysis = analyzeWellFormed(text);
  assert.deepEqual(analysis.parse.errors, []);
  assert.deepEqual(functionIds(analysis), ['Broken.f/1#1']);
  const y = inventoryRecord(analysis, text).vars.find((variable) => variable.name === 'y');
  const line = text.split('\n')[3]!;
  assert.deepEqual(y && { line: y.line, column: y.column }, { line: 4, column: codePointColumn(line, line.indexOf('y')) });
});

test('invalid UTF-8 where code belongs is a syntax error at the right column', QUICK, () => {
  const text = decodeWithInvalidBytes(
    'defmodule Broken do\n',
    '  def f(x), do: x\n',
    '  ', INVALID_UTF8, '\n',
    '  def h(y), do: y\n',
    'end\n',
  );
  const analysis = analyzeWellFormed(text);
  assert.equal(analysis.parse.errors.length, 1);
  const error = analysis.parse.errors[0]!;
  const badLine = text.split('\n')[2]!;
  assert.deepEqual(
    { line: error.line, column: error.column, endLine: error.endLine, endColumn: error.endColumn },
    { line: 3, column: 3, endLine: 3, endColumn: codePointColumn(badLine, badLine.length) },
  );
  assert.deepEqual(functionIds(analysis), ['Broken.f/1#1', 'Broken.h/1#1']);
});

test('a 10 MB file of real code returns and finds every module', { timeout: 180_000 }, () => {
  const root = elixirCorpusRoot();
  const pieces: string[] = [];
  let expectedModules = 0;
  let expectedFunctions = 0;
  let bytes = 0;
  const files = corpusFiles(root, ['.ex']);
  for (let index = 0; bytes < 10 * 1024 * 1024; index++) {
    const file = files[index % files.length]!;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const piece = analyzeSource(parser, file, text);
    // A piece with errors could swallow its neighbours; the sum would not be the expectation.
    if (piece.parse.errors.length > 0) continue;
    pieces.push(text);
    expectedModules += piece.definitions.modules.length;
    expectedFunctions += piece.definitions.functions.length;
    bytes += Buffer.byteLength(text) + 1;
  }
  const text = pieces.join('\n');
  assert.ok(Buffer.byteLength(text) >= 10 * 1024 * 1024);
  const analysis = analyzeWellFormed(text, 'lib/huge.ex');
  assert.deepEqual(analysis.parse.errors, []);
  assert.equal(analysis.definitions.modules.length, expectedModules);
  assert.equal(analysis.definitions.functions.length, expectedFunctions);
  assert.ok(expectedModules > 1000, `${expectedModules} modules`);
});

const DEEP_NESTINGS: Record<string, string> = {
  'lists [[[…]]]': '['.repeat(NESTING) + ']'.repeat(NESTING),
  'parentheses (((…)))': '('.repeat(NESTING) + 'x' + ')'.repeat(NESTING),
  'maps %{a: %{a: …}}': '%{a: '.repeat(NESTING) + '1' + '}'.repeat(NESTING),
  'fn -> fn -> … end end': 'fn -> '.repeat(NESTING) + '1' + ' end'.repeat(NESTING),
  'nested case': 'case x do\n_ -> '.repeat(NESTING) + '1' + '\nend'.repeat(NESTING),
};

for (const [shape, nested] of Object.entries(DEEP_NESTINGS)) {
  test(`${NESTING}-level nesting of ${shape} is reported, not analysed`, QUICK, () => {
    const alone = analyzeWellFormed(nested);
    assert.equal(alone.parse.errors.length, 1);
    assert.match(alone.parse.errors[0]!.message, /nested deeper than \d+ levels/);

    const text = `defmodule Deep do\n  def f(x) do\n${nested}\n  end\n\n  def g(y), do: y\nend\n`;
    const inFunction = analyzeWellFormed(text);
    assert.equal(inFunction.parse.errors.length, 1);
    assert.match(inFunction.parse.errors[0]!.message, /nested deeper than \d+ levels/);
    assert.ok(inFunction.parse.errors[0]!.line >= 3, 'the error points into the nested code');
    assert.deepEqual(functionIds(inFunction), ['Deep.f/1#1', 'Deep.g/1#1']);
    // The truncated tree is still a tree that node IDs can walk (parentheses collapse into
    // their contents, so that one is small).
    const clause = inFunction.definitions.functions[0]!;
    const nodeIds = new Set<string>();
    for (const { nodeId, node } of inFunction.nodeIds.clauseNodes(clause)) {
      assert.ok(!nodeIds.has(nodeId), nodeId);
      nodeIds.add(nodeId);
      assert.equal(inFunction.nodeIds.resolve(nodeId)?.node, node);
    }
    assert.ok(nodeIds.size > 3, `${nodeIds.size} nodes`);
  });
}

test('thousands of unclosed blocks are reported as a missing end, not a stack overflow', QUICK, () => {
  for (const [text, keyword, line] of [
    ['defmodule A do\n' + '  def f(x) do\n'.repeat(3000), 'do', 3001],
    ['case x do\n  1 ->\n'.repeat(NESTING), 'do', 2 * NESTING - 1],
    ['fn x ->\n'.repeat(NESTING), 'fn', NESTING],
  ] as const) {
    const analysis = analyzeSource(parser, 'lib/unclosed.ex', text);
    assert.equal(analysis.parse.errors[0]!.message, `missing terminator: end (for "${keyword}" starting at line ${line})`);
  }
});

test('deep nesting of calls, pipes and access is cut and reported, whatever node lands on the cut', QUICK, () => {
  // The depth cut keeps the node at the cut without its children; every node type must convert
  // from that (calls and access used to read a child that was not there).
  const shapes = [
    'x' + ' |> g()'.repeat(NESTING),
    'x' + '[0]'.repeat(NESTING),
    '[' + 'f('.repeat(NESTING) + ')'.repeat(NESTING) + ']',
    '[' + 'a' + '.b()'.repeat(NESTING) + ']',
    '[[' + '&f(&1, '.repeat(NESTING) + '1' + ')'.repeat(NESTING) + ']]',
  ];
  for (const text of shapes) {
    const analysis = analyzeSource(parser, 'lib/deep.ex', text);
    assert.match(analysis.parse.errors[analysis.parse.errors.length - 1]!.message, /nested deeper than \d+ levels/, text.slice(0, 20));
  }
  // Without the surrounding list the cut lands on an argument list, which converts fine.
  const calls = analyzeWellFormed('f('.repeat(NESTING) + ')'.repeat(NESTING));
  assert.match(calls.parse.errors[0]!.message, /nested deeper than \d+ levels/);
});

test('an empty file, a comment-only file and a whitespace-only file have nothing in them', QUICK, () => {
  for (const text of ['', '# just a comment\n', '# one\n# two', '\n\n\n', '  \t \r\n\r\n   \n\t']) {
    const analysis = analyzeWellFormed(text);
    assert.deepEqual(analysis.parse.forms, [], JSON.stringify(text));
    assert.deepEqual(analysis.parse.errors, [], JSON.stringify(text));
    assert.deepEqual(analysis.definitions.modules, [], JSON.stringify(text));
    assert.equal(analysis.nodeIds.nodeIdAt({ line: 1, column: 1 }), undefined, JSON.stringify(text));
    assert.equal(inventoryRecord(analysis, text).parse_ok, true);
  }
});

/** Corpus files that `half-typed` tests cut; one module each, so the module should survive a cut. */
const CUT_FILES = ['lib/elixir/lib/agent.ex', 'lib/elixir/lib/keyword.ex'];

test('a file cut at random points inside its module is an error, and keeps the module', QUICK, () => {
  const root = elixirCorpusRoot();
  const random = seededRandom(2024);
  const outcomes: string[] = [];
  for (const file of CUT_FILES) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const whole = analyzeSource(parser, file, text);
    assert.deepEqual(whole.parse.errors, [], file);
    const [module] = whole.definitions.modules;
    const first = whole.definitions.functions[0]!;
    // Anywhere after the first function and before the module's `end`: Elixir reports an error
    // for every one of these cuts (at least the module's `end` is missing).
    const from = whole.parse.lines.offsetOfElixirPosition({ line: lastLineOf(whole, first) + 1, column: 1 })!;
    const to = module!.node.end - 'end'.length;
    for (let cutIndex = 0; cutIndex < 8; cutIndex++) {
      const cut = from + Math.floor(random() * (to - from));
      const cutText = text.slice(0, cut);
      const at = whole.parse.lines.elixirPosition(cut);
      const label = `${file}:${at.line}:${at.column}`;
      const analysis = analyzeWellFormed(cutText, file);
      assert.ok(analysis.parse.errors.length > 0, `${label}: a cut module is an error`);
      const found = new Set(functionIds(analysis));
      const complete = whole.definitions.functions.filter((clause) => clause.node.end <= cut).map((clause) => clause.id);
      if (found.has(first.id)) {
        // Where the module survives, everything complete before the cut survives with it.
        assert.deepEqual(complete.filter((id) => !found.has(id)), [], label);
        assert.deepEqual(analysis.definitions.modules.map((defined) => defined.name), [module!.name], label);
      }
      outcomes.push(`${label} ${found.has(first.id) ? 'kept' : 'lost'} ${complete.length}`);
    }
  }
  // Tree-sitter leaves `defmodule X` without its block and the rest in an ERROR node; the
  // converter's repair puts the module back together, with every complete clause before the cut.
  assert.equal(outcomes.length, 16);
  assert.deepEqual(outcomes.filter((outcome) => !outcome.includes(' kept ')), []);
});

test('a file cut right after a complete function keeps every function before the cut', QUICK, () => {
  const root = elixirCorpusRoot();
  const random = seededRandom(7);
  let cutCount = 0;
  for (const file of CUT_FILES) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const whole = analyzeSource(parser, file, text);
    const moduleBody = topLevelDefinitions(whole);
    for (let cutIndex = 0; cutIndex < 6; cutIndex++) {
      const clause = moduleBody[Math.floor(random() * moduleBody.length)]!;
      // Only the module's `end` is missing: the smallest half-typed file there is.
      const cut = whole.parse.lines.offsetOfElixirPosition({ line: lastLineOf(whole, clause) + 1, column: 1 })!;
      const analysis = analyzeWellFormed(text.slice(0, cut), file);
      const label = `${file} cut after ${clause.id}`;
      assert.ok(analysis.parse.errors.length > 0, label);
      assert.match(analysis.parse.errors[0]!.message, /^missing terminator: end \(for "do" starting at line 1\)$/, label);
      const found = new Set(functionIds(analysis));
      const complete = whole.definitions.functions.filter((other) => other.node.end <= cut).map((other) => other.id);
      assert.deepEqual(complete.filter((id) => !found.has(id)), [], label);
      cutCount++;
    }
  }
  assert.equal(cutCount, 12);
});

test('a file tree-sitter cannot recover at all still keeps its module and functions', QUICK, () => {
  const root = elixirCorpusRoot();
  const file = 'lib/elixir/lib/task/supervised.ex';
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const whole = analyzeSource(parser, file, text);
  const clause = whole.definitions.functions.find((candidate) => candidate.id === 'Task.Supervised.stream_monitor_loop/2#1')!;
  assert.equal(lastLineOf(whole, clause), 564);
  const cut = whole.parse.lines.offsetOfElixirPosition({ line: 565, column: 1 })!;
  const analysis = analyzeWellFormed(text.slice(0, cut), file);
  // With only the module's `end` missing after line 564, tree-sitter turns the whole file into
  // one ERROR node (the root itself); the repair still finds the module and its clauses.
  assert.equal(analysis.parse.errors.length, 1);
  assert.match(analysis.parse.errors[0]!.message, /^missing terminator: end \(for "do" starting at line 1\)/);
  assert.deepEqual(analysis.definitions.modules.map((module) => module.name), ['Task.Supervised']);
  const complete = whole.definitions.functions.filter((other) => other.node.end <= cut).map((other) => other.id);
  assert.equal(complete.length, 37);
  const found = new Set(functionIds(analysis));
  assert.deepEqual(complete.filter((id) => !found.has(id)), []);
});

const UNTERMINATED: Record<string, string> = {
  string: '"abc',
  'interpolated string': '"abc #{y',
  heredoc: '"""\n    abc\n',
  charlist: "'abc",
  'quoted atom': ':"abc',
  sigil: '~r/abc',
  'sigil with parentheses': '~w(a b',
  'sigil heredoc': '~S"""\n    abc\n',
};

for (const [kind, opener] of Object.entries(UNTERMINATED)) {
  test(`an unterminated ${kind} is an error that covers its opening`, QUICK, () => {
    const prefix = 'defmodule Open do\n  def first(x), do: x\n\n  def second(y) do\n    ';
    for (const suffix of ['', '\n  end\nend\n']) {
      const text = prefix + opener + suffix;
      const analysis = analyzeWellFormed(text);
      assert.ok(analysis.parse.errors.length > 0);
      const openingLine = 5;
      assert.ok(
        analysis.parse.errors.some((error) => error.line <= openingLine && openingLine <= error.endLine),
        JSON.stringify(analysis.parse.errors),
      );
      // Like Elixir: "missing terminator: \" (for string starting at line 5)", and the module
      // with the functions before the literal kept.
      assert.equal(analysis.parse.errors.length, 1, JSON.stringify(analysis.parse.errors));
      assert.match(analysis.parse.errors[0]!.message, /^missing terminator: \S+ \(for (string|heredoc) starting at line 5\)$/);
      assert.equal(analysis.parse.errors[0]!.line, 5);
      assert.deepEqual(analysis.definitions.modules.map((module) => module.name), ['Open']);
      assert.deepEqual(functionIds(analysis), ['Open.first/1#1', 'Open.second/1#1']);
    }
    // Alone in a file, the literal is an error too.
    const alone = analyzeWellFormed(opener);
    assert.ok(alone.parse.errors.length > 0);
  });
}

test('a lone `end` is an error, as in Elixir', QUICK, () => {
  // tree-sitter-elixir parses a stray `end` as an identifier; Elixir rejects it with
  // "unexpected reserved word: end", and so does the analyzer.
  for (const [text, endLine, endColumn] of [
    ['end', 1, 1],
    [' end ', 1, 2],
    ['defmodule A do\nend\nend\n', 3, 1],
    ['defmodule A do\n  def f(x), do: x\nend\nend\n', 4, 1],
  ] as const) {
    const analysis = analyzeWellFormed(text);
    assert.deepEqual(
      analysis.parse.errors.map((error) => `${error.line}:${error.column} ${error.message}`),
      [`${endLine}:${endColumn} unexpected reserved word: end`],
      JSON.stringify(text),
    );
    assert.equal(inventoryRecord(analysis, text).parse_ok, false);
    const stray = analysis.parse.forms[analysis.parse.forms.length - 1]!;
    assert.deepEqual([stray.kind, stray.line], ['variable', endLine], JSON.stringify(text));
  }
  // An extra `end` right after a `do … end` is reported, as it should be.
  const afterBlock = analyzeWellFormed('def f do end end');
  assert.deepEqual(
    afterBlock.parse.errors.map((error) => `${error.line}:${error.column} ${error.message}`),
    ['1:14 syntax error before or at: end'],
  );
});

test('CRLF line endings give the same inventory as LF', QUICK, () => {
  const snippet = [
    'defmodule Crlf do',
    '  @doc """',
    '  Heredoc with CRLF.',
    '  """',
    '  def f(x) do',
    '    y = x',
    '    g(y)',
    '  end',
    '',
    '  def g(z), do: z',
    'end',
    '',
  ].join('\n');
  const lf = analyzeWellFormed(snippet);
  const crlfText = snippet.replace(/\n/g, '\r\n');
  const crlf = analyzeWellFormed(crlfText);
  assert.deepEqual(inventoryRecord(crlf, crlfText), inventoryRecord(lf, snippet));
  assert.deepEqual(
    inventoryRecord(crlf, crlfText).functions.map((clause) => [clause.id, clause.line, clause.column, clause.end_line]),
    [
      ['Crlf.f/1#1', 5, 3, 8],
      ['Crlf.g/1#1', 10, 3, null],
    ],
  );
  const call = inventoryRecord(crlf, crlfText).calls[0];
  assert.deepEqual(call && [call.callee, call.line, call.column], ['g', 7, 5]);

  const root = elixirCorpusRoot();
  const random = seededRandom(0xc71f);
  const files = corpusFiles(root);
  for (let sample = 0; sample < 25; sample++) {
    const file = files[Math.floor(random() * files.length)]!;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const crlfCorpus = text.replace(/\r?\n/g, '\r\n');
    assert.deepEqual(
      inventoryRecord(analyzeSource(parser, file, crlfCorpus), crlfCorpus),
      inventoryRecord(analyzeSource(parser, file, text), text),
      file,
    );
  }
});

test('a BOM at the start of the file is skipped, as editors do', QUICK, () => {
  const text = 'defmodule Bom do\n  def f(x), do: x\nend\n';
  const plain = inventoryRecord(analyzeWellFormed(text), text);
  const withBom = inventoryRecord(analyzeWellFormed('\uFEFF' + text), '\uFEFF' + text);
  assert.equal(withBom.parse_ok, true);
  assert.deepEqual(withBom.functions, plain.functions);
  assert.deepEqual(withBom.vars, plain.vars);
  // VS Code hides the BOM, so line 1's columns are counted without it.
  assert.deepEqual(withBom.modules, plain.modules);
});

test('tabs and astral characters: columns count code points, a tab is one column', QUICK, () => {
  const text = [
    'defmodule Wide do',
    '\tdef f(x) do',
    '\t\ty = "\u{1F600}\u{1F600}" <> x; g(y)',
    '\tend',
    '\tdef g(z), do: {"\u{1F9EA}", z}',
    'end',
    '',
  ].join('\n');
  const analysis = analyzeWellFormed(text);
  assert.deepEqual(analysis.parse.errors, []);
  const record = inventoryRecord(analysis, text);
  assert.deepEqual(
    record.functions.map((clause) => [clause.id, clause.line, clause.column, clause.name_column]),
    [
      ['Wide.f/1#1', 2, 2, 6],
      ['Wide.g/1#1', 5, 2, 6],
    ],
  );
  // `g` after two emoji and a tab-indented line: column 18 in code points (20 UTF-16 units).
  const call = record.calls.find((candidate) => candidate.callee === 'g');
  assert.deepEqual(call && [call.line, call.column], [3, 18]);
  const z = record.vars.find((variable) => variable.name === 'z' && variable.via === 'param');
  assert.deepEqual(z && [z.line, z.column], [5, 8]);
  // Node lookup takes the same code-point columns: the `z` in the tuple after the emoji.
  const tupleZ = analysis.nodeIds.nodeIdAt({ line: 5, column: 22 });
  assert.equal(tupleZ?.nodeId, 'Wide.g/1#1:1.0.0.1');
  assert.equal(text.slice(tupleZ!.node.start, tupleZ!.node.end), 'z');
});

// ---------------------------------------------------------------------------------------------

const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xe2, 0x82]);

function decodeWithInvalidBytes(...parts: (string | Buffer)[]): string {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part))).toString('utf8');
}

/** Analyses `text` and checks the result is well formed whatever the input was. */
function analyzeWellFormed(text: string, file = 'lib/bad_input.ex'): FileAnalysis {
  const analysis = analyzeSource(parser, file, text);
  const { forms, errors, lines } = analysis.parse;
  assert.ok(Array.isArray(forms) && Array.isArray(errors));
  for (const error of errors) {
    assert.equal(typeof error.message, 'string');
    assert.ok(error.message.length > 0);
    assert.ok(error.line >= 1 && error.line <= lines.lineCount, `error line ${error.line}`);
    assert.ok(error.endLine >= error.line && error.endLine <= lines.lineCount, `error end line ${error.endLine}`);
    assert.ok(error.column >= 1 && error.endColumn >= 1);
  }
  assertSpansInside(forms, text.length);
  for (const clause of analysis.definitions.functions) {
    assert.ok(parseNodeId(clause.id), `function ID ${clause.id} parses`);
    assert.ok(clause.line >= 1 && clause.line <= lines.lineCount);
  }
  const record = inventoryRecord(analysis, text);
  assert.equal(record.parse_ok, errors.length === 0);
  assert.equal(record.functions.length, analysis.definitions.functions.length);
  // Looking a node up anywhere must not throw either.
  for (const offset of [0, text.length >> 1, text.length]) analysis.nodeIds.nodeAtOffset(offset);
  return analysis;
}

/** Every node's span lies inside the text and inside its parent's span (iteratively: deep trees). */
function assertSpansInside(forms: readonly AstNode[], textLength: number): void {
  const stack = forms.map((node) => ({ node, start: 0, end: textLength }));
  while (stack.length > 0) {
    const { node, start, end } = stack.pop()!;
    if (!(start <= node.start && node.start <= node.end && node.end <= end)) {
      assert.fail(`${node.kind} node at ${node.start}-${node.end} is outside ${start}-${end}`);
    }
    if (node.line < 1 || node.column < 1) assert.fail(`${node.kind} node at ${node.line}:${node.column}`);
    for (const child of childrenOf(node)) stack.push({ node: child, start: node.start, end: node.end });
  }
}

function functionIds(analysis: FileAnalysis): string[] {
  return analysis.definitions.functions.map((clause) => clause.id);
}

/** 1-based column in code points of a UTF-16 index into a line. */
function codePointColumn(line: string, index: number): number {
  return [...line.slice(0, index)].length + 1;
}

/** The last line a clause occupies, for both `do … end` and `do:` forms. */
function lastLineOf(analysis: FileAnalysis, clause: FileAnalysis['definitions']['functions'][number]): number {
  return analysis.parse.lines.elixirPosition(clause.node.end).line;
}

/** The definitions written directly in the body of the file's only module. */
function topLevelDefinitions(analysis: FileAnalysis): FileAnalysis['definitions']['functions'] {
  const [module] = analysis.definitions.modules;
  const body = new Set(blockExpressions(keywordValue(module!.node.args[1], 'do')));
  return analysis.definitions.functions.filter((clause) => body.has(clause.node));
}
