// Every label and annotation key the injector reads, from its own catalog (so a key added
// to the catalog is fuzzed without touching the tests).
import {
  INJECT_KEY, ISTIO_INJECT_KEY, ISTIO_NAMESPACE_INJECTION_LABEL, keysOfSetting, NAMESPACE_INJECTION_LABEL, PROXY_CONFIG_KEY, SETTINGS,
} from '../../../src/injection/settings-catalogue.js';
import { STATUS_ANNOTATION } from '../../../src/injection/status.js';

/** Annotation keys of the per-pod settings: native and Istio twins (the ProxyConfig key once). */
export const SETTING_KEYS: readonly string[] = Object.freeze([...new Set(SETTINGS.flatMap(keysOfSetting))]);

/** Every annotation key the injector reads on a pod. */
export const POD_ANNOTATION_KEYS: readonly string[] = Object.freeze([...SETTING_KEYS, INJECT_KEY, ISTIO_INJECT_KEY, STATUS_ANNOTATION]);

/** Every label key the injector reads on a pod. */
export const POD_LABEL_KEYS: readonly string[] = Object.freeze([INJECT_KEY, ISTIO_INJECT_KEY]);

/** Every label key the injector reads on a namespace. */
export const NAMESPACE_LABEL_KEYS: readonly string[] = Object.freeze([NAMESPACE_INJECTION_LABEL, ISTIO_NAMESPACE_INJECTION_LABEL]);

export { INJECT_KEY, ISTIO_INJECT_KEY, PROXY_CONFIG_KEY, STATUS_ANNOTATION };
