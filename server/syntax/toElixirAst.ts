/**
 * Recasts tree-sitter-elixir's concrete tree into the Elixir-shaped AST of `ast.ts`.
 *
 * Each rule mirrors what Elixir's parser produces for the same syntax, because every pass above
 * this one (module naming, alias scoping, what binds a variable) is defined in terms of Elixir's
 * AST. The conversion is total: any node it does not understand becomes an `error` node holding
 * whatever it could still convert, so half-typed code keeps its recognisable parts.
 */
import type { LineIndex } from '../../common/lineIndex';
import type {
  AliasNode,
  AstNode,
  CallNode,
  KeywordNode,
  ListNode,
  StringNode,
  SyntaxError,
} from './ast';
import type { ConcreteNode } from './concreteTree';

export class AstConverter {
  /** Errors the grammar lets through but Elixir rejects (a stray `end`). */
  readonly errors: SyntaxError[] = [];

  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}

  forms(root: ConcreteNode): AstNode[] {
    // When recovery fails altogether, the root itself is the ERROR node.
    if (root.type === 'ERROR') return this.repairSequence(root.children).map((child) => this.expression(child));
    return this.sequence(root.children);
  }

  expression(node: ConcreteNode): AstNode {
    if (node.truncated) return { kind: 'error', children: [], ...this.at(node.start, node) };
    switch (node.type) {
      case 'identifier':
        if (this.text.startsWith('end', node.start) && node.end - node.start === 3) this.reservedWord(node, 'end');
        return this.variable(node);
      case 'alias':
        return this.alias(node);
      case 'atom':
        return this.atomNode(node, this.slice(node).slice(1));
      case 'boolean':
      case 'nil':
        return this.atomNode(node, this.slice(node));
      case 'integer':
      case 'float':
      case 'char':
        return { kind: 'number', text: this.slice(node), ...this.at(node.start, node) };
      case 'quoted_atom':
        return this.quoted(node, 'atom');
      case 'string':
        return this.quoted(node, 'string');
      case 'charlist':
        return this.quoted(node, 'charlist');
      case 'sigil':
        return this.sigil(node);
      case 'list':
        return this.list(node);
      case 'tuple':
        return { kind: 'tuple', items: this.items(node.children, false), ...this.at(node.start, node) };
      case 'keywords':
        return this.keywordList(node);
      case 'map':
        return this.map(node);
      case 'bitstring':
        return this.syntheticCall('<<>>', node, this.items(node.children, false));
      case 'block':
        return this.block(node, node.children);
      case 'unary_operator':
        return this.unaryOperator(node);
      case 'binary_operator':
        return this.binaryOperator(node);
      case 'dot':
        return this.dot(node);
      case 'call':
        return this.call(node);
      case 'access_call': {
        if (node.children.length < 2) return this.errorAt(node);
        const [target, key] = node.children as [ConcreteNode, ConcreteNode];
        // Elixir places `foo[key]` at its `[`.
        const bracket = this.text.lastIndexOf('[', key.start);
        return {
          kind: 'access',
          target: this.expression(target),
          key: this.expression(key),
          ...this.at(bracket >= target.end ? bracket : node.start, node),
        };
      }
      case 'anonymous_function':
        return this.syntheticCall(
          'fn',
          node,
          node.children.map((clause) => this.stabClause(clause)),
        );
      case 'stab_clause':
        // Only valid inside fn/do blocks; anywhere else it is still converted for its contents.
        return this.stabClause(node);
      case 'operator_identifier':
        // `..` alone is the full range, Elixir's nullary call `{:.., _, []}`.
        if (this.slice(node) === '..') return this.syntheticCall('..', node, []);
        return { kind: 'variable', name: this.slice(node), ...this.at(node.start, node) };
      case 'arguments':
        return this.block(node, node.children);
      case 'do_block':
        return this.doBlockList(node);
      default:
        return { kind: 'error', children: this.sequence(node.children), ...this.at(node.start, node) };
    }
  }

  private variable(node: ConcreteNode): AstNode {
    return { kind: 'variable', name: this.slice(node), ...this.at(node.start, node) };
  }

  private atomNode(node: ConcreteNode, value: string): AstNode {
    return { kind: 'atom', value, ...this.at(node.start, node) };
  }

  private alias(node: ConcreteNode): AliasNode {
    const segments = this.slice(node)
      .split('.')
      .map((segment) => segment.trim());
    return { kind: 'alias', segments, ...this.at(node.start, node) };
  }

  /** Strings, charlists, quoted atoms: literal unless interpolated. */
  private quoted(node: ConcreteNode, flavor: StringNode['flavor']): AstNode {
    const interpolations = this.interpolations(node);
    if (flavor === 'atom' && interpolations.length === 0) {
      // `:"foo bar"` is an ordinary atom.
      return this.atomNode(node, this.quotedText(node));
    }
    const heredoc = this.text.startsWith('"""', node.start) || this.text.startsWith("'''", node.start);
    return { kind: 'string', flavor, interpolations, heredoc, ...this.at(node.start, node) };
  }

  private interpolations(node: ConcreteNode): AstNode[] {
    const found: AstNode[] = [];
    for (const child of node.children) {
      if (child.type === 'interpolation') found.push(this.block(child, child.children));
    }
    return found;
  }

  /** `~r/x/i` is Elixir's `sigil_r(<<"x">>, 'i')`. */
  private sigil(node: ConcreteNode): AstNode {
    const nameNode = node.children.find((child) => child.type === 'sigil_name');
    const modifiers = node.children.find((child) => child.type === 'sigil_modifiers');
    const contentStart = nameNode ? nameNode.end : node.start + 2;
    const content: StringNode = {
      kind: 'string',
      flavor: 'sigil',
      interpolations: this.interpolations(node),
      heredoc: this.text.startsWith('"""', contentStart) || this.text.startsWith("'''", contentStart),
      ...this.at(contentStart, { start: contentStart, end: modifiers ? modifiers.start : node.end }),
    };
    const modifierList: ListNode = {
      kind: 'list',
      items: [],
      ...this.at(modifiers ? modifiers.start : node.end, modifiers ?? { start: node.end, end: node.end }),
    };
    const name = nameNode ? this.slice(nameNode) : '';
    return this.syntheticCall(`sigil_${name}`, node, [content, modifierList]);
  }

  private list(node: ConcreteNode): ListNode {
    return { kind: 'list', items: this.items(node.children, true), ...this.at(node.start, node) };
  }

  /**
   * Converts bracket contents. A `keywords` child is spread into the list itself (`[1, a: 2]`)
   * or, in tuples and argument lists, kept as one trailing keyword list (`{:ok, a: 1}`).
   */
  private items(children: readonly ConcreteNode[], spreadKeywords: boolean): AstNode[] {
    const items: AstNode[] = [];
    for (const child of children) {
      if (child.type === 'keywords') {
        if (spreadKeywords) for (const pair of child.children) items.push(this.keyword(pair));
        else items.push(this.keywordList(child));
      } else {
        items.push(this.expression(child));
      }
    }
    return items;
  }

  private keywordList(node: ConcreteNode): ListNode {
    return {
      kind: 'list',
      items: node.children.map((pair) => this.keyword(pair)),
      ...this.at(node.start, node),
    };
  }

  private keyword(pair: ConcreteNode): AstNode {
    const [keyNode, valueNode] = pair.children;
    if (pair.type !== 'pair' || !keyNode || !valueNode) return this.expression(pair);
    const value = this.expression(valueNode);
    const interpolated = keyNode.type === 'quoted_keyword' ? this.interpolations(keyNode) : [];
    if (interpolated.length > 0) return this.keywordWithInterpolatedKey(keyNode, interpolated, value);
    const node: KeywordNode = { kind: 'keyword', key: this.keywordKey(keyNode), value, ...this.at(pair.start, pair) };
    return node;
  }

  // `"a#{x}": v` is `{:erlang.binary_to_atom(...), v}` in Elixir; keeping the key's interpolations
  // inside the value as a tuple would misplace them, so the pair becomes a real 2-tuple.
  private keywordWithInterpolatedKey(keyNode: ConcreteNode, interpolations: AstNode[], value: AstNode): AstNode {
    const key: StringNode = {
      kind: 'string',
      flavor: 'atom',
      interpolations,
      heredoc: false,
      ...this.at(keyNode.start, keyNode),
    };
    return { kind: 'tuple', items: [key, value], ...this.at(keyNode.start, { start: keyNode.start, end: value.end }) };
  }

  private keywordKey(keyNode: ConcreteNode): string {
    if (keyNode.type === 'quoted_keyword') return this.quotedText(keyNode);
    // `do: ` -> `do`
    return this.slice(keyNode).replace(/:\s*$/, '');
  }

  /**
   * `%{a => 1, b: 2}` is `{:%{}, _, [{a, 1}, {:b, 2}]}`; `%{m | a: 1, b => 2}` is
   * `{:%{}, _, [{:|, _, [m, [a: 1, {b, 2}]]}]}`; `%S{...}` is `{:%, _, [S, {:%{}, _, ...}]}`.
   * Elixir places a map at its `{`.
   */
  private map(node: ConcreteNode): AstNode {
    const struct = node.children.find((child) => child.type === 'struct');
    const content = node.children.find((child) => child.type === 'map_content');
    const contentChildren = (content?.children ?? []).map((child) => this.reassociateArrow(child));
    const [first, ...rest] = contentChildren;
    let entries: AstNode[];
    if (first && first.type === 'binary_operator' && this.operatorOf(first).text === '|' && first.children.length === 2) {
      // The update syntax: everything after `|` is one list, in Elixir as in the source.
      const updated = this.expression(first.children[0]!);
      const changes = this.mapEntries([first.children[1]!, ...rest]);
      const changeList: ListNode = { kind: 'list', items: changes, ...this.at(first.children[1]!.start, { start: first.children[1]!.start, end: content!.end }) };
      const operator = this.operatorOf(first);
      entries = [this.operatorCall('|', this.at(operator.start, { start: first.start, end: content!.end }), [updated, changeList])];
    } else {
      entries = this.mapEntries(contentChildren);
    }
    const braceOffset = this.text.indexOf('{', struct ? struct.end : node.start);
    const brace = braceOffset === -1 ? node.start : braceOffset;
    const mapPart: CallNode = {
      kind: 'call',
      name: '%{}',
      args: entries,
      parens: false,
      operator: false,
      doBlock: false,
      endLine: null,
      ...this.at(brace, { start: struct ? brace : node.start, end: node.end }),
    };
    if (!struct) return mapPart;
    const structName = struct.children[0] ? this.expression(struct.children[0]) : this.errorAt(struct);
    return this.syntheticCall('%', node, [structName, mapPart]);
  }

  private mapEntries(children: readonly ConcreteNode[]): AstNode[] {
    const entries: AstNode[] = [];
    for (const child of children) {
      if (child.type === 'keywords') {
        for (const pair of child.children) entries.push(this.keyword(pair));
      } else if (child.type === 'binary_operator' && child.children.length === 2 && this.operatorOf(child).text === '=>') {
        const key = this.expression(child.children[0]!);
        const value = this.expression(child.children[1]!);
        entries.push({ kind: 'tuple', items: [key, value], ...this.at(child.start, child) });
      } else {
        entries.push(this.expression(child));
      }
    }
    return entries;
  }

  /**
   * In a map, `k => a :: t` and `k => a | b` mean `k => (a :: t)` and `k => (a | b)` (`=>` binds
   * loosest there), but tree-sitter-elixir parses them as `(k => a) :: t`; this rotates them back.
   * The rebuilt nodes keep their children's spans, so operators are still read from the source.
   */
  private reassociateArrow(node: ConcreteNode): ConcreteNode {
    if (node.type !== 'binary_operator' || node.children.length !== 2) return node;
    const operator = this.operatorOf(node).text;
    if (operator === '=>') return node;
    const left = this.reassociateArrow(node.children[0]!);
    if (left.type !== 'binary_operator' || left.children.length !== 2 || this.operatorOf(left).text !== '=>') return node;
    const [key, value] = left.children as [ConcreteNode, ConcreteNode];
    const right = node.children[1]!;
    const inner: ConcreteNode = { type: 'binary_operator', start: value.start, end: right.end, children: [value, right] };
    return { type: 'binary_operator', start: key.start, end: node.end, children: [key, inner] };
  }

  /**
   * Converts a sequence of expressions (a file, a block, a body). When tree-sitter could not parse
   * part of it, the sequence holds ERROR nodes; they are repaired first so that half-typed code
   * keeps its structure (see `repairSequence`).
   */
  private sequence(children: readonly ConcreteNode[]): AstNode[] {
    const repaired = children.some((child) => child.type === 'ERROR') ? this.repairSequence(children) : children;
    return repaired.map((child) => this.expression(child));
  }

  /**
   * Tree-sitter's error recovery, on a file whose `do … end` is unbalanced (the usual state of a
   * file being typed), leaves `defmodule A` as a call without a block, followed by an ERROR node
   * holding the rest as a flat list in which `def g(y)` is split into `def` and `(y)`. This puts
   * the pieces back: the ERROR's children join the sequence, an identifier followed by an
   * argument list becomes a call again, and a call followed in the source by `do` takes the rest
   * of the sequence as its block, whose `end` is missing. The syntax errors are reported from the
   * tree as they are; only the AST is repaired.
   */
  private repairSequence(children: readonly ConcreteNode[], depth = 0): ConcreteNode[] {
    const flat: ConcreteNode[] = [];
    for (const child of children) {
      if (child.type === 'ERROR') flat.push(...child.children);
      else flat.push(child);
    }
    const merged: ConcreteNode[] = [];
    for (let index = 0; index < flat.length; index++) {
      const node = flat[index]!;
      const next = flat[index + 1];
      if (node.type === 'identifier' && next?.type === 'arguments') {
        merged.push({ type: 'call', start: node.start, end: next.end, children: [node, next] });
        index++;
      } else {
        merged.push(node);
      }
    }
    // Thousands of unclosed blocks would nest past what the recursive passes can take.
    if (depth >= MAX_REPAIRED_NESTING) return merged;
    for (let index = 0; index < merged.length; index++) {
      const node = merged[index]!;
      if (node.type !== 'call' || node.children.some((child) => child.type === 'do_block')) continue;
      if (!DO_KEYWORD.test(this.text.slice(node.end, node.end + 64))) continue;
      const body = this.repairSequence(merged.slice(index + 1), depth + 1);
      const end = body.length > 0 ? body[body.length - 1]!.end : node.end;
      const doBlock: ConcreteNode = { type: 'do_block', start: node.end, end, children: body };
      merged.splice(index, merged.length - index, { ...node, end, children: [...node.children, doBlock] });
      break;
    }
    return merged;
  }

  private reservedWord(node: ConcreteNode, word: string): void {
    const from = this.lines.elixirPosition(node.start);
    const to = this.lines.elixirPosition(node.end);
    this.errors.push({
      message: `unexpected reserved word: ${word}`,
      line: from.line,
      column: from.column,
      endLine: to.line,
      endColumn: to.column,
    });
  }

  /** `(a; b)`, interpolations, bodies: Elixir's `__block__`, or the expression when there is one. */
  private block(node: { start: number; end: number }, children: readonly ConcreteNode[]): AstNode {
    // `(a -> b)` is a list of clauses in Elixir, as in `receive(do: (x -> x))`.
    if (children.length > 0 && children.every((child) => child.type === 'stab_clause')) {
      return { kind: 'list', items: children.map((clause) => this.stabClause(clause)), ...this.at(node.start, node) };
    }
    const expressions = this.sequence(children);
    if (expressions.length === 1 && !needsBlock(expressions[0]!)) return expressions[0]!;
    return this.syntheticCall('__block__', node, expressions);
  }

  private unaryOperator(node: ConcreteNode): AstNode {
    const operand = node.children[0];
    const written = this.slice({ start: node.start, end: operand ? operand.start : node.end })
      .replace(/#[^\n]*/g, '')
      .trim();
    const parenthesised = written.endsWith('(');
    const operatorText = written.replace(/\($/, '').trim();
    let args: AstNode[] = [];
    if (operand) {
      const converted = this.expression(operand);
      // `&(not x)`: the parentheses are a block, and Elixir keeps a one-expression block of a
      // unary `not`/`!` or `unquote_splicing` (see `needsBlock`).
      args = [
        parenthesised && needsBlock(converted)
          ? this.syntheticCall('__block__', { start: this.text.lastIndexOf('(', operand.start), end: operand.end }, [converted])
          : converted,
      ];
    }
    return { ...this.syntheticCall(operatorText, node, args), operator: true };
  }

  private binaryOperator(node: ConcreteNode): AstNode {
    const [leftNode, rightNode] = node.children;
    if (!leftNode || !rightNode) return this.errorAt(node);
    const operator = this.operatorOf(node);
    const position = this.at(operator.start, node);
    const right = this.expression(rightNode);
    // `first..last//step` is one ternary operator in Elixir.
    if (operator.text === '//' && leftNode.type === 'binary_operator' && this.operatorOf(leftNode).text === '..') {
      const [first, last] = leftNode.children;
      const rangeOperator = this.operatorOf(leftNode);
      return this.operatorCall('..//', this.at(rangeOperator.start, node), [
        this.expression(first!),
        this.expression(last!),
        right,
      ]);
    }
    // In stab clauses `a, b when guard` has an argument list on the left; Elixir flattens it.
    const left =
      leftNode.type === 'arguments' ? leftNode.children.map((child) => this.expression(child)) : [this.expression(leftNode)];
    if (operator.text === 'not in') {
      const inCall = this.operatorCall('in', position, [...left, right]);
      return this.operatorCall('not', position, [inCall]);
    }
    // The deprecated `not x in y` (and `!x in y`) is `not(x in y)` in Elixir.
    const [onlyLeft] = left;
    if (operator.text === 'in' && left.length === 1 && onlyLeft!.kind === 'call' && onlyLeft!.operator && (onlyLeft!.name === 'not' || onlyLeft!.name === '!') && onlyLeft!.args.length === 1) {
      const inCall = this.operatorCall('in', position, [onlyLeft!.args[0]!, right]);
      return { ...onlyLeft!, args: [inCall], end: node.end };
    }
    return this.operatorCall(operator.text, position, [...left, right]);
  }

  private operatorCall(name: string, position: ReturnType<AstConverter['at']>, args: AstNode[]): CallNode {
    return { kind: 'call', name, args, parens: false, operator: true, doBlock: false, endLine: null, ...position };
  }

  /** The operator token of a binary operator: what stands between the operands, minus comments. */
  private operatorOf(node: ConcreteNode): { text: string; start: number } {
    const [left, right] = node.children;
    const from = left ? left.end : node.start;
    const to = right ? right.start : node.end;
    const between = this.text.slice(from, to);
    let offset = 0;
    let text = '';
    for (const match of between.matchAll(/#[^\n]*|[^\s#]+(?:[ \t]+in\b)?/g)) {
      if (match[0].startsWith('#')) continue;
      offset = match.index;
      text = match[0];
      break;
    }
    text = text.replace(/\s+/g, ' ');
    return { text, start: from + offset };
  }

  /** A `dot` node not under a call: `__MODULE__.Bar`, `A.{B, C}`, `unquote(x).Bar`. */
  private dot(node: ConcreteNode): AstNode {
    const [leftNode, rightNode] = node.children;
    if (!leftNode || !rightNode) return this.errorAt(node);
    const left = this.expression(leftNode);
    // Elixir places `x.Foo` and `A.{B, C}` at their dot.
    const dotOffset = this.dotOffset(leftNode, rightNode);
    if (rightNode.type === 'alias') {
      const rest = this.alias(rightNode).segments as string[];
      if (left.kind === 'alias') {
        return { kind: 'alias', segments: [...left.segments, ...rest], ...this.at(node.start, node) };
      }
      return { kind: 'alias', segments: [left, ...rest], ...this.at(dotOffset, node) };
    }
    if (rightNode.type === 'tuple') {
      // `A.{B, C}`: Elixir's `{{:., _, [A, :{}]}, _, [B, C]}`.
      return {
        kind: 'remote',
        receiver: left,
        name: '{}',
        args: this.items(rightNode.children, false),
        parens: true,
        doBlock: false,
        endLine: null,
        ...this.at(dotOffset, node),
      };
    }
    return {
      kind: 'remote',
      receiver: left,
      name: this.memberName(rightNode),
      args: [],
      parens: false,
      doBlock: false,
      endLine: null,
      ...this.at(rightNode.start, node),
    };
  }

  /** The `.` between a receiver and what follows it, skipping comments and blank space. */
  private dotOffset(left: ConcreteNode, right: ConcreteNode | undefined): number {
    const between = this.text.slice(left.end, right ? right.start : left.end + 256);
    const match = /^(?:\s|#[^\n]*)*\./.exec(between);
    return match ? left.end + match[0].length - 1 : left.end;
  }

  private memberName(node: ConcreteNode): string {
    if (node.type === 'string' || node.type === 'charlist') return this.quotedText(node);
    return this.slice(node);
  }

  private call(node: ConcreteNode): AstNode {
    const targetNode = node.children[0];
    if (!targetNode) return this.errorAt(node);
    let argumentsNode: ConcreteNode | undefined;
    let doBlockNode: ConcreteNode | undefined;
    for (const child of node.children) {
      if (child.type === 'arguments') argumentsNode = child;
      else if (child.type === 'do_block') doBlockNode = child;
    }
    const args = argumentsNode ? this.items(argumentsNode.children, false) : [];
    const parens = argumentsNode !== undefined && this.text[argumentsNode.start] === '(';
    let endLine: number | null = null;
    if (doBlockNode) {
      args.push(this.doBlockList(doBlockNode));
      endLine = this.lines.elixirPosition(Math.max(doBlockNode.end - 1, doBlockNode.start)).line;
    }
    const doBlock = doBlockNode !== undefined;

    if (targetNode.type === 'identifier') {
      return {
        kind: 'call',
        name: this.slice(targetNode),
        args,
        parens,
        operator: false,
        doBlock,
        endLine,
        ...this.at(targetNode.start, node),
      };
    }
    if (targetNode.type === 'dot') {
      const [receiverNode, memberNode] = targetNode.children;
      if (receiverNode && !memberNode) {
        // Elixir places `fun.(x)` at its dot.
        return {
          kind: 'anonymousCall',
          fun: this.expression(receiverNode),
          args,
          ...this.at(this.dotOffset(receiverNode, undefined), node),
        };
      }
      if (receiverNode && memberNode) {
        return {
          kind: 'remote',
          receiver: this.expression(receiverNode),
          name: this.memberName(memberNode),
          args,
          parens,
          doBlock,
          endLine,
          ...this.at(memberNode.start, node),
        };
      }
    }
    const form = this.expression(targetNode);
    // `x.unquote(f)(args)` is placed, like any remote call, at the called name.
    const position = form.kind === 'remote' ? { line: form.line, column: form.column } : this.lines.elixirPosition(targetNode.start);
    return { kind: 'dynamicCall', form, args, doBlock, endLine, start: node.start, end: node.end, ...position };
  }

  /** `do … else … end` as Elixir's `[do: ..., else: ...]`. */
  private doBlockList(node: ConcreteNode): ListNode {
    const items: AstNode[] = [];
    const doChildren: ConcreteNode[] = [];
    const sections: ConcreteNode[] = [];
    for (const child of node.children) {
      if (child.type.endsWith('_block')) sections.push(child);
      else doChildren.push(child);
    }
    const doEnd = sections[0]?.start ?? node.end;
    items.push(this.section('do', { start: node.start, end: doEnd }, doChildren));
    for (const section of sections) {
      items.push(this.section(section.type.replace(/_block$/, ''), section, section.children));
    }
    return { kind: 'list', items, ...this.at(node.start, node) };
  }

  private section(key: string, span: { start: number; end: number }, children: readonly ConcreteNode[]): KeywordNode {
    let value: AstNode;
    if (children.length > 0 && children.every((child) => child.type === 'stab_clause')) {
      value = {
        kind: 'list',
        items: children.map((clause) => this.stabClause(clause)),
        ...this.at(children[0]!.start, { start: children[0]!.start, end: span.end }),
      };
    } else if (children.length === 0) {
      value = this.syntheticCall('__block__', { start: span.end, end: span.end }, []);
    } else {
      value = this.block(span, children);
    }
    return { kind: 'keyword', key, value, ...this.at(span.start, span) };
  }

  /** `a, b when g -> body` is `{:->, _, [[{:when, _, [a, b, g]}], body]}`. */
  private stabClause(node: ConcreteNode): AstNode {
    if (node.type !== 'stab_clause') return this.expression(node);
    let leftNode: ConcreteNode | undefined;
    let bodyNode: ConcreteNode | undefined;
    for (const child of node.children) {
      if (child.type === 'body') bodyNode = child;
      else leftNode = child;
    }
    let patterns: AstNode[];
    if (!leftNode) patterns = [];
    else if (leftNode.type === 'arguments') patterns = this.items(leftNode.children, false);
    else patterns = [this.expression(leftNode)];
    const arrowOffset = this.arrowOffset(node, leftNode, bodyNode);
    const patternList: ListNode = {
      kind: 'list',
      items: patterns,
      ...this.at(leftNode ? leftNode.start : arrowOffset, leftNode ?? { start: arrowOffset, end: arrowOffset }),
    };
    const body = bodyNode
      ? this.block(bodyNode, bodyNode.children)
      : this.syntheticCall('__block__', { start: node.end, end: node.end }, []);
    return {
      kind: 'call',
      name: '->',
      args: [patternList, body],
      parens: false,
      operator: true,
      doBlock: false,
      endLine: null,
      ...this.at(arrowOffset, node),
    };
  }

  private arrowOffset(node: ConcreteNode, left: ConcreteNode | undefined, body: ConcreteNode | undefined): number {
    const from = left ? left.end : node.start;
    const to = body ? body.start : node.end;
    const index = this.text.slice(from, to).indexOf('->');
    return index === -1 ? from : from + index;
  }

  private syntheticCall(name: string, node: { start: number; end: number }, args: AstNode[]): CallNode {
    return {
      kind: 'call',
      name,
      args,
      parens: false,
      operator: false,
      doBlock: false,
      endLine: null,
      ...this.at(node.start, node),
    };
  }

  private errorAt(node: ConcreteNode): AstNode {
    return { kind: 'error', children: node.children.map((child) => this.expression(child)), ...this.at(node.start, node) };
  }

  private at(offset: number, span: { start: number; end: number }) {
    const position = this.lines.elixirPosition(offset);
    return { start: span.start, end: span.end, line: position.line, column: position.column };
  }

  /** The text between the quotes of an uninterpolated `:"…"`, `"…":` or `"…"`, escapes resolved. */
  private quotedText(node: ConcreteNode): string {
    const parts = node.children.filter((child) => child.type === 'quoted_content' || child.type === 'escape_sequence');
    if (parts.length === 0) return '';
    return unescapeQuoted(this.text.slice(parts[0]!.start, parts[parts.length - 1]!.end));
  }

  private slice(node: { start: number; end: number }): string {
    return this.text.slice(node.start, node.end);
  }
}

/**
 * Elixir's parser keeps a one-expression block when the expression is a unary `not`/`!` or an
 * `unquote_splicing` (`build_block/1` in elixir_parser.yrl), so paths below it match Elixir's.
 */
function needsBlock(node: AstNode): boolean {
  if (node.kind !== 'call' || node.args.length !== 1) return false;
  return node.name === 'unquote_splicing' || (node.operator && (node.name === 'not' || node.name === '!'));
}

/** How many unclosed `do` blocks the repair nests; deeper ones stay flat. */
const MAX_REPAIRED_NESTING = 200;

/** `do` opening a block, not the `do:` keyword. */
const DO_KEYWORD = /^\s*do(?![\w?!:])/;

/** Resolves escapes as Elixir does in quoted atoms and names (`\n`, `\x41`, `\u{1F600}`, `\"`). */
function unescapeQuoted(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(x\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{1,2}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|[\s\S])/g, (_, escape: string) => {
    if (escape.length > 1) {
      const hex = escape.slice(1).replace(/[{}]/g, '');
      return String.fromCodePoint(Number.parseInt(hex, 16));
    }
    return SIMPLE_ESCAPES[escape] ?? escape;
  });
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', s: ' ', e: '\x1b', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '',
};
