// Puts the two apps on the network: the HTTPS webhook and the plain-HTTP health/metrics
// app, plus the certificate swap and the shutdown sequence that go with them.
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AdmitDeps } from '../admission/admit.js';
import { buildHealthApp } from './health-app.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { trackConnections } from './connections.js';
import { shutDown } from './shutdown.js';
import { secureContextOptions, type KeyPair } from './tls.js';
import { buildApp, type WebhookLimits } from './webhook-app.js';

export interface ListenOptions extends WebhookLimits {
  address: string;
  port: number;
  metricsPort: number;
  maxBodyBytes: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

export interface ServerParts {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  admit: AdmitDeps;
}

/** The health app, listening; started first so probes answer while the rest loads. */
export async function startHealthServer(parts: ServerParts, options: Pick<ListenOptions, 'address' | 'metricsPort'>): Promise<FastifyInstance> {
  const health = buildHealthApp(parts);
  await health.listen({ host: options.address, port: options.metricsPort });
  return health;
}

export interface RunningWebhook {
  app: FastifyInstance;
  address: AddressInfo;
  /** Serves `pair` to new TLS connections from now on; open connections keep theirs. */
  setKeyPair(pair: KeyPair): void;
  /** New TLS connections must present a certificate signed by this bundle (only with client authentication on). */
  setClientCa(pem: string): void;
}

/**
 * Listens with `pair`; with `clientCa`, callers must present a certificate signed by it
 * (client authentication cannot be switched on or off later, only its CA replaced).
 */
export async function startWebhookServer(parts: ServerParts, options: ListenOptions, pair: KeyPair, clientCa?: string): Promise<RunningWebhook> {
  const app = buildApp({
    ...parts.admit,
    logger: parts.logger,
    metrics: parts.metrics,
    readiness: parts.readiness,
    maxBodyBytes: options.maxBodyBytes,
    maxHeaderBytes: options.maxHeaderBytes,
    requestTimeoutMs: options.requestTimeoutMs,
    maxConnectionsPerClient: options.maxConnectionsPerClient,
    maxInFlight: options.maxInFlight,
    tls: pair,
    clientCa,
  });
  trackConnections(app.server);
  await app.listen({ host: options.address, port: options.port });
  // Ready only now: a Service endpoint must never point at a port nobody listens on.
  parts.readiness.satisfy('listening');
  const server = app.server as unknown as HttpsServer;
  // The secure context is replaced as a whole: keep both parts to rebuild it.
  let current = { pair, clientCa };
  return {
    app,
    address: server.address() as AddressInfo,
    setKeyPair(next) {
      current = { ...current, pair: next };
      server.setSecureContext(secureContextOptions(current.pair, current.clientCa));
    },
    setClientCa(pem) {
      if (current.clientCa === undefined) throw new Error('client authentication is off: start with a client CA to replace it later');
      current = { ...current, clientCa: pem };
      server.setSecureContext(secureContextOptions(current.pair, current.clientCa));
    },
  };
}

/** Drains and closes both servers; resolves the process exit code. */
export function stopServers(parts: ServerParts, options: ListenOptions, webhook: FastifyInstance, health?: FastifyInstance, force?: AbortSignal): Promise<number> {
  return shutDown({
    force,
    readiness: parts.readiness,
    webhook,
    health,
    delayMs: options.shutdownDelayMs,
    timeoutMs: options.shutdownTimeoutMs,
    logger: parts.logger,
  });
}
