// Renders the built-in sidecar template for a pod, the way the engine does, with an
// optional `appProbers` context value (probe rewriting): for tests of what Envoy is given.
import { appProberList, rewriteAppProbes } from '../../src/injection/probe-rewrite.js';
import { renderTemplates, templateContext, type TemplateContext } from '../../src/injection/render.js';
import { resolveSettings } from '../../src/injection/resolve-settings.js';
import type { Container, Fragment, Pod } from '../../src/injection/types.js';
import { snapshotWith } from './config.js';

const NAMESPACE = { name: 'shop', labels: {}, annotations: {} };

export interface SidecarRender {
  fragment: Fragment;
  /** The proxy container (a regular container, or an init container when native). */
  proxy: Container;
  /** Envoy's bootstrap, parsed from the proxy's `--config-yaml` argument. */
  bootstrap: Record<string, unknown>;
}

/** A pod with one app container; `annotations` set per-pod settings. */
export function podWith(annotations: Record<string, string> = {}, app: Partial<Container> = {}): Pod {
  return {
    metadata: { name: 'web-0', annotations, labels: { app: 'web' } },
    spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'nginx', ...app }] },
  };
}

/** `appProbers: 'rewrite'` computes them from the pod as the engine would (status port 15021). */
export function renderSidecar(pod: Pod, appProbers?: unknown): SidecarRender {
  const snapshot = snapshotWith();
  const resolution = resolveSettings(pod.metadata, NAMESPACE, snapshot);
  if (resolution.denial) throw new Error(resolution.denial);
  const context: Omit<TemplateContext, 'appProbers'> & { appProbers?: unknown } = templateContext(pod, NAMESPACE, resolution.settings, snapshot);
  // Absent: as a template written before probe rewriting sees its context.
  if (appProbers === undefined) delete context.appProbers;
  else if (appProbers === 'rewrite') {
    const excluded = (resolution.settings.excludeInboundPorts as number[] | undefined) ?? [];
    context.appProbers = appProberList(rewriteAppProbes(pod.spec!, { statusPort: 15021, excludedInboundPorts: excluded }).appProbers);
  } else context.appProbers = appProbers;
  const fragment = renderTemplates(['sidecar'], snapshot, context as TemplateContext);
  const proxy = [...fragment.containers, ...fragment.initContainers].find((c) => c.name === 'envoy');
  if (!proxy) throw new Error('no envoy container rendered');
  const args = proxy.args as string[];
  return { fragment, proxy, bootstrap: JSON.parse(args[args.indexOf('--config-yaml') + 1]!) };
}
