// The standalone form of the namespace view the engine needs (NamespaceSource, in
// injection/types.ts). Kept apart from the informer cache so standalone runs never load
// the Kubernetes client.
import type { NamespaceSource, NamespaceView, StringMap } from '../injection/types.js';

/** Standalone/offline: every namespace has the labels and annotations given by flags. */
export class StaticNamespaces implements NamespaceSource {
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

