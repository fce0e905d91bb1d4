/**
 * Text fixtures for the editor features (`server/ide`), in the house style: several files in one
 * text, each after a `#- /lib/a.ex` header, a `$0` cursor, and `# ^^^ label` annotation lines
 * naming the range of the carets' columns on the nearest code line above. Annotation lines and the
 * cursor marker are removed from the files written to disk.
 *
 * `openFixture` writes the files to a temporary workspace, builds its graph from scratch
 * (`refresh`), opens the cursor's file in the "editor" (`updateDocument`) and returns a
 * `WorkspaceView` over it, so each feature's `check` helper tests behaviour end to end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Position, Range } from '../../common/lspProtocol';
import { type WorkspaceView, createWorkspaceView } from '../../server/ide/workspaceView';
import { ElixirParser } from '../../server/syntax/parser';
import { WorkspaceGraph } from '../../server/workspace/workspaceGraph';
import { repoRoot } from './corpus';

export interface Annotation {
  readonly path: string;
  readonly range: Range;
  readonly label: string;
}

export interface IdeFixture {
  /** Workspace-relative path → text as written to disk. */
  readonly files: ReadonlyMap<string, string>;
  readonly cursor: { readonly path: string; readonly position: Position } | undefined;
  readonly annotations: readonly Annotation[];
}

const FILE_HEADER = /^#- \/?(.+?)\s*$/;
const ANNOTATION = /^(\s*#\s*)(\^+)(?:\s+(.*?))?\s*$/;

export function parseFixture(text: string): IdeFixture {
  const files = new Map<string, string>();
  const annotations: Annotation[] = [];
  let cursor: IdeFixture['cursor'];
  let current: { path: string; lines: string[] } | null = null;
  const flush = () => {
    if (current) files.set(current.path, current.lines.join('\n') + '\n');
  };
  for (const rawLine of text.split('\n')) {
    const header = FILE_HEADER.exec(rawLine);
    if (header) {
      flush();
      current = { path: header[1]!, lines: [] };
      continue;
    }
    if (!current) continue;
    const annotation = ANNOTATION.exec(rawLine);
    if (annotation && current.lines.length > 0) {
      const line = current.lines.length - 1;
      const start = annotation[1]!.length;
      annotations.push({
        path: current.path,
        range: { start: { line, character: start }, end: { line, character: start + annotation[2]!.length } },
        label: annotation[3] ?? '',
      });
      continue;
    }
    const marker = rawLine.indexOf('$0');
    if (marker !== -1) cursor = { path: current.path, position: { line: current.lines.length, character: marker } };
    current.lines.push(marker === -1 ? rawLine : rawLine.replace('$0', ''));
  }
  flush();
  // Trailing blank lines of the text block belong to no file.
  for (const [file, content] of files) files.set(file, content.replace(/\n+$/, '\n'));
  return { files, cursor, annotations };
}

/** A fixture file under `test/fixtures/ide/`. */
export function readFixture(name: string): string {
  return fs.readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'ide', name), 'utf8');
}

export interface OpenFixture {
  readonly fixture: IdeFixture;
  readonly view: WorkspaceView;
  readonly graph: WorkspaceGraph;
  /** The cursor, which the fixture must have. */
  readonly cursor: { readonly path: string; readonly position: Position };
  /** The label of the annotation at exactly this range, else the range written out. */
  label(location: { readonly path: string; readonly range: Range }): string;
  dispose(): void;
}

let sharedParser: Promise<ElixirParser> | undefined;

export function fixtureParser(): Promise<ElixirParser> {
  sharedParser ??= ElixirParser.load();
  return sharedParser;
}

export async function openFixture(text: string): Promise<OpenFixture> {
  const fixture = parseFixture(text);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elixirscope-ide-'));
  for (const [file, content] of fixture.files) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  const graph = await WorkspaceGraph.open(root, { databasePath: null, jobs: 1 });
  await graph.refresh();
  if (fixture.cursor) await graph.updateDocument(fixture.cursor.path, fixture.files.get(fixture.cursor.path)!);
  const parser = await fixtureParser();
  const view = createWorkspaceView(graph, parser, (file) => {
    const absolute = path.join(root, file);
    return fs.existsSync(absolute) ? fs.readFileSync(absolute, 'utf8') : undefined;
  });
  return {
    fixture,
    view,
    graph,
    get cursor() {
      if (!fixture.cursor) throw new Error('the fixture has no $0 cursor');
      return fixture.cursor;
    },
    label: (location) => labelOf(fixture, location),
    dispose: () => {
      graph.dispose();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function labelOf(fixture: IdeFixture, location: { readonly path: string; readonly range: Range }): string {
  const found = fixture.annotations.find((annotation) => annotation.path === location.path && sameRange(annotation.range, location.range));
  if (found) return found.label;
  const { start, end } = location.range;
  return `${location.path}:${start.line}:${start.character}-${end.line}:${end.character}`;
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}
