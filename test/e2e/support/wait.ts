// Polling with a deadline: the only way the e2e suite waits for the cluster. No fixed sleeps.

export interface WaitOptions {
  /** Give up after this long (default 60 s: controllers retry with backoff). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than undefined/false, and returns that.
 * A probe that throws counts as "not yet"; its last error is quoted if the deadline passes,
 * so a timeout says what was seen last, not only what was awaited.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 250 }: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'the condition was never met';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
