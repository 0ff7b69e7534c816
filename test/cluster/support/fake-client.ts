// A scripted stand-in for the Kubernetes API behind a Reflector: the test decides what
// each list returns and drives each watch (events, clean close, failure).
import type { ListPage, ResourceClient, WatchHandle } from '../../../src/cluster/reflector.js';

export class FakeWatch {
  aborted = false;
  ended = false;
  constructor(
    readonly query: { resourceVersion: string; timeoutSeconds: number },
    private readonly onEvent: (type: string, object: unknown) => void,
    private readonly onDone: (err: unknown) => void,
  ) {}

  emit(type: string, object: unknown): void {
    this.onEvent(type, object);
  }

  /** The server closes the stream: null for a clean close. */
  end(err: unknown = null): void {
    if (this.ended) return;
    this.ended = true;
    this.onDone(err);
  }

  abort(): void {
    this.aborted = true;
    this.end(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
  }
}

type ListAnswer<T> = ListPage<T> | Error;

export class FakeClient<T> implements ResourceClient<T> {
  readonly describe = 'fake objects';
  readonly listCalls: Array<{ limit: number; continueToken?: string }> = [];
  readonly watches: FakeWatch[] = [];
  /** Answers for the next list calls, in order; when empty, `defaultList` answers. */
  readonly listAnswers: ListAnswer<T>[] = [];
  /** Failures for the next watch calls (the stream fails to open), in order. */
  readonly watchFailures: Error[] = [];

  constructor(public defaultList: ListAnswer<T> = { items: [], resourceVersion: '1' }) {}

  list(page: { limit: number; continueToken?: string }): Promise<ListPage<T>> {
    this.listCalls.push({ limit: page.limit, continueToken: page.continueToken });
    const answer = this.listAnswers.shift() ?? this.defaultList;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  async watch(query: { resourceVersion: string; timeoutSeconds: number }, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const w = new FakeWatch(query, onEvent, onDone);
    this.watches.push(w);
    const failure = this.watchFailures.shift();
    if (failure) w.end(failure); // like client-node: done(err) before the handle is returned
    return { abort: () => w.abort() };
  }

  get lastWatch(): FakeWatch | undefined {
    return this.watches.at(-1);
  }
}

export function obj(name: string, resourceVersion: string, extra: Record<string, unknown> = {}): { metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown> {
  const { labels, annotations, ...rest } = extra as { labels?: Record<string, string>; annotations?: Record<string, string> };
  return { metadata: { name, resourceVersion, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) }, ...rest };
}
