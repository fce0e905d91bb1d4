/**
 * Checks the dependency rules of ARCHITECTURE.md by reading every import in the source tree:
 * layering that is not checked decays.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from './support/corpus';

const root = repoRoot();
const SOURCE_FOLDERS = ['common', 'server', 'client', 'cli', 'adapter', 'webview'];

/** For each layer (longest prefix wins): the layers and packages it may import. */
const ALLOWED: Record<string, { layers: string[]; packages: string[] }> = {
  common: { layers: ['common'], packages: [] },
  'server/syntax': { layers: ['common', 'server/syntax'], packages: ['web-tree-sitter', 'node:fs', 'node:path'] },
  'server/cpg': { layers: ['common', 'server/syntax', 'server/cpg'], packages: ['sql.js'] },
  'server/workspace': { layers: ['common', 'server/syntax', 'server/cpg', 'server/workspace'], packages: ['node:*', 'sql.js'] },
  'server/ide': { layers: ['common', 'server/syntax', 'server/cpg', 'server/workspace', 'server/ide'], packages: ['node:path'] },
  'server/lsp': {
    layers: ['common', 'server/syntax', 'server/cpg', 'server/workspace', 'server/ide', 'server/lsp'],
    packages: ['vscode-languageserver', 'vscode-languageserver/node', 'vscode-languageserver-textdocument', 'node:*'],
  },
  webview: { layers: ['common', 'webview'], packages: ['d3'] },
  'adapter/agent': { layers: ['common', 'adapter/agent'], packages: ['node:*'] },
  'adapter/trace': { layers: ['common', 'adapter/agent', 'adapter/trace'], packages: ['node:*', 'sql.js'] },
  cli: { layers: ['common', 'server', 'adapter', 'cli'], packages: ['node:*', 'sql.js'] },
  client: { layers: ['common', 'client'], packages: ['vscode', 'vscode-languageclient', 'vscode-languageclient/node', 'node:*'] },
};

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const folder of SOURCE_FOLDERS) {
    const directory = path.join(root, folder);
    if (!fs.existsSync(directory)) continue;
    for (const entry of fs.readdirSync(directory, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        files.push(path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
      }
    }
  }
  return files.sort();
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|require\(['"]([^'"]+)['"]\)/gm)) {
    specifiers.push(match[1] ?? match[2] ?? match[3]!);
  }
  return specifiers;
}

function layerOf(file: string): string | undefined {
  return Object.keys(ALLOWED)
    .filter((layer) => file === layer || file.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles()) {
    const layer = layerOf(file);
    if (!layer) {
      found.push(`${file}: in no layer of ARCHITECTURE.md`);
      continue;
    }
    const allowed = ALLOWED[layer]!;
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        if (!allowed.layers.some((permitted) => target === permitted || target.startsWith(`${permitted}/`))) {
          found.push(`${file} imports ${target}`);
        }
      } else {
        const ok = allowed.packages.some((permitted) =>
          permitted.endsWith('*') ? specifier.startsWith(permitted.slice(0, -1)) : specifier === permitted,
        );
        if (!ok) found.push(`${file} imports package ${specifier}`);
      }
    }
  }
  return found;
}

test('imports follow the layering of ARCHITECTURE.md', () => {
  assert.ok(sourceFiles().length > 10);
  assert.deepEqual(violations(), []);
});

test('only client/ imports vscode, and nothing imports client/', () => {
  for (const file of sourceFiles()) {
    if (file.startsWith('client/')) continue;
    for (const specifier of importsOf(file)) {
      assert.notEqual(specifier, 'vscode', `${file} imports vscode`);
      assert.ok(!specifier.includes('client/'), `${file} imports ${specifier}`);
    }
  }
});

test('the import scanner sees imports (so the checks above can fail)', () => {
  assert.ok(importsOf('server/syntax/parser.ts').includes('web-tree-sitter'));
  assert.ok(importsOf('server/cpg/definitions.ts').includes('../syntax/ast'));
});
