// The webhook's fastify app (HTTPS in production, plain for inject() tests). Built
// without listening; the caller listens and closes it.
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AdmitDeps } from '../admission/admit.js';
import { limitConnectionsPerClient } from './connection-limit.js';
import { answerProtocolErrors, clientErrorHandler, errorHandling, frameworkErrors } from './errors.js';
import { inFlightLimit } from './in-flight.js';
import { injectRoute, isInjectRoute } from './inject-route.js';
import { depthLimitedJsonParser } from './json-body.js';
import { DEFAULT_LIMITS, MAX_JSON_DEPTH } from './limit-defaults.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { NO_SCHEMA_COMPILERS } from './no-schemas.js';
import { secureContextOptions, type KeyPair } from './tls.js';

/** Above the apiserver's 90 s idle timeout, so the server never closes a connection the client is about to reuse. */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** The defaults of the limit flags, defined once in limit-defaults.ts. */
export { DEFAULT_LIMITS };

export interface WebhookLimits {
  maxBodyBytes?: number;
  maxHeaderBytes?: number;
  requestTimeoutMs?: number;
  /** 0: no cap. */
  maxConnectionsPerClient?: number;
  /** 0: no cap. */
  maxInFlight?: number;
}

export interface WebhookDeps extends AdmitDeps, WebhookLimits {
  logger: Logger;
  metrics: Metrics;
  /** While shutting down, every response carries `Connection: close`. */
  readiness?: Readiness;
  /** Serve HTTPS with this pair; absent: plain HTTP (tests). */
  tls?: KeyPair;
  /** With `tls`: callers must present a certificate signed by a CA in this PEM bundle. */
  clientCa?: string;
}

/** How often Node looks for requests past their timeout (its default, 30 s, would let them run on). */
function checkingInterval(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 4)));
}

export function buildApp(deps: WebhookDeps): FastifyInstance {
  const maxHeaderBytes = deps.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  const requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs;
  // Options of Node's HTTP(S) server: headers and body must arrive within the timeout,
  // and (HTTPS) a TLS handshake too, so silent or slow clients cannot hold sockets.
  const serverLimits = {
    maxHeaderSize: maxHeaderBytes,
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: checkingInterval(requestTimeoutMs),
    // Answered in the JSON shape by errorHandling instead of Node's empty 400.
    requireHostHeader: false,
  };
  const clientAuth = deps.tls && deps.clientCa ? { requestCert: true, rejectUnauthorized: true } : {};
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per admission is written by the route instead of fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests arriving on open keep-alive connections during close are served (with
    // `Connection: close`), not refused with 503: the apiserver would fail the pod.
    return503OnClosing: false,
    schemaController: NO_SCHEMA_COMPILERS,
    frameworkErrors,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: requestTimeoutMs,
    clientErrorHandler: clientErrorHandler({ maxHeaderBytes, requestTimeoutMs }, {
      onHttpError: () => deps.metrics.requests.inc({ result: 'error' }),
      onTlsError: (err, socket) => deps.logger.debug({ remote: socket.remoteAddress, reason: err.message, code: err.code }, 'TLS handshake failed'),
    }),
    ...(deps.tls
      ? { https: { ...secureContextOptions(deps.tls, deps.clientCa), ...clientAuth, ...serverLimits, handshakeTimeout: requestTimeoutMs } }
      : { http: serverLimits }),
  }) as unknown as FastifyInstance;
  answerProtocolErrors(app.server as unknown as HttpServer, () => deps.metrics.requests.inc({ result: 'error' }));
  limitConnectionsPerClient(app.server as unknown as Server, deps.maxConnectionsPerClient ?? DEFAULT_LIMITS.maxConnectionsPerClient,
    () => deps.metrics.shed.inc({ limit: 'max-connections-per-client' }));
  // Only JSON is an AdmissionReview; everything else is answered 415.
  app.removeContentTypeParser('text/plain');
  // The nesting depth is checked before JSON.parse sees the body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, depthLimitedJsonParser(parseJson, MAX_JSON_DEPTH));

  const readiness = deps.readiness;
  if (readiness) {
    // A callback, not an async function: every response passes here.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (readiness.isShuttingDown) reply.header('connection', 'close');
      done(null, payload);
    });
  }
  app.register(errorHandling, {
    onError: (request) => {
      if (isInjectRoute(request.routeOptions.url)) deps.metrics.requests.inc({ result: 'error' });
    },
  });
  app.register(inFlightLimit, {
    max: deps.maxInFlight ?? DEFAULT_LIMITS.maxInFlight,
    onChange: (n: number) => deps.metrics.inFlight.set(n),
    onShed: () => {
      deps.metrics.shed.inc({ limit: 'max-in-flight' });
      deps.metrics.requests.inc({ result: 'error' });
    },
  });
  app.register(injectRoute({ admit: deps, metrics: deps.metrics, maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes }));
  return app;
}
