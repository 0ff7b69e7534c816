// Issue 10, smaller defect: pod labels were copied whole into the Envoy arguments (a
// 7 MiB label made a 9.8 MB answer). Templates now see labels and annotations only within
// bounds (src/injection/template-bounds.ts); beyond them the pod is denied with a short
// answer naming the bound. Over a real TLS socket with the built-in configuration.
import t from 'tap';
import https from 'node:https';
import { fixture } from '../server/support/harness.js';
import { served } from './support/served.js';

t.setTimeout(180_000);

function post(port: number, ca: string, body: string): Promise<{ bytes: number; review: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ bytes: Buffer.byteLength(text), review: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('a 2 MiB label is denied with a short answer', async (t) => {
  const { ports, ca } = await served(t, { realEngine: true }, ['--namespace-labels', 'sidecar-injection=enabled'], [], 60_000);

  const review = JSON.parse(fixture('01-').text);
  review.request.object.metadata.labels = { ...review.request.object.metadata.labels, huge: 'x'.repeat(2 * 1024 * 1024) };
  const { bytes, review: answer } = await post(ports.webhook, ca, JSON.stringify(review));
  t.equal(answer.response.allowed, false, 'denied');
  t.match(answer.response.status.message, /metadata\.labels: the value of "huge" is 2097152 characters; templates see labels, so at most 32768/);
  t.ok(bytes < 4096, `answer of ${bytes} bytes`);

  const fine = JSON.parse(fixture('01-').text);
  fine.request.object.metadata.labels = { ...fine.request.object.metadata.labels, long: 'x'.repeat(63) };
  t.ok((await post(ports.webhook, ca, JSON.stringify(fine))).review.response.patch, 'a label the apiserver allows still injects');
});
