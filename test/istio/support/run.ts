// Runs one corpus case through the istio profile: the profile's files with the case's
// overrides applied (as `--set` would), then the engine on each pod of the input.
import { compileSnapshot } from '../../../src/config/compile.js';
import { applyOutcome, evaluatePod } from '../../../src/injection/engine.js';
import type { NamespaceView, Pod, Snapshot } from '../../../src/injection/types.js';
import { applySetFlags, clusterFromFlag, profileDir } from '../../../src/cli/config-flags.js';
import { readConfigFiles } from '../../support/config.js';
import { caseSets, type CorpusCase } from './corpus.js';

/** `inject --profile istio`: the profile's files. */
export const PROFILE_DIR = profileDir('istio');

// The namespace of Istio's test: injection enabled; test-ns carries OpenShift's annotations.
function namespaceView(name: string): NamespaceView {
  const annotations: Record<string, string> = name === 'test-ns'
    ? { 'openshift.io/sa.scc.uid-range': '1000620000/10000', 'openshift.io/sa.scc.supplemental-groups': '1000620000/10000' }
    : {};
  return { name, labels: { 'istio-injection': 'enabled' }, annotations };
}

const snapshots = new Map<string, Snapshot>();

export function snapshotFor(c: CorpusCase): Snapshot {
  const sets = caseSets(c);
  const key = JSON.stringify(sets);
  let snapshot = snapshots.get(key);
  if (!snapshot) {
    snapshot = compileSnapshot(applySetFlags(readConfigFiles(PROFILE_DIR), sets));
    snapshots.set(key, snapshot);
  }
  return snapshot;
}

export interface PodResult {
  pod: Pod;
  /** The engine refused the pod: its message. */
  denial?: string;
}

export function injectIstio(c: CorpusCase, pod: Pod, namespace: string): PodResult {
  let snapshot: Snapshot;
  try {
    snapshot = snapshotFor(c);
  } catch (err) {
    return { pod, denial: `the case's config is refused: ${(err as Error).message}` };
  }
  // Istio's test cluster runs kubelets 1.33 and 1.34. Its native-off condition (the feature
  // flag off) is a 1.28 cluster here: `auto` is off there, an explicit `true` still allowed.
  const kubernetesVersion = c.condition?.startsWith('native sidecars off') ? '1.28' : '1.33';
  const cluster = clusterFromFlag(kubernetesVersion);
  const outcome = evaluatePod(pod, namespaceView(namespace), snapshot, { kind: 'Pod', operation: 'CREATE' }, { cluster });
  if (outcome.denial) return { pod, denial: outcome.denial };
  return { pod: applyOutcome(pod, outcome) };
}
