// The real ResourceClients: paged lists through kube-http.ts (each request with a
// deadline) and watches through @kubernetes/client-node's Watch helper. Only its Watch
// and KubeConfig are loaded (client-node-slim.ts says how and why).
import type { KubeConfig, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { kubeJson } from './kube-http.js';
import type { ListPage, ResourceClient, WatchHandle } from './reflector.js';

/** Deadline for one list page (default) and for a direct read. */
export const LIST_TIMEOUT_MS = 30_000;

/** Runs one API call with a deadline; a timeout becomes an error that says so. */
export async function callWithDeadline<R>(what: string, timeoutMs: number, signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await call(signal ? AbortSignal.any([signal, timeout]) : timeout);
  } catch (err) {
    if (timeout.aborted) throw new Error(`${what} timed out after ${timeoutMs} ms`);
    throw err;
  }
}

function openWatch(kc: KubeConfig, path: string, extraQuery: Record<string, string>): ResourceClient<never>['watch'] {
  const watcher = new Watch(kc);
  return async (query, onEvent, onDone): Promise<WatchHandle> => {
    const controller = await watcher.watch(
      path,
      { ...extraQuery, resourceVersion: query.resourceVersion, timeoutSeconds: query.timeoutSeconds, allowWatchBookmarks: true },
      (type: string, object: unknown) => onEvent(type, object),
      (err: unknown) => onDone(err ?? null),
    );
    return { abort: () => controller.abort() };
  };
}

/** A list answer as the apiserver sends it. */
export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

function page<T>(list: KubeList<T>): ListPage<T> {
  return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?.continue || undefined };
}

export interface NamespaceClient extends ResourceClient<V1Namespace> {
  /** One namespace, or undefined when it does not exist. Rejects on any other failure. */
  read(name: string, timeoutMs: number): Promise<V1Namespace | undefined>;
}

export function namespaceClient(kc: KubeConfig, listTimeoutMs = LIST_TIMEOUT_MS): NamespaceClient {
  return {
    describe: 'namespaces',
    list: ({ limit, continueToken, signal }) =>
      callWithDeadline('listing namespaces', listTimeoutMs, signal, (signal) =>
        kubeJson<KubeList<V1Namespace>>(kc, { method: 'GET', path: '/api/v1/namespaces', query: { limit, continue: continueToken }, signal })).then(page),
    watch: openWatch(kc, '/api/v1/namespaces', {}),
    read: async (name, timeoutMs) => {
      try {
        return await callWithDeadline(`reading namespace ${name}`, timeoutMs, undefined, (signal) =>
          kubeJson<V1Namespace>(kc, { method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(name)}`, signal }));
      } catch (err) {
        if ((err as { code?: unknown }).code === 404) return undefined;
        throw err;
      }
    },
  };
}

/**
 * Lists and watches exactly one ConfigMap (fieldSelector on its name), so the injector
 * needs only get/list/watch on configmaps in that one namespace.
 */
export function configMapClient(kc: KubeConfig, namespace: string, name: string, listTimeoutMs = LIST_TIMEOUT_MS): ResourceClient<V1ConfigMap> {
  const fieldSelector = `metadata.name=${name}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  return {
    describe: `configmap ${namespace}/${name}`,
    list: ({ limit, continueToken, signal }) =>
      callWithDeadline(`listing configmap ${namespace}/${name}`, listTimeoutMs, signal, (signal) =>
        kubeJson<KubeList<V1ConfigMap>>(kc, { method: 'GET', path, query: { fieldSelector, limit, continue: continueToken }, signal })).then(page),
    watch: openWatch(kc, path, { fieldSelector }),
  };
}
