import { Parser, Language } from 'web-tree-sitter';
await Parser.init();
const lang = await Language.load('node_modules/tree-sitter-elixir/tree-sitter-elixir.wasm');
const p = new Parser(); p.setLanguage(lang);
for (const src of process.argv.slice(2)) console.log(src, '\n  ', p.parse(src).rootNode.toString());
