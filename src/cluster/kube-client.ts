// The real ResourceClients, over @kubernetes/client-node 1.x: paged lists through
// CoreV1Api (each request with a deadline) and watches through its Watch helper.
import {
  CoreV1Api,
  Observable,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type V1ConfigMap,
  type V1Namespace,
} from '@kubernetes/client-node';
import type { ListPage, ResourceClient, WatchHandle } from './reflector.js';

/** Deadline for one list page (default) and for a direct read. */
export const LIST_TIMEOUT_MS = 30_000;

/** Per-request options that abort the request on `signal` or after `timeoutMs`. */
function withDeadline(timeoutMs: number, signal?: AbortSignal): { options: ConfigurationOptions<ObservableMiddleware>; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(combined);
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp) => new Observable(Promise.resolve(rsp)),
  };
  return { options: { middleware: [middleware], middlewareMergeStrategy: 'append' }, timedOut: () => timeout.aborted };
}

/** Runs one API call with a deadline; a timeout becomes an error that says so. */
export async function callWithDeadline<R>(what: string, timeoutMs: number, signal: AbortSignal | undefined, call: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<R>): Promise<R> {
  const { options, timedOut } = withDeadline(timeoutMs, signal);
  try {
    return await call(options);
  } catch (err) {
    if (timedOut()) throw new Error(`${what} timed out after ${timeoutMs} ms`);
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

function page<T>(list: { items: T[]; metadata?: { resourceVersion?: string; _continue?: string } }): ListPage<T> {
  return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?._continue || undefined };
}

export interface NamespaceClient extends ResourceClient<V1Namespace> {
  /** One namespace, or undefined when it does not exist. Rejects on any other failure. */
  read(name: string, timeoutMs: number): Promise<V1Namespace | undefined>;
}

export function namespaceClient(kc: KubeConfig, listTimeoutMs = LIST_TIMEOUT_MS): NamespaceClient {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    describe: 'namespaces',
    list: ({ limit, continueToken, signal }) =>
      callWithDeadline('listing namespaces', listTimeoutMs, signal, (options) =>
        api.listNamespace({ limit, _continue: continueToken }, options)).then(page),
    watch: openWatch(kc, '/api/v1/namespaces', {}),
    read: async (name, timeoutMs) => {
      try {
        return await callWithDeadline(`reading namespace ${name}`, timeoutMs, undefined, (options) => api.readNamespace({ name }, options));
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
  const api = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return {
    describe: `configmap ${namespace}/${name}`,
    list: ({ limit, continueToken, signal }) =>
      callWithDeadline(`listing configmap ${namespace}/${name}`, listTimeoutMs, signal, (options) =>
        api.listNamespacedConfigMap({ namespace, fieldSelector, limit, _continue: continueToken }, options)).then(page),
    watch: openWatch(kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`, { fieldSelector }),
  };
}
