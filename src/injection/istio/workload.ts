// Which workload a pod belongs to, as Istio's injector guesses it from the pod alone: the
// controller owner reference, with a ReplicaSet named after its pod-template-hash read as
// its Deployment and a Job with a timestamp suffix as its CronJob. Feeds
// ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER and the canonical-name label.
import type { Pod, StringMap } from '../types.js';

export interface WorkloadMeta {
  name: string;
  namespace: string;
  apiVersion: string;
  kind: string;
}

interface OwnerReference { apiVersion?: unknown; kind?: unknown; name?: unknown; controller?: unknown }

// A CronJob's Jobs are named <cronjob>-<minutes since epoch>: 8 to 10 digits.
const CRONJOB_JOB_NAME = /^(.+)-\d{8,10}$/;

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function controllerOf(pod: Pod): OwnerReference | undefined {
  const refs = (pod.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  return refs.find((r): r is OwnerReference => typeof r === 'object' && r !== null && (r as OwnerReference).controller === true);
}

export function workloadMeta(pod: Pod, namespace: string): WorkloadMeta {
  const meta = pod.metadata ?? {};
  const labels: StringMap = meta.labels ?? {};
  const podName = text(meta.name);
  const found: WorkloadMeta = { name: podName, namespace, apiVersion: 'v1', kind: 'Pod' };
  const ref = text(meta.generateName) !== '' ? controllerOf(pod) : undefined;
  if (ref) {
    found.apiVersion = text(ref.apiVersion);
    found.kind = text(ref.kind);
    found.name = text(ref.name);
    const hash = labels['pod-template-hash'];
    const rolloutHash = labels['rollouts-pod-template-hash'];
    if (found.kind === 'ReplicaSet' && hash && found.name.endsWith(hash)) {
      found.name = trimSuffix(found.name, `-${hash}`);
      found.kind = 'Deployment';
    } else if (found.kind === 'ReplicaSet' && rolloutHash && found.name.endsWith(rolloutHash)) {
      found.name = trimSuffix(found.name, `-${rolloutHash}`);
      found.kind = 'Rollout';
      found.apiVersion = 'v1alpha1';
    } else if (found.kind === 'ReplicationController' && labels.deploymentconfig) {
      found.name = labels.deploymentconfig;
      found.kind = 'DeploymentConfig';
    } else if (found.kind === 'Job') {
      const cron = CRONJOB_JOB_NAME.exec(found.name);
      if (cron) {
        found.name = cron[1];
        found.kind = 'CronJob';
        found.apiVersion = 'batch/v1';
      }
    }
  }
  if (found.name === '') found.name = podName;
  return found;
}

function trimSuffix(s: string, suffix: string): string {
  return s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}

/** ISTIO_META_OWNER: '' when the workload has no name or API version. */
export function ownerURI(w: WorkloadMeta): string {
  if (w.apiVersion === '' || w.name === '') return '';
  return `kubernetes://apis/${w.apiVersion}/namespaces/${w.namespace || 'default'}/${w.kind.toLowerCase()}s/${w.name}`;
}

const TRIM_CHARS = /^[-_.]+|[-_.]+$/g;

// service.istio.io/canonical-name and -revision: the pod's own labels first, then the usual app labels.
const CANONICAL_NAME_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'];
const CANONICAL_REVISION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'];
/** Every label canonicalLabels reads. */
export const CANONICAL_LABELS: readonly string[] = [...CANONICAL_NAME_LABELS, ...CANONICAL_REVISION_LABELS];

const firstOf = (labels: StringMap, keys: readonly string[]): string | undefined => keys.map((k) => labels[k]).find((v) => v);

export function canonicalLabels(labels: StringMap, workloadName: string): { name: string; untrimmed: string; revision: string } {
  const name = firstOf(labels, CANONICAL_NAME_LABELS) || workloadName;
  const revision = firstOf(labels, CANONICAL_REVISION_LABELS) || 'latest';
  return { name: name.slice(0, 63).replace(TRIM_CHARS, ''), untrimmed: name, revision };
}
