// The plain-HTTP app on the metrics port: liveness, readiness and Prometheus metrics.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorHandling } from './errors.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface HealthDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
}

export function buildHealthApp(deps: HealthDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }), // probes every few seconds: not worth a line each
  }) as unknown as FastifyInstance;
  app.register(errorHandling, {});
  app.register(async function healthRoutes(routes) {
    // Alive as long as the event loop answers.
    routes.get('/healthz', async () => ({ status: 'ok' }));
    routes.get('/readyz', async (_request, reply) => {
      if (deps.readiness.isReady) return { status: 'ready' };
      return reply.code(503).send({ status: 'not-ready', waitingFor: deps.readiness.pending() });
    });
    routes.get('/metrics', async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    });
  });
  return app;
}
