// The namespace view the engine needs, and its standalone form. Kept apart from the
// informer cache so standalone runs never load the Kubernetes client.
import type { NamespaceView, StringMap } from '../injection/types.js';

/** Where the engine gets a pod's namespace from: the cache, or flags when standalone. */
export interface NamespaceLookup {
  /**
   * The namespace's labels and annotations; empty ones for a namespace that does not
   * exist. Rejects with a reason when it cannot be found out (API unreachable).
   */
  get(name: string): Promise<NamespaceView>;
}

/** Standalone/offline: every namespace has the labels and annotations given by flags. */
export class StaticNamespaces implements NamespaceLookup {
  private readonly labels: Readonly<StringMap>;
  private readonly annotations: Readonly<StringMap>;

  constructor(given: { labels?: StringMap; annotations?: StringMap } = {}) {
    this.labels = Object.freeze({ ...given.labels });
    this.annotations = Object.freeze({ ...given.annotations });
  }

  get(name: string): Promise<NamespaceView> {
    return Promise.resolve({ name, labels: this.labels, annotations: this.annotations });
  }
}

