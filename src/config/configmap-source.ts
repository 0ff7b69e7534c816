// Feeds the store from one ConfigMap through the Kubernetes API (`--configmap NS/NAME`).
// Only that ConfigMap is listed and watched (field selector on its name), so the
// injector needs get/list/watch on configmaps in one namespace and nothing more.
// Reconnects, 410 relists and backoff are the reflector's job.
import type { KubeConfig } from '@kubernetes/client-node';
import { configMapClient } from '../cluster/kube-client.js';
import { errorMessage, silentLog, type Log } from '../cluster/log.js';
import { Reflector, type ReflectorOptions, type ResourceClient } from '../cluster/reflector.js';
import type { ConfigStore } from './store.js';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

interface ConfigMapLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

interface ConfigMapVersion {
  resourceVersion: string;
  data: Record<string, string>;
}

export interface ConfigMapSourceOptions extends ReflectorOptions {
  log?: Log;
  /** Replaces the API client; tests pass a fake one. */
  client?: ResourceClient<ConfigMapLike>;
}

export interface ConfigMapSource {
  /** Resolves once the first version found has been handed to the store (it may have been rejected). */
  readonly firstLoad: Promise<void>;
  close(): void;
}

/**
 * Watches `ref` and hands every version's `data` to `store`. A deleted (or not yet
 * created) ConfigMap leaves the configuration in force as it is, and is logged.
 */
export function watchConfigMap(kc: KubeConfig | undefined, ref: ConfigMapRef, store: ConfigStore, options: ConfigMapSourceOptions = {}): ConfigMapSource {
  const log = options.log ?? silentLog;
  const where = `${ref.namespace}/${ref.name}`;
  const client = options.client ?? (kc ? configMapClient(kc, ref.namespace, ref.name) : undefined);
  if (!client) throw new Error(`watching configmap ${where} needs Kubernetes access (a KubeConfig)`);

  let markLoaded!: () => void;
  const firstLoad = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });
  let present: boolean | undefined;

  const load = (version: ConfigMapVersion): void => {
    present = true;
    // The store compiles versions one at a time, in this order; the watch does not wait.
    store.update(version.data, `configmap ${where}@${version.resourceVersion}`).catch((err: unknown) => {
      // A store listener threw; the store itself is consistent. Say so, keep watching.
      log.error({ configmap: where, err: errorMessage(err) }, 'handling a new ConfigMap version failed');
    }).finally(markLoaded);
  };

  const gone = (why: 'deleted' | 'missing'): void => {
    const revision = store.current?.revision;
    if (why === 'deleted' || present === true) {
      log.warn({ configmap: where, revision }, 'ConfigMap deleted; keeping the last good configuration');
    } else if (present === undefined) {
      log.warn({ configmap: where }, 'ConfigMap not found; waiting for it to be created');
    }
    present = false;
  };

  const reflector = new Reflector<ConfigMapLike, ConfigMapVersion>(
    client,
    (obj) => ({ resourceVersion: obj.metadata?.resourceVersion ?? '', data: obj.data ?? {} }),
    {
      replace: (items) => (items.length > 0 ? load(items[0]) : gone('missing')),
      upsert: load,
      remove: () => gone('deleted'),
    },
    { ...options, log },
  );
  reflector.start();
  return {
    firstLoad,
    close: () => reflector.stop(),
  };
}
