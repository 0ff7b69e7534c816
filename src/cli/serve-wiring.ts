// serve's start-up wiring, where the server's inputs come from: Kubernetes access (or
// none), the configuration (a watched directory or ConfigMap, through the ConfigStore) and
// the namespace view (the informer cache, or the standalone flags). Reloads are logged and counted here, and the
// readiness conditions they satisfy are marked.
import type { Logger } from 'pino';
import type { NamespaceSource } from '../admission/admit.js';
import { kubeAccessOptions } from '../cluster/kube-access.js';
import type { KubeConnection } from '../cluster/kube.js';
import { StaticNamespaces } from '../cluster/namespace-lookup.js';
import { watchConfigDir } from '../config/dir-source.js';
import { ConfigStore } from '../config/store.js';
import type { Snapshot } from '../injection/types.js';
import type { Metrics } from '../server/metrics.js';
import type { Readiness } from '../server/readiness.js';
import type { ServeSettings } from './serve-flags.js';

/** The configuration in force, and how to stop following it. */
export interface ConfigHandle {
  current(): Snapshot | undefined;
  close(): void;
}

export interface Sources {
  config: ConfigHandle;
  namespaces: NamespaceSource;
  /** The Kubernetes access in use; undefined standalone. */
  connection?: KubeConnection;
  /** Stops every watch. */
  close(): void;
}

async function connect(settings: ServeSettings, logger: Logger): Promise<KubeConnection | undefined> {
  if (settings.kube.mode === 'none') return undefined;
  // The Kubernetes modules are loaded only with Kubernetes access, and only the parts of
  // @kubernetes/client-node that serve calls (cluster/client-node-slim.ts).
  const { importWithSlimClient } = await import('../cluster/client-node-slim.js');
  const { module: { loadKubeAccess }, slim } = await importWithSlimClient(() => import('../cluster/kube.js'));
  if (!slim) logger.warn('@kubernetes/client-node loaded whole: its file layout is not the one cluster/client-node-slim.ts expects');
  const connection = loadKubeAccess(kubeAccessOptions(settings.kube));
  if (!connection) {
    throw new Error('running in a pod but no service-account token is mounted; mount one (automountServiceAccountToken) or run with --standalone');
  }
  logger.info({ apiserver: connection.server, via: connection.description }, 'Kubernetes access');
  return connection;
}

/** Logs and counts every configuration version tried; the first good one makes the server ready. */
export function reportReloads(store: ConfigStore, logger: Logger, metrics: Metrics, readiness: Readiness): void {
  store.onReload((report) => {
    metrics.configReloads.inc({ result: report.result });
    if (report.result === 'success') {
      readiness.satisfy('config');
      logger.info({ revision: report.revision, previousRevision: report.previousRevision, origin: report.origin }, 'configuration loaded');
    } else {
      logger.error({
        revision: report.revision, keptRevision: report.previousRevision, origin: report.origin,
        file: report.file, field: report.field, reason: report.error,
      }, report.previousRevision ? 'configuration rejected: keeping the previous one' : 'configuration rejected: none loaded yet');
    }
  });
}

async function openConfig(settings: ServeSettings, connection: KubeConnection | undefined, store: ConfigStore, logger: Logger): Promise<ConfigHandle> {
  const source = settings.config;
  if (source.kind === 'dir') {
    const handle = await watchConfigDir(source.dir, store, { log: logger });
    if (!store.current) {
      handle.close();
      // A directory is complete at start: if it does not compile, nothing would ever serve.
      throw new Error(`the configuration in ${source.dir} is invalid: ${store.lastFailure?.error ?? 'no usable version'}`);
    }
    return { current: () => store.current, close: () => handle.close() };
  }
  // A ConfigMap may not exist yet, or be fixed later: the server stays not ready until
  // a version compiles, instead of exiting.
  const { watchConfigMap } = await import('../config/configmap-source.js');
  const handle = watchConfigMap(connection?.kubeConfig, source, store, { log: logger });
  void handle.firstLoad.then(() => {
    if (!store.current) logger.warn({ configmap: `${source.namespace}/${source.name}` }, 'not ready until the ConfigMap holds a valid configuration');
  });
  return { current: () => store.current, close: () => handle.close() };
}

async function openNamespaces(settings: ServeSettings, connection: KubeConnection | undefined, logger: Logger, readiness: Readiness): Promise<NamespaceSource & { close(): void }> {
  if (!connection) {
    readiness.satisfy('namespaces');
    return Object.assign(new StaticNamespaces({ labels: settings.namespaceLabels, annotations: settings.namespaceAnnotations }), { close() {} });
  }
  const { NamespaceCache } = await import('../cluster/namespace-cache.js');
  const cache = new NamespaceCache(connection.kubeConfig, { log: logger });
  void cache.synced.then(() => {
    readiness.satisfy('namespaces');
    logger.info({ namespaces: cache.size }, 'namespace cache synced');
  });
  return cache;
}

export interface OpenSourcesOptions {
  /** Use this configuration instead of opening one (tests). */
  config?: ConfigHandle;
  /** Use this namespace view instead of opening one (tests). */
  namespaces?: NamespaceSource;
}

export async function openSources(settings: ServeSettings, logger: Logger, metrics: Metrics, readiness: Readiness, options: OpenSourcesOptions = {}): Promise<Sources> {
  const needsKube = !(options.config && options.namespaces);
  const connection = needsKube ? await connect(settings, logger) : undefined;
  let namespaces: NamespaceSource & { close?(): void };
  if (options.namespaces) {
    namespaces = options.namespaces;
    readiness.satisfy('namespaces');
  } else {
    namespaces = await openNamespaces(settings, connection, logger, readiness);
  }
  let config: ConfigHandle;
  try {
    if (options.config) {
      config = options.config;
      if (config.current()) readiness.satisfy('config');
    } else {
      const store = new ConfigStore({ ownNamespace: settings.namespace });
      reportReloads(store, logger, metrics, readiness);
      config = await openConfig(settings, connection, store, logger);
    }
  } catch (err) {
    namespaces.close?.();
    throw err;
  }
  return {
    config,
    namespaces,
    connection,
    close() {
      config.close();
      namespaces.close?.();
    },
  };
}
