// A load generator that keeps sending AdmissionReviews to the injector over keep-alive
// HTTPS and accounts for every request it sends. Each request carries its own uid; an
// answer counts as a success only if it is a 200 AdmissionReview echoing that uid (and
// passes the scenario's own check). Every request ends in exactly one bucket:
//
//   succeeded  200, the request's uid, answered within the deadline
//   shed       503 {"error":{"code":"overloaded"}} with Retry-After (only where allowed)
//   failed     answered, but wrongly: another status or body, another uid, or too late
//   lost       never answered: connection refused or reset, or no answer by the deadline
//
// so that sent = succeeded + shed + failed + lost. Two ways to send: closed loop (N
// workers, each sends its next request when the previous one is answered: what a client
// with N connections does) and open loop (a fixed rate, whatever the answers: what a
// burst of pod creations does to the apiserver's webhook calls).
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

export interface LoadOptions {
  port: number;
  /** CA bundle(s) the client trusts. */
  ca: string | string[];
  /** A client certificate to present (webhook port with --client-ca-file). */
  clientCert?: { cert: string; key: string };
  /** An AdmissionReview as JSON text; each request gets a fresh `request.uid`. */
  review: string;
  /** Closed loop: this many workers. */
  concurrency?: number;
  /** Open loop: requests per second (with `concurrency` unset). */
  ratePerSecond?: number;
  /** Keep-alive connections at most (default: concurrency, or 48 in open loop). */
  maxSockets?: number;
  /** Every Nth request of a worker goes on a new connection of its own (new TLS handshake). 0: never. */
  freshConnectionEvery?: number;
  /**
   * An answer later than this after the request got its connection is a failure, and no
   * answer by then is lost (default 5 s: deploy/'s webhook timeoutSeconds).
   */
  deadlineMs?: number;
  /** Count 503 "overloaded" answers as shed instead of failed. */
  allowShed?: boolean;
  /** Further check of a 200 answer's `response`; a returned string is the failure reason. */
  check?: (response: AdmissionResponse) => string | undefined;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patch?: string;
  patchType?: string;
  status?: { message?: string };
  warnings?: string[];
}

export type Outcome = 'succeeded' | 'shed' | 'failed' | 'lost';

export interface RequestRecord {
  uid: string;
  /** Handed to the generator's connection pool. */
  issuedAt: number;
  /** Given a connection (after any wait in the pool): the apiserver's clock starts here, as it opens connections as needed. */
  startedAt?: number;
  /** The request's bytes were all handed to the socket. */
  written: boolean;
  outcome?: Outcome;
  reason?: string;
  status?: number;
  latencyMs?: number;
  /** Fingerprint of the server certificate (requests on fresh connections only). */
  peer?: string;
}

export interface LoadCounts {
  sent: number;
  succeeded: number;
  shed: number;
  failed: number;
  lost: number;
  /** Sent but not finished yet (0 after stop()). */
  pending: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Milliseconds on a monotonic clock. */
export function nowMs(): number {
  return performance.now();
}

/** The review text split at its uid, so a new uid is a string join, not a JSON round trip. */
function uidTemplate(review: string): (uid: string) => string {
  const parsed = JSON.parse(review) as { request?: { uid?: string } };
  const uid = parsed.request?.uid;
  if (!uid) throw new Error('the review given to the load generator has no request.uid');
  const parts = review.split(JSON.stringify(uid));
  if (parts.length < 2) throw new Error('the review\'s uid does not appear in its text as a JSON string');
  return (next) => parts.join(JSON.stringify(next));
}

export class Load {
  readonly records: RequestRecord[] = [];
  private readonly agent: https.Agent;
  private readonly body: (uid: string) => string;
  private readonly deadlineMs: number;
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: LoadOptions) {
    if ((opts.concurrency === undefined) === (opts.ratePerSecond === undefined)) {
      throw new Error('give the load generator either concurrency (closed loop) or ratePerSecond (open loop)');
    }
    this.body = uidTemplate(opts.review);
    this.deadlineMs = opts.deadlineMs ?? 5_000;
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets ?? opts.concurrency ?? 48,
      ca: opts.ca,
      ...opts.clientCert,
    });
    if (opts.concurrency !== undefined) {
      for (let i = 0; i < opts.concurrency; i++) this.loops.push(this.worker());
    } else {
      this.openLoop(opts.ratePerSecond!);
    }
  }

  private async worker(): Promise<void> {
    let n = 0;
    while (this.running) {
      n++;
      const fresh = (this.opts.freshConnectionEvery ?? 0) > 0 && n % this.opts.freshConnectionEvery! === 0;
      const record = await this.track(fresh);
      // After a refused connection, do not spin: the port may be closed for a while.
      if (record.outcome === 'lost' && this.running) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Issues requests on a 10 ms tick so the average rate is `rate`, however the server answers. */
  private openLoop(rate: number): void {
    const began = nowMs();
    let issued = 0;
    const tick = () => {
      if (!this.running) return;
      const due = Math.floor(((nowMs() - began) / 1000) * rate);
      for (; issued < due; issued++) void this.track(false);
      this.timer = setTimeout(tick, 10);
    };
    tick();
  }

  private async track(fresh: boolean): Promise<RequestRecord> {
    const record: RequestRecord = { uid: randomUUID(), issuedAt: nowMs(), written: false };
    this.records.push(record);
    const done = this.send(record, fresh);
    this.inFlight.add(done);
    await done;
    this.inFlight.delete(done);
    return record;
  }

  private send(record: RequestRecord, fresh: boolean): Promise<void> {
    return new Promise((resolve) => {
      const body = this.body(record.uid);
      let deadline: NodeJS.Timeout | undefined;
      const finish = (outcome: Outcome, reason?: string) => {
        if (record.outcome) return;
        clearTimeout(deadline);
        record.outcome = outcome;
        record.reason = reason;
        record.latencyMs = nowMs() - (record.startedAt ?? record.issuedAt);
        resolve();
      };
      const req = https.request({
        host: '127.0.0.1', port: this.opts.port, path: '/inject', method: 'POST',
        ...(fresh ? { agent: false, ca: this.opts.ca, ...this.opts.clientCert } : { agent: this.agent }),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(fresh ? { connection: 'close' } : {}),
        },
      }, (res) => {
        if (fresh) record.peer = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => finish('lost', `response cut: ${err.message}`));
        res.on('end', () => {
          record.status = res.statusCode;
          const [outcome, reason] = this.judge(record, res.statusCode ?? 0, res.headers['retry-after'], Buffer.concat(chunks).toString('utf8'));
          finish(outcome, reason);
        });
      });
      req.on('socket', () => {
        record.startedAt = nowMs();
        // The apiserver gives up at its timeout; so does this client.
        deadline = setTimeout(() => {
          req.destroy();
          finish('lost', `no answer within ${this.deadlineMs} ms`);
        }, this.deadlineMs);
      });
      req.on('finish', () => { record.written = true; });
      req.on('error', (err: NodeJS.ErrnoException) => finish('lost', err.code ?? err.message));
      req.end(body);
    });
  }

  private judge(record: RequestRecord, status: number, retryAfter: string | undefined, text: string): [Outcome, string?] {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return ['failed', `status ${status}, body not JSON: ${text.slice(0, 120)}`];
    }
    const late = nowMs() - (record.startedAt ?? record.issuedAt) > this.deadlineMs;
    if (status === 503 && body?.error?.code === 'overloaded') {
      if (!this.opts.allowShed) return ['failed', `shed (503 overloaded) where no shedding was expected: ${body.error.message}`];
      if (!retryAfter) return ['failed', '503 overloaded without Retry-After'];
      return late ? ['failed', 'shed, but later than the deadline'] : ['shed'];
    }
    if (status !== 200) return ['failed', `status ${status}: ${text.slice(0, 200)}`];
    const response = body?.response as AdmissionResponse | undefined;
    if (body?.kind !== 'AdmissionReview' || !response) return ['failed', `200 but not an AdmissionReview: ${text.slice(0, 120)}`];
    if (response.uid !== record.uid) return ['failed', `answer for uid ${response.uid}, sent ${record.uid}`];
    if (typeof response.allowed !== 'boolean') return ['failed', 'response.allowed missing'];
    const problem = this.opts.check?.(response);
    if (problem) return ['failed', problem];
    if (late) return ['failed', `answered after the ${this.deadlineMs} ms deadline`];
    return ['succeeded'];
  }

  /** Stops sending new requests at once (synchronously); sent ones run on. */
  pause(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Stops sending and waits until every sent request has an outcome. */
  async stop(): Promise<LoadCounts> {
    this.pause();
    await Promise.all(this.loops);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.agent.destroy();
    return this.counts();
  }

  counts(from = 0): LoadCounts {
    const counts: LoadCounts = { sent: 0, succeeded: 0, shed: 0, failed: 0, lost: 0, pending: 0 };
    for (let i = from; i < this.records.length; i++) {
      const outcome = this.records[i].outcome;
      counts.sent++;
      if (outcome) counts[outcome]++;
      else counts.pending++;
    }
    return counts;
  }

  /** Requests answered so far (any outcome but lost). */
  get answered(): number {
    return this.records.filter((r) => r.outcome && r.outcome !== 'lost').length;
  }

  get succeeded(): number {
    return this.records.filter((r) => r.outcome === 'succeeded').length;
  }

  /** A few failed or lost requests, with their reasons, for assertion messages. */
  problems(limit = 10): Array<Pick<RequestRecord, 'uid' | 'outcome' | 'reason' | 'status'>> {
    return this.records.filter((r) => r.outcome === 'failed' || r.outcome === 'lost').slice(0, limit)
      .map(({ uid, outcome, reason, status }) => ({ uid, outcome, reason, status }));
  }

  /** Time from getting a connection to the answer, of the requests with this outcome. */
  latency(outcome: Outcome): LatencySummary {
    return summarize(this.records.filter((r) => r.outcome === outcome).map((r) => r.latencyMs!));
  }

  /** Time requests waited in the generator's own pool for a connection. */
  queueing(): LatencySummary {
    return summarize(this.records.filter((r) => r.startedAt !== undefined).map((r) => r.startedAt! - r.issuedAt));
  }
}

function summarize(values: number[]): LatencySummary {
  values.sort((a, b) => a - b);
  const at = (q: number) => values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.floor(q * values.length))];
  return { count: values.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(values.at(-1) ?? 0) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
