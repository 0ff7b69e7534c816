// Polling with a deadline: the only way the e2e suite waits for the cluster. No fixed sleeps.
// The tests' one waitFor (test/support/wait.ts), with the cluster's defaults: a longer
// deadline (controllers retry with backoff), a slower pace, and errors retried.
import { waitFor as waitUntil, type Truthy } from '../../support/wait.js';

export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns a truthy value, and returns that. A probe that throws
 * counts as "not yet"; its last error is quoted if the deadline passes, so a timeout says
 * what was seen last, not only what was awaited.
 */
export function waitFor<T>(what: string, probe: () => T | Promise<T>, { timeoutMs = 60_000, intervalMs = 250 }: WaitOptions = {}): Promise<Truthy<T>> {
  return waitUntil(what, probe, { timeoutMs, intervalMs, retryErrors: true });
}
