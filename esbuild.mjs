// Bundles each process's entry point into dist/ (the graph webview into dist/webview/) and copies the wasm files the parser loads at run
// time into media/wasm/, so the VSIX carries everything and needs no node_modules.
//   node esbuild.mjs            one production build
//   node esbuild.mjs --watch    rebuild on change
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');

const wasmFiles = [
  require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  path.join(path.dirname(require.resolve('tree-sitter-elixir/package.json')), 'tree-sitter-elixir.wasm'),
  require.resolve('sql.js/dist/sql-wasm.wasm'),
];
fs.mkdirSync('media/wasm', { recursive: true });
for (const file of wasmFiles) fs.copyFileSync(file, path.join('media/wasm', path.basename(file)));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Maps ship in the VSIX (small, and stack traces from users can be mapped with the exact build
  // they ran) but without the sources themselves: the package carries no TypeScript.
  sourcemap: 'linked',
  sourcesContent: false,
  minify: !watch,
  logLevel: 'warning',
  outdir: 'dist',
  // web-tree-sitter's CommonJS build still reads import.meta.url to find its files; give it the
  // bundle's own URL (the wasm locations are passed explicitly anyway).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('url').pathToFileURL(__filename).href;" },
};

const entries = [
  { entryPoints: { extension: 'client/extension.ts' }, external: ['vscode'] },
  {
    entryPoints: { cli: 'cli/main.ts' },
    banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
  },
  { entryPoints: { server: 'server/lsp/main.ts' } },
  { entryPoints: { analysisWorker: 'server/workspace/analysisWorker.ts' } },
  { entryPoints: { ingestWorker: 'adapter/trace/ingestWorker.ts' } },
  // The function graph webview runs in the browser: no Node banner, no import.meta rewrite.
  {
    entryPoints: { graph: 'webview/graph/main.ts' },
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    outdir: 'dist/webview',
    define: {},
    banner: {},
  },
];

const contexts = await Promise.all(
  entries.map((entry) => esbuild.context({ ...common, ...entry })),
);
if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
  fs.chmodSync('dist/cli.js', 0o755);
}
