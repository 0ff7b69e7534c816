// The defaults of every limit, in one place: the server's apps and the `serve` flags
// (src/cli/serve-flags.ts) both read them here. Why each value: README "Limits".
const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS = {
  /**
   * The apiserver refuses request bodies over 3 MiB, so no pod it admits makes a larger
   * review. 32 in flight × 3 MiB = 96 MiB of bodies, plus the image's 112 MiB V8 old-space
   * limit, is 208 MiB of deploy/'s 256 Mi memory limit (README "Limits").
   */
  maxBodyBytes: 3 * MiB,
  /** Node's own default; a review's headers are a few hundred bytes. */
  maxHeaderBytes: 16 * KiB,
  /** Receiving a review takes milliseconds; the apiserver waits 10 s by default (30 s at most) for the whole call. */
  requestTimeoutMs: 3_000,
  /** The apiserver keeps up to 25 idle connections per webhook host, more while calls are in flight. */
  maxConnectionsPerClient: 64,
  /** An admission costs about a millisecond of the one JS thread; 32 waiting is far inside any webhook timeout. */
  maxInFlight: 32,
} as const;

/** Nesting levels a request body may have; a pod review nests about 20. Checked before parsing. */
export const MAX_JSON_DEPTH = 64;

/** The health/metrics port: a few probes and one scraper, never a crowd. */
export const HEALTH_LIMITS = {
  /**
   * Open connections at once: kubelet probes, Prometheus, a person with curl. More are
   * closed on arrival; the short timeouts below free the slots of idle or slow clients.
   */
  maxConnections: 32,
  /** Headers and the whole request must arrive within this time. */
  requestTimeoutMs: 2_000,
  maxHeaderBytes: 8 * KiB,
  /** An idle keep-alive connection is closed after this long (Prometheus scrapes every 15 s or more). */
  keepAliveTimeoutMs: 5_000,
  /**
   * The /metrics text is rendered at most this often; scrapes in between get the same text.
   * As short as the answer pacing: a text a second old made a scrape right after an
   * admission miss it (e2e 02 counted a request late), and the pacing alone bounds a flood.
   */
  metricsCacheMs: 50,
} as const;

/** The `serve` flags for shutdown. */
export const DEFAULT_SHUTDOWN = {
  /**
   * Keep serving this long after SIGTERM (readiness failing) before closing the listener:
   * time for the endpoints to drop this pod, so clients stop picking its idle keep-alive
   * connections; with 0 such requests were reset right after the signal.
   */
  delayMs: 3_000,
  timeoutMs: 25_000,
} as const;
