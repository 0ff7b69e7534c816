// Attack 9 (found in review of the istio profile's re-injection): a tenant stalls the
// injector with one pod of many volumes. When Istio's volume order moves the pod's own
// volumes (placeVolumes), the status lists only the rendered ones, and each volume was
// looked up in the rendered list by a search: quadratic in the pod's volumes times the
// rendered ones, which a pod raises with its own sidecar.istio.io/userVolume. 5,000 of
// each cost 4.6 s of event loop, 20,000 of each (1.2 MB) 83 s. Now the rendered names are
// a set: the same pod costs what its size costs.
import t from 'tap';
import { recordAttack } from './support/record.js';
import { baseReview, istioServed } from './support/istio-served.js';

t.setTimeout(180_000);

const VOLUMES = 10_000;

t.test('a pod of 10,000 volumes and 10,000 user volumes is answered in time that grows with its size, not its square', async (t) => {
  const admit = await istioServed(t);
  const review = baseReview('many-volumes');
  const names = Array.from({ length: VOLUMES }, (_, i) => i);
  const pod = review.request.object;
  pod.metadata.annotations = { 'sidecar.istio.io/userVolume': JSON.stringify(Object.fromEntries(names.map((i) => [`u${i}`, { emptyDir: {} }]))) };
  // One volume the template renders too: Istio's order interleaves the pod's volumes with the injected ones.
  pod.spec.volumes = [...names.map((i) => ({ name: `v${i}`, emptyDir: {} })), { name: 'istio-envoy', emptyDir: { medium: 'Memory' } }];
  const { response, patch, serverMs: ms } = await admit(review);
  t.equal(response.allowed, true, 'allowed');
  const status = patch.find((op) => op.path === '/metadata/annotations/sidecar-injector.io~1status')?.value;
  const listed = (JSON.parse(String(status)) as { volumes: string[] }).volumes;
  t.ok(listed.includes(`u${VOLUMES - 1}`) && !listed.includes('v0'), 'the status lists the rendered volumes, not the pod\'s own');
  // The vulnerable version spent about 20 s here on this machine (4.6 s at 5,000 of each).
  t.ok(ms < 3_000, `server-side ${ms.toFixed(1)} ms < 3,000 ms`);
  recordAttack({
    id: 9,
    defect: 'A tenant stalls the injector with one pod of many volumes and user volumes (istio profile, volumes moved into Istio\'s order)',
    attack: 'one admission whose pod has 10,000 volumes and a sidecar.istio.io/userVolume of 10,000 more',
    before: 'a search of the rendered volumes per volume: quadratic, 4.6 s for 5,000 of each, 83 s for 20,000 of each (1.2 MB)',
    after: `the rendered names as a set: server-side ${ms.toFixed(1)} ms`,
    test: 'test/attacks/istio-9-relocated-volumes.test.ts',
  });
});
