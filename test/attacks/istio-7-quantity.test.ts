// Attack 7 (found in review of the istio profile's canonical quantities): a tenant burns
// the injector's CPU with one resource quantity. A pod declaring its own istio-proxy with
// `cpu: "1" + 150,000 zeros` (150 KB) made the canonical form strip its factors of ten one
// BigInt division at a time: quadratic, 17.7 s of event loop for one pod. Now text longer
// than any quantity Kubernetes keeps exactly is left as written: over a real TLS socket the
// admission's own time stays that of an ordinary one, and the pod is still injected.
import t from 'tap';
import { recordAttack } from './support/record.js';
import { baseReview, istioServed } from './support/istio-served.js';

t.setTimeout(180_000);

const HUGE = `1${'0'.repeat(150_000)}`;

t.test('a pod whose istio-proxy override carries a 150 KB quantity is answered at an ordinary admission\'s cost', async (t) => {
  const admit = await istioServed(t);
  const review = baseReview('huge-quantity');
  review.request.object.spec.containers.push({ name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: HUGE } } });
  const { response, serverMs: ms } = await admit(review);
  t.equal(response.allowed, true, 'allowed');
  t.ok(response.patch, 'and injected');
  // The vulnerable version spent 17.7 s here on this machine; an ordinary admission, well under 100 ms.
  t.ok(ms < 500, `server-side ${ms.toFixed(1)} ms < 500 ms`);
  recordAttack({
    id: 7,
    defect: 'A tenant burns the injector\'s CPU with one huge resource quantity on its istio-proxy override (istio profile)',
    attack: 'one admission whose pod declares istio-proxy with cpu "1" followed by 150,000 zeros',
    before: 'quadratic canonical form: 17.7 s of event loop for that one pod (120 ms at 20,000 digits)',
    after: `left as written: server-side ${ms.toFixed(1)} ms, the pod injected`,
    test: 'test/attacks/istio-7-quantity.test.ts',
  });
});
