// OTEL_RESOURCE_ATTRIBUTES for the proxy's traces, when an OpenTelemetry provider of the
// mesh config asks for OpenTelemetry's Kubernetes service attributes
// (`serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS`): the service's namespace,
// version and instance as the semantic conventions derive them from the pod.
import type { StringMap } from '../types.js';
import { isPlainObject } from '../plain-object.js';
import type { Json } from './json.js';

/** Whether some OpenTelemetry provider of the mesh config enriches with the semantic conventions. */
export function usesOtelSemanticConventions(meshConfig: Readonly<Json>): boolean {
  const providers = meshConfig.extensionProviders;
  return Array.isArray(providers) && providers.some((p) => isPlainObject(p) && isPlainObject(p.opentelemetry)
    && p.opentelemetry.serviceAttributeEnrichment === 'OTEL_SEMANTIC_CONVENTIONS');
}

/** The tag and digest of an image reference (`[registry[:port]/]name[:tag][@digest]`), '' where absent. */
export function imageTagDigest(image: string): { tag: string; digest: string } {
  const at = image.indexOf('@');
  const digest = at === -1 ? '' : image.slice(at + 1);
  const name = at === -1 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  return { tag: colon > name.lastIndexOf('/') ? name.slice(colon + 1) : '', digest };
}

const RESOURCE = 'resource.opentelemetry.io/';

/**
 * The attributes, comma-separated: each from the pod's `resource.opentelemetry.io/*`
 * annotation when set, else the namespace; the app.kubernetes.io/version label or the
 * image of a single container; `namespace.$(POD_NAME).container` (the kubelet substitutes
 * the pod's name, unknown when a controller creates the pod).
 */
export function otelResourceAttributes(
  annotations: StringMap, labels: StringMap, namespace: string, containers: ReadonlyArray<{ name: unknown; image?: unknown }>,
): string {
  const own = (key: string): string => annotations[RESOURCE + key] || '';
  const attrs: string[] = [];
  const ns = own('service.namespace') || namespace;
  if (ns !== '') attrs.push(`service.namespace=${ns}`);
  let version = own('service.version') || labels['app.kubernetes.io/version'] || '';
  if (version === '' && containers.length === 1) {
    const { tag, digest } = imageTagDigest(typeof containers[0].image === 'string' ? containers[0].image : '');
    version = tag !== '' && digest !== '' ? `${tag}@${digest}` : digest || tag;
  }
  if (version !== '') attrs.push(`service.version=${version}`);
  const instance = own('service.instance.id') || (containers.length > 0 ? `${namespace}.$(POD_NAME).${String(containers[0].name ?? '')}` : '');
  if (instance !== '') attrs.push(`service.instance.id=${instance}`);
  return attrs.join(',');
}
