/**
 * Holds package.json's `contributes`, `activationEvents` and `main` to the typed definitions
 * the client reads (`client/settingsSchema.ts`, `client/commandIds.ts`), so the manifest and the
 * code cannot drift apart. Runs in plain Node: the modules it imports do not import 'vscode'.
 *
 * When the settings or commands change on purpose, the failure message prints the JSON that
 * package.json should hold.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { ALL_FEATURES } from '../common/lspProtocol';
import { CATEGORY, COMMANDS } from '../client/commandIds';
import { configurationProperties, FEATURE_NAMES, SETTINGS_SECTION } from '../client/settingsSchema';
import { repoRoot } from './support/corpus';

const root = repoRoot();
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  icon: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    configuration: { title: string; properties: Record<string, unknown> };
    commands: { command: string; title: string; category: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    languages: { id: string; extensions?: string[]; configuration?: string }[];
    grammars?: unknown[];
  };
  capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } };
};

test('contributes.configuration is exactly the settings schema the client reads', () => {
  const expected = configurationProperties();
  assert.deepEqual(
    manifest.contributes.configuration.properties,
    expected,
    `package.json contributes.configuration.properties should be:\n${JSON.stringify(expected, null, 2)}`,
  );
  assert.equal(manifest.contributes.configuration.title, 'ElixirScope');
});

test('every feature the server offers has a setting', () => {
  assert.deepEqual([...FEATURE_NAMES].sort(), Object.keys(ALL_FEATURES).sort());
  for (const name of FEATURE_NAMES) assert.ok(`${SETTINGS_SECTION}.features.${name}` in manifest.contributes.configuration.properties, name);
});

test('contributed commands, menus and activation events match client/commandIds.ts', () => {
  assert.deepEqual(
    manifest.contributes.commands,
    COMMANDS.map((command) => ({ command: command.command, title: command.title, category: CATEGORY })),
  );
  assert.deepEqual(
    manifest.contributes.menus['commandPalette'],
    COMMANDS.filter((command) => command.palette !== undefined).map((command) => ({ command: command.command, when: command.palette })),
  );
  assert.deepEqual(
    manifest.contributes.menus['editor/context']?.map((entry) => entry.command),
    COMMANDS.filter((command) => command.editorContext === true).map((command) => command.command),
  );
  const activation = new Set(manifest.activationEvents);
  for (const event of ['onLanguage:elixir', 'workspaceContains:**/mix.exs']) assert.ok(activation.has(event), event);
  for (const command of COMMANDS) assert.ok(activation.has(`onCommand:${command.command}`), command.command);
});

test('the elixir and HEEx languages are contributed additively, under the ids other Elixir extensions use, without grammars', () => {
  // ElixirLS contributes `elixir` with its grammar, and ElixirLS and the Phoenix extension
  // `phoenix-heex`: VS Code merges contributions of one id, so ours add a language mode where no
  // other extension gives one and take nothing where one does. A grammar of ours could replace theirs.
  assert.equal(manifest.contributes.grammars, undefined);
  assert.deepEqual(manifest.contributes.languages.map((language) => language.id), ['elixir', 'phoenix-heex']);
  const [elixir, heex] = manifest.contributes.languages;
  assert.deepEqual(elixir!.extensions, ['.ex', '.exs']);
  const configuration = JSON.parse(fs.readFileSync(path.join(root, elixir!.configuration!), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(configuration['comments'], { lineComment: '#' });
  assert.ok(typeof (configuration['indentationRules'] as Record<string, string>)['increaseIndentPattern'] === 'string');
  assert.deepEqual(heex!.extensions, ['.heex']);
  const heexConfiguration = JSON.parse(fs.readFileSync(path.join(root, heex!.configuration!), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(heexConfiguration['comments'], { blockComment: ['<%!--', '--%>'] });
});

test('main and icon point at files the build and the repository provide', () => {
  assert.equal(manifest.main, './dist/extension.js');
  const icon = fs.readFileSync(path.join(root, manifest.icon));
  assert.equal(icon.subarray(1, 4).toString('ascii'), 'PNG');
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
});

test('restricted mode ignores a workspace\'s choice of database path', () => {
  assert.deepEqual(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations, [`${SETTINGS_SECTION}.databasePath`]);
});

test('the engine is the one vscode-languageclient 10 requires', () => {
  assert.equal(manifest.engines.vscode, '^1.91.0');
});
