/**
 * What the VSIX will contain, as `vsce ls` reports it from package.json and .vscodeignore (the
 * same file list `vsce package` zips, without packaging): the bundles, the wasm files, the
 * Elixir agent, and nothing else — no TypeScript, no node_modules, no tests, fixtures,
 * examples, caches or compiled tests — and small enough to install quickly.
 *
 * Needs `npm run build` first (dist/ must exist), as `npm test` does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './support/corpus';

const root = repoRoot();
const MAXIMUM_BYTES = 10 * 1024 * 1024;

function packagedFiles(): string[] {
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `vsce ls failed:\n${result.stderr}`);
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .sort();
}

const files = packagedFiles();

test('the VSIX holds the bundles, the webview, the wasm files and the Elixir agent', () => {
  for (const required of [
    'package.json',
    'README.md',
    'LICENSE',
    'language-configuration.json',
    'language-configuration-heex.json',
    'dist/extension.js',
    'dist/server.js',
    'dist/cli.js',
    'dist/analysisWorker.js',
    'dist/webview/graph.js',
    'media/icon.png',
    'media/graph.css',
    'runtime/boot.exs',
  ]) {
    assert.ok(files.includes(required), `${required} is missing from the VSIX`);
  }
  const wasm = files.filter((file) => /^media\/wasm\/[^/]+\.wasm$/.test(file));
  assert.deepEqual(wasm, ['media/wasm/sql-wasm.wasm', 'media/wasm/tree-sitter-elixir.wasm', 'media/wasm/web-tree-sitter.wasm']);
  assert.ok(files.some((file) => file.startsWith('runtime/lib/elixir_scope/') && file.endsWith('.ex')), 'the agent\'s modules are missing');
});

test('the VSIX holds no sources, dependencies, tests, fixtures or build leftovers', () => {
  const forbidden: [RegExp, string][] = [
    [/\.ts$/, 'TypeScript source'],
    [/(^|\/)node_modules\//, 'node_modules'],
    [/^(out|test|examples|bench|scripts|\.cache|\.ci|docs|client|common|server|adapter|cli|webview)\//, 'a source, test or build folder'],
    [/^runtime\/(test|_build|deps)\//, 'the agent\'s tests or build output'],
    [/(^|\/)\.(git|elixir_ls|elixirscope)(\/|$)/, 'a tool folder'],
    [/\.vsix$/, 'a packaged extension'],
    [/(^|\/)tsconfig[^/]*\.json$/, 'a TypeScript configuration'],
  ];
  for (const file of files) {
    for (const [pattern, what] of forbidden) assert.doesNotMatch(file, pattern, `${file} is ${what} and must not ship`);
  }
});

test('source maps ship without the sources inside them', () => {
  for (const file of files.filter((name) => name.endsWith('.map'))) {
    const map = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as { sourcesContent?: unknown };
    assert.equal(map.sourcesContent, undefined, `${file} embeds its sources`);
  }
});

test('the VSIX stays under 10 MB', () => {
  // Uncompressed, which bounds the zipped package from above.
  const bytes = files.reduce((sum, file) => sum + fs.statSync(path.join(root, file)).size, 0);
  assert.ok(bytes < MAXIMUM_BYTES, `the packaged files take ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  const packaged = path.join(root, 'elixirscope.vsix');
  if (fs.existsSync(packaged)) assert.ok(fs.statSync(packaged).size < MAXIMUM_BYTES, 'elixirscope.vsix is over 10 MB');
});
