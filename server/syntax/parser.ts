/**
 * The Elixir parser: web-tree-sitter with the tree-sitter-elixir grammar, both loaded from the
 * wasm files shipped in the extension bundle (`media/wasm/`), never from `node_modules`.
 *
 * Parsing never fails. Whatever the input, `parse` returns the forms it could recognise and a
 * list of syntax errors with positions; the wasm tree is deleted before it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Tree, type Node as TreeSitterNode } from 'web-tree-sitter';
import { LineIndex } from '../../common/lineIndex';
import type { ParsedSource, SyntaxError } from './ast';
import { copyConcreteTree } from './concreteTree';
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
    if (!tree) {
      return { forms: [], errors: [{ message: 'the parser gave up on this file', ...spanAt(lines, 0, 0) }], lines };
    }
    try {
      const { root, truncatedAt } = copyConcreteTree(tree, this.typeNames, MAX_NESTING_DEPTH);
      const forms = new AstConverter(text, lines).forms(root);
      const errors = tree.rootNode.hasError ? collectSyntaxErrors(tree, lines) : [];
      for (const node of truncatedAt.slice(0, 1)) {
        errors.push({
          message: `code nested deeper than ${MAX_NESTING_DEPTH} levels is not analysed`,
          ...spanAt(lines, node.start, node.end),
        });
      }
      return { forms, errors, lines };
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.parser.delete();
  }
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

function collectSyntaxErrors(tree: Tree, lines: LineIndex): SyntaxError[] {
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
        if (errors.length < MAX_REPORTED_ERRORS) errors.push(describeError(node, lines));
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

function describeError(node: TreeSitterNode, lines: LineIndex): SyntaxError {
  if (node.isMissing) {
    const expected = node.type.trim() || 'token';
    return { message: `missing \`${expected}\``, ...spanAt(lines, node.startIndex, node.endIndex) };
  }
  const text = node.text;
  const firstLine = text.split('\n', 1)[0]!.slice(0, 40);
  const message = text.length === 0 ? 'unexpected end of file' : `syntax error before or at: ${firstLine}`;
  return { message, ...spanAt(lines, node.startIndex, node.endIndex) };
}

function spanAt(lines: LineIndex, start: number, end: number) {
  const from = lines.elixirPosition(start);
  const to = lines.elixirPosition(end);
  return { line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
}
