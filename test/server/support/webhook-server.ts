// The real webhook server (startWebhookServer) over TLS on free ports, with a fake engine
// that injects LABEL_PATCH into every pod: what the server tests over a real socket share.
import type { Test } from 'tap';
import type { NamespaceSource } from '../../../src/admission/admit.js';
import { createMetrics, type Metrics } from '../../../src/server/metrics.js';
import { Readiness } from '../../../src/server/readiness.js';
import { startWebhookServer, type ListenOptions, type RunningWebhook } from '../../../src/server/start.js';
import type { KeyPair } from '../../../src/server/tls.js';
import { captureLogs, enabledNamespaces, FAKE_SNAPSHOT, LABEL_PATCH, outcome } from './harness.js';

export interface WebhookServerOptions {
  /** Overrides of the listen options (body size, connection and in-flight limits, ...). */
  limits?: Partial<ListenOptions>;
  namespaces?: NamespaceSource;
  logger?: ReturnType<typeof captureLogs>['logger'];
  clientCa?: string;
}

/** Starts the server (closed when `t` ends). */
export async function startInjectingServer(t: Test, pair: KeyPair, options: WebhookServerOptions = {}): Promise<{ running: RunningWebhook; metrics: Metrics; port: number }> {
  const metrics = createMetrics({ processMetrics: false });
  const parts = {
    logger: options.logger ?? captureLogs().logger, metrics, readiness: new Readiness([]),
    admit: {
      snapshot: () => FAKE_SNAPSHOT, namespaces: options.namespaces ?? enabledNamespaces(),
      evaluate: () => outcome({ inject: true, reason: 'namespace-enabled' as const, patch: LABEL_PATCH }),
    },
  };
  const running = await startWebhookServer(parts, {
    address: '127.0.0.1', port: 0, metricsPort: 0, maxBodyBytes: 8 << 20, shutdownDelayMs: 0, shutdownTimeoutMs: 5000, ...options.limits,
  }, pair, options.clientCa);
  t.teardown(() => running.app.close());
  return { running, metrics, port: running.address.port };
}
