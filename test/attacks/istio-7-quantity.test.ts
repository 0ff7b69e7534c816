// Attack 7 (found in review of the istio profile's canonical quantities): a tenant burns
// the injector's CPU with one resource quantity. A pod declaring its own istio-proxy with
// `cpu: "1" + 150,000 zeros` (150 KB) made the canonical form strip its factors of ten one
// BigInt division at a time: quadratic, 17.7 s of event loop for one pod. Now text longer
// than any quantity Kubernetes keeps exactly is left as written: over a real TLS socket the
// admission's own time stays that of an ordinary one, and the pod is still injected.
import t from 'tap';
import https from 'node:https';
import { postReview } from '../server/support/child.js';
import { fixture, waitFor } from '../server/support/harness.js';
import { recordAttack } from './support/record.js';
import { served } from './support/served.js';

t.setTimeout(180_000);

const HUGE = `1${'0'.repeat(150_000)}`;
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

t.test('a pod whose istio-proxy override carries a 150 KB quantity is answered at an ordinary admission\'s cost', async (t) => {
  t.teardown(() => agent.destroy());
  const { child, ports, ca } = await served(t, { realEngine: true }, ['--profile', 'istio', '--namespace-labels', 'istio-injection=enabled'], [], 60_000);

  const review = JSON.parse(fixture('01-').text);
  review.request.object.spec.containers.push({ name: 'istio-proxy', image: 'auto', resources: { limits: { cpu: HUGE } } });
  const { review: answer } = await postReview(ports.webhook, ca, JSON.stringify(review), agent);
  t.equal(answer.response.allowed, true, 'allowed');
  t.ok(answer.response.patch, 'and injected');
  const [line] = await waitFor('the admission\'s log line', () => {
    const found = child.logs.filter((l) => l.msg === 'admission');
    return found.length >= 1 && found;
  });
  const ms = Number(line.durationMs);
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
