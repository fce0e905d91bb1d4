/**
 * Reparsing after an edit by re-reading only the function clause (or module attribute, such as
 * an `@doc`) the edit falls in.
 *
 * Even when tree-sitter reuses most of its previous tree, the whole tree is copied out of wasm
 * and converted again (about 20 ms for `enum.ex`), so after a keystroke the cheapest correct tree
 * comes from parsing the text of the one edited clause on its own and splicing the result into
 * the previous tree, shifting the positions of everything after it.
 * This is sound because node IDs (and every fact built on them) are per clause: a clause parses
 * the same on its own as inside its module, as long as the edit stays strictly inside it.
 *
 * When that cannot be guaranteed the answer is `null` and the caller parses the whole file (an
 * editor reusing the document's previous wasm tree, `ElixirParser.parseDocument`): the previous
 * parse had syntax errors outside the edited clause, the edit touches a clause's first or last
 * token or lies outside every clause, the clause holds other definitions, the edited text no
 * longer parses as exactly one clause of the same form, or other code shares a line with the
 * clause.
 */
import { LineIndex } from '../../common/lineIndex';
import { type AstNode, type SyntaxError, blockExpressions, childrenOf, isCall, keywordValue } from '../syntax/ast';
import type { ElixirParser, ParseResult } from '../syntax/parser';
import type { TextChange } from '../syntax/textChange';
import type { FileDefinitions } from './definitions';

/**
 * The parse of `after`, made by reparsing only the clause that `change` edits inside `before`;
 * `null` when the whole file must be parsed instead. The previous tree is reused and modified in
 * place, so the previous parse must not be used after a non-null answer.
 */
export function reparseClause(
  parser: ElixirParser,
  before: string,
  previous: ParseResult,
  definitions: FileDefinitions,
  after: string,
  change: TextChange,
): ParseResult | null {
  const target = editedClauseNode(definitions, change);
  if (target === null) return null;
  // A file with syntax errors is only spliced when the edit repairs them: every error lies in
  // the clause being edited, which then parses cleanly on its own (checked below).
  if (!previous.errors.every((error) => errorInside(previous, error, target))) return null;

  const lineStart = before.lastIndexOf('\n', target.start - 1) + 1;
  if (before.slice(lineStart, target.start).trim() !== '') return null;
  const delta = change.newEnd - change.oldEnd;
  const sliceEnd = target.end + delta;
  const slice = after.slice(lineStart, sliceEnd);
  const reparsed = parser.parse(slice);
  if (reparsed.errors.length > 0 || reparsed.forms.length !== 1) return null;
  const replacement = reparsed.forms[0]!;
  if (!sameDefinitionForm(target, replacement) || replacement.end !== slice.length) return null;

  const lines = new LineIndex(after);
  const firstLine = previous.lines.elixirPosition(lineStart).line;
  const lineDelta = lines.elixirPosition(sliceEnd).line - previous.lines.elixirPosition(target.end).line;
  if (!shiftTree(previous.forms, target, replacement, { lineStart, firstLine, delta, lineDelta, targetEndLine: previous.lines.elixirPosition(target.end).line })) {
    return null;
  }
  return { forms: previous.forms, errors: [], lines };
}

function errorInside(parse: ParseResult, error: SyntaxError, node: AstNode): boolean {
  const start = parse.lines.offsetOfElixirPosition({ line: error.line, column: error.column });
  const end = parse.lines.offsetOfElixirPosition({ line: error.endLine, column: error.endColumn });
  return start !== undefined && end !== undefined && node.start < start && end < node.end;
}

interface Shift {
  readonly lineStart: number;
  readonly firstLine: number;
  readonly delta: number;
  readonly lineDelta: number;
  readonly targetEndLine: number;
}

type MutableNode = { -readonly [K in keyof AstNode]: AstNode[K] } & { endLine?: number | null };

function editedClauseNode(definitions: FileDefinitions, change: TextChange): AstNode | null {
  const strictlyInside = (node: AstNode) => node.start < change.start && change.oldEnd < node.end;
  let target: AstNode | null = null;
  for (const clause of definitions.functions) {
    if (strictlyInside(clause.node)) {
      if (target !== null && target !== clause.node) return null;
      target = clause.node;
    }
  }
  // Module attributes (`@doc`, `@spec`, …) written directly in a module body are forms of their
  // own too; what they mean for the clauses (`@impl`) is worked out again from the new tree.
  if (target === null) {
    for (const module of definitions.modules) {
      const body = module.node.args.length >= 2 ? keywordValue(module.node.args[module.node.args.length - 1], 'do') : undefined;
      for (const form of blockExpressions(body)) {
        if (isCall(form, '@') && strictlyInside(form)) target = form;
      }
    }
  }
  if (target === null) return null;
  // Definitions nested in the target (modules in a test body) would be renumbered by the edit.
  for (const clause of definitions.functions) {
    if (clause.node !== target && clause.node.start >= target.start && clause.node.end <= target.end) return null;
  }
  for (const module of definitions.modules) {
    if (module.node.start >= target.start && module.node.end <= target.end) return null;
  }
  return target;
}

function sameDefinitionForm(before: AstNode, after: AstNode): boolean {
  if (before.kind === 'call' && after.kind === 'call') return before.name === after.name && before.doBlock === after.doBlock;
  if (before.kind === 'remote' && after.kind === 'remote') return before.name === after.name && before.doBlock === after.doBlock;
  return false;
}

/**
 * Puts `replacement` where `target` was and moves every position after it. Returns false (and
 * changes nothing that matters, since the caller then parses afresh) when code after the clause
 * starts on the clause's last line, whose columns would move too.
 */
function shiftTree(forms: AstNode[], target: AstNode, replacement: AstNode, shift: Shift): boolean {
  const oldEnd = target.end;
  // Check before changing anything: the node following the clause must start on a later line.
  if (followerOnSameLine(forms, target, shift.targetEndLine)) return false;

  moveSubtree(replacement, shift.lineStart, shift.firstLine - 1);
  const pending: { node: AstNode; parent: AstNode | null; container: AstNode[] | null }[] = [];
  let replaced = false;
  const visit = (container: readonly AstNode[], parent: AstNode | null) => {
    for (const node of container) pending.push({ node, parent, container: parent === null ? forms : null });
  };
  visit(forms, null);
  while (pending.length > 0) {
    const { node, parent, container } = pending.pop()!;
    if (node === target) {
      replaceChild(parent, container, target, replacement);
      replaced = true;
      continue;
    }
    if (node.end <= target.start && node.end < oldEnd) continue;
    if (node.start >= oldEnd) {
      moveSubtree(node, shift.delta, shift.lineDelta);
      continue;
    }
    // An ancestor of the clause: it ends later by the edit's length.
    const mutable = node as MutableNode;
    mutable.end += shift.delta;
    if (mutable.endLine !== undefined && mutable.endLine !== null) mutable.endLine += shift.lineDelta;
    for (const child of childrenOf(node)) pending.push({ node: child, parent: node, container: null });
  }
  return replaced;
}

function followerOnSameLine(forms: readonly AstNode[], target: AstNode, targetEndLine: number): boolean {
  const stack: AstNode[] = [...forms];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.start >= target.end) {
      if (node.line === targetEndLine) return true;
      continue;
    }
    if (node.end <= target.start || node === target) continue;
    stack.push(...childrenOf(node));
  }
  return false;
}

function moveSubtree(root: AstNode, offsetDelta: number, lineDelta: number): void {
  if (offsetDelta === 0 && lineDelta === 0) return;
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()! as MutableNode;
    node.start += offsetDelta;
    node.end += offsetDelta;
    node.line += lineDelta;
    if (node.endLine !== undefined && node.endLine !== null) node.endLine += lineDelta;
    for (const child of childrenOf(node as AstNode)) stack.push(child);
  }
}

function replaceChild(parent: AstNode | null, forms: AstNode[] | null, target: AstNode, replacement: AstNode): void {
  const swapIn = (items: readonly AstNode[]) => {
    const index = items.indexOf(target);
    if (index !== -1) (items as AstNode[])[index] = replacement;
  };
  if (parent === null) {
    swapIn(forms!);
    return;
  }
  switch (parent.kind) {
    case 'call':
    case 'anonymousCall':
      swapIn(parent.args);
      if (parent.kind === 'anonymousCall' && parent.fun === target) (parent as { fun: AstNode }).fun = replacement;
      return;
    case 'remote':
      if (parent.receiver === target) (parent as { receiver: AstNode }).receiver = replacement;
      swapIn(parent.args);
      return;
    case 'dynamicCall':
      if (parent.form === target) (parent as { form: AstNode }).form = replacement;
      swapIn(parent.args);
      return;
    case 'list':
    case 'tuple':
      swapIn(parent.items);
      return;
    case 'keyword':
      (parent as { value: AstNode }).value = replacement;
      return;
    case 'access':
      if (parent.target === target) (parent as { target: AstNode }).target = replacement;
      else (parent as { key: AstNode }).key = replacement;
      return;
    case 'error':
      swapIn(parent.children);
      return;
    case 'string':
      swapIn(parent.interpolations);
      return;
    case 'alias':
    case 'variable':
    case 'atom':
    case 'number':
      return;
  }
}
