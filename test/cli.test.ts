/**
 * The `elixirscope` command as users run it (the bundled `dist/cli.js` in a child process):
 * output, exit codes and messages for good and bad command lines and inputs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';
import type { InventoryRecord } from '../common/inventory';
import { repoRoot } from './support/corpus';

const root = repoRoot();
const cli = path.join(root, 'dist', 'cli.js');

function run(args: string[], options: { cwd?: string } = {}) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: options.cwd ?? root });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function records(jsonl: string): InventoryRecord[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as InventoryRecord);
}

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-cli-'));
}

test('analyze of the example project lists its modules, functions and calls', () => {
  const result = run(['analyze', 'examples/bank']);
  assert.equal(result.code, 0, result.stderr);
  const files = records(result.stdout);
  const names = files.map((file) => file.file);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('lib/bank/account.ex'));
  assert.ok(names.includes('mix.exs'));
  const account = files.find((file) => file.file === 'lib/bank/account.ex')!;
  assert.equal(account.parse_ok, true);
  assert.ok(account.modules.some((module) => module.name === 'Bank.Account'));
  assert.ok(account.functions.some((fn) => fn.id.startsWith('Bank.Account.handle_call/3#')));
  assert.ok(account.calls.some((call) => call.callee_module === 'GenServer'));
  assert.match(result.stderr, /analysed \d+ files, \d+ lines/);
});

test('--out writes the same JSON Lines as stdout (creating its folder), and --jobs does not change them', () => {
  const directory = temporaryDirectory();
  const out = path.join(directory, 'new', 'folder', 'bank.jsonl');
  const toStdout = run(['analyze', 'examples/bank', '--jobs', '1']);
  const toFile = run(['analyze', 'examples/bank', '--out', out, '--jobs', '2']);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(toFile.stdout, '');
  assert.equal(fs.readFileSync(out, 'utf8'), toStdout.stdout);
});

test('a missing directory, a file instead of a directory and a bad --jobs are usage errors (exit 2)', () => {
  const missing = run(['analyze', 'no/such/dir']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such directory: no\/such\/dir/);
  const file = run(['analyze', 'package.json']);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /not a directory: package\.json/);
  // `--jobs -3` is caught by the option parser itself (a value that looks like an option).
  assert.equal(run(['analyze', 'examples/bank', '--jobs', '-3']).code, 2);
  for (const jobs of ['0', 'two', '1.5', '257']) {
    const bad = run(['analyze', 'examples/bank', '--jobs', jobs]);
    assert.equal(bad.code, 2, jobs);
    assert.match(bad.stderr, /--jobs takes a whole number/);
  }
  const noDirectory = run(['analyze']);
  assert.equal(noDirectory.code, 2);
  assert.match(noDirectory.stderr, /takes exactly one directory/);
  const unwritable = run(['analyze', 'examples/bank', '--out', 'package.json/out.jsonl']);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write package\.json\/out\.jsonl: (EEXIST|ENOTDIR)/);
});

test('unknown commands and options are usage errors; help and version succeed', () => {
  const unknown = run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command `frobnicate`/);
  const option = run(['analyze', 'examples/bank', '--colour']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /--colour/);
  const later = run(['mcp']);
  assert.equal(later.code, 2);
  assert.match(later.stderr, /not available in this version yet/);
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /analyze DIR \[--out FILE\] \[--jobs N\]/);
  assert.equal(run([]).code, 2);
  assert.match(run(['--version']).stdout, /^elixirscope \d+\.\d+\.\d+\n$/);
});

test('unreadable and binary files get an error record and exit 1; the rest is still analysed', () => {
  const directory = temporaryDirectory();
  fs.writeFileSync(path.join(directory, 'good.ex'), 'defmodule Good do\n  def ok, do: :ok\nend\n');
  fs.writeFileSync(path.join(directory, 'binary.ex'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 0, 255]));
  fs.symlinkSync(path.join(directory, 'gone.ex'), path.join(directory, 'dangling.ex'));
  fs.writeFileSync(path.join(directory, 'latin1.ex'), Buffer.from('defmodule L do\n  def f, do: "caf\xe9"\nend\n', 'latin1'));
  fs.writeFileSync(path.join(directory, 'half.ex'), 'defmodule Half do\n  def f(x) do\n    x\n');
  const result = run(['analyze', directory]);
  assert.equal(result.code, 1, result.stderr);
  const byFile = new Map(records(result.stdout).map((record) => [record.file, record]));
  assert.deepEqual([...byFile.keys()], ['binary.ex', 'dangling.ex', 'good.ex', 'half.ex', 'latin1.ex']);
  assert.match(byFile.get('binary.ex')!.error!.message, /binary file/);
  assert.match(byFile.get('dangling.ex')!.error!.message, /cannot read the file: ENOENT/);
  assert.match(result.stderr, /could not analyse binary\.ex/);
  assert.match(result.stderr, /could not analyse dangling\.ex/);
  assert.equal(byFile.get('good.ex')!.parse_ok, true);
  // Invalid UTF-8 and syntax errors are reported in the record, not as failures.
  const latin1 = byFile.get('latin1.ex')!;
  assert.equal(latin1.parse_ok, false);
  assert.match(latin1.error!.message, /invalid UTF-8 \(first at line 2\)/);
  assert.deepEqual(latin1.functions.map((fn) => fn.id), ['L.f/0#1']);
  const half = byFile.get('half.ex')!;
  assert.equal(half.parse_ok, false);
  assert.match(half.error!.message, /missing terminator: end/);
  assert.deepEqual(half.functions.map((fn) => fn.id), ['Half.f/1#1']);
});

test('a directory without Elixir files says so and writes nothing', () => {
  const directory = temporaryDirectory();
  fs.writeFileSync(path.join(directory, 'notes.txt'), 'hello');
  const result = run(['analyze', directory]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /no \.ex or \.exs files under/);
});

test('query answers from the stored graph, refreshes it after a change, and refuses bad queries before any work', () => {
  const directory = temporaryDirectory();
  fs.mkdirSync(path.join(directory, 'lib'));
  fs.writeFileSync(path.join(directory, 'lib', 'a.ex'), 'defmodule A do\n  def f(x), do: B.g(x)\nend\n');
  fs.writeFileSync(path.join(directory, 'lib', 'b.ex'), 'defmodule B do\n  def g(x), do: x\n  def h, do: g(1)\nend\n');

  const first = run(['query', directory, '{"callers": "B.g/1"}']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), [
    { caller: 'A.f/1#1', file: 'lib/a.ex', line: 2, column: 19, node: 'A.f/1#1:1.0.0' },
    { caller: 'B.h/0#1', file: 'lib/b.ex', line: 3, column: 14, node: 'B.h/0#1:1.0.0' },
  ]);
  assert.match(first.stderr, /graph of 2 files \(2 analysed, 0 unchanged\)/);
  assert.ok(fs.existsSync(path.join(directory, '.elixirscope', 'cpg.sqlite')), 'the graph is stored in the project');

  const unchanged = run(['query', directory, '{"callers": "B.g/1"}']);
  assert.equal(unchanged.stdout, first.stdout);
  assert.equal(unchanged.stderr, '', 'nothing to redo, nothing said');

  fs.writeFileSync(path.join(directory, 'lib', 'a.ex'), 'defmodule A do\n  def f(x), do: x\nend\n');
  const changed = run(['query', directory, '{"callers": "B.g/1"}']);
  assert.equal(JSON.parse(changed.stdout).length, 1);
  assert.match(changed.stderr, /1 analysed, 1 unchanged/);

  const fromStdin = spawnSync(process.execPath, [cli, 'query', directory, '-', '--no-store'], { input: '{"callees": "B.h/0"}', encoding: 'utf8' });
  assert.deepEqual(JSON.parse(fromStdin.stdout), ['B.g/1']);

  const refusals: [string[], RegExp][] = [
    [['query', directory], /takes a directory and a query/],
    [['query', directory, '{"callers": '], /not valid JSON/],
    [['query', directory, '{"callers": "g"}'], /function ID such as/],
    [['query', directory, '{"cfg": "B.nope/0#1"}'], /no function clause B.nope\/0#1/],
    [['query', path.join(directory, 'missing'), '{"callers": "B.g/1"}'], /no such directory/],
    [['query', directory, '{}', '--db', 'x', '--no-store'], /do not go together/],
    [['query', directory, '{"callers": "B.g/1"}', '--db', directory], /--db must name a file/],
  ];
  for (const [args, message] of refusals) {
    const result = run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '');
  }
});

test('query still answers when the graph cannot be stored', () => {
  const directory = temporaryDirectory();
  fs.writeFileSync(path.join(directory, 'a.ex'), 'defmodule A do\n  def f, do: B.g()\nend\n');
  // The store's folder is a file, so it cannot be created.
  fs.writeFileSync(path.join(directory, 'blocker'), '');
  const result = run(['query', directory, '{"callers": "B.g/0"}', '--db', path.join(directory, 'blocker', 'cpg.sqlite')]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /could not store the graph in .*blocker\/cpg\.sqlite: (ENOTDIR|EEXIST)/);
  assert.equal((JSON.parse(result.stdout) as unknown[]).length, 1);
});

test('query over a workspace with broken and binary files still answers, and a corrupt stored graph is rebuilt', () => {
  const directory = temporaryDirectory();
  fs.writeFileSync(path.join(directory, 'good.ex'), 'defmodule Good do\n  def ok, do: Other.call()\nend\n');
  fs.writeFileSync(path.join(directory, 'half.ex'), 'defmodule Half do\n  def typing(x) do\n    Other.call(\n');
  fs.writeFileSync(path.join(directory, 'binary.ex'), Buffer.from([0, 1, 2, 3]));
  fs.mkdirSync(path.join(directory, '.elixirscope'));
  fs.writeFileSync(path.join(directory, '.elixirscope', 'cpg.sqlite'), 'garbage');
  const result = run(['query', directory, '{"callers": "Other.call/0"}']);
  assert.equal(result.code, 1, 'a file could not be analysed');
  assert.match(result.stderr, /rebuilding the stored graph: it is not a readable graph database/);
  assert.match(result.stderr, /could not analyse binary\.ex/);
  const callers = JSON.parse(result.stdout) as { caller: string }[];
  assert.ok(callers.some((site) => site.caller === 'Good.ok/0#1'));
});
