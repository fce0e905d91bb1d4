/**
 * Renders a decoded `Term` the way Elixir 1.14's `inspect/1` prints it with default options
 * (`limit: 50`, `printable_limit: 4096`, no pretty printing), so that values in the debugger look
 * exactly like what the user sees in IEx. The rules are transcribed from Elixir 1.14's `Inspect`
 * implementations (`lib/elixir/lib/inspect.ex`, `Macro.inspect_atom/2`, `Code.Identifier.escape/4`,
 * `String.printable?/2`, `List.ascii_printable?/2`) and checked against a real `elixir` by
 * `test/etfAgainstElixir.test.ts`.
 *
 * Where the recorder cannot know what Elixir knows, it prints what it can:
 * - Structs use the generic `%Mod{field: value, ...}` form with the fields in the order they were
 *   received (alphabetical for structs of up to 31 fields). Elixir asks the struct's module: it
 *   prints fields in `defstruct` order and uses the module's own `Inspect` implementation when
 *   there is one (`~D[2024-01-01]`, `MapSet.new([1])`, `#URI<...>`), which we cannot run.
 * - A closure prints as `#Function<index.uniq/arity in Mod>`: Elixir adds `.fun_name/arity` of the
 *   function that defined it, which it finds in the loaded module, not in the term.
 * - Pids, ports and references print node number 0 (the local node) unless `nodeNumber` says
 *   otherwise: the number is an index into the debuggee VM's own table of connected nodes.
 * - The agent's truncation marker `{:"$elixirscope_truncated", what, count}` prints as `...`, as
 *   Elixir prints what its own `limit` cut; a list or map whose only non-keyword element is the
 *   marker still prints in keyword form, and a printable charlist followed by it as `'abc' ++ ...`.
 * - Unicode atoms are classified with JavaScript's `ID_Start`/`ID_Continue` properties and an NFC
 *   check; Elixir's tokenizer also rejects some scripts and mixtures (UTS 39), which we do not.
 * - Terms nested deeper than `MAX_INSPECT_DEPTH` print `...` below that depth rather than
 *   overflowing the stack (`decodeTerm` never produces such terms with its default depth limit).
 */
import { TRUNCATED_TAG } from '../../common/traceProtocol';
import type { Term } from './term';

export interface InspectOptions {
  /** Elements shown per tuple, list, map or non-printable binary (Elixir's `:limit`, 50). */
  readonly limit?: number;
  /** Characters shown of a printable string or charlist (Elixir's `:printable_limit`, 4096). */
  readonly printableLimit?: number;
  /** The number Elixir prints first in `#PID<0.1.0>` for pids of `node` (default: always 0). */
  readonly nodeNumber?: (node: string) => number;
}

export const DEFAULT_INSPECT_LIMIT = 50;
export const DEFAULT_PRINTABLE_LIMIT = 4096;
export const MAX_INSPECT_DEPTH = 2000;

/**
 * `term` as Elixir 1.14's `inspect/1` prints it. It takes exactly one argument so that it can be
 * passed to `Array.prototype.map` directly; `inspectTermWith` takes options.
 */
export function inspectTerm(term: Term): string {
  return inspectTermWith(term, {});
}

/** `term` as Elixir 1.14's `inspect/2` prints it with these options. */
export function inspectTermWith(term: Term, options: InspectOptions): string {
  const context: InspectContext = {
    printableLimit: options.printableLimit ?? DEFAULT_PRINTABLE_LIMIT,
    nodeNumber: options.nodeNumber ?? (() => 0),
  };
  return renderTerm(term, options.limit ?? DEFAULT_INSPECT_LIMIT, context, 0);
}

/**
 * Whether `term` is the agent's `{:"$elixirscope_truncated", what, count}` marker, or the form it
 * takes for a cut binary, `{:"$elixirscope_truncated", :bytes, count, prefix}`.
 */
export function isTruncationMarker(term: Term): boolean {
  return (
    term.type === 'tuple' &&
    (term.items.length === 3 || term.items.length === 4) &&
    term.items[0].type === 'atom' &&
    term.items[0].value === TRUNCATED_TAG
  );
}

/** How Elixir writes an atom as a value: `:ok`, `nil`, `Foo.Bar`, `:"with space"`. */
export function inspectAtom(name: string): string {
  if (name === 'nil' || name === 'true' || name === 'false') return name;
  const kind = classifyAtom(name);
  if (kind === 'alias') {
    if (name === 'Elixir' || name === 'Elixir.Elixir' || name.startsWith('Elixir.Elixir.')) return name;
    return name.slice('Elixir.'.length);
  }
  if (kind === 'quoted') return ':"' + escapeText(name, QUOTE).text + '"';
  return ':' + name;
}

interface InspectContext {
  readonly printableLimit: number;
  readonly nodeNumber: (node: string) => number;
}

/** Renders `term` when Elixir's remaining `limit` for it is `limit` (Infinity for none). */
function renderTerm(term: Term, limit: number, context: InspectContext, depth: number): string {
  if (depth > MAX_INSPECT_DEPTH) return '...';
  switch (term.type) {
    case 'atom':
      return inspectAtom(term.value);
    case 'integer':
      return String(term.value);
    case 'float':
      return formatFloat(term.value);
    case 'binary':
      return renderBinary(term.value, term.bits, limit, context);
    case 'list':
      return renderList(term.items, term.tail, limit, context, depth);
    case 'tuple':
      if (isTruncationMarker(term)) {
        // A cut binary keeps its first bytes: shown as Elixir shows a string cut by `printable_limit`.
        const prefix = term.items[3];
        return prefix?.type === 'binary' ? `${renderTerm(prefix, limit, context, depth + 1)} <> ...` : '...';
      }
      return renderContainer('{', term.items, '}', limit, (item, itemLimit) => renderTerm(item, itemLimit, context, depth + 1));
    case 'map':
      return renderMap(term.entries, limit, context, depth);
    case 'pid':
      return `#PID<${context.nodeNumber(term.node)}.${term.id}.${term.serial}>`;
    case 'port':
      return `#Port<${context.nodeNumber(term.node)}.${term.id}>`;
    case 'reference':
      // `ref_to_list` prints the id words most significant first; the wire has them the other way.
      return `#Reference<${context.nodeNumber(term.node)}.${[...term.ids].reverse().join('.')}>`;
    case 'fun':
      if (term.name !== null) return `&${inspectAtom(term.module)}.${inspectRemoteCallName(term.name)}/${term.arity}`;
      return `#Function<${term.index ?? 0}.${term.uniq ?? 0}/${term.arity} in ${inspectAtom(term.module)}>`;
  }
}

/**
 * Elixir's `container_doc/6` flattened: each element gets the limit left after it, and once the
 * limit is spent the rest becomes one `...`.
 */
function renderContainer<T>(
  open: string,
  items: readonly T[],
  close: string,
  limit: number,
  renderItem: (item: T, itemLimit: number) => string,
): string {
  if (items.length === 0) return open + close;
  let text = open;
  let remaining = limit;
  for (let index = 0; index < items.length; index++) {
    if (index > 0) text += ', ';
    if (remaining === 0) return text + '...' + close;
    remaining--;
    text += renderItem(items[index], remaining);
  }
  return text + close;
}

function renderList(items: readonly Term[], tail: Term | undefined, limit: number, context: InspectContext, depth: number): string {
  if (items.length === 0 && tail === undefined) return '[]';
  const charlist = renderCharlist(items, tail, context.printableLimit);
  if (charlist !== null) return charlist;
  const renderItem = (item: Term, itemLimit: number) => renderTerm(item, itemLimit, context, depth + 1);
  if (tail === undefined) {
    if (isKeywordList(items)) return renderContainer('[', items, ']', limit, (item, itemLimit) => renderKeywordPair(item, itemLimit, context, depth));
    return renderContainer('[', items, ']', limit, renderItem);
  }
  // An improper list: the last element and the tail share one step of the limit (`[1, 2 | 3]`).
  let text = '[';
  let remaining = limit;
  for (let index = 0; index < items.length; index++) {
    if (index > 0) text += ', ';
    if (remaining === 0) return text + '...]';
    remaining--;
    text += renderItem(items[index], remaining);
    if (index === items.length - 1) text += ' | ' + renderItem(tail, remaining);
  }
  return text + ']';
}

/**
 * `'abc'` when the list is ASCII-printable as Elixir 1.14 checks it (codes 7–13, 27, 32–126, up to
 * `printable_limit` of them), else null. A truncation marker at the end keeps a charlist a charlist.
 */
function renderCharlist(items: readonly Term[], tail: Term | undefined, printableLimit: number): string | null {
  let count = items.length;
  let truncated = false;
  if (tail === undefined && count > 0 && isTruncationMarker(items[count - 1])) {
    count--;
    truncated = true;
    if (count === 0) return null;
  }
  let checked = 0;
  let printable = true;
  for (; checked < count && checked < printableLimit; checked++) {
    const item = items[checked];
    if (item.type !== 'integer' || typeof item.value !== 'number' || !isAsciiPrintableCode(item.value)) {
      printable = false;
      break;
    }
  }
  if (!printable) return null;
  // Elixir stops looking after `printable_limit` characters; an improper tail within them fails.
  if (checked === count && tail !== undefined) return null;
  let text = '';
  for (let index = 0; index < count; index++) {
    const item = items[index];
    if (item.type !== 'integer' || typeof item.value !== 'number') return null;
    text += String.fromCodePoint(item.value);
  }
  const escaped = escapeText(text, APOSTROPHE, printableLimit);
  const cut = escaped.rest || truncated;
  return "'" + escaped.text + "'" + (cut ? ' ++ ...' : '');
}

function isAsciiPrintableCode(code: number): boolean {
  return (code >= 32 && code <= 126) || (code >= 7 && code <= 13) || code === 27;
}

/** `Inspect.List.keyword?/1`: every element `{atom, value}` with an atom that is not an alias. */
function isKeywordList(items: readonly Term[]): boolean {
  let pairs = 0;
  for (const item of items) {
    if (isTruncationMarker(item)) continue;
    if (item.type !== 'tuple' || item.items.length !== 2) return false;
    const key = item.items[0];
    if (key.type !== 'atom' || key.value.startsWith('Elixir.')) return false;
    pairs++;
  }
  return pairs > 0 || items.length === 0;
}

function renderKeywordPair(item: Term, limit: number, context: InspectContext, depth: number): string {
  if (item.type !== 'tuple' || item.items.length !== 2 || item.items[0].type !== 'atom') return '...';
  return inspectAtomKey(item.items[0].value) + ' ' + renderTerm(item.items[1], limit, context, depth + 1);
}

function renderMap(entries: readonly (readonly [Term, Term])[], limit: number, context: InspectContext, depth: number): string {
  const structName = structNameOf(entries);
  if (structName !== null) {
    const fields = entries.filter(([key, value]) => !isHiddenStructField(key, value));
    return renderContainer('%' + structName + '{', fields, '}', limit, ([key, value], itemLimit) =>
      isTruncationMarker(key) ? '...' : inspectAtomKey((key as { value: string }).value) + ' ' + renderTerm(value, itemLimit, context, depth + 1),
    );
  }
  if (isKeywordMap(entries)) {
    return renderContainer('%{', entries, '}', limit, ([key, value], itemLimit) =>
      isTruncationMarker(key) ? '...' : inspectAtomKey((key as { value: string }).value) + ' ' + renderTerm(value, itemLimit, context, depth + 1),
    );
  }
  return renderContainer('%{', entries, '}', limit, ([key, value], itemLimit) =>
    isTruncationMarker(key)
      ? '...'
      : renderTerm(key, itemLimit, context, depth + 1) + ' => ' + renderTerm(value, itemLimit, context, depth + 1),
  );
}

function isKeywordMap(entries: readonly (readonly [Term, Term])[]): boolean {
  for (const [key] of entries) {
    if (isTruncationMarker(key)) continue;
    if (key.type !== 'atom' || key.value.startsWith('Elixir.')) return false;
  }
  return true;
}

/**
 * The printed name of a struct (`URI` for `%{__struct__: URI, ...}`), or null for a map that is
 * not one we can print as a struct: its `__struct__` must be an alias and its other keys atoms.
 */
function structNameOf(entries: readonly (readonly [Term, Term])[]): string | null {
  let name: string | null = null;
  for (const [key, value] of entries) {
    if (isTruncationMarker(key)) continue;
    if (key.type !== 'atom') return null;
    if (key.value === '__struct__') {
      if (value.type !== 'atom' || classifyAtom(value.value) !== 'alias') return null;
      name = inspectAtom(value.value);
    }
  }
  return name;
}

/** `Inspect.Any` leaves out `__struct__` and, in exceptions, `__exception__: true`. */
function isHiddenStructField(key: Term, value: Term): boolean {
  if (key.type !== 'atom') return false;
  if (key.value === '__struct__') return true;
  return key.value === '__exception__' && value.type === 'atom' && value.value === 'true';
}

/**
 * A binary: a string when `String.printable?/2` holds for its first `printable_limit` characters,
 * else its bytes (`Inspect.BitString`), cut after `limit` of them.
 */
function renderBinary(bytes: Uint8Array, bits: number | undefined, limit: number, context: InspectContext): string {
  if (bits === undefined && isPrintableBinary(bytes, context.printableLimit)) {
    const escaped = escapeBytes(bytes, QUOTE, context.printableLimit);
    return '"' + escaped.text + '"' + (escaped.rest ? ' <> ...' : '');
  }
  if (bytes.length === 0) return bits === undefined ? '""' : '<<>>';
  const byteCount = bits === undefined ? bytes.length : bytes.length - 1;
  let text = '<<';
  let remaining = limit;
  for (let index = 0; index < byteCount; index++) {
    if (remaining === 0) return text + '...>>';
    text += String(bytes[index]);
    const last = index === byteCount - 1 && bits === undefined;
    if (!last) {
      text += ', ';
      remaining--;
    }
  }
  if (bits !== undefined) {
    if (remaining === 0) return text + '...>>';
    text += `${bytes[byteCount] >> (8 - bits)}::size(${bits})`;
  }
  return text + '>>';
}

function isPrintableBinary(bytes: Uint8Array, printableLimit: number): boolean {
  let position = 0;
  let counted = 0;
  while (position < bytes.length) {
    if (counted === printableLimit) return true;
    const byte = bytes[position];
    if ((byte >= 0x20 && byte <= 0x7e) || (byte >= 7 && byte <= 13) || byte === 27 || byte === 127) {
      position++;
    } else {
      const decoded = decodeUtf8(bytes, position);
      if (decoded < 0) return false;
      const code = decoded & 0x1fffff;
      if (!((code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff))) {
        return false;
      }
      position += decoded >>> 21;
    }
    counted++;
  }
  return true;
}

/**
 * The code point at `position` of valid UTF-8 (as a binary pattern `<<c::utf8>>` accepts it: no
 * overlong forms, no surrogates) packed as `length << 21 | code`, or -1.
 */
function decodeUtf8(bytes: Uint8Array, position: number): number {
  const first = bytes[position];
  if (first < 0x80) return (1 << 21) | first;
  let length: number;
  let code: number;
  if (first >= 0xc2 && first <= 0xdf) {
    length = 2;
    code = first & 0x1f;
  } else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    code = first & 0x0f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    code = first & 0x07;
  } else {
    return -1;
  }
  if (position + length > bytes.length) return -1;
  for (let index = 1; index < length; index++) {
    const next = bytes[position + index];
    if ((next & 0xc0) !== 0x80) return -1;
    code = (code << 6) | (next & 0x3f);
  }
  if ((length === 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (length === 4 && (code < 0x10000 || code > 0x10ffff))) {
    return -1;
  }
  return length * (1 << 21) + code;
}

const QUOTE = 0x22;
const APOSTROPHE = 0x27;

/** `Code.Identifier.escape/4` over UTF-8 bytes: `rest` says whether `limit` characters cut it short. */
function escapeBytes(bytes: Uint8Array, quote: number, limit = Infinity): { text: string; rest: boolean } {
  let text = '';
  let remaining = limit;
  let position = 0;
  while (position < bytes.length) {
    if (remaining === 0) return { text, rest: true };
    const byte = bytes[position];
    if (byte === quote) {
      text += '\\' + String.fromCharCode(quote);
      position++;
    } else if (byte === 0x23 && bytes[position + 1] === 0x7b) {
      text += '\\#{';
      position += 2;
    } else {
      const decoded = decodeUtf8(bytes, position);
      if (decoded < 0) {
        text += '\\x' + hex(byte, 2);
        position++;
      } else {
        text += escapeCodePoint(decoded & 0x1fffff);
        position += decoded >>> 21;
      }
    }
    remaining--;
  }
  return { text, rest: false };
}

/** The same escaping for text that is already a string (atoms, charlists). */
function escapeText(text: string, quote: number, limit = Infinity): { text: string; rest: boolean } {
  let escaped = '';
  let remaining = limit;
  const codes = Array.from(text, (character) => character.codePointAt(0)!);
  for (let index = 0; index < codes.length; index++) {
    if (remaining === 0) return { text: escaped, rest: true };
    const code = codes[index];
    if (code === quote) {
      escaped += '\\' + String.fromCharCode(quote);
    } else if (code === 0x23 && codes[index + 1] === 0x7b) {
      escaped += '\\#{';
      index++;
    } else {
      escaped += escapeCodePoint(code);
    }
    remaining--;
  }
  return { text: escaped, rest: false };
}

const ESCAPE_MAP: Readonly<Record<number, string>> = {
  7: '\\a',
  8: '\\b',
  127: '\\d',
  27: '\\e',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  11: '\\v',
  92: '\\\\',
};

function escapeCodePoint(code: number): string {
  const mapped = ESCAPE_MAP[code];
  if (mapped !== undefined) return mapped;
  if (code === 0) return '\\0';
  if (code === 0xfeff) return '\\uFEFF';
  if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)) {
    return String.fromCodePoint(code);
  }
  if (code < 0x100) return '\\x' + hex(code, 2);
  if (code < 0x10000) return '\\x{' + hex(code, 4) + '}';
  return '\\x{' + hex(code, 6) + '}';
}

function hex(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

/**
 * Elixir's `Inspect.Float`: integral values from 1 to 1e16 as `123.0`, everything else as OTP's
 * `io_lib_format:fwrite_g/1` (`float_to_list(F, [short])`): the shortest digits that read back
 * to the same float, in plain notation unless scientific notation is strictly shorter (and always
 * scientific from 1e16 up).
 */
export function formatFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1 && magnitude < 1e16 && Number.isInteger(value)) return value.toFixed(0) + '.0';
  const sign = value < 0 ? '-' : '';
  // `toExponential()` without digits gives the shortest round-trip digits, as Ryu does.
  const [mantissa, exponentText] = magnitude.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const place = exponent - digits.length + 1;
  const scientific = digits.length === 1 ? `${digits}.0e${exponent}` : `${digits[0]}.${digits.slice(1)}e${exponent}`;
  if (place < 0) {
    if (exponent >= 0) return sign + digits.slice(0, digits.length + place) + '.' + digits.slice(digits.length + place);
    const plainLength = 2 - place;
    if (plainLength <= scientific.length) return sign + '0.' + '0'.repeat(-place - digits.length) + digits;
    return sign + scientific;
  }
  const plain = digits + '0'.repeat(place) + '.0';
  if (exponent < 16 && plain.length <= scientific.length) return sign + plain;
  return sign + scientific;
}

/** How Elixir writes an atom as a keyword key: `ok:`, `"with space":`, `"Elixir.Foo":`. */
function inspectAtomKey(name: string): string {
  const kind = classifyAtom(name);
  if (kind === 'alias') return '"' + name + '":';
  if (kind === 'quoted') return '"' + escapeText(name, QUOTE).text + '":';
  return name + ':';
}

/** How Elixir writes a function name after `Mod.` in `&Mod.fun/1`. */
function inspectRemoteCallName(name: string): string {
  const kind = innerClassify(name);
  if (kind === 'identifier' || kind === 'unquoted_operator' || kind === 'quoted_operator') return name;
  if (kind === 'not_callable' || kind === 'alias') return '"' + name + '"';
  return '"' + escapeText(name, QUOTE).text + '"';
}

type AtomClass = 'alias' | 'identifier' | 'quoted' | 'unquoted';
type InnerAtomClass = 'alias' | 'identifier' | 'unquoted_operator' | 'quoted_operator' | 'not_callable' | 'other';

/** `Macro.classify_atom/1`. */
function classifyAtom(name: string): AtomClass {
  const kind = innerClassify(name);
  if (kind === 'alias' || kind === 'identifier') return kind;
  if (kind === 'unquoted_operator' || kind === 'not_callable') return 'unquoted';
  return 'quoted';
}

const NOT_CALLABLE = new Set(['%', '%{}', '{}', '<<>>', '...', '..', '.', '..//', '->']);
const QUOTED_OPERATORS = new Set(['::', '^^^', '~~~', '<|>']);
/** `Code.Identifier.unary_op/1` and `binary_op/1` (without `//`, which `Macro.operator?/2` excludes). */
const OPERATORS = new Set([
  '&', '!', '^', 'not', '+', '-', '~~~', '@',
  '<-', '\\\\', 'when', '::', '|', '=', '||', '|||', 'or', '&&', '&&&', 'and', '==', '!=', '=~', '===', '!==',
  '<', '<=', '>=', '>', '|>', '<<<', '>>>', '<~', '~>', '<<~', '~>>', '<~>', '<|>', 'in', '^^^',
  '++', '--', '..', '<>', '+++', '---', '*', '/', '**', '.',
]);

/** `Macro`'s private `inner_classify/1`. */
function innerClassify(name: string): InnerAtomClass {
  if (NOT_CALLABLE.has(name)) return 'not_callable';
  if (QUOTED_OPERATORS.has(name)) return 'quoted_operator';
  if (OPERATORS.has(name)) return 'unquoted_operator';
  if (isValidAlias(name)) return 'alias';
  const token = tokenizeIdentifier(name);
  if (token === null) return 'other';
  if (token.kind !== 'identifier' || token.at) return 'not_callable';
  if (token.notNfc) return 'other';
  return 'identifier';
}

/** `Elixir` followed by any number of `.Segment`, each an ASCII capital and then `[A-Za-z0-9_]*`. */
function isValidAlias(name: string): boolean {
  return /^Elixir(\.[A-Z][A-Za-z0-9_]*)*$/.test(name);
}

const UNICODE_UPPER = /^[\p{Lu}\p{Lt}]$/u;
const UNICODE_START = /^\p{ID_Start}$/u;
const UNICODE_CONTINUE = /^\p{ID_Continue}$/u;

/**
 * `String.Tokenizer.tokenize/1` applied to the whole atom: its kind (`alias` for an initial
 * capital, `atom` for a non-ASCII one, else `identifier`), whether it holds `@` and whether it is
 * not in NFC, or null when the text is not one token.
 */
function tokenizeIdentifier(name: string): { kind: 'alias' | 'identifier' | 'atom'; at: boolean; notNfc: boolean } | null {
  const characters = Array.from(name);
  if (characters.length === 0) return null;
  const head = characters[0];
  const headCode = head.codePointAt(0)!;
  let kind: 'alias' | 'identifier' | 'atom';
  let ascii = true;
  if (headCode >= 0x41 && headCode <= 0x5a) kind = 'alias';
  else if ((headCode >= 0x61 && headCode <= 0x7a) || headCode === 0x5f) kind = 'identifier';
  else if (headCode > 127 && UNICODE_UPPER.test(head)) {
    kind = 'atom';
    ascii = false;
  } else if (headCode > 127 && UNICODE_START.test(head)) {
    kind = 'identifier';
    ascii = false;
  } else return null;
  let at = false;
  for (let index = 1; index < characters.length; index++) {
    const character = characters[index];
    const code = character.codePointAt(0)!;
    if (code === 0x21 || code === 0x3f) {
      // `!` and `?` end an identifier: anything after them makes the atom more than one token.
      if (index !== characters.length - 1) return null;
      break;
    }
    if (code === 0x40) at = true;
    else if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f) continue;
    else if (code <= 127) return null;
    else if (UNICODE_START.test(character) || UNICODE_CONTINUE.test(character)) ascii = false;
    else return null;
  }
  const notNfc = !ascii && name.normalize('NFC') !== name;
  return { kind, at, notNfc };
}
