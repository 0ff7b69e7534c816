// Webhook selection as the apiserver evaluates it: rules, namespaceSelector, objectSelector,
// every operator, the kubernetes.io/metadata.name label missing on 1.20, and the fix named.
import { readFileSync } from 'node:fs';
import t from 'tap';
import YAML from 'yaml';
import { DEFAULT_WEBHOOK_CONFIGURATION } from '../../src/cluster/default-webhooks.js';
import {
  evaluateWebhooks, firstFailing, fixFor, meshOf, requirementHolds, rulesCoverPodCreate, summarizeRouting, type MatchSubject, type WebhookConfigurationLike,
} from '../../src/cluster/webhook-match.js';

const subject = (nsLabels: Record<string, string>, podLabels: Record<string, string> = {}, serverMinor = 21, name = 'shop'): MatchSubject =>
  ({ namespace: { name, labels: nsLabels }, podLabels, serverMinor });

t.test('operators', async (t) => {
  const labels = { a: '1', b: '2' };
  t.ok(requirementHolds({ key: 'a', operator: 'In', values: ['1', '3'] }, labels), 'In: value listed');
  t.notOk(requirementHolds({ key: 'a', operator: 'In', values: ['3'] }, labels), 'In: value not listed');
  t.notOk(requirementHolds({ key: 'c', operator: 'In', values: ['1'] }, labels), 'In: key absent');
  t.ok(requirementHolds({ key: 'a', operator: 'NotIn', values: ['3'] }, labels), 'NotIn: value not listed');
  t.notOk(requirementHolds({ key: 'a', operator: 'NotIn', values: ['1'] }, labels), 'NotIn: value listed');
  t.ok(requirementHolds({ key: 'c', operator: 'NotIn', values: ['1'] }, labels), 'NotIn: key absent matches');
  t.ok(requirementHolds({ key: 'b', operator: 'Exists', values: [] }, labels), 'Exists');
  t.notOk(requirementHolds({ key: 'c', operator: 'Exists', values: [] }, labels), 'Exists: absent');
  t.ok(requirementHolds({ key: 'c', operator: 'DoesNotExist', values: [] }, labels), 'DoesNotExist');
  t.notOk(requirementHolds({ key: 'a', operator: 'DoesNotExist', values: [] }, labels), 'DoesNotExist: present');
});

t.test('matchLabels and matchExpressions together; the first failing requirement and its fix', async (t) => {
  const selector = { matchLabels: { team: 'a' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] };
  t.equal(firstFailing(selector, { team: 'a', env: 'prod' }), undefined, 'both hold');
  t.same(firstFailing(selector, { env: 'prod' }), { key: 'team', operator: 'In', values: ['a'] }, 'matchLabels first');
  t.same(firstFailing(selector, { team: 'a' }), { key: 'env', operator: 'In', values: ['prod'] });
  t.equal(firstFailing(undefined, {}), undefined, 'no selector matches everything');
  t.equal(firstFailing({}, {}), undefined, 'an empty selector matches everything');
  t.equal(fixFor({ key: 'env', operator: 'In', values: ['prod'] }, 'namespace'), 'namespace label env=prod');
  t.equal(fixFor({ key: 'x', operator: 'DoesNotExist', values: [] }, 'pod'), 'remove the pod label x');
  t.match(fixFor({ key: 'x', operator: 'NotIn', values: ['false'] }, 'pod'), /remove the pod label x, or set it to a value other than false/);
  t.equal(fixFor({ key: 'x', operator: 'Exists', values: [] }, 'pod'), 'pod label x (any value)');
});

t.test('rules: only CREATE of core v1 pods counts', async (t) => {
  const rule = { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] };
  t.ok(rulesCoverPodCreate([rule]));
  t.ok(rulesCoverPodCreate([{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }]), 'wildcards');
  t.ok(rulesCoverPodCreate([{ ...rule, resources: ['*/*'] }]), '*/* covers pods');
  t.notOk(rulesCoverPodCreate([{ ...rule, operations: ['UPDATE'] }]), 'UPDATE only');
  t.notOk(rulesCoverPodCreate([{ ...rule, resources: ['pods/*'] }]), 'subresources only');
  t.notOk(rulesCoverPodCreate([{ ...rule, apiGroups: ['apps'] }]), 'another group');
  t.notOk(rulesCoverPodCreate([{ ...rule, scope: 'Cluster' }]), 'cluster scope');
  t.notOk(rulesCoverPodCreate([]), 'no rules');
});

t.test("deploy/base's webhooks", async (t) => {
  const ours = [DEFAULT_WEBHOOK_CONFIGURATION];
  const route = (s: MatchSubject) => summarizeRouting(evaluateWebhooks(ours, s), 'sidecar-injector', s);

  const labelled = route(subject({ 'sidecar-injection': 'enabled' }));
  t.same(labelled.ours.map((v) => v.webhook), ['namespace.sidecar-injector.io'], 'a labelled namespace: the namespace webhook');

  const annotationOnly = route(subject({}));
  t.same(annotationOnly.ours, [], 'an unlabelled namespace and an unlabelled pod: not sent');
  const object = annotationOnly.oursExcluded.find((v) => v.webhook === 'object.sidecar-injector.io')!;
  t.equal(object.excludedBy, 'objectSelector');
  t.equal(object.fix, 'pod label sidecar-injector.io/inject=true', 'the label that would fix it');
  t.equal(annotationOnly.oursExcluded.find((v) => v.webhook === 'namespace.sidecar-injector.io')!.fix, 'namespace label sidecar-injection=enabled');

  t.same(route(subject({}, { 'sidecar-injector.io/inject': 'true' })).ours.map((v) => v.webhook), ['object.sidecar-injector.io'], 'pod label opt-in');
  t.same(route(subject({ 'sidecar-injection': 'enabled' }, { 'sidecar-injector.io/inject': 'false' })).ours, [], 'pod label opt-out');
  t.same(route(subject({ 'sidecar-injection': 'disabled' }, { 'sidecar-injector.io/inject': 'true' })).ours, [], 'disabled namespace: neither webhook');

  // kube-system, labelled as pods there may be: on 1.21+ excluded by name, on 1.20 the label is missing.
  const sys = (minor: number) => route(subject({ 'sidecar-injection': 'enabled' }, {}, minor, 'kube-system'));
  t.same(sys(21).ours, [], '1.21: kube-system excluded through kubernetes.io/metadata.name, which the apiserver adds');
  t.equal(sys(21).oursExcluded[0].requirement, 'kubernetes.io/metadata.name NotIn (kube-system, kube-public, kube-node-lease, sidecar-injector)');
  t.equal(sys(21).note, undefined);
  t.same(sys(20).ours.map((v) => v.webhook), ['namespace.sidecar-injector.io'], '1.20: the label is missing, so NotIn excludes nothing');
  t.match(sys(20).note, /Kubernetes 1\.20.*kubernetes\.io\/metadata\.name/, 'and the answer says so');
  t.same(route(subject({ 'sidecar-injection': 'enabled', 'kubernetes.io/metadata.name': 'kube-system' }, {}, 20, 'kube-system')).ours, [],
    'a namespace labelled by hand on 1.20 is excluded');
});

t.test('default-webhooks.ts equals deploy/base/webhook.yaml', async (t) => {
  const yaml = YAML.parse(readFileSync(new URL('../../deploy/base/webhook.yaml', import.meta.url), 'utf8'));
  const strip = (w: Record<string, unknown>) => ({ name: w.name, rules: w.rules, namespaceSelector: w.namespaceSelector, objectSelector: w.objectSelector, failurePolicy: w.failurePolicy });
  t.same(DEFAULT_WEBHOOK_CONFIGURATION.webhooks!.map((w) => strip(w as unknown as Record<string, unknown>)), yaml.webhooks.map(strip));
});

t.test('other injectors that match are flagged', async (t) => {
  const configurations: WebhookConfigurationLike[] = [
    DEFAULT_WEBHOOK_CONFIGURATION,
    { metadata: { name: 'istio-sidecar-injector' }, webhooks: [{ name: 'namespace.sidecar-injector.istio.io', rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }], namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }] },
    { metadata: { name: 'sidecar-injector-canary' }, webhooks: [{ name: 'canary.sidecar-injector.io', rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }] },
    { metadata: { name: 'defaults' }, webhooks: [{ name: 'defaults.example.com', rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }] }] },
    { metadata: { name: 'linkerd-proxy-injector-webhook-config' }, webhooks: [{ name: 'linkerd-proxy-injector.linkerd.io', rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods'] }] }] },
  ];
  const s = subject({ 'sidecar-injection': 'enabled', 'istio-injection': 'enabled' });
  const routing = summarizeRouting(evaluateWebhooks(configurations, s), 'sidecar-injector', s);
  t.same(routing.conflicts.map((v) => [v.webhook, v.mesh]), [['namespace.sidecar-injector.istio.io', 'istio'], ['canary.sidecar-injector.io', 'sidecar-injector']],
    "Istio's injector and a second registration of ours");
  t.same(routing.others.map((v) => v.webhook), ['defaults.example.com'], 'an unknown pod webhook is listed apart');
  t.equal(meshOf('x', { name: 'owner-reference.kuma-admission.kuma.io' }), 'kuma');
  t.equal(meshOf('x', { name: 'a.example.com', clientConfig: { service: { name: 'consul-connect-injector', namespace: 'consul' } } }), 'consul');
  t.equal(meshOf('x', { name: 'a.example.com' }), undefined);
});
