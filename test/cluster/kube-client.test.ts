// The real ResourceClients against a small scripted HTTP server on 127.0.0.1 standing in
// for the apiserver: request shapes, paging, watch streams, 404 and deadlines.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigServedBy } from '../support/fake-apiserver.js';
import { configMapClient, namespaceClient } from '../../src/cluster/kube-client.js';
import { errorMessage } from '../../src/cluster/log.js';
import { waitFor } from '../config/support/helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function fakeApiserver(t: Test, handler: Handler): Promise<{ kc: KubeConfig; requests: URL[] }> {
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    handler(req, res, url);
  });
  const kc = await kubeConfigServedBy(t, server);
  return { kc, requests };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const status404 = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'namespaces "ghost" not found', reason: 'NotFound', code: 404 };

t.test('namespace list pages carry limit and continue; the continue token comes back', async (t) => {
  const { kc, requests } = await fakeApiserver(t, (_req, res, url) => {
    json(res, 200, {
      kind: 'NamespaceList', apiVersion: 'v1',
      metadata: { resourceVersion: '42', ...(url.searchParams.get('continue') ? {} : { continue: 'next-page' }) },
      items: [{ metadata: { name: url.searchParams.get('continue') ? 'b' : 'a', labels: { x: 'y' } } }],
    });
  });
  const client = namespaceClient(kc);
  const signal = new AbortController().signal;
  const first = await client.list({ limit: 2, signal });
  t.equal(first.continueToken, 'next-page');
  t.equal(first.resourceVersion, '42');
  t.same(first.items.map((n) => n.metadata?.name), ['a']);
  const second = await client.list({ limit: 2, continueToken: 'next-page', signal });
  t.equal(second.continueToken, undefined);
  t.equal(requests[0].pathname, '/api/v1/namespaces');
  t.equal(requests[0].searchParams.get('limit'), '2');
  t.equal(requests[1].searchParams.get('continue'), 'next-page');
});

t.test('a ConfigMap is listed and watched by name only', async (t) => {
  const { kc, requests } = await fakeApiserver(t, (_req, res, url) => {
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'cfg', resourceVersion: '8' }, data: { 'config.yaml': 'v2' } } })}\n`);
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } })}\n`);
      return;
    }
    json(res, 200, { kind: 'ConfigMapList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'cfg' }, data: { 'config.yaml': 'v1' } }] });
  });
  const client = configMapClient(kc, 'injector', 'cfg');
  t.equal(client.describe, 'configmap injector/cfg');
  const page = await client.list({ limit: 500, signal: new AbortController().signal });
  t.same(page.items.map((c) => c.data), [{ 'config.yaml': 'v1' }]);
  t.equal(requests[0].pathname, '/api/v1/namespaces/injector/configmaps');
  t.equal(requests[0].searchParams.get('fieldSelector'), 'metadata.name=cfg');

  const events: Array<[string, unknown]> = [];
  let done: unknown = 'not yet';
  await client.watch({ resourceVersion: '7', timeoutSeconds: 60 }, (type, obj) => events.push([type, obj]), (err) => {
    done = err;
  });
  await waitFor('watch stream ended', () => done !== 'not yet');
  t.equal(done, null, 'a clean end is reported as null');
  t.same(events.map(([type]) => type), ['MODIFIED', 'ERROR']);
  const watchUrl = requests[1];
  t.equal(watchUrl.pathname, '/api/v1/namespaces/injector/configmaps');
  t.same(Object.fromEntries(watchUrl.searchParams), {
    watch: 'true', fieldSelector: 'metadata.name=cfg', resourceVersion: '7', timeoutSeconds: '60', allowWatchBookmarks: 'true',
  });
});

t.test('reading a namespace: found, not found, failed, too slow', async (t) => {
  const { kc } = await fakeApiserver(t, (_req, res, url) => {
    const name = url.pathname.split('/').at(-1);
    if (name === 'apps') json(res, 200, { metadata: { name: 'apps', labels: { a: 'b' } } });
    else if (name === 'ghost') json(res, 404, status404);
    else if (name === 'secret') json(res, 403, { kind: 'Status', code: 403, message: 'namespaces "secret" is forbidden: User "x" cannot get resource "namespaces"' });
    // "slow": never answers
  });
  const client = namespaceClient(kc);
  t.same((await client.read('apps', 2000))?.metadata?.labels, { a: 'b' });
  t.equal(await client.read('ghost', 2000), undefined, '404 means it does not exist');
  const forbidden = await client.read('secret', 2000).catch((err: unknown) => err);
  t.equal(errorMessage(forbidden), 'HTTP 403: namespaces "secret" is forbidden: User "x" cannot get resource "namespaces"', 'a short message, not the whole response');
  await t.rejects(client.read('slow', 100), { message: 'reading namespace slow timed out after 100 ms' });
});

t.test('a list is abandoned when the reflector stops', async (t) => {
  const { kc } = await fakeApiserver(t, () => undefined); // never answers
  const stop = new AbortController();
  const listing = namespaceClient(kc).list({ limit: 1, signal: stop.signal });
  stop.abort();
  await t.rejects(listing);
});
