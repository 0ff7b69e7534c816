// The engine on one pod, with its RFC 6902 patch checked against the injected pod it
// describes: tests of what the injection does read the result knowing the patch agrees.
import jsonpatch from 'fast-json-patch';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { NamespaceView, Pod, Snapshot } from '../../src/injection/types.js';

/** The injected pod on a cluster of `kubernetesVersion`; throws when refused or when the patch gives another pod. */
export function injectChecked(pod: Pod, namespace: NamespaceView, snapshot: Snapshot, kubernetesVersion: string): Pod {
  const outcome = evaluatePod(pod, namespace, snapshot, { kind: 'Pod', operation: 'CREATE' }, { cluster: { kubernetesVersion, oldestKubeletVersion: null } });
  if (outcome.denial) throw new Error(outcome.denial);
  const out = applyOutcome(pod, outcome);
  const patched = jsonpatch.applyPatch(structuredClone(pod), jsonpatch.deepClone(outcome.patch), true, false).newDocument;
  if (JSON.stringify(patched) !== JSON.stringify(out)) throw new Error('the patch does not give the injected pod');
  return out;
}
