// Writes one attack's figures to $RELIABILITY_RESULTS/attack-<id>.json, for RELIABILITY.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function recordAttack(r: { id: number; defect: string; attack: string; before: string; after: string; test: string }): void {
  const dir = process.env.RELIABILITY_RESULTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `attack-${r.id}.json`), `${JSON.stringify(r, null, 2)}\n`);
}
