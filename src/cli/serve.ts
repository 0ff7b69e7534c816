// `sidecar-injector serve`: reads the settings, starts the health app, loads the
// configuration and the certificate, serves the webhook, and shuts down gracefully on
// SIGTERM/SIGINT. Resolves the process exit code (0 clean, 1 failure, 2 usage).
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PodEvaluator } from '../admission/admit.js';
import { evaluatePod } from '../injection/engine.js';
import { watchCertificates, watchClientCa, type CertificateWatcher } from '../server/cert-watcher.js';
import { createLogger } from '../server/logger.js';
import { createMetrics } from '../server/metrics.js';
import { Readiness } from '../server/readiness.js';
import { openSources, type OpenSourcesOptions, type Sources } from '../server/sources.js';
import { startHealthServer, startWebhookServer, stopServers, type ServerParts } from '../server/start.js';
import { checkClientCa, checkKeyPair, readClientCa, readKeyPair, type KeyPair } from '../server/tls.js';
import { loadServeSettings, SERVE_HELP, SettingsError, type ServeSettings } from '../settings.js';
import { openAdmissionEvents, type AdmissionEventsHandle } from './serve-events.js';

export interface ServeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function runServe(argv: string[], io: ServeIo = process): Promise<number> {
  let settings: ServeSettings;
  try {
    const parsed = loadServeSettings(argv);
    if (parsed.help) {
      io.stdout.write(SERVE_HELP);
      return 0;
    }
    settings = parsed.settings;
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    io.stderr.write(`sidecar-injector serve: ${err.message}\n`);
    return err.exitCode;
  }
  const logger = createLogger(settings.logLevel);
  return serve(settings, logger);
}

/** Replacements for the engine and its inputs (tests run the real server around fakes). */
export interface ServeOverrides extends OpenSourcesOptions {
  evaluate?: PodEvaluator;
}

/** Runs the server with validated settings until a signal stops it. */
export async function serve(settings: ServeSettings, logger: Logger, overrides: ServeOverrides = {}): Promise<number> {
  const metrics = createMetrics();
  const readiness = new Readiness();
  let sources: Sources | undefined;
  let watcher: CertificateWatcher | undefined;
  let caWatcher: CertificateWatcher | undefined;
  let health: FastifyInstance | undefined;
  let webhook: FastifyInstance | undefined;
  let events: AdmissionEventsHandle | undefined;
  const parts: ServerParts = {
    logger, metrics, readiness,
    admit: {
      snapshot: () => sources?.config.current(),
      namespaces: { get: (name) => sources!.namespaces.get(name) },
      evaluate: overrides.evaluate ?? evaluatePod,
      onAdmission: (request, admission) => events?.observe(request, admission),
    },
  };
  try {
    logger.info({ kube: settings.kube.mode, config: settings.config, namespace: settings.namespace }, 'starting');
    // Probes answer from the start: /readyz says what is still loading.
    health = await startHealthServer(parts, settings);
    logger.info({ url: `http://${settings.address}:${portOf(health)}` }, 'health and metrics listening (/healthz, /readyz, /metrics)');

    sources = await openSources(settings, logger, metrics, readiness, overrides);
    events = await openAdmissionEvents(settings, logger);
    const pair = await initialKeyPair(settings, logger);
    const clientCa = settings.clientCaFile ? await initialClientCa(settings.clientCaFile, logger) : undefined;
    readiness.satisfy('certificate');
    const running = await startWebhookServer(parts, settings, pair, clientCa);
    webhook = running.app;
    if (settings.tls) watcher = followCertificates(settings, pair, running.setKeyPair, logger);
    if (settings.clientCaFile && clientCa) caWatcher = followClientCa(settings, settings.clientCaFile, clientCa, running.setClientCa, logger);
    logger.info({ url: `https://${settings.address}:${running.address.port}/inject`, clientAuth: clientCa !== undefined }, 'webhook listening');

    const signal = await nextSignal().received;
    logger.info({ signal }, 'signal received');
    // A second signal does not wait for in-flight requests any more.
    const force = new AbortController();
    const second = nextSignal();
    void second.received.then((again) => { logger.warn({ signal: again }, 'second signal'); force.abort(); });
    try {
      return await stopServers(parts, settings, webhook, health, force.signal);
    } finally {
      second.cancel();
    }
  } catch (err) {
    logger.fatal({ err }, `cannot serve: ${(err as Error).message}`);
    await Promise.allSettled([webhook?.close(), health?.close()]);
    return 1;
  } finally {
    watcher?.close();
    caWatcher?.close();
    sources?.close();
    await events?.close();
  }
}

function portOf(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : undefined;
}

/** The next SIGTERM or SIGINT (while listening, they do not end the process). */
function nextSignal(): { received: Promise<NodeJS.Signals>; cancel(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const cancel = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  const received = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => { cancel(); resolve(signal); };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { received, cancel };
}

/** The configured pair, checked; or a fresh self-signed one with its CA written out. */
async function initialKeyPair(settings: ServeSettings, logger: Logger): Promise<KeyPair> {
  if (settings.tls) {
    const pair = await readKeyPair(settings.tls);
    const info = checkKeyPair(pair);
    logger.info({ certFile: settings.tls.certFile, ...info }, 'certificate loaded');
    return pair;
  }
  // Loaded only when needed: the X.509 library is ~25 MB of RSS a server with files never uses.
  const { generateSelfSigned, writeCaFile } = await import('../server/self-signed.js');
  const generated = await generateSelfSigned(settings.serviceName, settings.namespace);
  await writeCaFile(settings.caOut, generated.caCertPem);
  logger.info({ caFile: settings.caOut, ...checkKeyPair(generated.pair) },
    'no --tls-cert-file: generated a self-signed certificate; its CA is in caFile (use it as the webhook caBundle)');
  return generated.pair;
}

function followCertificates(settings: ServeSettings, initial: KeyPair, apply: (pair: KeyPair) => void, logger: Logger): CertificateWatcher {
  return watchCertificates({
    files: settings.tls!,
    initial,
    pollIntervalMs: settings.certPollIntervalMs,
    onReload(pair, info) {
      apply(pair);
      logger.info({ ...info }, 'certificate reloaded: new connections use it');
    },
    onRejected(error) {
      logger.error({ reason: error.message }, 'certificate change rejected: keeping the current certificate');
    },
  });
}

/** The client CA bundle, checked (a bad one stops the start: the port would refuse everyone). */
async function initialClientCa(file: string, logger: Logger): Promise<string> {
  const pem = await readClientCa(file);
  const info = checkClientCa(pem);
  logger.info({ clientCaFile: file, ...info }, 'client CA loaded: the webhook port requires client certificates signed by it');
  return pem;
}

function followClientCa(settings: ServeSettings, file: string, initial: string, apply: (pem: string) => void, logger: Logger): CertificateWatcher {
  return watchClientCa({
    file,
    initial,
    pollIntervalMs: settings.certPollIntervalMs,
    onReload(pem, info) {
      apply(pem);
      logger.info({ clientCaFile: file, ...info }, 'client CA reloaded: new connections are checked against it');
    },
    onRejected(error) {
      logger.error({ clientCaFile: file, reason: error.message }, 'client CA change rejected: keeping the current one');
    },
  });
}
