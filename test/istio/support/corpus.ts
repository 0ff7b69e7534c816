// Istio's injection test corpus (../shared/fixtures/istio-inject, see its README): the
// case table, the pods of each input and golden (the pod templates of workloads, with the
// controller owner reference Istio's webhook test simulates), and each case's overrides.
// Read from outside the repository at test time; never copied in.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import type { Pod } from '../../../src/injection/types.js';
import { ROOT } from '../../support/config.js';

export const CORPUS_DIR = resolve(process.env.ISTIO_CORPUS ?? join(ROOT, '..', 'shared', 'fixtures', 'istio-inject'));
const TESTDATA = join(CORPUS_DIR, 'testdata');

export interface CorpusCase {
  in: string;
  want?: string;
  expectedError?: string;
  setFlags?: string[];
  inFilePath?: string;
  mesh?: Record<string, unknown>;
  condition?: string;
  skipWebhook?: boolean;
  skipInjection?: boolean;
  comment?: string;
}

export interface ParityCase extends CorpusCase {
  /** Unique label: input -> golden, with what differs. */
  label: string;
  /** Why the case is outside the profile's scope; undefined when in scope. */
  outOfScope?: string;
}

export function corpusPresent(): boolean {
  return existsSync(join(CORPUS_DIR, 'cases.json'));
}

/** Why a case is out of scope (features the istio profile does not model), or undefined. */
function outOfScope(c: CorpusCase): string | undefined {
  if (c.inFilePath && /sidecarInjectorWebhook:\s*\n\s*templates:/.test(readFileSync(join(TESTDATA, c.inFilePath), 'utf8'))) {
    return 'custom injection templates in the install values (sidecarInjectorWebhook.templates): this injector\'s templates are JSON-e files in its configuration';
  }
  if (c.skipWebhook && c.in === 'hello-service.yaml') return 'no pod in the input';
  return undefined;
}

/** Every case: the table's, then each X.yaml with an X.yaml.injected the table does not name. */
export function loadCases(): ParityCase[] {
  const table = JSON.parse(readFileSync(join(CORPUS_DIR, 'cases.json'), 'utf8')) as CorpusCase[];
  const named = new Set(table.map((c) => c.in));
  const implicit = readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('.iop.yaml') && !named.has(f) && existsSync(join(TESTDATA, `${f}.injected`)))
    .sort()
    .map((f): CorpusCase => ({ in: f, want: `${f}.injected` }));
  const seen = new Map<string, number>();
  return [...table, ...implicit].map((c) => {
    let label = `${c.in} -> ${c.want ?? `error "${c.expectedError}"`}`;
    if (c.condition) label += ` [${c.condition}]`;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    if (n > 1) label += ` #${n}`;
    return { ...c, label, outOfScope: outOfScope(c) };
  });
}

type Json = Record<string, any>;

function controllerRef(apiVersion: string, kind: string, name: string): Json {
  return { apiVersion, kind, name, controller: true };
}

/** The pods a workload would create, as Istio's webhook test builds them (objectToPod). */
function podsOf(doc: Json): Pod[] {
  if (!doc || typeof doc !== 'object') return [];
  const kind = doc.kind as string;
  const name = doc.metadata?.name ?? '';
  const namespace = doc.metadata?.namespace;
  const asPod = (template: Json | undefined, ref: Json, generateName: string, extraLabels: Json = {}): Pod[] => {
    if (!template) return [];
    const metadata: Json = { ...(template.metadata ?? {}), generateName, ownerReferences: [ref] };
    if (namespace) metadata.namespace = namespace;
    if (Object.keys(extraLabels).length > 0) metadata.labels = { ...(metadata.labels ?? {}), ...extraLabels };
    return [{ metadata, spec: template.spec } as Pod];
  };
  switch (kind) {
    case 'List': return (doc.items ?? []).flatMap(podsOf);
    case 'Pod': return [doc as Pod];
    case 'Deployment':
      return asPod(doc.spec?.template, controllerRef('apps/v1', 'ReplicaSet', `${name}-fake`), `${name}-fake-`, { 'pod-template-hash': 'fake' });
    case 'CronJob': {
      // istioctl kube-inject writes a CronJob's labels and annotations on its jobTemplate.
      const job = doc.spec?.jobTemplate;
      const template = job?.spec?.template;
      const merged = template && {
        ...template,
        metadata: {
          ...(template.metadata ?? {}),
          labels: { ...(job.metadata?.labels ?? {}), ...(template.metadata?.labels ?? {}) },
          annotations: { ...(job.metadata?.annotations ?? {}), ...(template.metadata?.annotations ?? {}) },
        },
      };
      return asPod(merged, controllerRef(doc.apiVersion, kind, name), name);
    }
    case 'DaemonSet': case 'ReplicaSet': case 'ReplicationController': case 'StatefulSet': case 'Job': case 'DeploymentConfig':
      return asPod(doc.spec?.template, controllerRef(doc.apiVersion, kind, name), name);
    default: return [];
  }
}

/** The pods of a corpus file, with the namespace each lives in. */
export function readPods(file: string): Array<{ pod: Pod; namespace: string }> {
  const docs = parseAllDocuments(readFileSync(join(TESTDATA, file), 'utf8')).map((d) => d.toJS() as Json);
  return docs.flatMap((doc) => podsOf(doc).map((pod) => ({ pod, namespace: doc?.metadata?.namespace || 'default' })));
}

/** `{a: {b: 1}}` under `prefix` as leaf `--set` arguments (`prefix.a.b=1`); lists and empty maps whole, as JSON. */
function leafSets(prefix: string, value: unknown): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leafSets(`${prefix}.${k}`, v));
  }
  return [`${prefix}=${JSON.stringify(value)}`];
}

/**
 * A flag of the case as the values istiod's injector reads, as istioctl's operator and the
 * istio-discovery chart turn it into them: `components.cni.enabled` becomes
 * `values.pilot.cni.enabled`, and the chart's top-level `cni` reaches the injector's values
 * as `pilot.cni` (the chart's injector ConfigMap picks `cni` and `env` into `pilot`).
 */
function operatorFlag(flag: string): string {
  if (flag.startsWith('components.cni.enabled=')) return `values.pilot.cni.enabled=${flag.slice(flag.indexOf('=') + 1)}`;
  if (flag.startsWith('values.cni.')) return `values.pilot.cni.${flag.slice('values.cni.'.length)}`;
  return flag;
}

/**
 * The `--set PATH=VALUE` arguments of a case (what `inject --profile istio` gets): the
 * .iop.yaml's values and meshConfig, the case's value flags, its mesh changes.
 */
export function caseSets(c: CorpusCase): string[] {
  const sets: string[] = [];
  if (c.inFilePath) {
    const iop = parse(readFileSync(join(TESTDATA, c.inFilePath), 'utf8')) as Json;
    if (iop?.spec?.values) sets.push(...leafSets('values', iop.spec.values));
    if (iop?.spec?.meshConfig) sets.push(...leafSets('meshConfig', iop.spec.meshConfig));
  }
  sets.push(...(c.setFlags ?? []).map(operatorFlag));
  // Conditions Istio's test sets in istiod's environment, as the values that set it there.
  if (c.condition === 'platform OpenShift') sets.push('values.global.platform=openshift');
  const policy = /^compliance policy (\S+)$/.exec(c.condition ?? '')?.[1];
  if (policy) sets.push(`values.pilot.env.COMPLIANCE_POLICY=${policy}`);
  for (const [key, value] of Object.entries(c.mesh ?? {})) {
    // `key+` appends to a list the profile's mesh config does not have (OTel providers): its first item.
    if (key.endsWith('+')) sets.push(`meshConfig.${key.slice(0, -1)}[0]=${JSON.stringify(value)}`);
    else sets.push(...leafSets(`meshConfig.${key}`, value));
  }
  return sets;
}
