// The cluster version reader with fake reads: the oldest kubelet, the 403 fall-back, and a
// failed refresh keeping the last good reading.
import t from 'tap';
import { ClusterVersionWatcher, oldestVersion, readClusterInfo, type VersionReader } from '../../src/cluster/cluster-version.js';
import { majorMinor } from '../../src/injection/native-sidecar.js';

function reader(apiserver: () => Promise<string>, kubelets: () => Promise<string[] | 'forbidden'>): VersionReader {
  return { apiserverVersion: apiserver, kubeletVersions: kubelets };
}

t.test('versions: major.minor of what clusters report', async (t) => {
  t.equal(majorMinor('v1.29.3-gke.1200'), '1.29');
  t.equal(majorMinor('1.33'), '1.33');
  t.equal(majorMinor('v1.20.15+k3s1'), '1.20');
  t.equal(majorMinor('latest'), undefined);
  t.equal(oldestVersion(['v1.33.1', 'v1.29.0', 'garbage', 'v1.31.2']), '1.29');
  t.equal(oldestVersion(['', 'x']), null, 'nothing readable: unknown');
  t.equal(oldestVersion(['v2.0.0', 'v1.40.0']), '1.40');
});

t.test('readClusterInfo: nodes listed, none, or forbidden', async (t) => {
  t.same(await readClusterInfo(reader(async () => 'v1.33.0', async () => ['v1.33.1', 'v1.34.0'])),
    { kubernetesVersion: '1.33', oldestKubeletVersion: '1.33', nodes: 'listed' });
  t.same(await readClusterInfo(reader(async () => 'v1.30.0', async () => [])),
    { kubernetesVersion: '1.30', oldestKubeletVersion: null, nodes: 'none' });
  t.same(await readClusterInfo(reader(async () => 'v1.20.2', async () => 'forbidden')),
    { kubernetesVersion: '1.20', oldestKubeletVersion: null, nodes: 'forbidden' });
  await t.rejects(readClusterInfo(reader(async () => { throw new Error('connection refused'); }, async () => [])), /connection refused/);
});

t.test('the watcher keeps the last good reading when a refresh fails', async (t) => {
  let fail = false;
  let version = 'v1.32.0';
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (_: unknown, message: string) => { warnings.push(message); } };
  const watcher = new ClusterVersionWatcher(reader(async () => {
    if (fail) throw new Error('apiserver down');
    return version;
  }, async () => 'forbidden'), log as never);
  t.teardown(() => watcher.close());
  t.same(watcher.current(), { kubernetesVersion: null, oldestKubeletVersion: null }, 'unknown until read');
  await watcher.start(3_600_000);
  t.equal(watcher.current().kubernetesVersion, '1.32');
  fail = true;
  t.equal((await watcher.refresh()).kubernetesVersion, '1.32', 'the last reading stays');
  t.match(warnings, [/cannot read the cluster version: keeping the last reading/]);
  fail = false;
  version = 'v1.33.0';
  t.equal((await watcher.refresh()).kubernetesVersion, '1.33', 'an upgrade is seen on the next refresh');
});
