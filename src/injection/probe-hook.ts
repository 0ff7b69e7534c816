// The integration point of probe rewriting (issue 12, item 3), written on another branch as
// the pure module ./probe-rewrite.js. When `rewriteProbes` is on, the engine calls the
// rewriter on the pod's spec: its `appProbers` reach templates as `appProbers`, and its
// per-container probes replace the app containers' own (engine.ts, withRewrittenProbes).
import type { PodSpec } from './types.js';

/** A Kubernetes probe (httpGet, tcpSocket, grpc, exec, timings): passed through as data. */
export type Probe = Record<string, unknown>;

export interface ProbeRewrite {
  containers: Array<{ name: string; livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe }>;
  appProbers: Record<string, unknown>;
}

export type ProbeRewriter = (spec: PodSpec, opts: { statusPort: number; excludedInboundPorts: number[] }) => ProbeRewrite;

import { appProberList, rewriteAppProbes as rewrite } from './probe-rewrite.js';

// Templates see `appProbers` as a list of {path, prober} (templates/sidecar.template.yaml).
export const rewriteAppProbes: ProbeRewriter | undefined = (spec, opts) => {
  const result = rewrite(spec, opts);
  return { ...result, appProbers: appProberList(result.appProbers) as unknown as Record<string, unknown> };
};
