// The cluster version reader against a real kube-apiserver (test/e2e/cluster/kube-up, started by npm run test:e2e):
// /version, the nodes' kubelet versions, and the fall-back when nodes may not be listed.
// Skipped unless KUBECONFIG names that cluster; the e2e runner sets it.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { loadKubeAccess } from '../../src/cluster/kube.js';
import { ClusterVersionWatcher, kubeVersionReader, readClusterInfo } from '../../src/cluster/cluster-version.js';
import { majorMinor, nativeSidecarsSupported } from '../../src/injection/native-sidecar.js';

const kubeconfigPath = process.env.KUBECONFIG;
const skip = kubeconfigPath ? false : 'no KUBECONFIG: these tests need a real apiserver (npm run test:e2e starts one)';

t.test('against a real kube-apiserver', { skip }, async (t) => {
  const access = loadKubeAccess({ env: { KUBECONFIG: kubeconfigPath } });
  if (!access) throw new Error('KUBECONFIG is set but gave no Kubernetes access');
  const kc = access.kubeConfig;
  const api = kc.makeApiClient(CoreV1Api);
  const served = majorMinor((await kc.makeApiClient(VersionApi).getCode()).gitVersion)!;
  const suffix = randomBytes(4).toString('hex');

  await t.test('/version gives the apiserver\'s major.minor', async (t) => {
    const info = await readClusterInfo(kubeVersionReader(kc));
    t.equal(info.kubernetesVersion, served);
    t.match(info.kubernetesVersion, /^1\.\d+$/);
  });

  await t.test('the oldest kubelet is read from the nodes', async (t) => {
    const name = `si-old-node-${suffix}`;
    await api.createNode({ body: { metadata: { name, labels: { 'sidecar-injector.io/test': 'cluster-version' } }, spec: { unschedulable: true } } });
    t.teardown(() => api.deleteNode({ name }).then(() => undefined, () => undefined));
    const node = await api.readNode({ name });
    await api.replaceNodeStatus({ name, body: { ...node, status: { nodeInfo: {
      kubeletVersion: 'v1.19.16', architecture: 'amd64', bootID: '', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '',
      machineID: '', operatingSystem: 'linux', osImage: '', systemUUID: '',
    } } } });
    const info = await readClusterInfo(kubeVersionReader(kc));
    t.equal(info.nodes, 'listed');
    t.equal(info.oldestKubeletVersion, '1.19', 'a node older than every other decides');
    t.equal(nativeSidecarsSupported(info), false);
  });

  await t.test('without list on nodes (403) the apiserver\'s version decides', async (t) => {
    const limited = new KubeConfig();
    const cluster = kc.getCurrentCluster()!;
    limited.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'limited', token: kc.getCurrentUser()?.token, impersonateUser: `si-no-nodes-${suffix}` }],
      contexts: [{ name: 'limited', cluster: cluster.name, user: 'limited' }],
      currentContext: 'limited',
    });
    const info = await readClusterInfo(kubeVersionReader(limited));
    t.same(info, { kubernetesVersion: served, oldestKubeletVersion: null, nodes: 'forbidden' });
  });

  await t.test('the watcher reads at start and keeps the reading', async (t) => {
    const watcher = new ClusterVersionWatcher(kubeVersionReader(kc));
    t.teardown(() => watcher.close());
    t.equal(watcher.current().kubernetesVersion, null, 'unknown before the first read');
    await watcher.start(60_000);
    t.equal(watcher.current().kubernetesVersion, served);
  });
});
