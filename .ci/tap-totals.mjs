// Reads TAP (tap --reporter=tap) on stdin, echoes it, and writes the counts of leaf
// assertions to the file named by argv[2] as JSON {passed, failed, skipped}. A subtest that
// failed without a failing assertion of its own (a crash, a timeout) counts as one failure.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const RESULT = /^(\s*)(not )?ok \d+\b(.*)$/;
const lines = [];
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(line + '\n');
  lines.push(line);
}
const counts = { passed: 0, failed: 0, skipped: 0 };
// A result line is a subtest summary when the line before it is indented deeper.
const indentOf = (l) => l.length - l.trimStart().length;
for (let i = 0; i < lines.length; i++) {
  const m = RESULT.exec(lines[i]);
  if (!m) continue;
  const indent = m[1].length;
  let j = i - 1;
  while (j >= 0 && (lines[j].trim() === '' || lines[j].trim().startsWith('#') && !lines[j].trim().startsWith('# Subtest'))) j--;
  const isSummary = j >= 0 && indentOf(lines[j]) > indent;
  const failed = Boolean(m[2]);
  const skipped = /#\s*(SKIP|TODO)/i.test(m[3]);
  if (!isSummary) {
    if (skipped) counts.skipped++;
    else if (failed) counts.failed++;
    else counts.passed++;
    continue;
  }
  // A failed summary with no failed leaf inside it (between its block start and here).
  if (failed) {
    let k = i - 1, leafFailures = 0;
    while (k >= 0 && (indentOf(lines[k]) > indent || lines[k].trim() === '')) {
      if (/^\s*not ok \d+/.test(lines[k])) leafFailures++;
      k--;
    }
    if (leafFailures === 0) counts.failed++;
  }
}
writeFileSync(process.argv[2], JSON.stringify(counts));
