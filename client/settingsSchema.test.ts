/**
 * The rules that turn settings into the server's initialization options: what `auto` means
 * beside ElixirLS, how bad values fall back, how the database path is passed.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, FEATURE_NAMES, initializationOptions, readSettings, resolveFeatures, restartingSettingKeys } from './settingsSchema';

const noPath = (value: string): string => `/resolved/${value}`;

test('by default every feature is on when ElixirLS is absent', () => {
  const features = resolveFeatures(DEFAULT_SETTINGS.features, false);
  assert.ok(FEATURE_NAMES.every((name) => features[name]));
});

test('beside ElixirLS, auto keeps only what ElixirLS does not provide', () => {
  const features = resolveFeatures(DEFAULT_SETTINGS.features, true);
  assert.deepEqual(features, {
    hover: true,
    definition: false,
    references: false,
    documentSymbols: false,
    workspaceSymbols: false,
    callHierarchy: true,
    codeLens: true,
    diagnostics: false,
  });
});

test('on and off win over the presence of ElixirLS', () => {
  const settings = readSettings((key) => ({ 'features.definition': 'on', 'features.hover': 'off' })[key]);
  const features = resolveFeatures(settings.features, true);
  assert.equal(features.definition, true);
  assert.equal(features.hover, false);
  assert.equal(resolveFeatures(settings.features, false).hover, false);
});

test('values of the wrong type or outside the enum fall back to the defaults', () => {
  const settings = readSettings((key) => ({ 'features.references': 'maybe', 'features.hover': true, storeGraph: 'yes', databasePath: 42, 'trace.server': 'loud' })[key]);
  assert.deepEqual(settings, DEFAULT_SETTINGS);
});

test('the database path: default, resolved, or in memory', () => {
  assert.equal(initializationOptions(DEFAULT_SETTINGS, false, noPath).databasePath, undefined);
  assert.ok(!('databasePath' in initializationOptions(DEFAULT_SETTINGS, false, noPath)));
  assert.equal(initializationOptions({ ...DEFAULT_SETTINGS, databasePath: 'graph.sqlite' }, false, noPath).databasePath, '/resolved/graph.sqlite');
  assert.equal(initializationOptions({ ...DEFAULT_SETTINGS, databasePath: 'graph.sqlite', storeGraph: false }, false, noPath).databasePath, null);
  const trimmed = readSettings((key) => (key === 'databasePath' ? '  ' : undefined));
  assert.equal(trimmed.databasePath, '');
});

test('every feature switch and the storage settings restart the server; tracing does not', () => {
  const keys = restartingSettingKeys();
  for (const name of FEATURE_NAMES) assert.ok(keys.includes(`features.${name}`));
  assert.ok(keys.includes('databasePath') && keys.includes('storeGraph'));
  assert.ok(!keys.includes('trace.server'));
});
