// /metrics kept cheap whoever calls it: the text is rendered at most once per `cacheMs`
// (callers in between share it, concurrent ones share the rendering), and answers are
// paced at most one per `paceMs` in total, so a client that scrapes in a loop mostly
// waits instead of taking the event loop from admissions. Prometheus scrapes every 15 s
// or more and waits seconds; it never notices either.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';

export interface MetricsTextOptions {
  cacheMs: number;
  paceMs: number;
}

export function cachedMetricsText(registry: Registry, options: MetricsTextOptions): () => Promise<string> {
  let cached: { text: Promise<string>; at: number } | undefined;
  let nextAnswerAt = 0;
  return async function metricsText(): Promise<string> {
    // Take the next free answer slot; the wait is bounded by the connections the port allows.
    const now = Date.now();
    const slot = Math.max(now, nextAnswerAt);
    nextAnswerAt = slot + options.paceMs;
    if (slot > now) await sleep(slot - now);
    if (!cached || Date.now() - cached.at >= options.cacheMs) {
      const text = registry.metrics();
      cached = { text, at: Date.now() };
      text.catch(() => { cached = undefined; }); // a failed render is not kept
    }
    return cached.text;
  };
}
