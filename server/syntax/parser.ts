/**
 * The Elixir parser: web-tree-sitter with the tree-sitter-elixir grammar, both loaded from the
 * wasm files shipped in the extension bundle (`media/wasm/`), never from `node_modules`.
 *
 * Parsing never fails. Whatever the input, `parse` returns the forms it could recognise and a
 * list of syntax errors with positions; the wasm tree is deleted before it returns. An editor's
 * document is parsed with `parseDocument` instead, which keeps the tree (as an opaque
 * `RetainedTree` its holder disposes) so that the next version reuses what an edit left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Edit, Language, Parser, type Tree, type Node as TreeSitterNode } from 'web-tree-sitter';
import { LineIndex } from '../../common/lineIndex';
import type { AstNode, ParsedSource, SyntaxError } from './ast';
import { copyConcreteTree } from './concreteTree';
import { type TextChange, textChange } from './textChange';
import { AstConverter } from './toElixirAst';

/** Nesting past this depth is reported as an error rather than analysed (it would only blow stacks). */
export const MAX_NESTING_DEPTH = 1000;
/** How many syntax errors one file reports at most; the rest are counted in the last message. */
const MAX_REPORTED_ERRORS = 50;

export interface ParseResult extends ParsedSource {
  readonly lines: LineIndex;
}

export class ElixirParser {
  private constructor(
    private readonly parser: Parser,
    private readonly typeNames: readonly string[],
  ) {}

  /** Loads the runtime and the grammar from `wasmDirectory` (default: the bundle's `media/wasm`). */
  static async load(wasmDirectory: string = defaultWasmDirectory()): Promise<ElixirParser> {
    const runtimeWasm = path.join(wasmDirectory, 'web-tree-sitter.wasm');
    const grammarWasm = path.join(wasmDirectory, 'tree-sitter-elixir.wasm');
    for (const file of [runtimeWasm, grammarWasm]) {
      if (!fs.existsSync(file)) throw new Error(`ElixirScope is missing ${file}; reinstall the extension or run \`npm run build\`.`);
    }
    await Parser.init({ locateFile: () => runtimeWasm });
    const language = await Language.load(fs.readFileSync(grammarWasm));
    const parser = new Parser();
    parser.setLanguage(language);
    const typeNames: string[] = [];
    for (let id = 0; id < language.nodeTypeCount; id++) typeNames.push(language.nodeTypeForId(id) ?? 'ERROR');
    return new ElixirParser(parser, typeNames);
  }

  parse(text: string): ParseResult {
    const lines = new LineIndex(text);
    const tree = this.parser.parse(text);
    if (!tree) return gaveUp(lines);
    try {
      return this.resultOf(tree, text, lines);
    } finally {
      tree.delete();
    }
  }

  /**
   * Parses `text`, the new version of a document whose previous parse kept `previous`, and keeps
   * this parse's tree for the next version. Tree-sitter re-reads only what the edit can have
   * changed (an edit of `enum.ex` reparses in well under a millisecond to a few, a whole parse
   * takes 30), and the tree is the one a whole parse gives. `previous` is taken over: it is
   * reused or freed here and must not be used again.
   */
  parseDocument(text: string, previous: RetainedTree | null): { result: ParseResult; retained: RetainedTree | null } {
    const kept = previous === null ? undefined : retainedTrees.get(previous);
    if (previous !== null) retainedTrees.delete(previous);
    const lines = new LineIndex(text);
    let tree: Tree | null;
    if (kept && kept.text === text) tree = kept.tree;
    else {
      if (kept) kept.tree.edit(treeEdit(kept.lines, lines, textChange(kept.text, text)!));
      try {
        tree = this.parser.parse(text, kept?.tree ?? null);
      } finally {
        kept?.tree.delete();
      }
    }
    if (!tree) return { result: gaveUp(lines), retained: null };
    try {
      return { result: this.resultOf(tree, text, lines), retained: retain(tree, text, lines) };
    } catch (error) {
      tree.delete();
      throw error;
    }
  }

  private resultOf(tree: Tree, text: string, lines: LineIndex): ParseResult {
    const { root, truncatedAt } = copyConcreteTree(tree, this.typeNames, MAX_NESTING_DEPTH);
    const converter = new AstConverter(text, lines);
    let forms: AstNode[];
    try {
      forms = converter.forms(root);
    } catch (error) {
      // The depth limits above should make this unreachable; if some shape still exhausts the
      // stack, the file gets an error instead of taking the caller down.
      if (!(error instanceof RangeError)) throw error;
      return { forms: [], errors: [{ message: 'this file is nested too deeply to analyse', ...spanAt(lines, 0, text.length) }], lines };
    }
    const errors = tree.rootNode.hasError ? collectSyntaxErrors(tree, text, lines) : [];
    // A stray `end` inside a region tree-sitter already reported is part of that error.
    errors.push(...converter.errors.filter((error) => !errors.some((reported) => contains(reported, error))));
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const node of truncatedAt.slice(0, 1)) {
      errors.push({
        message: `code nested deeper than ${MAX_NESTING_DEPTH} levels is not analysed`,
        ...spanAt(lines, node.start, node.end),
      });
    }
    return { forms, errors, lines };
  }

  dispose(): void {
    this.parser.delete();
  }
}

/**
 * A document's wasm tree and the text it was parsed from, held between two `parseDocument`
 * calls. Opaque outside this file (no wasm object leaves it); `dispose()` frees the tree, and
 * must be called by whoever holds one when the document goes away.
 */
export class RetainedTree {
  /** Frees the tree; safe to call more than once, and a no-op once `parseDocument` took it over. */
  dispose(): void {
    const kept = retainedTrees.get(this);
    retainedTrees.delete(this);
    kept?.tree.delete();
  }
}

const retainedTrees = new WeakMap<RetainedTree, { readonly tree: Tree; readonly text: string; readonly lines: LineIndex }>();

function retain(tree: Tree, text: string, lines: LineIndex): RetainedTree {
  const retained = new RetainedTree();
  retainedTrees.set(retained, { tree, text, lines });
  return retained;
}

/**
 * The edit in tree-sitter's terms. Offsets are UTF-16 code units, as web-tree-sitter counts them
 * for string input; points are 0-based rows and UTF-16 columns, which is what `LineIndex` gives
 * LSP (only the offsets decide what is reused, and no point of the tree is read).
 */
function treeEdit(before: LineIndex, after: LineIndex, change: TextChange): Edit {
  const point = (lines: LineIndex, offset: number) => {
    const { line, character } = lines.lspPosition(offset);
    return { row: line, column: character };
  };
  return new Edit({
    startIndex: change.start,
    oldEndIndex: change.oldEnd,
    newEndIndex: change.newEnd,
    startPosition: point(before, change.start),
    oldEndPosition: point(before, change.oldEnd),
    newEndPosition: point(after, change.newEnd),
  });
}

function gaveUp(lines: LineIndex): ParseResult {
  return { forms: [], errors: [{ message: 'the parser gave up on this file', ...spanAt(lines, 0, 0) }], lines };
}

/** `media/wasm` of the installed extension: the nearest ancestor of this file that has it. */
export function defaultWasmDirectory(): string {
  let directory = __dirname;
  for (let level = 0; level < 6; level++) {
    const candidate = path.join(directory, 'media', 'wasm');
    if (fs.existsSync(path.join(candidate, 'tree-sitter-elixir.wasm'))) return candidate;
    directory = path.dirname(directory);
  }
  return path.join(__dirname, 'media', 'wasm');
}

function collectSyntaxErrors(tree: Tree, source: string, lines: LineIndex): SyntaxError[] {
  const errors: SyntaxError[] = [];
  let total = 0;
  const cursor = tree.walk();
  try {
    let done = false;
    while (!done) {
      const node: TreeSitterNode = cursor.currentNode;
      let descend = node.hasError;
      if (node.isError || node.isMissing) {
        total++;
        if (errors.length < MAX_REPORTED_ERRORS) errors.push(describeError(node, source, lines));
        // An ERROR node's insides are the parser's guesses; its own span is the useful report.
        descend = false;
      }
      if (descend && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) {
          done = true;
          break;
        }
      }
    }
  } finally {
    cursor.delete();
  }
  if (total > errors.length) {
    const last = errors[errors.length - 1]!;
    errors.push({ ...last, message: `${total - errors.length} more syntax errors not listed` });
  }
  return errors;
}

function describeError(node: TreeSitterNode, source: string, lines: LineIndex): SyntaxError {
  if (node.isMissing) {
    const expected = node.type.trim() || 'token';
    const opener = node.parent;
    if (expected === 'end' && opener && (opener.type === 'do_block' || opener.type === 'anonymous_function')) {
      const keyword = opener.type === 'do_block' ? 'do' : 'fn';
      const line = lines.elixirPosition(opener.startIndex).line;
      return {
        message: `missing terminator: end (for "${keyword}" starting at line ${line})`,
        ...spanAt(lines, node.startIndex, node.endIndex),
      };
    }
    return { message: `missing \`${expected}\``, ...spanAt(lines, node.startIndex, node.endIndex) };
  }
  const unterminated = unterminatedLiteral(node, source, lines) ?? missingEnd(node, source, lines);
  if (unterminated) return unterminated;
  const text = node.text;
  const firstLine = text.split('\n', 1)[0]!.slice(0, 40);
  const message = text.length === 0 ? 'unexpected end of file' : `syntax error before or at: ${firstLine}`;
  return { message, ...spanAt(lines, node.startIndex, node.endIndex) };
}

/**
 * An unterminated string, charlist, sigil or quoted atom leaves its content as a bare
 * `quoted_content` directly under the ERROR node; say so the way Elixir does.
 */
function unterminatedLiteral(node: TreeSitterNode, source: string, lines: LineIndex): SyntaxError | undefined {
  const content = node.namedChildren.find((child) => child.type === 'quoted_content');
  if (!content) return undefined;
  const before = source.slice(Math.max(0, content.startIndex - 3), content.startIndex);
  const delimiter = /("""|'''|["'/|({[<])$/.exec(before)?.[1] ?? '"';
  const opening = content.startIndex - delimiter.length;
  const position = lines.elixirPosition(opening);
  const what = delimiter.length === 3 ? 'heredoc' : 'string';
  return {
    message: `missing terminator: ${closingDelimiter(delimiter)} (for ${what} starting at line ${position.line})`,
    ...spanAt(lines, opening, node.endIndex),
  };
}

/**
 * An ERROR that runs to the end of the file from a `do` is, nearly always, a block whose `end`
 * was never typed; say so the way Elixir does rather than point at the `do`.
 */
function missingEnd(node: TreeSitterNode, source: string, lines: LineIndex): SyntaxError | undefined {
  if (source.slice(node.endIndex).trim() !== '') return undefined;
  const opener = innermostUnclosedBlock(node.text);
  if (opener === undefined) return undefined;
  const offset = node.startIndex + opener.index;
  const position = lines.elixirPosition(offset);
  return {
    message: `missing terminator: end (for "${opener.keyword}" starting at line ${position.line})`,
    ...spanAt(lines, offset, node.endIndex),
  };
}

/**
 * The last `do` or `fn` in `text` that no `end` closes, as Elixir's tokenizer reports it.
 * Strings, charlists, sigils and comments are skipped, roughly: enough for a message.
 */
function innermostUnclosedBlock(text: string): { keyword: string; index: number } | undefined {
  const open: { keyword: string; index: number }[] = [];
  const token = /#[^\n]*|"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\[\s\S]|[^"\\])*"|'(?:\\[\s\S]|[^'\\])*'|~[a-zA-Z]+(?:\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>|\/[^/]*\/|\|[^|]*\|)|(?<![.:@\w])(do|fn|end)\b(?![?!:])/g;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    const keyword = match[1];
    if (keyword === undefined) continue;
    if (keyword === 'end') open.pop();
    else open.push({ keyword, index: match.index });
  }
  return open[open.length - 1];
}

function closingDelimiter(opening: string): string {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
  return pairs[opening] ?? opening;
}

function contains(outer: SyntaxError, inner: SyntaxError): boolean {
  const startsAfter = inner.line > outer.line || (inner.line === outer.line && inner.column >= outer.column);
  const endsBefore = inner.line < outer.endLine || (inner.line === outer.endLine && inner.column <= outer.endColumn);
  return startsAfter && endsBefore;
}

function spanAt(lines: LineIndex, start: number, end: number) {
  const from = lines.elixirPosition(start);
  const to = lines.elixirPosition(end);
  return { line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
}
