// Attack 8 (found by timing hostile pods against the istio profile, which rewrites probes
// by default): a tenant stalls the injector with one pod of many probed containers. For
// each container whose probes were rewritten, the engine searched the pod's containers and
// the merged list by name: quadratic, 9.9 s of event loop on this machine for a 2.9 MB pod
// of 50,000 containers with one small probe each (every other admission waits behind it).
// Now both are looked up in maps built once per pod: what is left grows with the pod's size
// (1.3 s for this one, of which the answer is an 18 MB patch). And each probe's port was
// searched for in the inbound ports the pod's own annotation excludes: 65,535 ports and
// 45,000 probes cost 3.7 to 4.3 s; they are a set now.
import t from 'tap';
import type { Test } from 'tap';
import { recordAttack } from './support/record.js';
import { baseReview, istioServed, type TimedAdmission } from './support/istio-served.js';

t.setTimeout(180_000);

const CONTAINERS = 50_000;
type Admit = (review: ReturnType<typeof baseReview>) => Promise<TimedAdmission>;

t.test('a pod of 50,000 containers with rewritten probes is answered in time that grows with its size, not its square', async (t) => {
  const admit = await istioServed(t);
  const review = baseReview('many-probes');
  review.request.object.spec.containers = Array.from({ length: CONTAINERS }, (_, i) => ({
    name: `c${i}`, readinessProbe: { httpGet: { port: 1 } },
  }));
  const bytes = JSON.stringify(review).length;
  t.ok(bytes < 3 * 1024 * 1024, `the review (${(bytes / 1024 / 1024).toFixed(2)} MiB) is one the apiserver can send`);
  const { response, patch, serverMs: ms } = await admit(review);
  t.equal(response.allowed, true, 'allowed');
  const last = patch.find((op) => op.path === `/spec/containers/${CONTAINERS - 1}/readinessProbe/httpGet/path`);
  t.equal(last?.value, `/app-health/c${CONTAINERS - 1}/readyz`, 'the last container\'s probe is rewritten to the agent\'s prober');
  // The vulnerable version spent 9.9 to 11.1 s here on this machine, most of it in the two searches.
  t.ok(ms < 5_000, `server-side ${ms.toFixed(1)} ms < 5,000 ms`);
  const excludedMs = await excludedPortsAdmission(t, admit);
  recordAttack({
    id: 8,
    defect: 'A tenant stalls the injector with one pod of thousands of probed containers (istio profile, probe rewriting)',
    attack: 'one admission whose pod has 50,000 containers with one httpGet readiness probe each (2.9 MB); one whose 45,000 probes use the last of 65,535 ports its annotation excludes',
    before: 'two searches by name per rewritten container: quadratic, 9.9 s of event loop for that one pod; 3.7 to 4.3 s for 45,000 probes and 65,535 excluded inbound ports',
    after: `maps built once per pod: server-side ${ms.toFixed(1)} ms, every probe rewritten; excluded ports as a set: ${excludedMs.toFixed(1)} ms`,
    test: 'test/attacks/istio-8-many-probes.test.ts',
  });
});

/** The second pod: every probe's port is the last of the 65,535 the annotation excludes, so none is rewritten. */
async function excludedPortsAdmission(t: Test, admit: Admit): Promise<number> {
  const review = baseReview('excluded-ports');
  const excluded = [...Array.from({ length: 65_534 }, (_, i) => i + 2), 1].join(',');
  review.request.object.metadata.annotations = { 'traffic.sidecar.istio.io/excludeInboundPorts': excluded };
  review.request.object.spec.containers = Array.from({ length: 45_000 }, (_, i) => ({ name: `c${i}`, readinessProbe: { httpGet: { port: 1 } } }));
  const { response, patch, serverMs: ms } = await admit(review);
  t.equal(response.allowed, true, 'the pod excluding 65,535 inbound ports is allowed');
  t.notOk(patch.some((op) => op.path.endsWith('/readinessProbe/httpGet/path')), 'and no probe on an excluded port is rewritten');
  // The vulnerable version spent 3.7 to 4.3 s here on this machine, searching the list once per probe.
  t.ok(ms < 1_500, `server-side ${ms.toFixed(1)} ms < 1,500 ms`);
  return ms;
}
