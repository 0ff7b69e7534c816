// serve loads @kubernetes/client-node's KubeConfig and Watch without its generated API
// (cluster/client-node-slim.ts). That depends on the library's file layout: these tests
// fail, naming what changed, when an upgrade breaks it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import t from 'tap';
import { importWithSlimClient } from '../../src/cluster/client-node-slim.js';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('@kubernetes/client-node/package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; exports?: unknown };

t.test('client-node has the layout the slim load relies on', async (t) => {
  t.match(pkg.version, /^1\./, 'client-node 1.x (the slim load was written for 1.4)');
  t.equal(pkg.exports, undefined, 'no "exports" map: deep imports of dist/config.js and dist/watch.js resolve');
  const config = readFileSync(join(root, 'dist/config.js'), 'utf8');
  const fromGen = [...config.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/g)];
  t.equal(fromGen.length, 1, "dist/config.js imports from './gen/index.js' once (the import the hook redirects)");
  const names = fromGen[0][1].split(',').map((n) => n.trim()).filter(Boolean).sort();
  t.same(names, ['ServerConfiguration', 'createConfiguration'], 'the names cluster/client-node-gen.ts re-exports, and no other');
  t.notOk(/from\s*'\.\/(api|gen\/index)\.js'/.test(readFileSync(join(root, 'dist/watch.js'), 'utf8')), 'dist/watch.js does not load the generated API');
});

t.test('KubeConfig loads through the hook, without the generated API, and still applies credentials', async (t) => {
  const { module, slim } = await importWithSlimClient(() => import('../../src/cluster/kube.js'));
  t.equal(slim, true, "config.js was linked to client-node-gen.ts, not to the library's gen/index.js");
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 't0ken' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const options: { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(options as never);
  t.equal(options.headers?.Authorization, 'Bearer t0ken');
  t.type(module.loadKubeAccess, 'function');
});
