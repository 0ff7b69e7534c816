// `sidecar-injector serve`: reads the settings, starts the health app, loads the
// configuration and the certificate, serves the webhook, and shuts down gracefully on
// SIGTERM/SIGINT. Resolves the process exit code (0 clean, 1 failure, 2 usage).
import type { FastifyInstance } from 'fastify';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterVersionWatcher } from '../cluster/cluster-version.js';
import type { PodEvaluator } from '../admission/admit.js';
import { evaluatePod } from '../injection/engine.js';
import { UNKNOWN_CLUSTER, type ClusterInfo } from '../injection/native-sidecar.js';
import { watchCertificates, watchClientCa, type CertificateWatcher } from '../server/cert-watcher.js';
import { createLogger } from '../server/logger.js';
import { createMetrics, type CertificateKind, type Metrics } from '../server/metrics.js';
import { Readiness } from '../server/readiness.js';
import { startHealthServer, startWebhookServer, stopServers, type ServerParts } from '../server/start.js';
import { checkClientCa, checkKeyPair, readClientCa, readKeyPair, validityProblem, type CertificateInfo, type KeyPair } from '../server/tls.js';
import { UsageError } from './command.js';
import { loadServeSettings, SERVE_HELP, type ServeSettings } from './serve-flags.js';
import { openSources, type OpenSourcesOptions, type Sources } from './serve-wiring.js';
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
    if (!(err instanceof UsageError)) throw err;
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
  // The cluster for native-sidecar auto: --kubernetes-version, else read from the apiserver.
  let cluster: { current(): ClusterInfo; close?(): void } = settings.kubernetesVersion !== undefined
    ? { current: () => ({ kubernetesVersion: settings.kubernetesVersion!, oldestKubeletVersion: null }) }
    : { current: () => UNKNOWN_CLUSTER };
  let events: AdmissionEventsHandle | undefined;
  const parts: ServerParts = {
    logger, metrics, readiness,
    admit: {
      snapshot: () => sources?.config.current(),
      namespaces: { get: (name) => sources!.namespaces.get(name) },
      evaluate: overrides.evaluate ?? ((pod, namespace, snapshot, request) => evaluatePod(pod, namespace, snapshot, request, { cluster: cluster.current() })),
      onAdmission: (request, admission) => events?.observe(request, admission),
    },
  };
  // Installed before anything slow, so a SIGTERM during start stops it cleanly instead of
  // killing the process with the default action.
  const first = nextSignal();
  let signalled: NodeJS.Signals | undefined;
  const startAborted = first.received.then((signal) => { signalled = signal; throw new StartAborted(signal); });
  startAborted.catch(() => {});
  /** A startup step, abandoned (and whatever it opens later closed) if a signal comes first. */
  const step = <T>(work: Promise<T>, cleanup?: (value: T) => unknown): Promise<T> => {
    work.then((value) => { if (signalled) void cleanup?.(value); }, () => {});
    return Promise.race([work, startAborted]);
  };
  try {
    logger.info({ kube: settings.kube.mode, config: settings.config, namespace: settings.namespace }, 'starting');
    // Probes answer from the start: /readyz says what is still loading.
    health = await step(startHealthServer(parts, settings), (app) => app.close());
    logger.info({ url: `http://${settings.address}:${portOf(health)}` }, 'health and metrics listening (/healthz, /readyz, /metrics)');

    sources = await step(openSources(settings, logger, metrics, readiness, overrides), (opened) => opened.close());
    if (settings.kubernetesVersion === undefined && sources.connection) {
      cluster = await step(watchClusterVersion(sources.connection.kubeConfig, logger), (watcher) => watcher.close());
    }
    events = await step(openAdmissionEvents(settings, sources.connection, logger), (opened) => opened?.close());
    const { pair, info } = await step(initialKeyPair(settings, logger));
    const clientCa = settings.clientCaFile ? await step(initialClientCa(settings.clientCaFile, logger, metrics)) : undefined;
    // Not ready while the only certificate is expired or not yet valid: every caller's
    // TLS check would fail. A valid replacement (followCertificates) makes it ready.
    if (servingValidity(info, logger, metrics, () => readiness.satisfy('certificate'))) readiness.satisfy('certificate');
    const running = await step(startWebhookServer(parts, settings, pair, clientCa), (started) => started.app.close());
    webhook = running.app;
    if (settings.tls) {
      watcher = followCertificates(settings, pair, (next) => { running.setKeyPair(next); readiness.satisfy('certificate'); }, logger, metrics);
    }
    if (settings.clientCaFile && clientCa) caWatcher = followClientCa(settings, settings.clientCaFile, clientCa, running.setClientCa, logger, metrics);
    logger.info({ url: `https://${settings.address}:${running.address.port}/inject`, clientAuth: clientCa !== undefined }, 'webhook listening');

    const signal = await first.received;
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
    if (err instanceof StartAborted) {
      logger.info({ signal: err.signal }, 'signal received while starting: stopped');
      await Promise.allSettled([webhook?.close(), health?.close()]);
      return 0;
    }
    logger.fatal({ err }, `cannot serve: ${(err as Error).message}`);
    await Promise.allSettled([webhook?.close(), health?.close()]);
    return 1;
  } finally {
    first.cancel();
    watcher?.close();
    caWatcher?.close();
    sources?.close();
    cluster.close?.();
    await events?.close();
  }
}

/** A SIGTERM or SIGINT came before the server was up. */
class StartAborted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal} while starting`);
  }
}

/** Reads the apiserver's and nodes' versions now (never fails: unknown until read) and every few minutes. */
async function watchClusterVersion(kubeConfig: KubeConfig, logger: Logger): Promise<ClusterVersionWatcher> {
  const { ClusterVersionWatcher, kubeVersionReader } = await import('../cluster/cluster-version.js');
  const watcher = new ClusterVersionWatcher(kubeVersionReader(kubeConfig), logger);
  await watcher.start();
  return watcher;
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
async function initialKeyPair(settings: ServeSettings, logger: Logger): Promise<{ pair: KeyPair; info: CertificateInfo }> {
  if (settings.tls) {
    const pair = await readKeyPair(settings.tls);
    const info = checkKeyPair(pair);
    logger.info({ certFile: settings.tls.certFile, ...info }, 'certificate loaded');
    return { pair, info };
  }
  // Loaded only when needed: the X.509 library is ~25 MB of RSS a server with files never uses.
  const { generateSelfSigned, writeCaFile } = await import('../server/self-signed.js');
  const generated = await generateSelfSigned(settings.serviceName, settings.namespace);
  await writeCaFile(settings.caOut, generated.caCertPem);
  const info = checkKeyPair(generated.pair);
  logger.info({ caFile: settings.caOut, ...info },
    'no --tls-cert-file: generated a self-signed certificate; its CA is in caFile (use it as the webhook caBundle)');
  return { pair: generated.pair, info };
}

function setExpiry(metrics: Metrics, certificate: CertificateKind, validTo: string): void {
  metrics.certificateExpiry.set({ certificate }, Date.parse(validTo) / 1000);
}

/**
 * Exports the start certificate's expiry; false (logged) when it cannot be served now.
 * A not-yet-valid one calls `becameValid` once its start date passes.
 */
function servingValidity(info: CertificateInfo, logger: Logger, metrics: Metrics, becameValid: () => void): boolean {
  setExpiry(metrics, 'serving', info.validTo);
  const problem = validityProblem(info);
  if (!problem) return true;
  logger.error({ reason: problem, validFrom: info.validFrom, validTo: info.validTo }, 'certificate not usable: not ready until a valid one is found');
  const wait = Date.parse(info.validFrom) - Date.now();
  if (wait > 0 && wait < 2 ** 31 - 1) {
    setTimeout(() => {
      logger.info({ validFrom: info.validFrom }, 'certificate now valid');
      becameValid();
    }, wait + 1000).unref();
  }
  return false;
}

/** What a certificate watcher reports: the metrics and one log line per change, good or bad. */
function reloadReports<T>(certificate: CertificateKind, fields: Record<string, unknown>, apply: (value: T) => void, logger: Logger, metrics: Metrics, said: { reloaded: string; rejected: string }) {
  return {
    onReload(value: T, info: { validTo: string }) {
      apply(value);
      setExpiry(metrics, certificate, info.validTo);
      metrics.certificateReloads.inc({ certificate, result: 'success' });
      logger.info({ ...fields, ...info }, said.reloaded);
    },
    onRejected(error: Error) {
      metrics.certificateReloads.inc({ certificate, result: 'failure' });
      logger.error({ ...fields, reason: error.message }, said.rejected);
    },
  };
}

function followCertificates(settings: ServeSettings, initial: KeyPair, apply: (pair: KeyPair) => void, logger: Logger, metrics: Metrics): CertificateWatcher {
  return watchCertificates({
    files: settings.tls!,
    initial,
    pollIntervalMs: settings.certPollIntervalMs,
    ...reloadReports('serving', {}, apply, logger, metrics, {
      reloaded: 'certificate reloaded: new connections use it',
      rejected: 'certificate change rejected: keeping the current certificate',
    }),
  });
}

/** The client CA bundle, checked (a bad one stops the start: the port would refuse everyone). */
async function initialClientCa(file: string, logger: Logger, metrics: Metrics): Promise<string> {
  const pem = await readClientCa(file);
  const info = checkClientCa(pem);
  setExpiry(metrics, 'client-ca', info.validTo);
  logger.info({ clientCaFile: file, ...info }, 'client CA loaded: the webhook port requires client certificates signed by it');
  return pem;
}

function followClientCa(settings: ServeSettings, file: string, initial: string, apply: (pem: string) => void, logger: Logger, metrics: Metrics): CertificateWatcher {
  return watchClientCa({
    file,
    initial,
    pollIntervalMs: settings.certPollIntervalMs,
    ...reloadReports('client-ca', { clientCaFile: file }, apply, logger, metrics, {
      reloaded: 'client CA reloaded: new connections are checked against it',
      rejected: 'client CA change rejected: keeping the current one',
    }),
  });
}
