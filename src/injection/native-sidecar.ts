// What the engine knows about the cluster, and what `native-sidecar` means on it.
//
// Native sidecars (init containers with restartPolicy: Always) need the kubelet to know
// them: before 1.28 the apiserver drops the field and Envoy becomes an init container that
// never exits, so the pod never starts; 1.28 has them behind an alpha feature gate, 1.29-1.32
// behind a beta gate that can be off; from 1.33 they are GA. So, like Istio:
// - `auto` is on only when the oldest kubelet (where the injector may list nodes), else
//   the apiserver (or `--kubernetes-version` offline), is 1.33 or later; unknown → off;
// - `true` is refused when that version is known and older than 1.28.
import type { EffectiveSetting } from './types.js';
import { bad, ok, parseNativeBool, type Parsed } from './value-parsers.js';

/** The cluster as the engine sees it. Versions are "major.minor", e.g. "1.20". */
export interface ClusterInfo {
  /** The apiserver's version (serve), or `--kubernetes-version` (offline); null when unknown. */
  kubernetesVersion: string | null;
  /** The oldest kubelet's version when the nodes could be listed; null otherwise. */
  oldestKubeletVersion: string | null;
}

export const UNKNOWN_CLUSTER: ClusterInfo = Object.freeze({ kubernetesVersion: null, oldestKubeletVersion: null });

/** Native sidecars are GA (cannot be turned off) from this version: `auto` turns them on. */
export const NATIVE_SIDECAR_AUTO_MINOR = 33;
/** Before this version the apiserver drops restartPolicy on init containers: `true` is refused. */
export const NATIVE_SIDECAR_MIN_MINOR = 28;

const VERSION = /^v?(\d{1,3})\.(\d{1,3})(?:[.+-].*)?$/;

/** "1.20", "v1.33.1", "1.29.3-gke.1" → "1.20", "1.33", "1.29"; undefined when not a version. */
export function majorMinor(text: string): string | undefined {
  const m = VERSION.exec(text.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

// The cluster's version changes rarely and is read for every pod: the last one parsed is kept.
let lastVersion = '';
let lastMinor = -1;

/** Minor number of a "1.x" version; -1 for anything else (treated as older than every check). */
function minorOf(version: string): number {
  if (version === lastVersion) return lastMinor;
  const [major, minor] = version.split('.').map(Number);
  lastMinor = major === 1 ? minor : major > 1 ? Number.MAX_SAFE_INTEGER : -1;
  lastVersion = version;
  return lastMinor;
}

/** The version that decides: the oldest kubelet's when known, else the apiserver's. */
function decidingVersion(cluster: ClusterInfo): { version: string; what: string } | undefined {
  if (cluster.oldestKubeletVersion !== null) return { version: cluster.oldestKubeletVersion, what: 'the oldest node\'s kubelet' };
  if (cluster.kubernetesVersion !== null) return { version: cluster.kubernetesVersion, what: 'the cluster' };
  return undefined;
}

/** Whether `native-sidecar: auto` turns native sidecars on for this cluster. */
export function nativeSidecarsSupported(cluster: ClusterInfo): boolean {
  const deciding = decidingVersion(cluster);
  return deciding !== undefined && minorOf(deciding.version) >= NATIVE_SIDECAR_AUTO_MINOR;
}

/** Why native sidecars cannot work here, when the cluster is known to be too old; else undefined. */
export function nativeSidecarsImpossible(cluster: ClusterInfo): string | undefined {
  const deciding = decidingVersion(cluster);
  if (deciding === undefined || minorOf(deciding.version) >= NATIVE_SIDECAR_MIN_MINOR) return undefined;
  return `native sidecars need Kubernetes 1.${NATIVE_SIDECAR_MIN_MINOR} or later and ${deciding.what} is ${deciding.version}: `
    + 'it would drop restartPolicy and run the proxy as an init container that never exits, so the pod would never start; '
    + 'use native-sidecar "false" or "auto"';
}

/**
 * The boolean templates see for a requested `native-sidecar` value, or the reason `true`
 * cannot be honoured on this cluster.
 */
export function resolveNativeSidecar(requested: unknown, cluster: ClusterInfo): { value: boolean; problem?: string } {
  if (requested === 'auto') return { value: nativeSidecarsSupported(cluster) };
  if (requested !== true) return { value: false };
  const problem = nativeSidecarsImpossible(cluster);
  return problem === undefined ? { value: true } : { value: false, problem };
}

/** `auto` (or `true` on a cluster too old for it) becomes the boolean templates see. */
export function resolveNativeSetting(chosen: EffectiveSetting, cluster: ClusterInfo, problems: string[]): EffectiveSetting {
  const { value, problem } = resolveNativeSidecar(chosen.value, cluster);
  if (problem !== undefined) {
    const where = chosen.source === 'config' ? 'config values.proxy.nativeSidecar' : `${chosen.source === 'pod' ? 'annotation' : 'namespace annotation'} ${chosen.key}`;
    problems.push(`${where}: "true" cannot be honoured: ${problem}`);
  }
  return value === chosen.value ? chosen : { ...chosen, value };
}

/** The `native-sidecar` annotation: "true", "false", or "auto" (resolved by resolveNativeSidecar). */
export function parseNativeBoolOrAuto(raw: string): Parsed<boolean | 'auto'> {
  if (raw === 'auto') return ok('auto');
  const parsed = parseNativeBool(raw);
  return parsed.ok ? parsed : bad('"true", "false" or "auto"');
}

/** The `cluster` object templates see. */
export function clusterContext(cluster: ClusterInfo): { kubernetesVersion: string | null; nativeSidecars: boolean } {
  return { kubernetesVersion: cluster.kubernetesVersion, nativeSidecars: nativeSidecarsSupported(cluster) };
}
