// Graceful shutdown of the webhook: readiness fails at once; after an optional delay
// (time for the Service's endpoints to drop this pod) the listener closes, idle
// keep-alive connections are closed, in-flight requests finish and their responses carry
// `Connection: close`. Past the deadline the remaining connections are cut and the
// result is non-zero.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { closeWhenIdle } from './connections.js';
import type { Readiness } from './readiness.js';

export interface ShutdownOptions {
  readiness: Readiness;
  webhook: FastifyInstance;
  /** Closed last, so /readyz reports the shutdown while the webhook drains. */
  health?: FastifyInstance;
  delayMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Aborting (e.g. a second signal) acts like the deadline passing now. */
  force?: AbortSignal;
}

/** Resolves 0 when everything closed in time, 1 when the deadline cut connections. */
export async function shutDown(opts: ShutdownOptions): Promise<number> {
  const started = Date.now();
  opts.readiness.beginShutdown();
  opts.logger.info({ delayMs: opts.delayMs, timeoutMs: opts.timeoutMs }, 'shutting down: readiness off, draining');

  let deadline: NodeJS.Timeout | undefined;
  let onForce: (() => void) | undefined;
  const timedOut = new Promise<number>((resolve) => {
    const cut = (why: string) => {
      opts.logger.error({ timeoutMs: opts.timeoutMs }, `${why}: closing the remaining connections`);
      (opts.webhook.server as Server).closeAllConnections();
      resolve(1);
    };
    deadline = setTimeout(() => cut('shutdown deadline passed'), opts.timeoutMs);
    onForce = () => cut('shutdown forced');
    if (opts.force?.aborted) onForce();
    else opts.force?.addEventListener('abort', onForce, { once: true });
  });

  const drained = (async () => {
    if (opts.delayMs > 0) await sleep(opts.delayMs);
    // Let bytes already received this turn be parsed, so a request that arrived just
    // before the signal counts as in flight rather than its connection as idle.
    await nextTurn();
    // close() stops listening, closes idle connections and waits for the rest; sockets it
    // does not know (spares without a request, handshakes) go once nothing is in flight.
    const closed = opts.webhook.close();
    await closeWhenIdle(opts.webhook.server);
    await closed;
    return 0;
  })();

  const code = await Promise.race([drained, timedOut]);
  clearTimeout(deadline);
  if (onForce) opts.force?.removeEventListener('abort', onForce);
  await opts.health?.close();
  opts.logger.info({ code, durationMs: Date.now() - started }, code === 0 ? 'shutdown complete' : 'shutdown cut short');
  return code;
}
