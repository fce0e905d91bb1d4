/**
 * Golden files: a test renders what it computed as text and compares it with the expectation
 * file beside its fixture. A missing expectation is written (and the test passes, saying so);
 * `UPDATE_GOLDEN=1` rewrites them all; a mismatch writes `<expected>.actual` next to it so the
 * difference can be read with any diff tool, and fails with a unified summary of the first lines
 * that differ.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';

export function checkGolden(expectedPath: string, actual: string): void {
  const normalized = actual.endsWith('\n') ? actual : `${actual}\n`;
  const actualPath = `${expectedPath}.actual`;
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(expectedPath)) {
    fs.writeFileSync(expectedPath, normalized);
    fs.rmSync(actualPath, { force: true });
    return;
  }
  const expected = fs.readFileSync(expectedPath, 'utf8');
  if (expected === normalized) {
    fs.rmSync(actualPath, { force: true });
    return;
  }
  fs.writeFileSync(actualPath, normalized);
  assert.fail(`${expectedPath} differs (actual written to ${actualPath}):\n${firstDifference(expected, normalized)}`);
}

function firstDifference(expected: string, actual: string): string {
  const expectedLines = expected.split('\n');
  const actualLines = actual.split('\n');
  const length = Math.max(expectedLines.length, actualLines.length);
  for (let index = 0; index < length; index++) {
    if (expectedLines[index] !== actualLines[index]) {
      return [
        `line ${index + 1}:`,
        `- ${expectedLines[index] ?? '<end of file>'}`,
        `+ ${actualLines[index] ?? '<end of file>'}`,
      ].join('\n');
    }
  }
  return '(only line endings differ)';
}
