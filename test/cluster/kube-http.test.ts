// cluster/kube-http.ts against a scripted HTTP server: credentials and bodies as sent,
// errors in client-node's ApiException shape, and the bounds on what is read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigServedBy } from '../support/fake-apiserver.js';
import { KubeApiError, kubeJson } from '../../src/cluster/kube-http.js';
import { errorMessage } from '../../src/cluster/log.js';

interface Seen { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }

async function fakeApiserver(t: Test, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ kc: KubeConfig; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res);
    });
  });
  const kc = await kubeConfigServedBy(t, server, true);
  return { kc, seen };
}

const signal = () => AbortSignal.timeout(5_000);

t.test('a GET carries the token and the query; the JSON answer comes back parsed', async (t) => {
  const { kc, seen } = await fakeApiserver(t, (_req, res) => res.end('{"gitVersion":"v1.31.0"}'));
  const info = await kubeJson<{ gitVersion: string }>(kc, { method: 'GET', path: '/version', query: { limit: 5, continue: undefined }, signal: signal() });
  t.equal(info.gitVersion, 'v1.31.0');
  t.equal(seen[0].url, '/version?limit=5', 'no double slash from the server URL, undefined values left out');
  t.equal(seen[0].headers.authorization, 'Bearer t0ken');
});

t.test('a PATCH sends its body with the content type asked for', async (t) => {
  const { kc, seen } = await fakeApiserver(t, (_req, res) => res.end('{}'));
  await kubeJson(kc, { method: 'PATCH', path: '/api/v1/namespaces/a/events/e', body: { count: 2 }, contentType: 'application/merge-patch+json', signal: signal() });
  t.equal(seen[0].method, 'PATCH');
  t.equal(seen[0].headers['content-type'], 'application/merge-patch+json');
  t.same(JSON.parse(seen[0].body), { count: 2 });
});

t.test('a non-2xx answer rejects with code and body, read by errorMessage', async (t) => {
  const { kc } = await fakeApiserver(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', message: 'nodes is forbidden', code: 403 }));
  });
  const err = await kubeJson(kc, { method: 'GET', path: '/api/v1/nodes', signal: signal() }).catch((e: unknown) => e);
  t.ok(err instanceof KubeApiError);
  t.equal((err as KubeApiError).code, 403);
  t.equal(errorMessage(err), 'HTTP 403: nodes is forbidden');
});

t.test('an answer that is not JSON, or too large, is an error that says so', async (t) => {
  const { kc } = await fakeApiserver(t, (req, res) => {
    if (req.url === '/big') {
      res.write(Buffer.alloc(64 * 1024 * 1024 + 1024, 0x20));
      res.end();
    } else res.end('<html>');
  });
  await t.rejects(kubeJson(kc, { method: 'GET', path: '/text', signal: signal() }), /GET \/text: the apiserver's answer is not JSON/);
  await t.rejects(kubeJson(kc, { method: 'GET', path: '/big', signal: signal() }), /answer larger than/);
});

t.test('without a current cluster nothing is sent', async (t) => {
  await t.rejects(kubeJson(new KubeConfig(), { method: 'GET', path: '/version', signal: signal() }), /no current cluster/);
});
