// Overload shedding: at most `max` admissions are handled at once; a request beyond that
// is answered at once with 503, a JSON error and Retry-After, before its body is read.
// The apiserver treats a 503 as a failed webhook call and applies failurePolicy, so a
// quick "no" replaces an answer that would arrive after its timeout, and the bodies held
// in memory stay bounded by max × --max-body-bytes.
import type { FastifyInstance } from 'fastify';
import { HttpError, sendError } from './errors.js';
import { rootPlugin } from './plugin.js';
import { onRequestEnd } from './request-end.js';

/** Seconds a shed caller is asked to wait; the apiserver does not retry by itself, controllers do. */
export const RETRY_AFTER_SECONDS = 1;

export interface InFlightOptions {
  /** Requests handled at once; 0 or less: no limit (only counted). */
  max: number;
  /** Requests being handled now changed (for the gauge). */
  onChange?: (inFlight: number) => void;
  /** A request was shed. */
  onShed?: () => void;
}

export const inFlightLimit = rootPlugin('in-flight-limit', async (app: FastifyInstance, opts: InFlightOptions) => {
  let inFlight = 0;
  app.addHook('onRequest', (request, reply, done) => {
    if (opts.max > 0 && inFlight >= opts.max) {
      opts.onShed?.();
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      sendError(reply, new HttpError('overloaded',
        `the injector is handling ${inFlight} admissions, its limit (--max-in-flight ${opts.max}); retry in ${RETRY_AFTER_SECONDS} s`));
      return; // not counted: it holds nothing
    }
    inFlight++;
    opts.onChange?.(inFlight);
    // Every way a request can end frees its slot, a queued pipelined one on a lost socket too.
    onRequestEnd(request.raw, reply.raw, () => {
      inFlight--;
      opts.onChange?.(inFlight);
    });
    done();
  });
});
