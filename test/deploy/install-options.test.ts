// The install's hardening (issue 10) and its knobs: the NetworkPolicy of deploy/base, the
// node spread, and deploy/options/ (an overlay of your own: images by digest, the webhook
// port from control-plane CIDRs, the single-node spread fallback), rendered with kubectl's
// kustomize. Pinning the injected images by digest is checked end to end: a ConfigMap
// rendered from a templates/ with digest references drives `inject`.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { cli } from '../cli/support/cli.js';
import { noKubectl as skip, only, render, selects, type Obj } from './render.js';

const repo = resolve(import.meta.dirname, '../..');
const METRICS_READER = { 'sidecar-injector.io/metrics-reader': 'true' };
/** A digest of the right form for tests (not of any real image). */
const digest = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;

/** A scratch copy of deploy/ and templates/, removed after the test. */
function scratchTree(t: Test): string {
  const tree = mkdtempSync(join(tmpdir(), 'deploy-options-'));
  t.teardown(() => rmSync(tree, { recursive: true, force: true }));
  cpSync(join(repo, 'deploy'), join(tree, 'deploy'), { recursive: true });
  cpSync(join(repo, 'templates'), join(tree, 'templates'), { recursive: true });
  return tree;
}

/** deploy/options copied to my-install/ as its README says, with `edit` applied to the kustomization. */
function myInstall(tree: string, edit: (k: Obj) => void): string {
  const dir = join(tree, 'my-install');
  cpSync(join(tree, 'deploy/options'), dir, { recursive: true });
  renameSync(join(dir, 'overlay-example.yaml'), join(dir, 'kustomization.yaml'));
  const kustomization = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  edit(kustomization);
  writeFileSync(join(dir, 'kustomization.yaml'), YAML.stringify(kustomization));
  return dir;
}

t.test('base NetworkPolicy: the webhook port from any source by default, metrics only from a labelled namespace', { skip }, async (t) => {
  const objects = render(join(repo, 'deploy/base'));
  const policy = only(objects, 'NetworkPolicy');
  const pod = only(objects, 'Deployment').spec.template;
  const ports: Obj[] = pod.spec.containers[0].ports;
  t.equal(policy.metadata.namespace, 'sidecar-injector');
  t.ok(selects(policy.spec.podSelector, pod.metadata.labels), 'selects the injector pods');
  t.notOk(selects(policy.spec.podSelector, { app: 'other' }), 'and not others');
  t.same(policy.spec.policyTypes, ['Ingress'], 'ingress only: the injector still reaches the apiserver and DNS');
  const [webhook, metrics, ...rest] = policy.spec.ingress;
  t.same(rest, [], 'two rules: every other port is closed');
  t.same(webhook.ports, [{ protocol: 'TCP', port: 'https' }], 'rule 0: the webhook port, by name');
  t.equal(webhook.from, undefined, 'rule 0 admits any source (no `from`): the apiserver\'s address is not known in advance');
  t.same(metrics.ports, [{ protocol: 'TCP', port: 'metrics' }], 'rule 1: the metrics port, by name');
  t.same(metrics.from, [{ namespaceSelector: { matchLabels: METRICS_READER } }], 'rule 1: from namespaces labelled metrics-reader');
  for (const rule of [webhook, metrics]) {
    const port = ports.find((p) => p.name === rule.ports[0].port);
    t.ok(port, `port ${rule.ports[0].port} is a container port`);
  }
  t.same(ports.map((p) => p.name).sort(), ['https', 'metrics'], 'the rules cover every container port');
});

t.test('base: replicas on different nodes as a rule, zones as a preference', { skip }, async (t) => {
  const spread: Obj[] = only(render(join(repo, 'deploy/base')), 'Deployment').spec.template.spec.topologySpreadConstraints;
  t.match(spread.find((c) => c.topologyKey === 'kubernetes.io/hostname'), { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
  t.match(spread.find((c) => c.topologyKey === 'topology.kubernetes.io/zone'), { maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
  t.equal(spread[0].topologyKey, 'kubernetes.io/hostname', 'first, where spread-schedule-anyway.yaml patches it');
  t.notOk(spread.some((c) => 'nodeTaintsPolicy' in c || 'minDomains' in c), 'no field older clusters lack (kubectl would refuse it there)');
});

t.test('deploy/options: my-install with the injector image by digest and the webhook port from CIDRs', { skip }, async (t) => {
  const tree = scratchTree(t);
  const pinned = digest('injector');
  const dir = myInstall(tree, (k) => {
    t.match(k.images[0].digest, /^sha256:</, 'the example leaves the digest to fill in');
    k.images[0].digest = pinned;
  });
  const objects = render(dir);
  const base = render(join(tree, 'deploy/cert-manager'));
  t.equal(objects.length, base.length, 'the same objects as the overlay it builds on');
  const container = only(objects, 'Deployment').spec.template.spec.containers[0];
  t.equal(container.image, `registry.example.com/sidecar-injector@${pinned}`, 'NAME@DIGEST, no tag');

  const cidrs = YAML.parse(readFileSync(join(repo, 'deploy/options/webhook-from-cidrs.yaml'), 'utf8'))[0].value;
  const [webhook, metrics] = only(objects, 'NetworkPolicy').spec.ingress;
  t.same(webhook.from, cidrs, 'the webhook port only from the listed CIDRs');
  t.ok(webhook.from.length > 0 && webhook.from.every((f: Obj) => Object.keys(f).join() === 'ipBlock'), 'ipBlocks only');
  t.same(metrics, only(base, 'NetworkPolicy').spec.ingress[1], 'the metrics rule as in base');
  t.equal(only(objects, 'Deployment').spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable, 'DoNotSchedule');
});

t.test('deploy/options: the example overlay uses only fields kustomize v2.0.3 (kubectl 1.14-1.20) knows', async (t) => {
  const example = YAML.parse(readFileSync(join(repo, 'deploy/options/overlay-example.yaml'), 'utf8'));
  t.same(Object.keys(example).sort(), ['apiVersion', 'bases', 'images', 'kind', 'patchesJson6902']);
  t.same(Object.keys(example.images[0]).sort(), ['digest', 'name', 'newName'], 'images: name, newName, digest');
});

t.test('deploy/options: the single-node fallback patch', { skip }, async (t) => {
  const tree = scratchTree(t);
  const dir = myInstall(tree, (k) => {
    delete k.images;
    k.patchesJson6902.push({ target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'sidecar-injector' }, path: 'spread-schedule-anyway.yaml' });
  });
  const spread: Obj[] = only(render(dir), 'Deployment').spec.template.spec.topologySpreadConstraints;
  t.match(spread[0], { topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' });
  t.equal(spread[1].whenUnsatisfiable, 'ScheduleAnyway', 'zones unchanged');
});

t.test('injected images pinned by digest in templates/config.yaml reach the pod through the ConfigMap', { skip }, async (t) => {
  const tree = scratchTree(t);
  const envoy = `docker.io/envoyproxy/envoy:v1.36.2@${digest('envoy')}`; // tag kept for people, digest for the kubelet
  const proxyv2 = `docker.io/istio/proxyv2@${digest('proxyv2')}`; // digest only
  const configFile = join(tree, 'templates/config.yaml');
  const config = YAML.parseDocument(readFileSync(configFile, 'utf8'));
  config.setIn(['values', 'proxy', 'image'], envoy);
  config.setIn(['values', 'proxyInit', 'image'], proxyv2);
  writeFileSync(configFile, config.toString());

  // The ConfigMap as deploy/ generates it, mounted as the injector would see it.
  const configMap = only(render(join(tree, 'deploy/base')), 'ConfigMap', 'sidecar-injector');
  const mounted = join(tree, 'mounted');
  mkdirSync(mounted);
  for (const [file, text] of Object.entries(configMap.data as Record<string, string>)) writeFileSync(join(mounted, file), text);

  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };
  const r = await cli(['inject', '-f', '-', '--config-dir', mounted, '--namespace-labels', 'sidecar-injection=enabled'], JSON.stringify(pod));
  t.equal(r.code, 0, 'inject accepts the config', { stderr: r.stderr });
  const spec = YAML.parse(r.stdout).spec;
  const images = [...spec.initContainers ?? [], ...spec.containers].map((c: Obj) => c.image);
  t.ok(images.includes(envoy), 'the proxy runs the pinned Envoy', { images });
  t.ok(images.includes(proxyv2), 'the capture init container runs the pinned proxyv2', { images });

  // A malformed digest is refused at load, naming the field, as any bad image reference.
  config.setIn(['values', 'proxy', 'image'], 'docker.io/envoyproxy/envoy@sha256:not-hex');
  writeFileSync(join(mounted, 'config.yaml'), config.toString());
  const bad = await cli(['inject', '-f', '-', '--config-dir', mounted, '--namespace-labels', 'sidecar-injection=enabled'], JSON.stringify(pod));
  t.equal(bad.code, 1, 'refused');
  t.match(bad.stderr, /proxy\.image/, 'names the field', { stderr: bad.stderr });
});
