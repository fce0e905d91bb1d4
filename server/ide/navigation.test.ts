/**
 * Go to definition and find references on text fixtures (`test/fixtures/ide/navigation`,
 * `…/references`): local calls with default arities, aliases (`as:`, `{…}`, nesting,
 * `__MODULE__`), imports, captures, module aliases, variables (rebinding, branches), and cursors
 * that are on nothing, in half-typed code or past the end.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { openFixture, readFixture, fixtureParser } from '../../test/support/ideFixture';
import { definition, references } from './navigation';

after(async () => (await fixtureParser()).dispose());

/** Runs go-to-definition at the fixture's cursor; the locations, by annotation label, must be `expected`. */
async function check(fixture: string, expected: string[]): Promise<void> {
  const opened = await openFixture(readFixture(`navigation/${fixture}.txt`));
  try {
    const found = definition(opened.view, opened.cursor.path, opened.cursor.position);
    assert.deepEqual(found.map((location) => opened.label(location)), expected);
  } finally {
    opened.dispose();
  }
}

/** Runs find-references at the fixture's cursor; the locations, by label, in path and position order. */
async function checkReferences(fixture: string, includeDeclaration: boolean, expected: string[]): Promise<void> {
  const opened = await openFixture(readFixture(`references/${fixture}.txt`));
  try {
    const found = references(opened.view, opened.cursor.path, opened.cursor.position, includeDeclaration);
    assert.deepEqual(found.map((location) => opened.label(location)), expected);
  } finally {
    opened.dispose();
  }
}

test('a local call goes to the function, a default-argument arity included', () => check('local_default_arity', ['greet']));
test('a remote call through `alias` goes to the function', () => check('remote_alias', ['total']));
test('a piped remote call through `alias …, as:` counts the piped argument', () => check('alias_as', ['discount']));
test('`__MODULE__.f()` goes to the function of the current module', () => check('dunder_module', ['loop']));
test('an imported call goes to the function the import links it to (right arity)', () => check('imported', ['money']));
test('a remote capture goes to the function', () => check('capture_remote', ['double']));
test('a local capture goes to the private function', () => check('capture_local', ['double']));
test('a module alias goes to its defmodule', () => check('module_alias', ['cart']));
test('`alias A.{B, C}` aliases each entry', () => check('alias_multi', ['rate']));
test('a nested module is aliased by its short name after it', () => check('nested_module', ['value']));
test('a variable goes to the binding that reaches it, not an earlier one', () => check('variable', ['second']));
test('a variable bound to an `if` goes to its binding', () => check('variable_branches', ['label']));
test('on a definition, the definition itself', () => check('on_definition', ['add']));
test('on an argument of a call, not the call', () => check('argument_not_call', []));
test('a call to a function nobody defines has no definition', () => check('unknown_function', []));
test('half-typed code still navigates where the call is recognisable', () => check('half_typed', ['helper']));

test('references of a function: every call site across files, captures and pipes included', () =>
  checkReferences('function', false, ['piped', 'default arity', 'checkout call', 'capture']));
test('references with the declaration list every clause too', () =>
  checkReferences('function', true, ['clause 1', 'clause 2', 'piped', 'default arity', 'checkout call', 'capture']));
test('references of a variable: its uses, and with the declaration its binding', async () => {
  await checkReferences('variable', false, ['use 1', 'use 2']);
  await checkReferences('variable', true, ['binding', 'use 1', 'use 2']);
});
