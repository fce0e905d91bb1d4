import { Parser, Language } from 'web-tree-sitter';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
await Parser.init();
const lang = await Language.load('node_modules/tree-sitter-elixir/tree-sitter-elixir.wasm');
const p = new Parser(); p.setLanguage(lang);
const files = execSync("find .cache/corpus/elixir-1.14.0 -name '*.ex' -o -name '*.exs'").toString().trim().split('\n');
const srcs = files.map(f => fs.readFileSync(f, 'utf8'));
let t0 = performance.now();
const trees = srcs.map(s => p.parse(s));
let t1 = performance.now();
console.log('parse ms', t1 - t0);
let count = 0;
function visit(n) {
  count++; const t = n.typeId; const e = n.endIndex; const s = n.startIndex;
  if (n.namedChildCount === 0) return;
  for (const c of n.namedChildren) visit(c);
}
for (const t of trees) visit(t.rootNode);
let t2 = performance.now();
console.log('namedChildren walk ms', t2 - t1, 'nodes', count);
count = 0;
for (const t of trees) {
  const c = t.walk();
  let done = false;
  while (!done) {
    if (c.nodeIsNamed) { count++; c.nodeTypeId; c.startIndex; c.endIndex; }
    if (c.gotoFirstChild()) continue;
    while (!c.gotoNextSibling()) { if (!c.gotoParent()) { done = true; break; } }
  }
  c.delete();
}
let t3 = performance.now();
console.log('cursor named walk ms', t3 - t2, 'nodes', count);
