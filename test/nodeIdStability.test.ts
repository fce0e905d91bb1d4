/**
 * The node-ID stability guarantee (`common/nodeId.ts`, `server/cpg/nodeIds.ts`), as a property
 * over real code: editing a file *outside* a function clause (blank lines, comments, a new
 * function, deleting or re-indenting another function) leaves every node ID of that clause naming
 * the same source text. A negative control edits *inside* one clause and checks that this does
 * change its pairs, so the property cannot hold vacuously.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FunctionClause } from '../server/cpg/definitions';
import { type FileAnalysis, analyzeSource } from '../server/cpg/fileAnalysis';
import { blockExpressions, keywordValue } from '../server/syntax/ast';
import { ElixirParser } from '../server/syntax/parser';
import { corpusFiles, elixirCorpusRoot, seededRandom } from './support/corpus';

const SAMPLE_SIZE = 40;
const EDITS_PER_FILE = 5;
const SEED = 0x5eed;

let parser: ElixirParser;

before(async () => {
  parser = await ElixirParser.load();
});

after(() => parser.dispose());

/** A replacement of `text.slice(start, end)`; `start === end` is an insertion. */
interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface FileSample {
  readonly file: string;
  readonly text: string;
  readonly analysis: FileAnalysis;
}

test('editing outside a clause leaves every node ID of the clause on the same text', { timeout: 120_000 }, (t) => {
  const random = seededRandom(SEED);
  let editCount = 0;
  let checkedClauseCount = 0;
  let reformattedClauseCount = 0;
  let deletedClauseCount = 0;
  const samples = sampleFiles(random);
  for (const { file, text, analysis } of samples) {
    const plan = planOutsideEdits(analysis, text, chooseClause(analysis, text, random), random);
    const edited = applyEdits(text, plan.edits);
    const editedAnalysis = analyzeSource(parser, file, edited);
    assert.deepEqual(editedAnalysis.parse.errors, [], `${file}: the edits keep the file valid\n${planSummary(plan)}`);
    const afterById = clausesById(editedAnalysis);

    for (const clause of analysis.definitions.functions) {
      if (plan.touched.has(clause)) continue;
      const afterClause = afterById.get(clause.id);
      assert.ok(afterClause, `${file}: ${clause.id} still exists\n${planSummary(plan)}`);
      assert.deepEqual(
        nodeTexts(editedAnalysis, edited, afterClause),
        nodeTexts(analysis, text, clause),
        `${file}: ${clause.id} keeps its node IDs\n${planSummary(plan)}`,
      );
      checkedClauseCount++;
    }
    assert.ok(!plan.touched.has(plan.chosen), `${file}: the chosen clause is not edited`);

    // Re-indenting changes no ID, only the whitespace inside multi-line nodes.
    for (const clause of plan.reformatted) {
      const afterClause = afterById.get(clause.id);
      assert.ok(afterClause, `${file}: reformatted ${clause.id} still exists`);
      assert.deepEqual(
        nodeTexts(editedAnalysis, edited, afterClause, collapseWhitespace),
        nodeTexts(analysis, text, clause, collapseWhitespace),
        `${file}: reformatted ${clause.id} keeps its node IDs`,
      );
      reformattedClauseCount++;
    }
    for (const clause of plan.deleted) {
      assert.ok(!afterById.has(clause.id), `${file}: deleted ${clause.id} is gone\n${planSummary(plan)}`);
      deletedClauseCount++;
    }
    for (const insertedId of plan.insertedIds) {
      assert.ok(afterById.has(insertedId), `${file}: inserted ${insertedId} is found\n${planSummary(plan)}`);
    }
    editCount += plan.edits.length;
  }
  assert.equal(samples.length, SAMPLE_SIZE);
  assert.ok(editCount >= SAMPLE_SIZE * (EDITS_PER_FILE - 1), `${editCount} edits`);
  assert.ok(checkedClauseCount > 1000, `${checkedClauseCount} clauses checked`);
  t.diagnostic(
    `${samples.length} files, ${editCount} edits outside a clause, ${checkedClauseCount} untouched clauses ` +
      `checked, ${reformattedClauseCount} re-indented clauses checked modulo whitespace, ` +
      `${deletedClauseCount} deleted clauses gone`,
  );
});

test('editing inside a clause changes its node IDs and no other clause', { timeout: 120_000 }, (t) => {
  const random = seededRandom(SEED);
  let checkedClauseCount = 0;
  const samples = sampleFiles(random);
  for (const { file, text, analysis } of samples) {
    const chosen = chooseClause(analysis, text, random);
    const edits = probeEdits(chosen);
    const edited = applyEdits(text, edits);
    const editedAnalysis = analyzeSource(parser, file, edited);
    assert.deepEqual(editedAnalysis.parse.errors, [], `${file}: the probe keeps the file valid`);
    const afterById = clausesById(editedAnalysis);
    const afterChosen = afterById.get(chosen.id);
    assert.ok(afterChosen, `${file}: ${chosen.id} still exists`);
    assert.notDeepEqual(
      nodeTexts(editedAnalysis, edited, afterChosen),
      nodeTexts(analysis, text, chosen),
      `${file}: a statement inserted at the start of ${chosen.id} moves its nodes`,
    );
    for (const clause of analysis.definitions.functions) {
      if (touches(edits, clause)) continue;
      assert.deepEqual(
        nodeTexts(editedAnalysis, edited, afterById.get(clause.id)!),
        nodeTexts(analysis, text, clause),
        `${file}: ${clause.id} is not affected by an edit inside ${chosen.id}`,
      );
      checkedClauseCount++;
    }
  }
  t.diagnostic(`${samples.length} clauses edited inside, ${checkedClauseCount} other clauses checked`);
});

// ---------------------------------------------------------------------------------------------

interface EditPlan {
  readonly chosen: FunctionClause;
  readonly edits: TextEdit[];
  /** Clauses whose span an edit falls into or removes: not expected to keep their pairs. */
  readonly touched: Set<FunctionClause>;
  readonly deleted: FunctionClause[];
  readonly reformatted: FunctionClause[];
  readonly insertedIds: string[];
  readonly descriptions: string[];
}

/** A deterministic sample of corpus `.ex` files with enough whole-line functions to edit. */
function sampleFiles(random: () => number): FileSample[] {
  const root = elixirCorpusRoot();
  const files = corpusFiles(root, ['.ex']);
  // Fisher-Yates with the seeded generator: the same order on every run.
  for (let index = files.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [files[index], files[other]] = [files[other]!, files[index]!];
  }
  const samples: FileSample[] = [];
  for (const file of files) {
    if (samples.length === SAMPLE_SIZE) break;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const analysis = analyzeSource(parser, file, text);
    if (analysis.parse.errors.length > 0) continue;
    const functions = functionGroups(analysis, text).filter((group) => group.wholeLine);
    if (functions.length < 4 || !functions.some((group) => group.clauses.some(hasBodyToProbe))) continue;
    samples.push({ file, text, analysis });
  }
  return samples;
}

interface FunctionGroup {
  /** `Module.name/arity`. */
  readonly key: string;
  readonly clauses: FunctionClause[];
  /** Every clause starts and ends its own lines, so whole lines can be cut or re-indented. */
  readonly wholeLine: boolean;
}

function functionGroups(analysis: FileAnalysis, text: string): FunctionGroup[] {
  const groups = new Map<string, FunctionClause[]>();
  for (const clause of analysis.definitions.functions) {
    const key = clause.id.replace(/#\d+$/, '');
    groups.set(key, [...(groups.get(key) ?? []), clause]);
  }
  return [...groups].map(([key, clauses]) => ({
    key,
    clauses,
    wholeLine: clauses.every((clause) => isWholeLine(text, clause)),
  }));
}

/** The clause the edits go around: one with a body to probe, in a function of whole lines. */
function chooseClause(analysis: FileAnalysis, text: string, random: () => number): FunctionClause {
  const groups = functionGroups(analysis, text).filter((group) => group.wholeLine);
  return pick(groups.flatMap((group) => group.clauses).filter(hasBodyToProbe), random);
}

/**
 * About EDITS_PER_FILE edits that leave `chosen` alone: delete one other function, re-indent
 * another, insert a new function, and insert blank lines or comments, all at line starts between
 * definitions.
 */
function planOutsideEdits(
  analysis: FileAnalysis,
  text: string,
  chosen: FunctionClause,
  random: () => number,
): EditPlan {
  const groups = functionGroups(analysis, text).filter((group) => group.wholeLine);
  const chosenKey = chosen.id.replace(/#\d+$/, '');
  const edits: TextEdit[] = [];
  const descriptions: string[] = [];
  const deleted: FunctionClause[] = [];
  const reformatted: FunctionClause[] = [];
  const insertedIds: string[] = [];
  const regions: { start: number; end: number }[] = [];

  // Functions that can be removed or re-indented whole without touching the chosen clause.
  const others = groups.filter(
    (group) =>
      group.key !== chosenKey &&
      group.clauses.every((clause) => !contains(wholeLineSpan(text, clause), chosen.node)),
  );
  const overlapsRegion = (span: { start: number; end: number }) =>
    regions.some((region) => span.start <= region.end && region.start <= span.end);

  if (others.length > 0) {
    const group = pick(others, random);
    for (const clause of group.clauses) {
      const span = wholeLineSpan(text, clause);
      edits.push({ ...span, text: '' });
      regions.push(span);
    }
    deleted.push(...group.clauses);
    descriptions.push(`delete ${group.key} (${group.clauses.length} clauses)`);
  }
  const reformatCandidates = others.filter(
    (group) => !group.clauses.some((clause) => overlapsRegion(wholeLineSpan(text, clause))),
  );
  if (reformatCandidates.length > 0) {
    const group = pick(reformatCandidates, random);
    for (const clause of group.clauses) {
      const span = wholeLineSpan(text, clause);
      const reindented = text.slice(span.start, span.end).replace(/^(?=[^\n])/gm, '    ');
      edits.push({ ...span, text: reindented });
      regions.push(span);
    }
    reformatted.push(...group.clauses);
    descriptions.push(`re-indent ${group.key} (${group.clauses.length} clauses)`);
  }

  // Insertion points: the start of the line of any whole-line clause not being cut or re-indented.
  const insertionPoints = groups
    .flatMap((group) => group.clauses)
    .map((clause) => ({ clause, offset: wholeLineSpan(text, clause).start }))
    .filter(({ offset }) => !overlapsRegion({ start: offset, end: offset }));
  for (let index = 0; edits.length < EDITS_PER_FILE && insertionPoints.length > 0; index++) {
    const { clause, offset } = pick(insertionPoints, random);
    const indentation = /^[ \t]*/.exec(text.slice(offset))![0];
    const line = analysis.parse.lines.elixirPosition(offset).line;
    let insertion: string;
    if (index === 0) {
      const number = 1 + Math.floor(random() * 1000);
      insertion = `${indentation}def es_inserted_${number}(x), do: x + ${number}\n\n`;
      insertedIds.push(`${clause.module}.es_inserted_${number}/1#1`);
      descriptions.push(`insert es_inserted_${number}/1 before line ${line}`);
    } else if (random() < 0.5) {
      insertion = '\n'.repeat(1 + Math.floor(random() * 3));
      descriptions.push(`insert ${insertion.length} blank lines before line ${line}`);
    } else {
      insertion = `${indentation}# es comment ${index}: end do fn -> "\n`;
      descriptions.push(`insert a comment before line ${line}`);
    }
    edits.push({ start: offset, end: offset, text: insertion });
  }

  const touched = new Set(analysis.definitions.functions.filter((clause) => touches(edits, clause)));
  return { chosen, edits, touched, deleted, reformatted, insertedIds, descriptions };
}

/** `es_probe = :probe` as the first statement of the clause's body. */
function probeEdits(clause: FunctionClause): TextEdit[] {
  const body = keywordValue(clause.body ?? undefined, 'do')!;
  if ('doBlock' in clause.node && clause.node.doBlock) {
    const first = blockExpressions(body)[0]!;
    return [{ start: first.start, end: first.start, text: 'es_probe = :probe; ' }];
  }
  return [
    { start: body.start, end: body.start, text: '(es_probe = :probe; ' },
    { start: body.end, end: body.end, text: ')' },
  ];
}

function hasBodyToProbe(clause: FunctionClause): boolean {
  const body = keywordValue(clause.body ?? undefined, 'do');
  if (!body || body.end <= body.start) return false;
  const first = blockExpressions(body)[0];
  return first !== undefined && first.end > first.start;
}

/** The clause starts its first line and ends its last (trailing whitespace or comment allowed). */
function isWholeLine(text: string, clause: FunctionClause): boolean {
  const lineStart = text.lastIndexOf('\n', clause.node.start - 1) + 1;
  const lineEnd = text.indexOf('\n', clause.node.end);
  const after = text.slice(clause.node.end, lineEnd === -1 ? text.length : lineEnd);
  return (
    /^[ \t]*$/.test(text.slice(lineStart, clause.node.start)) &&
    /^[ \t]*(#.*)?\r?$/.test(after)
  );
}

/** The whole lines a clause occupies, newline included. */
function wholeLineSpan(text: string, clause: FunctionClause): { start: number; end: number } {
  const start = text.lastIndexOf('\n', clause.node.start - 1) + 1;
  const lineEnd = text.indexOf('\n', clause.node.end);
  return { start, end: lineEnd === -1 ? text.length : lineEnd + 1 };
}

function contains(span: { start: number; end: number }, node: { start: number; end: number }): boolean {
  return span.start <= node.start && node.end <= span.end;
}

/** An edit touches a clause when it replaces any of its text or inserts strictly inside it. */
function touches(edits: readonly TextEdit[], clause: FunctionClause): boolean {
  const { start, end } = clause.node;
  return edits.some((edit) =>
    edit.start === edit.end ? start < edit.start && edit.start < end : edit.start < end && start < edit.end,
  );
}

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const edit of sorted) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

function clausesById(analysis: FileAnalysis): Map<string, FunctionClause> {
  const byId = new Map<string, FunctionClause>();
  for (const clause of analysis.definitions.functions) if (!byId.has(clause.id)) byId.set(clause.id, clause);
  return byId;
}

/** The clause's `(node ID, source text)` pairs, sorted, so two sets compare with deepEqual. */
function nodeTexts(
  analysis: FileAnalysis,
  text: string,
  clause: FunctionClause,
  normalize: (text: string) => string = (same) => same,
): [string, string][] {
  const pairs: [string, string][] = [];
  for (const { nodeId, node } of analysis.nodeIds.clauseNodes(clause)) {
    pairs.push([nodeId, normalize(text.slice(node.start, node.end))]);
  }
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

function planSummary(plan: EditPlan): string {
  return `edits around ${plan.chosen.id}: ${plan.descriptions.join('; ')}`;
}
