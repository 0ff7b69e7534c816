// kubectl's built-in kustomize for the tests of deploy/: render a kustomization into its
// objects, pick one by kind and name, and evaluate Kubernetes label selectors on them.
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';

// Rendered Kubernetes objects are untyped data.
export type Obj = Record<string, any>;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
/** Skip reason for tests that render, when there is no kubectl. */
export const noKubectl: string | false = kubectl.error
  ? `kubectl not found (${kubectl.error.message}): deploy/ renders with kubectl's built-in kustomize`
  : false;

export function render(dir: string): Obj[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return YAML.parseAllDocuments(result.stdout).map((doc) => doc.toJS()).filter(Boolean);
}

export function only(objects: Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** Kubernetes label-selector semantics (matchLabels and matchExpressions). */
export function selects(selector: Obj | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok = operator === 'In' ? has && values.includes(labels[key])
      : operator === 'NotIn' ? !has || !values.includes(labels[key])
        : operator === 'Exists' ? has
          : operator === 'DoesNotExist' ? !has
            : (() => { throw new Error(`unknown operator ${operator}`); })();
    if (!ok) return false;
  }
  return true;
}
