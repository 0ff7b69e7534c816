// Waiting on a condition with a deadline: the one way the tests wait (never a bare sleep).

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 20 ms). */
  intervalMs?: number;
  /**
   * A probe that throws counts as "not yet", and its last error is quoted if the deadline
   * passes (for probes of a cluster that may refuse while it converges). Default: the
   * error fails the wait at once.
   */
  retryErrors?: boolean;
}

export type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/**
 * Calls `probe` until it returns a truthy value, and resolves that value. `options` may be
 * the timeout in milliseconds alone.
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, options: number | WaitOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, retryErrors = false } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${lastError})`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
