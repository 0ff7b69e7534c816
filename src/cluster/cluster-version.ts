// What the cluster is, for `native-sidecar: auto` and the templates' `cluster` context: the
// apiserver's version (GET /version) and, where the injector may list nodes, every
// kubelet's. Read at start and refreshed periodically; a failed refresh keeps the last good
// reading (a version never goes backwards in a way that matters within minutes). A 403 on
// nodes (RBAC without `list nodes`) is not an error: the apiserver's version decides then.
import type { KubeConfig, V1Node, VersionInfo } from '@kubernetes/client-node';
import type { KubeList } from './kube-client.js';
import type { Logger } from 'pino';
import { majorMinor, UNKNOWN_CLUSTER, type ClusterInfo } from '../injection/native-sidecar.js';

/** Deadline of one request (/version, one page of nodes). */
export const VERSION_TIMEOUT_MS = 10_000;
/** How often the versions are read again (upgrades roll nodes over hours). */
export const VERSION_REFRESH_MS = 5 * 60_000;
const NODE_PAGE = 500;
/** Bounds the work on a huge cluster: beyond this many nodes, the apiserver's version decides. */
const MAX_NODE_PAGES = 20;

/** The two reads; the real one below, fakes in tests. */
export interface VersionReader {
  /** The apiserver's gitVersion, e.g. "v1.20.15". */
  apiserverVersion(signal: AbortSignal): Promise<string>;
  /** Every node's kubelet version, or 'forbidden' when the injector may not list nodes. */
  kubeletVersions(signal: AbortSignal): Promise<string[] | 'forbidden'>;
}

function statusOf(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

/** The HTTP helpers, loaded on first use: the pure parts of this module need no Kubernetes library. */
async function clientsOf() {
  const [{ kubeJson }, { callWithDeadline }] = await Promise.all([import('./kube-http.js'), import('./kube-client.js')]);
  return { kubeJson, callWithDeadline };
}

export function kubeVersionReader(kc: KubeConfig, timeoutMs = VERSION_TIMEOUT_MS): VersionReader {
  let clients: ReturnType<typeof clientsOf> | undefined;
  return {
    async apiserverVersion(signal) {
      const { kubeJson, callWithDeadline } = await (clients ??= clientsOf());
      const info = await callWithDeadline('reading /version', timeoutMs, signal, (signal) =>
        kubeJson<VersionInfo>(kc, { method: 'GET', path: '/version', signal }));
      return info.gitVersion || `v${info.major}.${info.minor.replace(/\D+$/, '')}`;
    },
    async kubeletVersions(signal) {
      const { kubeJson, callWithDeadline } = await (clients ??= clientsOf());
      const out: string[] = [];
      let token: string | undefined;
      try {
        for (let page = 0; page < MAX_NODE_PAGES; page++) {
          const list = await callWithDeadline('listing nodes', timeoutMs, signal, (signal) =>
            kubeJson<KubeList<V1Node>>(kc, { method: 'GET', path: '/api/v1/nodes', query: { limit: NODE_PAGE, continue: token }, signal }));
          for (const node of list.items) out.push(node.status?.nodeInfo?.kubeletVersion ?? '');
          token = list.metadata?.continue || undefined;
          if (token === undefined) return out;
        }
        return []; // too many to read: the apiserver's version decides
      } catch (err) {
        if (statusOf(err) === 403) return 'forbidden';
        throw err;
      }
    },
  };
}

/** The oldest of the kubelets' versions ("1.27"), or null when none is readable. */
export function oldestVersion(versions: readonly string[]): string | null {
  let oldest: { text: string; major: number; minor: number } | undefined;
  for (const raw of versions) {
    const text = majorMinor(raw);
    if (text === undefined) continue;
    const [major, minor] = text.split('.').map(Number);
    if (!oldest || major < oldest.major || (major === oldest.major && minor < oldest.minor)) oldest = { text, major, minor };
  }
  return oldest?.text ?? null;
}

/** One reading of the cluster. Rejects when the apiserver's version cannot be read. */
export async function readClusterInfo(reader: VersionReader, timeoutMs = 2 * VERSION_TIMEOUT_MS): Promise<ClusterInfo & { nodes: 'listed' | 'forbidden' | 'none' }> {
  const apiserver = majorMinor(await reader.apiserverVersion(AbortSignal.timeout(timeoutMs))) ?? null;
  const kubelets = await reader.kubeletVersions(AbortSignal.timeout(timeoutMs));
  if (kubelets === 'forbidden') return { kubernetesVersion: apiserver, oldestKubeletVersion: null, nodes: 'forbidden' };
  const oldest = oldestVersion(kubelets);
  return { kubernetesVersion: apiserver, oldestKubeletVersion: oldest, nodes: oldest === null ? 'none' : 'listed' };
}

/** The cluster as last read; `current()` is what the engine gets on each admission. */
export class ClusterVersionWatcher {
  #info: ClusterInfo = UNKNOWN_CLUSTER;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly reader: VersionReader, private readonly log?: Pick<Logger, 'info' | 'warn'>) {}

  current(): ClusterInfo {
    return this.#info;
  }

  /** Reads once; on failure keeps the last reading and says so. Never rejects. */
  async refresh(): Promise<ClusterInfo> {
    try {
      const { nodes, ...info } = await readClusterInfo(this.reader);
      const changed = info.kubernetesVersion !== this.#info.kubernetesVersion || info.oldestKubeletVersion !== this.#info.oldestKubeletVersion;
      this.#info = Object.freeze(info);
      if (changed) this.log?.info({ ...info, nodes }, 'cluster version');
    } catch (err) {
      this.log?.warn({ reason: (err as Error).message }, 'cannot read the cluster version: keeping the last reading');
    }
    return this.#info;
  }

  /** Reads now, then every `intervalMs` until close(). */
  async start(intervalMs = VERSION_REFRESH_MS): Promise<ClusterInfo> {
    const info = await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), intervalMs);
    this.#timer.unref();
    return info;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
