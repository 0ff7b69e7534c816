// Env for the proxy in the webhook's URL path, as istiod reads it: a remote cluster's
// webhook calls `/inject/cluster/<id>/net/<network>` (pairs of key and value; `cluster` and
// `net` name ISTIO_META_CLUSTER_ID and ISTIO_META_NETWORK, any other key is upper-cased),
// or the older `/inject/:ENV:key=value:ENV:...`. In values, `--slash--` stands for `/`.
// The istio profile moves these last in istio-proxy's env (cluster-env.ts). Pure.
import type { StringMap } from '../types.js';

const KNOWN_KEYS: ReadonlyMap<string, string> = new Map([['cluster', 'ISTIO_META_CLUSTER_ID'], ['net', 'ISTIO_META_NETWORK']]);
/** Kubernetes' rule for env names (validation.IsEnvVarName). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export class PathEnvError extends Error {
  override name = 'PathEnvError';
}

/** Keys and values, in order, from what follows `/inject/`. */
function pairsOf(rest: string): string[] {
  if (rest.startsWith(':ENV:')) {
    // Each `key=value`; a pair without `=` or with an empty key is skipped.
    return rest.split(':ENV:').slice(1).flatMap((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 ? [pair.slice(0, eq), pair.slice(eq + 1)] : [];
    });
  }
  return rest.split('/').map((part, i) => (i % 2 === 1 ? part.replaceAll('--slash--', '/') : part));
}

/**
 * The env the URL path `rawPath` sets, %-escapes decoded (`/inject` alone: none). A key without a value
 * (an odd count) is ignored, as istiod does. Throws PathEnvError for a key that is no
 * Kubernetes env name, which the apiserver would refuse in the pod.
 */
export function injectPathEnv(rawPath: string): StringMap {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new PathEnvError(`the webhook's path ${JSON.stringify(rawPath.slice(0, 200))} is not a valid URL path (a malformed %-escape)`);
  }
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/');
  const env: StringMap = Object.create(null) as StringMap;
  if (parts.length < 3) return env;
  const pairs = pairsOf(parts.slice(2).join('/'));
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = KNOWN_KEYS.get(pairs[i]) ?? pairs[i].toUpperCase();
    if (name === '') continue;
    if (!ENV_NAME.test(name)) {
      throw new PathEnvError(`the webhook's path sets env ${JSON.stringify(name.slice(0, 100))}, which is no env name `
        + '(letters, digits, "-", "." and "_", not starting with a digit): fix the URL or service path of the MutatingWebhookConfiguration');
    }
    env[name] = pairs[i + 1];
  }
  return env;
}
