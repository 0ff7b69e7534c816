// Rendered fragments, remembered per config version. Replicas of one workload reach the
// webhook with identical template input (same labels, settings and namespace), and JSON-e
// interprets the whole template each time (~0.5-1 ms for the built-in one): a hit costs a
// key of a few microseconds instead. Entries are deep-frozen copies, sharing nothing with
// the request that produced them, and keyed on everything the templates can read.
import { frozenJsonCopy } from './deep-freeze.js';
import { ISTIO_POD_READS } from './istio/context.js';
import { markShared } from './shared-json.js';
import { POD_SCOPED, templateReads, type FieldReads, type PodScoped, type TemplateReads } from './template-reads.js';
import type { Fragment, Snapshot, Template } from './types.js';

/** Bounds the memory: ~15 KiB an entry for the built-in template (4 MiB when full), under 10 MiB with the largest keys. */
export const RENDER_CACHE_ENTRIES = 256;
/** Inputs larger than this (huge labels or annotations) are rendered every time. */
export const RENDER_CACHE_MAX_KEY_CHARS = 16 * 1024;

/**
 * Map from render key to frozen fragment, bounded with the "second chance" approximation
 * of least-recently-used: a hit only marks its entry, instead of re-inserting it (a delete
 * and a set hash the key twice more: a fifth of a hit with the istio profile's longer keys);
 * eviction moves marked entries to the back and drops the oldest unmarked one.
 */
export class RenderCache {
  readonly #entries = new Map<string, { fragment: Fragment; used: boolean }>();

  constructor(readonly capacity = RENDER_CACHE_ENTRIES) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Fragment | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.fragment;
  }

  set(key: string, fragment: Fragment): void {
    if (this.#entries.size >= this.capacity && !this.#entries.has(key)) this.#evictOne();
    this.#entries.set(key, { fragment, used: false });
  }

  #evictOne(): void {
    // Ends within two rounds: each marked entry is unmarked as it moves to the back.
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(key, entry);
    }
  }
}

const readsByTemplate = new WeakMap<Template, TemplateReads>();
const cacheBySnapshot = new WeakMap<Snapshot, RenderCache>();

function readsOf(template: Template): TemplateReads {
  let reads = readsByTemplate.get(template);
  if (reads === undefined) {
    reads = withIstioReads(templateReads(template.source));
    readsByTemplate.set(template, reads);
  }
  return reads;
}

/** A template reading `istio` reads what the istio context is computed from: the key holds the pod's part once. */
function withIstioReads(reads: TemplateReads): TemplateReads {
  if (reads.istio !== 'all' && reads.istio.length === 0) return reads;
  const pod = reads.pod === 'all' ? 'all' : [...new Set([...reads.pod, ...ISTIO_POD_READS])].sort();
  return { ...reads, pod };
}

function pick(object: unknown, reads: FieldReads): unknown {
  if (reads === 'all' || typeof object !== 'object' || object === null) return object;
  const record = object as Record<string, unknown>;
  return reads.map((field) => record[field] ?? null);
}

/**
 * The cache key for rendering `names` with `context`: the template names and, per
 * template, the context fields it reads. The istio profile's `istio` is keyed on what it
 * is computed from (`istioInputs` and the pod's annotations, istio/context.ts), so a hit
 * never computes it.
 * Undefined (render every time) when a template is unknown (the renderer reports that) or
 * reads the clock, or the key would be too large to be worth keeping.
 */
export function renderKey(
  names: readonly string[], snapshot: Snapshot, context: Readonly<Partial<Record<PodScoped, unknown>>>, istioInputs?: unknown,
): string | undefined {
  const parts: unknown[] = [];
  for (const name of names) {
    const template = snapshot.templates.get(name);
    if (template === undefined) return undefined;
    const reads = readsOf(template);
    if (reads.clock) return undefined;
    parts.push(name);
    for (const scope of POD_SCOPED) {
      const fields = reads[scope];
      if (fields !== 'all' && fields.length === 0) parts.push(null);
      else parts.push(scope === 'istio' && istioInputs !== undefined ? istioInputs : pick(context[scope], fields));
    }
  }
  const key = JSON.stringify(parts);
  return key.length <= RENDER_CACHE_MAX_KEY_CHARS ? key : undefined;
}

/** The cache of one config version (created on first use, dropped with the snapshot). */
export function renderCacheOf(snapshot: Snapshot): RenderCache {
  let cache = cacheBySnapshot.get(snapshot);
  if (cache === undefined) {
    cache = new RenderCache();
    cacheBySnapshot.set(snapshot, cache);
  }
  return cache;
}

/**
 * A frozen copy sharing no object with the request (JSON-e may return context objects as
 * is). Its lists and their items are what patches carry: their JSON is kept (shared-json.ts).
 */
export function frozenCopy(fragment: Fragment): Fragment {
  const copy = frozenJsonCopy(fragment);
  for (const list of [copy.containers, copy.initContainers, copy.volumes, copy.imagePullSecrets]) {
    markShared(list);
    for (const item of list) markShared(item);
  }
  return copy;
}
