/**
 * `inspectTerm` on hand-built terms, with the strings Elixir 1.14 prints for the same values
 * (checked with `elixir -e 'IO.puts inspect(...)'`); the broad comparison with a real `elixir` is
 * `test/etfAgainstElixir.test.ts`. Also the parts only the recorder has: the truncation marker,
 * the node number of pids, and the depth guard.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, inspectAtom, inspectTerm, inspectTermWith, isTruncationMarker } from './inspect';
import type { Term } from './term';

const atom = (value: string): Term => ({ type: 'atom', value });
const int = (value: number | bigint): Term => ({ type: 'integer', value });
const list = (...items: Term[]): Term => ({ type: 'list', items });
const tuple = (...items: Term[]): Term => ({ type: 'tuple', items });
const map = (...entries: [Term, Term][]): Term => ({ type: 'map', entries });
const binary = (text: string | number[]): Term => ({ type: 'binary', value: typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'utf8')) : Uint8Array.from(text) });
const charlist = (text: string): Term => list(...Array.from(text, (character) => int(character.codePointAt(0)!)));
const truncated = (what: string, count: number): Term => tuple(atom('$elixirscope_truncated'), atom(what), int(count));

test('atoms: plain, special, aliases, operators and quoted ones', () => {
  const cases: [string, string][] = [
    ['ok', ':ok'],
    ['nil', 'nil'],
    ['true', 'true'],
    ['Elixir.Foo.Bar', 'Foo.Bar'],
    ['Elixir', 'Elixir'],
    ['Elixir.Elixir.Foo', 'Elixir.Elixir.Foo'],
    ['Elixir.foo', ':"Elixir.foo"'],
    ['with space', ':"with space"'],
    ['foo?', ':foo?'],
    ['foo@bar', ':foo@bar'],
    ['Foo', ':Foo'],
    ['Foo.Bar', ':"Foo.Bar"'],
    ['+', ':+'],
    ['::', ':"::"'],
    ['%{}', ':%{}'],
    ['..//', ':..//'],
    ['//', ':"//"'],
    ['', ':""'],
    ['1a', ':"1a"'],
    ['a"b', ':"a\\"b"'],
    ['\n', ':"\\n"'],
    ['café', ':café'],
    ['Ölkanne', ':Ölkanne'],
    ['e\u0301', ':"e\u0301"'],
  ];
  for (const [name, printed] of cases) assert.equal(inspectAtom(name), printed, name);
});

test('integers and floats (shortest round-trip digits, Elixir and OTP notation rules)', () => {
  assert.equal(inspectTerm(int(-42)), '-42');
  assert.equal(inspectTerm(int(2n ** 64n)), '18446744073709551616');
  const floats: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [-1.5, '-1.5'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [1.2e-4, '1.2e-4'],
    [1e-5, '1.0e-5'],
    [0.0012345678901234567, '0.0012345678901234567'],
    [1000, '1000.0'],
    [1e15, '1000000000000000.0'],
    [1e16, '1.0e16'],
    [12345678901234567, '1.2345678901234568e16'],
    [1234567890123456.8, '1234567890123456.8'],
    [5e-324, '5.0e-324'],
    [1.7976931348623157e308, '1.7976931348623157e308'],
    [0.15000000000000002, '0.15000000000000002'],
  ];
  for (const [value, printed] of floats) assert.equal(formatFloat(value), printed, String(value));
});

test('binaries: printable strings with escapes, bytes otherwise, bitstrings with their size', () => {
  assert.equal(inspectTerm(binary('hello')), '"hello"');
  assert.equal(inspectTerm(binary('')), '""');
  assert.equal(inspectTerm(binary('a\n"b"\t#{x}\\')), '"a\\n\\"b\\"\\t\\#{x}\\\\"');
  assert.equal(inspectTerm(binary('日本')), '"日本"');
  assert.equal(inspectTerm(binary('\u{feff}')), '"\\uFEFF"');
  assert.equal(inspectTerm(binary([0])), '<<0>>');
  assert.equal(inspectTerm(binary([104, 105, 0xff])), '<<104, 105, 255>>');
  assert.equal(inspectTerm({ type: 'binary', value: Uint8Array.from([0b00100000]), bits: 3 }), '<<1::size(3)>>');
  assert.equal(inspectTerm({ type: 'binary', value: Uint8Array.from([255, 0b00100000]), bits: 3 }), '<<255, 1::size(3)>>');
  assert.equal(inspectTermWith(binary([1, 2, 3, 4]), { limit: 2 }), '<<1, 2, ...>>');
  assert.equal(inspectTermWith(binary('abcdef'), { printableLimit: 3 }), '"abc" <> ...');
  assert.equal(inspectTermWith({ type: 'binary', value: Uint8Array.from([1, 2, 0b01100000]), bits: 3 }, { limit: 2 }), '<<1, 2, ...>>');
});

test('lists: charlists, keyword lists, improper lists and the limit', () => {
  assert.equal(inspectTerm(list()), '[]');
  assert.equal(inspectTerm(charlist('abc')), "'abc'");
  assert.equal(inspectTerm(charlist("it's\n")), "'it\\'s\\n'");
  assert.equal(inspectTerm(list(int(1), int(2))), '[1, 2]');
  assert.equal(inspectTerm(charlist('é')), '[233]');
  assert.equal(inspectTerm(list(tuple(atom('a'), int(1)), tuple(atom('with space'), int(2)))), '[a: 1, "with space": 2]');
  assert.equal(inspectTerm(list(tuple(atom('Elixir.Foo'), int(1)))), '[{Foo, 1}]');
  assert.equal(inspectTerm({ type: 'list', items: [int(1), int(2)], tail: int(3) }), '[1, 2 | 3]');
  assert.equal(inspectTermWith({ type: 'list', items: [int(1), int(2)], tail: int(3) }, { limit: 1 }), '[1, ...]');
  assert.equal(inspectTermWith(list(int(1), int(2), int(3), int(4), int(5)), { limit: 3 }), '[1, 2, 3, ...]');
  assert.equal(inspectTermWith(list(list(int(1), int(2), int(3)), list(int(4), int(5), int(6))), { limit: 3 }), '[[1, 2, ...], [4, ...]]');
  assert.equal(inspectTermWith(charlist('abcdef'), { printableLimit: 3 }), "'abc' ++ ...");
});

test('tuples and maps: keyword-style keys only when every key is a plain atom', () => {
  assert.equal(inspectTerm(tuple()), '{}');
  assert.equal(inspectTermWith(tuple(int(1), tuple(int(2), int(3), int(4))), { limit: 2 }), '{1, {...}}');
  assert.equal(inspectTerm(map()), '%{}');
  assert.equal(inspectTerm(map([atom('a'), int(1)], [atom('b c'), int(2)])), '%{a: 1, "b c": 2}');
  assert.equal(inspectTerm(map([atom('a'), int(1)], [binary('b'), int(2)])), '%{:a => 1, "b" => 2}');
  assert.equal(inspectTerm(map([atom('Elixir.Foo'), int(1)])), '%{Foo => 1}');
  assert.equal(inspectTermWith(map([atom('a'), int(1)], [atom('b'), int(2)], [atom('c'), int(3)]), { limit: 2 }), '%{a: 1, b: 2, ...}');
});

test('structs print in the generic %Mod{} form, without __struct__ and __exception__', () => {
  const uri = map([atom('__struct__'), atom('Elixir.URI')], [atom('host'), binary('x')], [atom('port'), int(80)]);
  assert.equal(inspectTerm(uri), '%URI{host: "x", port: 80}');
  const error = map([atom('__exception__'), atom('true')], [atom('__struct__'), atom('Elixir.RuntimeError')], [atom('message'), binary('boom')]);
  assert.equal(inspectTerm(error), '%RuntimeError{message: "boom"}');
  // Not an alias in __struct__: a plain map, as Elixir prints it.
  assert.equal(inspectTerm(map([atom('__struct__'), atom('plain')], [atom('a'), int(1)])), '%{__struct__: :plain, a: 1}');
});

test('pids, ports, references and funs', () => {
  const pid: Term = { type: 'pid', node: 'nonode@nohost', id: 123, serial: 0, creation: 1 };
  assert.equal(inspectTerm(pid), '#PID<0.123.0>');
  assert.equal(inspectTermWith(pid, { nodeNumber: (node) => (node === 'nonode@nohost' ? 7 : 0) }), '#PID<7.123.0>');
  assert.equal(inspectTerm({ type: 'port', node: 'nonode@nohost', id: 5, creation: 1 }), '#Port<0.5>');
  assert.equal(inspectTerm({ type: 'reference', node: 'nonode@nohost', ids: [10, 20, 30], creation: 1 }), '#Reference<0.30.20.10>');
  assert.equal(inspectTerm({ type: 'fun', module: 'Elixir.Enum', name: 'map', arity: 2 }), '&Enum.map/2');
  assert.equal(inspectTerm({ type: 'fun', module: 'lists', name: 'reverse', arity: 1 }), '&:lists.reverse/1');
  assert.equal(inspectTerm({ type: 'fun', module: 'Elixir.M', name: 'weird name', arity: 1 }), '&M."weird name"/1');
  assert.equal(inspectTerm({ type: 'fun', module: 'Elixir.Kernel', name: '+', arity: 2 }), '&Kernel.+/2');
  assert.equal(inspectTerm({ type: 'fun', module: 'Elixir.M', name: null, arity: 1, index: 4, uniq: '123456' }), '#Function<4.123456/1 in M>');
});

test('the truncation marker prints as ... and keeps keyword lists, maps and charlists in their form', () => {
  assert.ok(isTruncationMarker(truncated('items', 12)));
  assert.ok(!isTruncationMarker(tuple(atom('other'), atom('items'), int(1))));
  assert.equal(inspectTerm(list(int(1), int(2), truncated('items', 12))), '[1, 2, ...]');
  assert.equal(inspectTerm(list(tuple(atom('a'), int(1)), truncated('items', 3))), '[a: 1, ...]');
  assert.equal(inspectTerm(list(int(104), int(105), truncated('items', 40))), "'hi' ++ ...");
  assert.equal(inspectTerm(list(truncated('items', 3))), '[...]');
  assert.equal(inspectTerm(tuple(atom('ok'), truncated('depth', 1))), '{:ok, ...}');
  assert.equal(inspectTerm(map([atom('a'), int(1)], [truncated('items', 5), atom('nil')])), '%{a: 1, ...}');
  const cutBinary = tuple(atom('$elixirscope_truncated'), atom('bytes'), int(900), binary('hello'));
  assert.ok(isTruncationMarker(cutBinary));
  assert.equal(inspectTerm(tuple(atom('ok'), cutBinary)), '{:ok, "hello" <> ...}');
});

test('terms nested beyond MAX_INSPECT_DEPTH print ... there instead of overflowing the stack', () => {
  let term: Term = list();
  for (let level = 0; level < 100_000; level++) term = list(term);
  const printed = inspectTerm(term);
  assert.ok(printed.startsWith('[[[['));
  assert.ok(printed.includes('...'));
});
