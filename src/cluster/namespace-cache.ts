// What the server knows about namespaces: their labels and annotations, kept current by
// a list+watch informer so a request never waits for the API. A namespace the cache has
// not seen yet (created a moment ago) gets one direct read with a short deadline.
import type { KubeConfig } from '@kubernetes/client-node';
import type { NamespaceView, StringMap } from '../injection/types.js';
import type { NamespaceSource } from '../injection/types.js';
import { namespaceClient, type NamespaceClient } from './kube-client.js';
import { errorMessage, silentLog, type Log } from './log.js';
import { Reflector, type ReflectorOptions } from './reflector.js';

export { StaticNamespaces } from './namespace-lookup.js';

/** Large, written by `kubectl apply`, never read by the injector: not worth keeping 5,000 of. */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const EMPTY: StringMap = Object.freeze({}) as StringMap;

interface NamespaceLike {
  metadata?: { name?: string; labels?: StringMap; annotations?: StringMap; resourceVersion?: string };
}

/** Reduces a Namespace object to what the engine reads: name, labels, annotations. */
export function namespaceView(obj: NamespaceLike): NamespaceView {
  const meta = obj.metadata ?? {};
  const labels = meta.labels && Object.keys(meta.labels).length > 0 ? Object.freeze({ ...meta.labels }) : EMPTY;
  let annotations = EMPTY;
  if (meta.annotations) {
    const kept = Object.entries(meta.annotations).filter(([key]) => !DROPPED_ANNOTATIONS.has(key));
    if (kept.length > 0) annotations = Object.freeze(Object.fromEntries(kept));
  }
  return Object.freeze({ name: meta.name ?? '', labels, annotations });
}

export interface NamespaceCacheOptions extends ReflectorOptions {
  /** Deadline for the direct read of a namespace not in the cache (default 2000 ms). */
  readTimeoutMs?: number;
  log?: Log;
}

export class NamespaceCache implements NamespaceSource {
  private views = new Map<string, NamespaceView>();
  /** Direct reads under way, so concurrent misses for one name share a request. */
  private readonly reading = new Map<string, Promise<NamespaceView>>();
  private readonly reflector: Reflector<NamespaceLike, NamespaceView>;
  private readonly client: NamespaceClient;
  private readonly readTimeoutMs: number;
  private readonly log: Log;
  /** Resolves when the first full list is in the cache. */
  readonly synced: Promise<void>;

  /** Starts the informer at once. Pass a KubeConfig, or a NamespaceClient (tests). */
  constructor(source: KubeConfig | NamespaceClient, options: NamespaceCacheOptions = {}) {
    const client = 'makeApiClient' in source ? namespaceClient(source) : source;
    this.client = client;
    this.readTimeoutMs = options.readTimeoutMs ?? 2000;
    this.log = options.log ?? silentLog;
    this.reflector = new Reflector<NamespaceLike, NamespaceView>(client, namespaceView, {
      replace: (items) => {
        this.views = new Map(items.map((view) => [view.name, view]));
        this.log.debug({ namespaces: items.length }, 'namespace cache listed');
      },
      upsert: (view) => {
        this.views.set(view.name, view);
      },
      remove: (view) => {
        this.views.delete(view.name);
      },
    }, options);
    this.synced = this.reflector.synced;
    this.reflector.start();
  }

  /** True once the initial list is done. */
  get ready(): boolean {
    return this.reflector.hasSynced;
  }

  get size(): number {
    return this.views.size;
  }

  has(name: string): boolean {
    return this.views.has(name);
  }

  get(name: string): Promise<NamespaceView> {
    const cached = this.views.get(name);
    if (cached) return Promise.resolve(cached);
    let pending = this.reading.get(name);
    if (!pending) {
      pending = this.readDirect(name).finally(() => this.reading.delete(name));
      this.reading.set(name, pending);
    }
    return pending;
  }

  close(): void {
    this.reflector.stop();
  }

  private async readDirect(name: string): Promise<NamespaceView> {
    let view: NamespaceView;
    try {
      const obj = await this.client.read(name, this.readTimeoutMs);
      view = obj ? namespaceView(obj) : Object.freeze({ name, labels: EMPTY, annotations: EMPTY });
      this.log.debug({ namespace: name, found: obj !== undefined }, 'namespace not in cache; read it from the API');
    } catch (err) {
      throw new Error(`cannot read namespace "${name}" from the Kubernetes API: ${errorMessage(err)}`);
    }
    // The watch may have delivered it while we waited; its copy is at least as new.
    const meanwhile = this.views.get(name);
    if (meanwhile) return meanwhile;
    this.views.set(name, view);
    return view;
  }
}
