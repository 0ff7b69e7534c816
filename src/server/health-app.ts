// The plain-HTTP app on the metrics port: liveness, readiness and Prometheus metrics.
// It shares the event loop with the webhook, so it has fixed limits of its own
// (HEALTH_LIMITS): few connections, short header, request and keep-alive timeouts, and a
// /metrics that is cached and paced.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { answerProtocolErrors, clientErrorHandler, errorHandling, frameworkErrors } from './errors.js';
import { HEALTH_LIMITS } from './limit-defaults.js';
import { cachedMetricsText } from './metrics-text.js';
import { NO_SCHEMA_COMPILERS } from './no-schemas.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface HealthDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** Replaces HEALTH_LIMITS (tests). */
  limits?: Partial<typeof HEALTH_LIMITS>;
}

/** Shortest time between two /metrics answers, whoever asks. */
const METRICS_PACE_MS = 50;

export function buildHealthApp(deps: HealthDeps): FastifyInstance {
  const limits = { ...HEALTH_LIMITS, ...deps.limits };
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }), // probes every few seconds: not worth a line each
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.floor(limits.requestTimeoutMs / 4)),
      requireHostHeader: false, // answered in the JSON shape by errorHandling
    },
    schemaController: NO_SCHEMA_COMPILERS,
    frameworkErrors,
    clientErrorHandler: clientErrorHandler({ maxHeaderBytes: limits.maxHeaderBytes, requestTimeoutMs: limits.requestTimeoutMs }),
  }) as unknown as FastifyInstance;
  // Connections over the cap are closed by Node as soon as they are accepted.
  app.server.maxConnections = limits.maxConnections;
  answerProtocolErrors(app.server);
  const metricsText = cachedMetricsText(deps.metrics.registry, { cacheMs: limits.metricsCacheMs, paceMs: METRICS_PACE_MS });
  app.register(errorHandling, {});
  app.register(async function healthRoutes(routes) {
    // Alive as long as the event loop answers.
    routes.get('/healthz', async () => ({ status: 'ok' }));
    routes.get('/readyz', async (_request, reply) => {
      if (deps.readiness.isReady) return { status: 'ready' };
      return reply.code(503).send({ status: 'not-ready', waitingFor: deps.readiness.pending() });
    });
    routes.get('/metrics', async (_request, reply) => {
      const text = await metricsText();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  });
  return app;
}
