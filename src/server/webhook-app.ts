// The webhook's fastify app (HTTPS in production, plain for inject() tests). Built
// without listening; the caller listens and closes it.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AdmitDeps } from '../admission/admit.js';
import { errorHandling } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES, INJECT_PATH, injectRoute } from './inject-route.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { TLS_MIN_VERSION, type KeyPair } from './tls.js';

/** Above the apiserver's 90 s idle timeout, so the server never closes a connection the client is about to reuse. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** The apiserver gives a webhook at most 30 s; a request still unfinished then is abandoned anyway. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 20_000;

export interface WebhookDeps extends AdmitDeps {
  logger: Logger;
  metrics: Metrics;
  /** While shutting down, every response carries `Connection: close`. */
  readiness?: Readiness;
  maxBodyBytes?: number;
  /** Serve HTTPS with this pair; absent: plain HTTP (tests). */
  tls?: KeyPair;
}

export function buildApp(deps: WebhookDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per admission is written by the route instead of fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests arriving on open keep-alive connections during close are served (with
    // `Connection: close`), not refused with 503: the apiserver would fail the pod.
    return503OnClosing: false,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    ...(deps.tls ? { https: { key: deps.tls.key, cert: deps.tls.cert, minVersion: TLS_MIN_VERSION } } : {}),
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  // Only JSON is an AdmissionReview; everything else is answered 415.
  app.removeContentTypeParser('text/plain');

  const readiness = deps.readiness;
  if (readiness) {
    app.addHook('onSend', async (_request, reply) => {
      if (readiness.isShuttingDown) reply.header('connection', 'close');
    });
  }
  app.register(errorHandling, {
    onError: (request) => {
      if (request.routeOptions.url === INJECT_PATH) deps.metrics.requests.inc({ result: 'error' });
    },
  });
  app.register(injectRoute({ admit: deps, metrics: deps.metrics, maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }));
  return app;
}
