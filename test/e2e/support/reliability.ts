// One row of RELIABILITY.md per fault scenario. Each scenario records its figures here:
// they are printed as a tap comment, and written as JSON to $RELIABILITY_RESULTS (when
// set) for test/e2e/reliability.js to turn into the table.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import type { Load, LoadCounts } from './load.js';
import type { ServeProcess } from './serve-process.js';

export interface ReliabilityRow {
  /** Fixed order of the rows in the table. */
  order: number;
  scenario: string;
  sent: number;
  succeeded: number;
  failed: number;
  lost: number;
  shed: number;
  /** Exits of the injector nobody asked for. */
  crashes: number;
  /** Peak resident memory of the injector process (VmHWM), bytes. */
  maxRssBytes: number;
  durationS: number;
  notes: string;
}

export function row(order: number, scenario: string, counts: LoadCounts, extra: { crashes: number; maxRssBytes: number; durationS: number; notes: string }): ReliabilityRow {
  return {
    order, scenario,
    sent: counts.sent, succeeded: counts.succeeded, failed: counts.failed, lost: counts.lost, shed: counts.shed,
    ...extra,
  };
}

export function recordRow(t: Test, data: ReliabilityRow): void {
  const mib = (data.maxRssBytes / 1024 / 1024).toFixed(1);
  t.comment(`reliability: ${data.scenario}: sent ${data.sent}, succeeded ${data.succeeded}, failed ${data.failed}, lost ${data.lost}, `
    + `shed ${data.shed}, crashes ${data.crashes}, max RSS ${mib} MiB, ${data.durationS.toFixed(1)} s; ${data.notes}`);
  const dir = process.env.RELIABILITY_RESULTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const slug = `${String(data.order).padStart(2, '0')}-${data.scenario.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
  writeFileSync(path.join(dir, `${slug}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

/** Every request of a load answered well: none lost, none failed, all succeeded. */
export function assertClean(t: Test, counts: LoadCounts, load: Load, what: string): void {
  t.equal(counts.lost, 0, `${what}: no request lost`, { problems: load.problems() });
  t.equal(counts.failed, 0, `${what}: no request failed`, { problems: load.problems() });
  t.equal(counts.succeeded, counts.sent, `${what}: all ${counts.sent} requests succeeded`);
}

/** End of a scenario the injector must survive: it still runs, then exits 0 on SIGTERM. Resolves its crashes. */
export async function assertSurvivedAndStop(t: Test, server: ServeProcess): Promise<number> {
  t.ok(server.isRunning, 'the injector is still running');
  const crashes = server.crashes;
  t.equal(await server.stop(), 0, 'and exits 0 on SIGTERM');
  return crashes;
}
