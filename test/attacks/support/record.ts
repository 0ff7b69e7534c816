// The attack tests' one output: with RELIABILITY_RESULTS set (test/e2e/reliability.js sets
// it), each writes $RELIABILITY_RESULTS/attack-<id>.json for the "Attacks" section of
// RELIABILITY.md. Without it nothing is written.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AttackResult {
  /** The defect's number in issue 10. */
  id: number;
  defect: string;
  attack: string;
  /** The figure measured before the fix (from the issue). */
  before: string;
  /** The figure this run measured. */
  after: string;
  /** The test file that guards it. */
  test: string;
}

export function recordAttack(result: AttackResult): void {
  const dir = process.env.RELIABILITY_RESULTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `attack-${result.id}.json`), `${JSON.stringify(result, null, 2)}\n`);
}
