// What `check` and `audit` read from (and `audit --restart` writes to) a live cluster,
// over @kubernetes/client-node's generic object API. Every call has a deadline; lists are
// paged. The commands take this interface, so their logic runs against fakes too.
import {
  AdmissionregistrationV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, VersionApi,
  type KubeConfig, type KubernetesObject,
} from '@kubernetes/client-node';
import type { WebhookConfigurationLike } from './webhook-match.js';

export const CALL_TIMEOUT_MS = 30_000;
const PAGE = 500;
/** Items one list returns at most (a bound against runaway clusters). */
export const MAX_LIST_ITEMS = 100_000;

export interface LiveObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string; namespace?: string; generateName?: string; uid?: string;
    labels?: Record<string, string>; annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean }>;
  };
  [k: string]: unknown;
}

export interface LiveCluster {
  /** The apiserver's minor version (1.x). */
  serverMinor(): Promise<number>;
  read(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<LiveObject | undefined>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<LiveObject[]>;
  configMapData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  webhookConfigurations(): Promise<WebhookConfigurationLike[]>;
  /** A JSON merge patch; with dryRun the apiserver validates it and changes nothing. */
  mergePatch(apiVersion: string, kind: string, namespace: string, name: string, patch: object, dryRun: boolean): Promise<void>;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404;
}

async function deadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The object as the apiserver sent it: client-node's models carry every known field, set to
 * undefined when absent, and Dates; the engine and the templates expect plain JSON.
 */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `1.20+` → 20 (cloud providers add suffixes to the minor version). */
export function parseMinor(minor: string): number {
  const n = Number.parseInt(minor, 10);
  return Number.isFinite(n) ? n : 0;
}

export function liveCluster(kc: KubeConfig): LiveCluster {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const version = kc.makeApiClient(VersionApi);
  return {
    serverMinor: async () => parseMinor((await deadline('reading the apiserver version', version.getCode())).minor),
    read: async (apiVersion, kind, namespace, name) => {
      try {
        const spec = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
        return plain(await deadline(`reading ${kind} ${namespace ? `${namespace}/` : ''}${name}`, objects.read(spec))) as LiveObject;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    list: async (apiVersion, kind, namespace) => {
      const items: LiveObject[] = [];
      let continueToken: string | undefined;
      do {
        const page = await deadline(`listing ${kind}`, objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, undefined, PAGE, continueToken));
        items.push(...plain(page.items as LiveObject[]));
        continueToken = page.metadata?._continue || undefined;
      } while (continueToken && items.length < MAX_LIST_ITEMS);
      return items;
    },
    configMapData: async (namespace, name) => {
      try {
        return (await deadline(`reading configmap ${namespace}/${name}`, core.readNamespacedConfigMap({ namespace, name }))).data ?? {};
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    webhookConfigurations: async () =>
      plain((await deadline('listing mutatingwebhookconfigurations', admission.listMutatingWebhookConfiguration())).items) as WebhookConfigurationLike[],
    mergePatch: async (apiVersion, kind, namespace, name, patch, dryRun) => {
      const spec = { apiVersion, kind, metadata: { name, namespace }, ...patch };
      await deadline(`patching ${kind} ${namespace}/${name}`,
        objects.patch(spec as KubernetesObject, undefined, dryRun ? 'All' : undefined, 'sidecar-injector', undefined, PatchStrategy.MergePatch));
    },
  };
}
