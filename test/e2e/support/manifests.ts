// The install manifests as deploy/ renders them (`kubectl kustomize`), and the one change the
// suite makes to run the injector on this machine: each webhook's clientConfig points at
// https://127.0.0.1:PORT/inject with the local CA instead of the in-cluster Service.
import { parseAllDocuments } from 'yaml';
import { kubectl } from './kubectl.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
    [field: string]: any;
  };
  [field: string]: any;
}

/** `kubectl kustomize DIR`, parsed into objects. */
export async function renderKustomization(dir: string, cwd?: string): Promise<KubeObject[]> {
  const { stdout } = await kubectl(['kustomize', dir], { cwd });
  return parseManifests(stdout);
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`kubectl kustomize printed invalid YAML: ${doc.errors[0].message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

export function ofKind(objects: readonly KubeObject[], ...kinds: string[]): KubeObject[] {
  return objects.filter((object) => kinds.includes(object.kind));
}

/** The API group of an object ('' for the core group). */
export function groupOf(object: Pick<KubeObject, 'apiVersion'>): string {
  const slash = object.apiVersion.indexOf('/');
  return slash === -1 ? '' : object.apiVersion.slice(0, slash);
}

/** How `kubectl apply` names an object in its output: `deployment.apps/name`, `namespace/name`. */
export function kubectlName(object: KubeObject): string {
  const group = groupOf(object);
  return `${object.kind.toLowerCase()}${group ? `.${group}` : ''}/${object.metadata.name}`;
}

/**
 * The MutatingWebhookConfiguration from deploy/, with only each webhook's clientConfig
 * replaced (selectors, rules, failurePolicy, timeouts stay as shipped).
 */
export function localWebhookConfiguration(rendered: readonly KubeObject[], url: string, caBundle: string): KubeObject {
  const [configuration, ...others] = ofKind(rendered, 'MutatingWebhookConfiguration');
  if (!configuration || others.length > 0) {
    throw new Error(`expected one MutatingWebhookConfiguration in deploy/base, found ${others.length + (configuration ? 1 : 0)}`);
  }
  const copy = structuredClone(configuration);
  for (const webhook of copy.webhooks as Array<Record<string, unknown>>) {
    webhook.clientConfig = { url, caBundle };
  }
  return copy;
}
