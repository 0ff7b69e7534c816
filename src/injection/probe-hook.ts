// The integration point of probe rewriting (issue 12, item 3): the pure module
// ./probe-rewrite.js. When `rewriteProbes` is on, the engine calls the rewriter on the pod's
// spec: its `appProbers` reach templates as `appProbers` (a list sorted by path, which
// JSON-e can iterate), and its per-container probes replace the app containers' own
// (engine.ts, withRewrittenProbes).
import { appProberList, rewriteAppProbes, withoutContainers, type ProbeRewrite, type ProbeRewriteOptions } from './probe-rewrite.js';
import type { AppProber, PodSpec } from './types.js';

export { rewriteAppProbes, withoutContainers, type ProbeRewrite };

export type ProbeRewriter = (spec: PodSpec, opts: ProbeRewriteOptions) => ProbeRewrite;

/** What templates see as `appProbers`: null when rewriting is off. */
export type TemplateAppProbers = Array<{ path: string; prober: AppProber }> | null;

export function templateAppProbers(rewrite: ProbeRewrite | undefined): TemplateAppProbers {
  return rewrite ? appProberList(rewrite.appProbers) : null;
}
