// deploy/ renders with kubectl's built-in kustomize, and the rendered objects carry the
// settings the install depends on. No cluster needed: only the kubectl binary.
import t from 'tap';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { generateCertificates } from '../../src/certs/generate.js';
import { WEBHOOK_COUNT } from '../../src/certs/kustomize-layer.js';
import { writeCertificates } from '../../src/certs/write.js';
import { noKubectl as skip, only, render, selects, type Obj } from './render.js';

const repo = resolve(import.meta.dirname, '../..');
const NAMESPACE = 'sidecar-injector';
const IGNORED = ['kube-system', 'kube-public', 'kube-node-lease', NAMESPACE];

function webhooksCalled(webhooks: Obj[], nsLabels: Record<string, string>, podLabels: Record<string, string>): string[] {
  return webhooks.filter((w) => selects(w.namespaceSelector, nsLabels) && selects(w.objectSelector, podLabels)).map((w) => w.name);
}

const templateFiles = readdirSync(join(repo, 'templates')).filter((f) => f === 'config.yaml' || f.endsWith('.template.yaml')).sort();

t.test('base', { skip }, async (t) => {
  const objects = render(join(repo, 'deploy/base'));
  t.same(objects.map((o) => o.kind).sort(), [
    'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'MutatingWebhookConfiguration', 'Namespace',
    'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
  ], 'the objects of an install, once each');
  const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);
  for (const o of objects.filter((o) => !clusterScoped.has(o.kind))) {
    t.equal(o.metadata.namespace, NAMESPACE, `${o.kind} ${o.metadata.name} lives in ${NAMESPACE}`);
  }

  t.test('namespace keeps the injector out of its own path', async (t) => {
    const ns = only(objects, 'Namespace');
    t.equal(ns.metadata.name, NAMESPACE);
    t.equal(ns.metadata.labels['sidecar-injection'], 'disabled');
  });

  t.test('RBAC: read namespaces, read the one ConfigMap, list nodes, write Events, nothing else', async (t) => {
    t.same(only(objects, 'ClusterRole').rules, [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    t.same(only(objects, 'Role').rules, [{
      apiGroups: [''], resources: ['configmaps'], resourceNames: ['sidecar-injector'], verbs: ['get', 'list', 'watch'],
    }]);
    const sa = only(objects, 'ServiceAccount');
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      const binding = only(objects, kind);
      t.same(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }], `${kind} subject`);
      t.equal(binding.roleRef.kind, kind.replace('Binding', ''));
    }
  });

  t.test('ConfigMap holds exactly the files of templates/', async (t) => {
    const cm = only(objects, 'ConfigMap');
    t.equal(cm.metadata.name, 'sidecar-injector', 'stable name, no hash suffix');
    t.same(Object.keys(cm.data).sort(), templateFiles, 'one key per config.yaml and *.template.yaml');
    for (const file of templateFiles) {
      t.equal(cm.data[file], readFileSync(join(repo, 'templates', file), 'utf8'), `${file} identical`);
    }
  });

  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];

  t.test('Deployment', async (t) => {
    t.equal(deployment.spec.replicas, 2);
    t.equal(pod.spec.containers.length, 1);
    t.same(container.args, [
      'serve', '--configmap', 'sidecar-injector/sidecar-injector',
      '--tls-cert-file', '/etc/sidecar-injector/tls/tls.crt', '--tls-key-file', '/etc/sidecar-injector/tls/tls.key',
      '--shutdown-delay', '5s',
    ]);
    t.same(container.env.find((e: Obj) => e.name === 'POD_NAMESPACE'), {
      name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
    t.equal(container.image, `sidecar-injector:${version}`, 'image tag follows package.json');
    t.ok(pod.spec.terminationGracePeriodSeconds > 5 + 25, 'grace period longer than the 5 s delay plus the default 25 s drain');
    t.equal(pod.spec.serviceAccountName, only(objects, 'ServiceAccount').metadata.name);
    t.equal(pod.metadata.labels['sidecar-injector.io/inject'], 'false', 'never injects itself');
    t.ok(pod.spec.topologySpreadConstraints.some((c: Obj) => c.topologyKey === 'kubernetes.io/hostname'), 'spread across nodes');
    for (const c of pod.spec.topologySpreadConstraints) t.ok(selects(c.labelSelector, pod.metadata.labels), `spread selector ${c.topologyKey} selects the pods`);
    t.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory, 'requests and a memory limit');
  });

  t.test('Deployment security', async (t) => {
    t.match(pod.spec.securityContext, { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    t.match(container.securityContext, {
      runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    t.notOk(container.securityContext.capabilities.add, 'no capability added');
  });

  t.test('probes, ports, TLS volume', async (t) => {
    const port = (name: string) => container.ports.find((p: Obj) => p.name === name)?.containerPort;
    t.equal(port('https'), 9443);
    t.equal(port('metrics'), 8080);
    for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']]) {
      t.equal(container[probe].httpGet.path, path, `${probe} path`);
      const target = container[probe].httpGet.port;
      t.equal(typeof target === 'number' ? target : port(target), 8080, `${probe} on :8080`);
    }
    const tls = pod.spec.volumes.find((v: Obj) => v.secret);
    t.equal(tls.secret.secretName, 'sidecar-injector-tls');
    const mount = container.volumeMounts.find((m: Obj) => m.name === tls.name);
    t.equal(mount.mountPath, '/etc/sidecar-injector/tls', 'mounted where --tls-cert-file points');
    t.notOk(mount.subPath, 'no subPath, so renewals reach the pod');
  });

  t.test('PodDisruptionBudget and Service select the pods', async (t) => {
    const pdb = only(objects, 'PodDisruptionBudget');
    t.equal(pdb.spec.minAvailable, 1);
    t.ok(selects(pdb.spec.selector, pod.metadata.labels));
    const service = only(objects, 'Service');
    t.ok(selects({ matchLabels: service.spec.selector }, pod.metadata.labels));
    const https = service.spec.ports.find((p: Obj) => p.port === 443);
    t.ok(https.targetPort === 9443 || container.ports.find((p: Obj) => p.name === https.targetPort)?.containerPort === 9443, '443 → 9443');
    t.ok(service.spec.ports.some((p: Obj) => p.port === 8080), 'metrics port');
  });

  t.test('webhook configuration', async (t) => {
    const webhooks: Obj[] = only(objects, 'MutatingWebhookConfiguration').webhooks;
    t.same(webhooks.map((w) => w.name), ['namespace.sidecar-injector.io', 'object.sidecar-injector.io']);
    t.equal(webhooks.length, WEBHOOK_COUNT, 'certs/ patches this many caBundles');
    const service = only(objects, 'Service');
    for (const w of webhooks) {
      t.match(w, {
        sideEffects: 'None', failurePolicy: 'Fail', timeoutSeconds: 5, reinvocationPolicy: 'IfNeeded', matchPolicy: 'Equivalent',
      }, `${w.name} settings`);
      t.same(w.admissionReviewVersions, ['v1', 'v1beta1']);
      t.same(w.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }], `${w.name}: pod CREATE only`);
      t.same(w.clientConfig.service, { name: service.metadata.name, namespace: NAMESPACE, path: '/inject', port: 443 });
      const byName = w.namespaceSelector.matchExpressions.find((e: Obj) => e.key === 'kubernetes.io/metadata.name');
      t.same({ operator: byName.operator, values: [...byName.values].sort() }, { operator: 'NotIn', values: [...IGNORED].sort() }, `${w.name} skips the ignored namespaces by name`);
    }
    const config = YAML.parse(readFileSync(join(repo, 'templates/config.yaml'), 'utf8'));
    t.same([...config.ignoredNamespaces, NAMESPACE].sort(), [...IGNORED].sort(), 'same ignored namespaces as the built-in config');
  });

  t.test('webhook selectors: only opted-in pods reach the injector, each through one webhook', async (t) => {
    const webhooks: Obj[] = only(objects, 'MutatingWebhookConfiguration').webhooks;
    const on = { 'sidecar-injection': 'enabled' };
    const off = { 'sidecar-injection': 'disabled' };
    const yes = { 'sidecar-injector.io/inject': 'true' };
    const no = { 'sidecar-injector.io/inject': 'false' };
    const named = (name: string, labels: Record<string, string> = {}) => ({ ...labels, 'kubernetes.io/metadata.name': name }); // 1.21+
    const ownNamespace = only(objects, 'Namespace').metadata.labels;
    const cases: [string, Record<string, string>, Record<string, string>, string[]][] = [
      ['enabled namespace', on, {}, ['namespace.sidecar-injector.io']],
      ['enabled namespace, pod inject=true', on, yes, ['namespace.sidecar-injector.io']],
      ['enabled namespace, pod inject=false', on, no, []],
      ['enabled namespace, other pod label value', on, { 'sidecar-injector.io/inject': 'maybe' }, ['namespace.sidecar-injector.io']],
      ['unlabelled namespace', {}, {}, []],
      ['unlabelled namespace, pod inject=true', {}, yes, ['object.sidecar-injector.io']],
      ['unlabelled namespace, pod inject=false', {}, no, []],
      ['disabled namespace, pod inject=true', off, yes, []],
      ['injector namespace on 1.20 (no name label), pod inject=true', ownNamespace, yes, []],
      ['injector namespace on 1.21+, pod inject=true', named(NAMESPACE, ownNamespace), yes, []],
      ...['kube-system', 'kube-public', 'kube-node-lease'].map((name): [string, Record<string, string>, Record<string, string>, string[]] =>
        [`${name} on 1.21+, pod inject=true`, named(name), yes, []]),
      ['kube-system labelled enabled on 1.21+', named('kube-system', on), {}, []],
      ['ordinary namespace on 1.21+, pod inject=true', named('shop'), yes, ['object.sidecar-injector.io']],
      ['ordinary enabled namespace on 1.21+', named('shop', on), {}, ['namespace.sidecar-injector.io']],
    ];
    for (const [what, nsLabels, podLabels, expected] of cases) {
      t.same(webhooksCalled(webhooks, nsLabels, podLabels), expected, what);
    }
  });
});

t.test('cert-manager overlay', { skip }, async (t) => {
  const base = render(join(repo, 'deploy/base'));
  const objects = render(join(repo, 'deploy/cert-manager'));
  t.equal(objects.length, base.length + 4, 'base plus two Issuers and two Certificates');
  const webhook = only(objects, 'MutatingWebhookConfiguration');
  t.same(webhook.webhooks, only(base, 'MutatingWebhookConfiguration').webhooks, 'webhooks as in base');
  const [certNamespace, certName] = webhook.metadata.annotations['cert-manager.io/inject-ca-from'].split('/');
  t.equal(certNamespace, NAMESPACE);
  const serving = only(objects, 'Certificate', certName);
  const tlsVolume = only(objects, 'Deployment').spec.template.spec.volumes.find((v: Obj) => v.secret);
  t.equal(serving.spec.secretName, tlsVolume.secret.secretName, 'issues the Secret the Deployment mounts');
  t.ok(serving.spec.dnsNames.includes(`sidecar-injector.${NAMESPACE}.svc`), 'names the Service as the apiserver calls it');
  t.match(serving.spec.privateKey, { algorithm: 'ECDSA', size: 256 });
  const caIssuer = only(objects, 'Issuer', serving.spec.issuerRef.name);
  const ca = only(objects, 'Certificate', objects.find((o) => o.kind === 'Certificate' && o.spec.secretName === caIssuer.spec.ca.secretName)?.metadata.name);
  t.equal(ca.spec.isCA, true, 'serving certificate signed by a CA certificate');
  t.same(only(objects, 'Issuer', ca.spec.issuerRef.name).spec, { selfSigned: {} }, 'CA bootstrapped by a self-signed Issuer');
  for (const o of objects.filter((o) => o.apiVersion === 'cert-manager.io/v1')) t.equal(o.metadata.namespace, NAMESPACE, `${o.kind} ${o.metadata.name} namespace`);
});

t.test('self-signed overlay, from the files certs/ writes', { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'deploy-self-signed-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // A copy, so the test neither needs nor touches the real certs/out/.
  cpSync(join(repo, 'deploy'), join(work, 'deploy'), { recursive: true });
  cpSync(join(repo, 'templates'), join(work, 'templates'), { recursive: true });
  const out = join(work, 'certs/out');
  const written = await writeCertificates({
    service: 'sidecar-injector', namespace: NAMESPACE, dns: [], ip: [], days: 30,
    out, base: join(work, 'deploy/base'), force: false,
  }, generateCertificates);

  const objects = render(join(work, 'deploy/self-signed'));
  const secret = only(objects, 'Secret', 'sidecar-injector-tls');
  t.equal(secret.metadata.namespace, NAMESPACE);
  t.equal(secret.type, 'kubernetes.io/tls');
  for (const file of ['tls.crt', 'tls.key', 'ca.crt']) {
    t.equal(Buffer.from(secret.data[file], 'base64').toString(), readFileSync(join(out, file), 'utf8'), `Secret ${file} from certs/out`);
  }
  const webhooks: Obj[] = only(objects, 'MutatingWebhookConfiguration').webhooks;
  t.equal(webhooks.length, 2);
  for (const w of webhooks) t.equal(w.clientConfig.caBundle, written.caBundle, `${w.name} trusts the CA`);
  t.equal(Buffer.from(written.caBundle, 'base64').toString(), readFileSync(join(out, 'ca.crt'), 'utf8'), 'caBundle is the CA');
  t.equal(objects.length, render(join(repo, 'deploy/base')).length + 1, 'base plus the Secret');
});

t.test('kustomizations stay readable by kubectl 1.14-1.20 (kustomize v2.0.3)', async (t) => {
  // kustomize v5 accepts the newer forms too, so only this check catches them.
  const v2Fields = new Set(['apiVersion', 'kind', 'namespace', 'bases', 'resources', 'configMapGenerator', 'secretGenerator',
    'generatorOptions', 'patchesStrategicMerge', 'patchesJson6902', 'commonLabels', 'commonAnnotations', 'images']);
  const dirs = ['templates', 'deploy/base', 'deploy/cert-manager', 'deploy/self-signed', 'deploy/monitoring', 'templates/profiles/istio', 'deploy/istio'];
  for (const dir of dirs) {
    const kustomization = YAML.parse(readFileSync(join(repo, dir, 'kustomization.yaml'), 'utf8'));
    for (const field of Object.keys(kustomization)) t.ok(v2Fields.has(field), `${dir}: ${field} is known to kustomize v2.0.3`);
    for (const entry of kustomization.resources ?? []) t.match(entry, /\.ya?ml$/, `${dir}: resources lists files (directories go under bases)`);
  }
});

t.test('istio: serves the istio profile with Istio\'s selectors', { skip }, async (t) => {
  const objects = render(join(repo, 'deploy/istio'));
  const profileDir = join(repo, 'templates/profiles/istio');
  const profileFiles = readdirSync(profileDir).filter((f) => f === 'config.yaml' || f.endsWith('.template.yaml')).sort();
  const configMap = only(objects, 'ConfigMap', 'sidecar-injector-istio');
  t.same(Object.keys(configMap.data).sort(), profileFiles, 'the ConfigMap holds exactly the profile\'s files');
  for (const file of profileFiles) t.equal(configMap.data[file], readFileSync(join(profileDir, file), 'utf8'), `${file} as in the repository`);
  const args: string[] = only(objects, 'Deployment', 'sidecar-injector').spec.template.spec.containers[0].args;
  t.equal(args[args.indexOf('--configmap') + 1], `${NAMESPACE}/sidecar-injector-istio`);
  t.same(only(objects, 'Role', 'sidecar-injector').rules[0].resourceNames, ['sidecar-injector-istio']);
  const webhooks: Obj[] = only(objects, 'MutatingWebhookConfiguration').webhooks;
  const called = (ns: Record<string, string>, pod: Record<string, string> = {}) => webhooksCalled(webhooks, ns, pod).length > 0;
  const ns = (name: string, labels: Record<string, string> = {}) => ({ 'kubernetes.io/metadata.name': name, ...labels });
  t.ok(called(ns('shop', { 'istio-injection': 'enabled' })), 'istio-injection=enabled namespace');
  t.notOk(called(ns('shop', { 'istio-injection': 'enabled' }), { 'sidecar.istio.io/inject': 'false' }), 'pod opted out');
  t.ok(called(ns('shop'), { 'sidecar.istio.io/inject': 'true' }), 'pod opted in, unlabelled namespace');
  t.notOk(called(ns('shop', { 'istio-injection': 'disabled' }), { 'sidecar.istio.io/inject': 'true' }), 'namespace opted out');
  t.notOk(called(ns('shop', { 'istio.io/rev': 'canary' }), { 'sidecar.istio.io/inject': 'true' }), 'istiod revisions keep their namespaces');
  t.notOk(called(ns('istio-system', { 'istio-injection': 'enabled' })), 'istio-system never');
  t.notOk(called(ns('shop', { 'sidecar-injection': 'enabled' })), 'our own label is not Istio\'s');
});
