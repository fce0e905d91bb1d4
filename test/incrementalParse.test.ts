/**
 * Reparsing only the edited clause (`server/cpg/incrementalParse.ts`) must give exactly the tree a
 * full parse gives: checked on random edits inside clauses of real files (typing, deleting,
 * newlines, pasting a line), node by node including every position. The test also counts how
 * often the fast path was taken, so a change that silently sends every edit to the full parse
 * fails too. The full parse an editor falls back to reuses the document's previous wasm tree
 * (`ElixirParser.parseDocument`): it must give exactly the tree a fresh parse gives, too.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { findDefinitions } from '../server/cpg/definitions';
import { reparseClause } from '../server/cpg/incrementalParse';
import { textChange } from '../server/syntax/textChange';
import type { AstNode } from '../server/syntax/ast';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot, seededRandom } from './support/corpus';

const SAMPLE_FILES = 30;
const EDITS_PER_FILE = 8;

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

test('textChange finds the one replaced range', () => {
  assert.equal(textChange('abc', 'abc'), null);
  assert.deepEqual(textChange('hello world', 'hello brave world'), { start: 6, oldEnd: 6, newEnd: 12 });
  assert.deepEqual(textChange('aaaa', 'aaa'), { start: 3, oldEnd: 4, newEnd: 3 });
  assert.deepEqual(textChange('x = 1', 'x = 22'), { start: 4, oldEnd: 5, newEnd: 6 });
});

test('a clause reparsed on its own splices into the same tree a full parse builds', { timeout: 120_000 }, (t) => {
  const root = elixirCorpusRoot();
  const random = seededRandom(0xc1a05e);
  const files = corpusFiles(root, ['.ex']).filter(() => random() < 0.3).slice(0, SAMPLE_FILES);
  let spliced = 0;
  let fellBack = 0;
  for (const file of files) {
    let text = fs.readFileSync(path.join(root, file), 'utf8');
    let parse = parser.parse(text);
    for (let round = 0; round < EDITS_PER_FILE; round++) {
      const definitions = findDefinitions(parse.forms, (node) => text.slice(node.start, node.end));
      const bodies = definitions.functions.filter((clause) => clause.body !== null);
      if (bodies.length === 0) break;
      // Half the edits inside a clause, half anywhere (docs, attributes, between definitions).
      const clause = bodies[Math.floor(random() * bodies.length)]!;
      const region = random() < 0.5 ? clause.node : { start: 0, end: text.length };
      const edited = randomEditInside(text, region, random);
      const change = textChange(text, edited);
      if (change === null) continue;
      const expected = parser.parse(edited);
      const result = reparseClause(parser, text, parse, definitions, edited, change);
      if (result === null) {
        fellBack++;
        parse = expected;
      } else {
        spliced++;
        assert.equal(treeText(result.forms), treeText(expected.forms), `${file}: edit at ${change.start}`);
        assert.deepEqual(result.errors, expected.errors);
        parse = result;
      }
      text = edited;
    }
  }
  t.diagnostic(`${spliced} edits reparsed one clause, ${fellBack} fell back to a full parse`);
  // Most random edits inside a body keep the clause valid; if almost none take the fast path, it is broken.
  assert.ok(spliced > fellBack, `only ${spliced} of ${spliced + fellBack} edits took the clause path`);
});

test('an edit that repairs a clause the previous edit broke splices into the same tree a full parse builds', { timeout: 180_000 }, (t) => {
  // Typing goes through broken states: `do` becomes `ddo`, then `do` again. The break needs a
  // full parse; the repair, whose clause parses cleanly again, must give the full parse's tree.
  const root = elixirCorpusRoot();
  const random = seededRandom(0x5e9a1);
  const files = corpusFiles(root, ['.ex']).filter(() => random() < 0.4).slice(0, 40);
  let repairs = 0;
  let spliced = 0;
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const clean = parser.parse(text);
    if (clean.errors.length > 0) continue;
    const cleanDefinitions = findDefinitions(clean.forms, (node) => text.slice(node.start, node.end));
    const bodies = cleanDefinitions.functions.filter((clause) => clause.body !== null && clause.node.end - clause.node.start > 20);
    for (let round = 0; round < 10 && bodies.length > 0; round++) {
      const clause = bodies[Math.floor(random() * bodies.length)]!;
      const broken = randomBreakInside(text, clause.node, random);
      const brokenParse = parser.parse(broken);
      if (brokenParse.errors.length === 0) continue;
      repairs++;
      const brokenDefinitions = findDefinitions(brokenParse.forms, (node) => broken.slice(node.start, node.end));
      const result = reparseClause(parser, broken, brokenParse, brokenDefinitions, text, textChange(broken, text)!);
      if (result === null) continue;
      spliced++;
      const expected = parser.parse(text);
      assert.equal(treeText(result.forms), treeText(expected.forms), `${file}: repair at ${clause.line}`);
      assert.deepEqual(result.errors, expected.errors);
    }
  }
  t.diagnostic(`${repairs} repairs of broken clauses, ${spliced} spliced, ${repairs - spliced} fell back to a full parse`);
  assert.ok(repairs > 100 && spliced > repairs / 4, `${spliced} of ${repairs} repairs took the clause path`);
});

test('a document parsed from its previous wasm tree gets the tree a full parse builds, broken states included', { timeout: 180_000 }, (t) => {
  // What the editor does when the clause splice cannot apply: tree-sitter reparses the whole
  // text reusing the previous tree. Edit sequences mix valid edits, breaks, typing between
  // clauses, multi-line pastes and deletions, and non-ASCII text.
  const root = elixirCorpusRoot();
  const random = seededRandom(0x7eee5);
  const files = corpusFiles(root, ['.ex', '.exs']).filter(() => random() < 0.2).slice(0, 24);
  let compared = 0;
  let broken = 0;
  for (const file of files) {
    let text = fs.readFileSync(path.join(root, file), 'utf8');
    let { retained } = parser.parseDocument(text, null);
    try {
      for (let round = 0; round < 14; round++) {
        const edited = randomDocumentEdit(text, random);
        const expected = parser.parse(edited);
        const parsed = parser.parseDocument(edited, retained);
        retained = parsed.retained;
        assert.equal(treeText(parsed.result.forms), treeText(expected.forms), `${file}, edit ${round}`);
        assert.deepEqual(parsed.result.errors, expected.errors, `${file}, edit ${round}`);
        compared++;
        if (expected.errors.length > 0) broken++;
        text = edited;
      }
      // The same text again reuses the tree as it is.
      const again = parser.parseDocument(text, retained);
      retained = again.retained;
      assert.equal(treeText(again.result.forms), treeText(parser.parse(text).forms));
    } finally {
      retained?.dispose();
    }
  }
  t.diagnostic(`${compared} reparses from the previous tree compared with full parses, ${broken} of them of texts with syntax errors`);
  assert.ok(broken > compared / 5, 'broken states are part of the sequences');
});

test('edits that cannot be confined to a clause fall back to a full parse', () => {
  const text = 'defmodule A do\n  def f(x) do\n    x + 1\n  end\n\n  @doc """\n  Two.\n  """\n  def g, do: 2\nend\n';
  const reparse = (edited: string) => {
    // Each attempt gets a fresh tree: a successful splice reuses the previous one in place.
    const parse = parser.parse(text);
    const definitions = findDefinitions(parse.forms, (node) => text.slice(node.start, node.end));
    return reparseClause(parser, text, parse, definitions, edited, textChange(text, edited)!);
  };

  assert.ok(reparse(text.replace('x + 1', 'x + 2')), 'an edit inside a body takes the clause path');
  assert.ok(reparse(text.replace('Two.', 'Two!')), 'an edit inside an @doc takes the same path');
  assert.equal(reparse(text.replace('def g', 'defp g')), null, 'editing the def keyword reparses the file');
  assert.equal(reparse(text.replace('x + 1', 'x + (')), null, 'an edit that breaks the clause reparses the file');
  assert.equal(reparse(text.replace('\n\n', '\n  @doc "x"\n')), null, 'an edit between clauses reparses the file');
  assert.equal(reparse(text.replace('Two.\n  """', 'Two.\n  ""')), null, 'an edit that unbalances the heredoc reparses the file');
  assert.equal(reparse(text.replace('x + 1\n  end', 'x + 1\n  end\n  end')), null, 'an extra end reparses the file');
});

function randomEditInside(text: string, node: Pick<AstNode, 'start' | 'end'>, random: () => number): string {
  // Strictly inside: never the first or last character of the clause.
  const start = node.start + 1 + Math.floor(random() * Math.max(1, node.end - node.start - 2));
  const choice = random();
  if (choice < 0.4) return `${text.slice(0, start)}x${text.slice(start)}`;
  if (choice < 0.6) return `${text.slice(0, start)}${text.slice(start + 1)}`;
  if (choice < 0.8) {
    const lineEnd = text.indexOf('\n', start);
    if (lineEnd === -1 || lineEnd >= node.end - 1) return `${text.slice(0, start)}1${text.slice(start)}`;
    return `${text.slice(0, lineEnd)}\n    _unused = 1${text.slice(lineEnd)}`;
  }
  const lineEnd = text.indexOf('\n', start);
  if (lineEnd === -1 || lineEnd >= node.end - 1) return `${text.slice(0, start)} ${text.slice(start)}`;
  return `${text.slice(0, lineEnd)}\n${text.slice(lineEnd)}`;
}

/** An edit that leaves a syntax error inside the clause: a keyword doubled, a bracket or quote added. */
function randomBreakInside(text: string, node: Pick<AstNode, 'start' | 'end'>, random: () => number): string {
  const inside = text.slice(node.start, node.end);
  const keywords = [...inside.matchAll(/\b(do|end|fn|->)\b/g)].filter((match) => match.index! > 0 && match.index! + match[0].length < inside.length - 1);
  if (keywords.length > 0 && random() < 0.6) {
    const match = keywords[Math.floor(random() * keywords.length)]!;
    const at = node.start + match.index!;
    return `${text.slice(0, at)}${match[0][0]}${text.slice(at)}`;
  }
  const at = node.start + 1 + Math.floor(random() * Math.max(1, node.end - node.start - 2));
  const junk = ['(', '[', '"', '{', ' do'][Math.floor(random() * 5)]!;
  return `${text.slice(0, at)}${junk}${text.slice(at)}`;
}

/** One edit anywhere in the file, of the kinds typing makes. */
function randomDocumentEdit(text: string, random: () => number): string {
  const at = Math.floor(random() * text.length);
  const choice = random();
  if (choice < 0.3) return randomEditInside(text, { start: Math.max(0, at - 200), end: Math.min(text.length, at + 200) }, random);
  if (choice < 0.5) return randomBreakInside(text, { start: Math.max(0, at - 200), end: Math.min(text.length, at + 200) }, random);
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  if (choice < 0.65) {
    // A new function typed part way, between two lines.
    const typed = '  def typed(list) do\n    Enum.map(list, fn x -> x * 2 end)\n  end\n';
    return `${text.slice(0, lineStart)}${typed.slice(0, 1 + Math.floor(random() * typed.length))}${text.slice(lineStart)}`;
  }
  if (choice < 0.8) {
    // A range deleted, up to a few lines.
    return `${text.slice(0, at)}${text.slice(Math.min(text.length, at + 1 + Math.floor(random() * 120)))}`;
  }
  if (choice < 0.9) return `${text.slice(0, at)}"héllo wörld 😀 ${text.slice(at)}`;
  // A few lines pasted from elsewhere in the file.
  const from = Math.floor(random() * text.length);
  return `${text.slice(0, lineStart)}${text.slice(from, from + Math.floor(random() * 300))}${text.slice(lineStart)}`;
}

function treeText(forms: readonly AstNode[]): string {
  return JSON.stringify(forms);
}
