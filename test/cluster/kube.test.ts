import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import t from 'tap';
import { loadKubeAccess } from '../../src/cluster/kube.js';
import { tempDir } from '../config/support/helpers.js';

function kubeconfig(server: string, context = 'local', namespace?: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${context}-cluster
  cluster: {server: "${server}", insecure-skip-tls-verify: true}
users:
- name: ${context}-user
  user: {token: "abc"}
contexts:
- name: ${context}
  context: {cluster: ${context}-cluster, user: ${context}-user${namespace ? `, namespace: ${namespace}` : ''}}
current-context: ${context}
`;
}

async function serviceAccountDir(t: Parameters<typeof tempDir>[0], namespace?: string): Promise<string> {
  const dir = join(await tempDir(t), 'serviceaccount');
  await mkdir(dir);
  await writeFile(join(dir, 'token'), 'sa-token');
  await writeFile(join(dir, 'ca.crt'), '');
  if (namespace) await writeFile(join(dir, 'namespace'), `${namespace}\n`);
  return dir;
}

t.test('nothing configured: standalone (undefined)', async (t) => {
  const saDir = join(await tempDir(t), 'absent');
  t.equal(loadKubeAccess({ env: {}, serviceAccountDir: saDir }), undefined);
  t.equal(loadKubeAccess({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, serviceAccountDir: saDir }), undefined, 'a service host without a token is not a pod with a service account');
});

t.test('in a pod: the service account, its namespace, the service host', async (t) => {
  const saDir = await serviceAccountDir(t, 'injector');
  const access = loadKubeAccess({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/not/used' }, serviceAccountDir: saDir });
  t.match(access, { mode: 'in-cluster', server: 'https://10.96.0.1:443', namespace: 'injector', description: /in-cluster service account/ });
  const user = access?.kubeConfig.getCurrentUser();
  t.equal(user?.authProvider?.config?.tokenFile, join(saDir, 'token'), 'the token is read from its file, so rotation works');
  t.equal(access?.kubeConfig.getCurrentCluster()?.caFile, join(saDir, 'ca.crt'));

  const v6 = loadKubeAccess({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, serviceAccountDir: saDir });
  t.equal(v6?.server, 'https://[fd00::1]:6443');
});

t.test('--kubeconfig wins over the service account and $KUBECONFIG', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'flag.yaml');
  await writeFile(file, kubeconfig('https://127.0.0.1:7443', 'flag', 'team-a'));
  const saDir = await serviceAccountDir(t);
  const access = loadKubeAccess({ kubeconfig: file, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBECONFIG: '/nope' }, serviceAccountDir: saDir });
  t.match(access, { mode: 'kubeconfig-flag', server: 'https://127.0.0.1:7443', namespace: 'team-a', description: new RegExp(`kubeconfig ${file} from --kubeconfig`) });
});

t.test('$KUBECONFIG outside a pod, with several files merged (the first one\'s context wins)', async (t) => {
  const dir = await tempDir(t);
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  await writeFile(a, kubeconfig('https://127.0.0.1:1111', 'a'));
  await writeFile(b, kubeconfig('https://127.0.0.1:2222', 'b'));
  const access = loadKubeAccess({ env: { KUBECONFIG: `${a}${delimiter}${b}` }, serviceAccountDir: join(dir, 'none') });
  t.match(access, { mode: 'kubeconfig-env', server: 'https://127.0.0.1:1111' });
  t.equal(access?.kubeConfig.contexts.length, 2);
  t.equal(access?.namespace, undefined);
});

t.test('a kubeconfig that cannot be used is a clear error naming it', async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, 'missing.yaml');
  t.throws(() => loadKubeAccess({ kubeconfig: missing, env: {} }), { message: `cannot load kubeconfig ${missing} (from --kubeconfig): no such file; expected a readable kubeconfig file` });
  t.throws(() => loadKubeAccess({ env: { KUBECONFIG: missing } }), { message: /from \$KUBECONFIG/ });
  const noContext = join(dir, 'no-context.yaml');
  await writeFile(noContext, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
  t.throws(() => loadKubeAccess({ kubeconfig: noContext, env: {} }), { message: /has no current context with a cluster/ });
});
