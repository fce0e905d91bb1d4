/**
 * Finding and reading the Elixir source files of a workspace: which files count, and how bytes on
 * disk become text the parser can take (or a per-file error a user can act on).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Folders that hold tool state rather than code, wherever they are. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.elixir_ls', '.elixirscope']);
/** A Mix project's build output and fetched dependencies, at the root only: deeper folders of the
 * same name are ordinary code (test fixtures, for one). */
const SKIPPED_ROOT_DIRECTORIES = new Set(['_build', 'deps', '.cache']);
/** Larger files are reported rather than parsed: nobody writes them by hand. */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

/** Relative paths (forward slashes) of every `.ex`/`.exs` under `root`, sorted, dot-files included. */
export function listSourceFiles(root: string): string[] {
  const found: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relativeDirectory = pending.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, relativeDirectory), { withFileTypes: true });
    } catch {
      continue; // an unreadable folder is skipped; its files could not be read either
    }
    for (const entry of entries) {
      const relative = relativeDirectory ? `${relativeDirectory}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        const skipped = SKIPPED_DIRECTORIES.has(entry.name) || (relativeDirectory === '' && SKIPPED_ROOT_DIRECTORIES.has(entry.name));
        if (!skipped) pending.push(relative);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isElixirSource(entry.name)) {
        found.push(relative);
      }
    }
  }
  return found.sort(compareCodeUnits);
}

export function isElixirSource(fileName: string): boolean {
  return fileName.endsWith('.ex') || fileName.endsWith('.exs');
}

export type SourceText =
  | { readonly ok: true; readonly text: string; readonly bytes: number; readonly warning: string | null }
  | { readonly ok: false; readonly message: string };

/** Reads a source file as text; never throws. */
export function readSourceFile(absolutePath: string): SourceText {
  let buffer: Buffer;
  try {
    const stat = fs.statSync(absolutePath);
    if (!stat.isFile()) return { ok: false, message: 'not a regular file' };
    if (stat.size > MAX_SOURCE_BYTES) {
      return { ok: false, message: `file is ${(stat.size / 1048576).toFixed(0)} MB; files over ${MAX_SOURCE_BYTES / 1048576} MB are not analysed` };
    }
    buffer = fs.readFileSync(absolutePath);
  } catch (error) {
    return { ok: false, message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  return decodeSource(buffer);
}

/** Bytes to text: binary content is refused, invalid UTF-8 is decoded with U+FFFD and a warning. */
export function decodeSource(buffer: Buffer): SourceText {
  if (looksBinary(buffer)) return { ok: false, message: 'binary file (contains NUL bytes), not Elixir source' };
  let text: string;
  let warning: string | null = null;
  try {
    text = STRICT_UTF8.decode(buffer);
  } catch {
    text = buffer.toString('utf8');
    warning = invalidUtf8Warning(text);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, bytes: buffer.length, warning };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function looksBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, 8192).includes(0);
}

function invalidUtf8Warning(text: string): string {
  const offset = text.indexOf('\uFFFD');
  const line = text.slice(0, offset).split('\n').length;
  return `invalid UTF-8 (first at line ${line}); undecodable bytes were read as U+FFFD`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
