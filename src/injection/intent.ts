// The opt-in intent (INTERFACE.md §2): what a pod's inject label or annotation and its
// namespace's injection label ask for, read for the decision (decide.ts). Pure; invalid
// values are ignored with a warning naming the key, the value and what is accepted.
import { mapOf, own } from './plain-object.js';
import {
  INJECT_KEY, ISTIO_INJECT_KEY, ISTIO_NAMESPACE_INJECTION_LABEL, NAMESPACE_INJECTION_LABEL,
} from './settings-catalogue.js';
import type { NamespaceView, ObjectMeta } from './types.js';
import { quote } from './value-parsers.js';

/** How the injection engine reads a pod's inject value. */
interface InjectSource {
  key: string;
  where: 'label' | 'annotation';
  read: (value: string) => boolean | undefined;
  accepted: string;
}

const readNativeInject = (v: string): boolean | undefined => (v === 'true' ? true : v === 'false' ? false : undefined);

// Istio's injector lower-cases the value and treats y/yes/true/on as true and any other
// non-empty value as false. We take its true words and their opposites, in any case; any
// other value is ignored with a warning (the contract's rule), where Istio would opt out.
const ISTIO_TRUE: ReadonlySet<string> = new Set(['y', 'yes', 'true', 'on']);
const ISTIO_FALSE: ReadonlySet<string> = new Set(['n', 'no', 'false', 'off']);
function readIstioInject(v: string): boolean | undefined {
  const lower = v.toLowerCase();
  return ISTIO_TRUE.has(lower) ? true : ISTIO_FALSE.has(lower) ? false : undefined;
}

const NATIVE_INJECT_ACCEPTED = '"true" or "false"';
const ISTIO_INJECT_ACCEPTED = '"true" or "false" (also y, yes, on, n, no, off, in any case)';

// Order of precedence. The native key decides before its Istio twin (our own key is the one
// a user adds on purpose); for each key the label wins over the annotation (§2). So a
// native annotation beats an Istio label. An ignored (invalid) value does not decide: the
// next source is read.
const NATIVE_INJECT_SOURCES: readonly InjectSource[] = Object.freeze([
  { key: INJECT_KEY, where: 'label', read: readNativeInject, accepted: NATIVE_INJECT_ACCEPTED },
  { key: INJECT_KEY, where: 'annotation', read: readNativeInject, accepted: NATIVE_INJECT_ACCEPTED },
]);
const ALL_INJECT_SOURCES: readonly InjectSource[] = Object.freeze([
  ...NATIVE_INJECT_SOURCES,
  { key: ISTIO_INJECT_KEY, where: 'label', read: readIstioInject, accepted: ISTIO_INJECT_ACCEPTED },
  { key: ISTIO_INJECT_KEY, where: 'annotation', read: readIstioInject, accepted: ISTIO_INJECT_ACCEPTED },
]);

/**
 * The pod's own inject intent: `value` from the first source with an accepted value (see
 * the order above), `key` and `source` naming it. Every present value that is not accepted
 * gives a warning naming the key, the value and what is accepted, and is otherwise ignored.
 */
export function readPodInjectIntent(
  meta: ObjectMeta | undefined, istioCompat: boolean,
): { value?: boolean; key?: string; source?: 'label' | 'annotation'; warnings: string[] } {
  const labels = mapOf(meta?.labels);
  const annotations = mapOf(meta?.annotations);
  const warnings: string[] = [];
  let found: { value: boolean; key: string; source: 'label' | 'annotation' } | undefined;
  for (const source of istioCompat ? ALL_INJECT_SOURCES : NATIVE_INJECT_SOURCES) {
    const raw = own(source.where === 'label' ? labels : annotations, source.key);
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? source.read(raw) : undefined;
    if (value === undefined) {
      warnings.push(`${source.where} ${source.key}: ignored value ${quote(raw)}: expected ${source.accepted}`);
    } else if (!found) {
      found = { value, key: source.key, source: source.where };
    }
  }
  return found ? { ...found, warnings } : { warnings };
}

const NAMESPACE_LABELS_NATIVE: readonly string[] = Object.freeze([NAMESPACE_INJECTION_LABEL]);
const NAMESPACE_LABELS_COMPAT: readonly string[] = Object.freeze([NAMESPACE_INJECTION_LABEL, ISTIO_NAMESPACE_INJECTION_LABEL]);

/** The namespace's label: native `sidecar-injection` first, then `istio-injection` (compat). Other values are ignored. */
export function readNamespaceInjection(
  namespace: NamespaceView, istioCompat: boolean,
): { value?: 'enabled' | 'disabled'; key?: string } {
  const labels = mapOf(namespace.labels);
  for (const key of istioCompat ? NAMESPACE_LABELS_COMPAT : NAMESPACE_LABELS_NATIVE) {
    const value = own(labels, key);
    if (value === 'enabled' || value === 'disabled') return { value, key };
  }
  return {};
}
