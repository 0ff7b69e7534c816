// POST /inject: the admission webhook. Decodes the review (the body is parsed once by
// fastify's JSON parser and never re-serialized), admits the pod, answers in the
// request's version, and writes one log line and the metrics for it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admit, type Admission, type AdmitDeps } from '../admission/admit.js';
import { decodeReview, type AdmissionRequest } from '../admission/review.js';
import { encodeResponse, responseJson } from '../admission/response.js';
import { DEFAULT_LIMITS } from './limit-defaults.js';
import type { Metrics } from './metrics.js';

export const INJECT_PATH = '/inject';
/** Below it: Istio's remote clusters call /inject/cluster/<id>/net/<network> (istio/path-env.ts). */
const INJECT_SUBPATHS = `${INJECT_PATH}/*`;

/**
 * Longest uid or pod name written to a log line: a Kubernetes name is at most 253
 * characters, a uid 36; anything longer comes from a hostile or broken client and is cut
 * (README "Limits").
 */
export const MAX_LOGGED_NAME = 253;

/** `text` cut to MAX_LOGGED_NAME characters, saying how much was left out. */
export function boundForLog(text: string | undefined): string | undefined {
  if (typeof text !== 'string' || text.length <= MAX_LOGGED_NAME) return text;
  return `${text.slice(0, MAX_LOGGED_NAME)}...(${text.length - MAX_LOGGED_NAME} more characters)`;
}

export interface InjectRouteOptions {
  admit: AdmitDeps;
  metrics: Metrics;
  /** Largest accepted body (fastify's default of 1 MiB is too small for big pods). */
  maxBodyBytes?: number;
}

function logAdmission(request: FastifyRequest, reply: FastifyReply, req: AdmissionRequest, admission: Admission): void {
  const fields = {
    uid: boundForLog(req.uid),
    kind: req.kind.kind,
    operation: req.operation,
    namespace: boundForLog(admission.namespace),
    pod: boundForLog(admission.pod.name),
    owner: admission.pod.ownerKind,
    decision: admission.result,
    reason: admission.reason,
    message: admission.message,
    warnings: admission.verdict.warnings?.length || undefined,
    dryRun: req.dryRun,
    durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
  };
  if (admission.result === 'error') request.log.error(fields, 'admission');
  else request.log.info(fields, 'admission');
}

export function injectRoute(opts: InjectRouteOptions) {
  const { metrics } = opts;
  // Every answer on this route, errors included, counts towards the latency histogram. A
  // hook of the route alone (a callback, not an async function: no promise per request).
  const observeDuration = (_request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    metrics.duration.observe(reply.elapsedTime / 1000);
    done();
  };
  return async function injectRoutePlugin(app: FastifyInstance): Promise<void> {
    const options = { bodyLimit: opts.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes, onResponse: observeDuration };
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<string> => {
      const review = decodeReview(request.body); // ReviewError → 400 via the error handler
      const admission = await admit(review.request, opts.admit, pathBeyondInject(request.url));
      metrics.requests.inc({ result: admission.result });
      if (admission.result === 'skipped') metrics.skipped.inc({ reason: admission.reason });
      logAdmission(request, reply, review.request, admission);
      opts.admit.onAdmission?.(review.request, admission);
      reply.type('application/json; charset=utf-8');
      return responseJson(encodeResponse(review.apiVersion, review.request.uid, admission.verdict));
    };
    app.post(INJECT_PATH, options, handler);
    app.post(INJECT_SUBPATHS, options, handler);
  };
}

/** Whether a route is the webhook's (errors there count as admissions). */
export function isInjectRoute(url: string | undefined): boolean {
  return url === INJECT_PATH || url === INJECT_SUBPATHS;
}

/** The request's path when it says more than INJECT_PATH (the apiserver adds `?timeout=`); else undefined. */
function pathBeyondInject(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path === INJECT_PATH ? undefined : path;
}
