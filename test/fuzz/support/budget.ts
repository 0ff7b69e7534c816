// How many cases each fuzz target runs, and the seed, in one place. `npm test` runs the
// small default budget; `FUZZ_RUNS=10000 npx tap test/fuzz` is the long mode. FUZZ_SEED
// replays a run: fast-check prints the seed (and the shrunk case's path) on failure.
// FUZZ_REPORT=FILE appends each target's figures to FILE as JSON lines.
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}=${JSON.stringify(raw)}: expected a positive integer`);
  return n;
}

/** Set by FUZZ_RUNS: every target runs this many cases instead of its own small default. */
const overrideRuns = process.env.FUZZ_RUNS === undefined ? undefined : positiveInt('FUZZ_RUNS', process.env.FUZZ_RUNS, 1);
export const FUZZ_SEED = positiveInt('FUZZ_SEED', process.env.FUZZ_SEED, 0x5eed_1e);
/** True in the long mode: the exhaustive sweeps cover every fixture, not one. */
export const LONG_MODE = overrideRuns !== undefined && overrideRuns >= 1000;

/** Cases for one target: FUZZ_RUNS when set, else the target's `npm test` budget. */
function runsFor(shortBudget: number): number {
  return overrideRuns ?? shortBudget;
}

/** fast-check parameters: the fixed seed and the budget. */
export function fuzzParameters<T>(shortBudget: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runsFor(shortBudget), ...extra };
}

/** The line each target prints so a run can be repeated exactly. */
export function replayHint(target: string, runs: number): string {
  return `${target}: ${runs} cases, seed ${FUZZ_SEED} (replay: FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${runs})`;
}

/**
 * The time limit for one fuzz file (tap's default is 30 s): generous in `npm test`, where
 * the machine may be loaded, and hours in the long mode.
 */
export const FILE_TIMEOUT_MS = LONG_MODE ? 6 * 3600_000 : 180_000;

/** One target's figures: cases run and property violations found (fast-check stops at the first). */
export interface TargetFigures {
  target: string;
  cases: number;
  violations: number;
  seed: number;
}

const figures: TargetFigures[] = [];

/** Records a target's figures for the file's report (see writeFigures). */
export function recordFigures(target: string, cases: number, violations: number): void {
  figures.push({ target, cases, violations, seed: FUZZ_SEED });
}

/**
 * Runs one fuzz target with its parameters and records its figures, a failure included
 * (then rethrown, with fast-check's seed and counterexample in the message).
 */
export async function fuzzTarget<T>(target: string, shortBudget: number, run: (params: fc.Parameters<T>) => void | Promise<void>): Promise<string> {
  const params = fuzzParameters<T>(shortBudget);
  try {
    await run(params);
  } catch (err) {
    recordFigures(target, params.numRuns!, 1);
    throw err;
  }
  recordFigures(target, params.numRuns!, 0);
  return replayHint(target, params.numRuns!);
}

/**
 * With FUZZ_REPORT=FILE, appends one JSON line per target of this file (figures plus the
 * process's max RSS and heap growth), for a report built from the run itself.
 */
export function writeFigures(file: string, memory: { maxRss: number; growth: number }): void {
  const path = process.env.FUZZ_REPORT;
  if (!path) return;
  const lines = figures.map((f) => JSON.stringify({ file, ...f, maxRssBytes: memory.maxRss, heapGrowthBytes: memory.growth, long: LONG_MODE }));
  appendFileSync(path, lines.map((l) => `${l}\n`).join(''));
}
