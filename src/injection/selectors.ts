// Kubernetes label selector matching (matchLabels AND matchExpressions), as the apiserver does it.
import type { LabelSelector, StringMap } from './types.js';

export function selectorMatches(selector: LabelSelector, labels: StringMap): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, expr.key);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In': if (!present || !values.includes(labels[expr.key])) return false; break;
      case 'NotIn': if (present && values.includes(labels[expr.key])) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
    }
  }
  return true;
}

/** True when any selector of the list matches; an empty selector matches everything. */
export function anySelectorMatches(selectors: readonly LabelSelector[], labels: StringMap): boolean {
  return selectors.some((s) => selectorMatches(s, labels));
}
