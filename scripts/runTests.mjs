// Runs the compiled tests (tsc writes them to out/) with node's built-in test runner.
//   node scripts/runTests.mjs unit   the quick inner loop: tests beside the code and pure test/ suites
//   node scripts/runTests.mjs all    everything, including the corpus, oracle and real-elixir tests
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const suite = process.argv[2] ?? 'all';
if (suite !== 'unit' && suite !== 'all') {
  console.error(`usage: node scripts/runTests.mjs unit|all (got ${suite})`);
  process.exit(2);
}

// Suites that need the Elixir corpus, a real elixir or seconds of work.
const SLOW = new Set(['fidelity.test.js', 'astShape.test.js', 'cli.test.js', 'badInput.test.js', 'nodeIdStability.test.js', 'nodeIdLookup.test.js', 'cfgCorpus.test.js', 'callGraph.test.js', 'dfgCorpus.test.js', 'incrementalGraph.test.js', 'incrementalParse.test.js', 'layersAgree.test.js', 'record.test.js', 'runtimeAgent.test.js', 'instrumenter.test.js', 'instrumenterEquivalence.test.js', 'etfAgainstElixir.test.js', 'recordingPlan.test.js', 'traceStore.test.js', 'protocolAgreement.test.js', 'recordStdlib.test.js', 'recordRobustness.test.js', 'lspCorpus.test.js', 'ideCorpus.test.js', 'diagnostics.test.js', 'vsixContents.test.js']);

function testFiles(directory) {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .filter((file) => suite === 'all' || !SLOW.has(path.basename(file)))
    .sort();
}

const files = testFiles('out');
if (files.length === 0) {
  console.error('no compiled tests under out/: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
