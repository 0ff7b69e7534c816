// Re-injection on Istio's own corpus (`npm run test:istio`): each pod the profile injects,
// submitted again as `istioctl kube-inject` of an older release would have written it
// (Istio's status only, other images and env values in what it injected), is re-injected as
// Istio does (what the status names is refreshed from the template) and comes out as this
// release injects it. Excluded, as Istio's re-injection does not give them back either: pods
// that declare a container the injection names (overrides: the template wins the second
// time) and inputs injected before.
import t from 'tap';
import { podDifferences } from './support/compare.js';
import { corpusPresent, loadCases, readPods } from './support/corpus.js';
import { injectIstio } from './support/run.js';

const ISTIO_STATUS = 'sidecar.istio.io/status';
const OWN_STATUS = 'sidecar-injector.io/status';
// What the earlier injection took from the pod (its probes, its scrape annotations), which
// only the old proxy still says: kept as they are, as Istio keeps them, so not aged here.
const RECORDS = new Set(['ISTIO_KUBE_APP_PROBERS', 'ISTIO_PROMETHEUS_ANNOTATIONS']);

if (!corpusPresent()) {
  t.pass('skipped: no corpus (see parity.test.ts)');
} else {
  let checked = 0;
  const differing: string[] = [];
  for (const c of loadCases().filter((x) => !x.outOfScope && !x.expectedError)) {
    for (const { pod, namespace } of readPods(c.in)) {
      if (pod.metadata?.annotations?.[ISTIO_STATUS] !== undefined) continue;
      const once = injectIstio(c, pod, namespace);
      const status = once.pod.metadata?.annotations?.[ISTIO_STATUS];
      if (once.denial || status === undefined) continue;
      const named = JSON.parse(status) as { containers: string[] | null; initContainers: string[] | null };
      const declared = [...pod.spec!.containers, ...(pod.spec!.initContainers ?? [])].map((x) => x.name);
      if ([...named.containers ?? [], ...named.initContainers ?? []].some((n) => declared.includes(n))) continue;
      const older = structuredClone(once.pod);
      delete older.metadata!.annotations![OWN_STATUS];
      for (const x of [...older.spec!.containers, ...(older.spec!.initContainers ?? [])]) {
        if (![...named.containers ?? [], ...named.initContainers ?? []].includes(x.name)) continue;
        if (typeof x.image === 'string') x.image = `${x.image}-older`;
        for (const e of (x.env ?? []) as Array<{ name: string; value?: unknown }>) {
          if (typeof e.value === 'string' && !RECORDS.has(e.name)) e.value = `${e.value}-older`;
        }
      }
      const twice = injectIstio(c, older, namespace);
      checked++;
      const lines = twice.denial ? [`refused: ${twice.denial}`] : podDifferences(twice.pod, once.pod);
      if (lines.length > 0) differing.push(`${c.label}\n    ${lines.join('\n    ')}`);
    }
  }
  for (const d of differing) t.comment(`differs when injected again: ${d}`);
  t.same(differing, [], `every pod injected again comes out as this release injects it (${checked} pods)`);
  t.ok(checked > 80, `most of the corpus is checked (${checked} pods)`);
}
