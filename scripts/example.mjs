// The main job on the bundled example project (examples/bank), as `npm run example` runs it after
// the build: the inventory of every file, then the code property graph and a few of the queries
// the graph answers. Every step is the real CLI, so this is also what a user would type.
import fs from 'node:fs';
import path from 'node:path';
import { runCliStep } from './cliStep.mjs';

const project = 'examples/bank';
const output = '.cache/example';
fs.mkdirSync(output, { recursive: true });
const database = path.join(output, 'cpg.sqlite');

const steps = [
  ['inventory of every file', ['analyze', project, '--out', path.join(output, 'analysis.jsonl')]],
  ['who calls Bank.Account.deposit/3', ['query', project, '{"callers": "Bank.Account.deposit/3"}', '--db', database]],
  ['everything Bank.Transfer.run/3 can reach', ['query', project, '{"callees": "Bank.Transfer.run/3", "transitive": true}', '--db', database]],
  ['functions of Bank.* with cyclomatic complexity above 5', ['query', project, '{"functions": {"module": "Bank.*", "complexity_gt": 5}}', '--db', database]],
  ['processes: the GenServer callbacks of Bank.Account and what they send', ['query', project, '{"otp": "Bank.Account"}', '--db', database]],
];

let failed = false;
for (const [title, args] of steps) {
  const { status } = runCliStep(title, args);
  if (status !== 0) {
    process.stdout.write(`(exited with ${status})\n`);
    failed = true;
  }
}
process.stdout.write(`\nFull outputs are in ${output}/ (analysis.jsonl, and the stored graph cpg.sqlite).\n`);
process.exitCode = failed ? 1 : 0;
