/**
 * Where the tests find the Elixir 1.14 source tree they run the analyzer against. A fresh clone has
 * no `.cache`, so the tree is fetched on first use by the shared script (`../shared/corpus/`), once
 * per process, and every test asks for it through `elixirCorpusRoot()` rather than a fixed path.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Where `fetch-elixir-source.sh` unpacks the tree, relative to the repository root. */
const CORPUS_CACHE = '.cache/corpus';

/** The outcome of the one fetch per process; a failure is kept too, so it is not retried per test. */
let cachedRoot: { readonly path: string } | { readonly error: Error } | undefined;

/**
 * The absolute path of the unpacked Elixir 1.14.0 source tree, fetching it on first use. Throws an
 * Error that says what failed when the script cannot provide it.
 */
export function elixirCorpusRoot(): string {
  if (cachedRoot === undefined) {
    try {
      cachedRoot = { path: fetchCorpus(repoRoot()) };
    } catch (error) {
      cachedRoot = { error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  if ('error' in cachedRoot) throw cachedRoot.error;
  return cachedRoot.path;
}

/**
 * The files under `root` whose names end with one of `extensions`, as sorted relative paths with
 * forward slashes. Dot-files and dot-folders (`.formatter.exs`) are included: they are real code.
 */
export function corpusFiles(root: string, extensions: readonly string[] = ['.ex', '.exs']): string[] {
  const found: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relative = pending.pop()!;
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const entryPath = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) pending.push(entryPath);
      else if (entry.isFile() && extensions.some((extension) => entry.name.endsWith(extension))) found.push(entryPath);
    }
  }
  // Code-unit order, not locale order, so the list is the same on every machine.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The repository root: the nearest folder above this file that holds a `package.json`. */
export function repoRoot(): string {
  let directory = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(directory, 'package.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${__dirname}; cannot find the repository root`);
    directory = parent;
  }
}

function fetchCorpus(root: string): string {
  const script = path.join(root, '..', 'shared', 'corpus', 'fetch-elixir-source.sh');
  if (!fs.existsSync(script)) {
    throw new Error(`cannot fetch the Elixir corpus: ${script} does not exist (shared/ must sit beside the repository)`);
  }
  let stdout: string;
  try {
    stdout = execFileSync('bash', [script, CORPUS_CACHE], {
      cwd: root,
      encoding: 'utf8',
      // The script's progress goes to stderr; let the person running the tests see it.
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (error) {
    const status = (error as { status?: number | null }).status;
    const reason = typeof status === 'number' ? `it exited with status ${status}` : String(error);
    throw new Error(`cannot fetch the Elixir corpus with ${script}: ${reason} (its messages are above)`);
  }
  const lastLine = stdout.trimEnd().split('\n').pop()?.trim() ?? '';
  if (lastLine === '') throw new Error(`cannot fetch the Elixir corpus: ${script} printed no path`);
  const corpus = path.resolve(root, lastLine);
  if (!fs.statSync(corpus, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`cannot fetch the Elixir corpus: ${script} printed ${lastLine}, which is not a folder`);
  }
  return corpus;
}

/**
 * A deterministic pseudo-random generator (mulberry32) returning floats in [0, 1), so samples of
 * the corpus and random edits are the same on every run and a failure can be replayed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
