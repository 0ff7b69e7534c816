// A steady stream of AdmissionReviews over one keep-alive HTTPS agent, recording every
// outcome, the socket each request used and when it was written.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Sent {
  /** Request fully written to the socket (the 'finish' event), as a sequence number of the clock below. */
  writtenAt?: number;
  doneAt?: number;
  status?: number;
  uid?: string;
  connection?: string;
  error?: string;
  socket?: TLSSocket;
  /** Fingerprint of the certificate the connection was given. */
  peer?: string;
}

export interface LoadOptions {
  port: number;
  ca: string[];
  body: string;
  concurrency: number;
}

/** A monotonic event counter: orders writes, responses and the signal without wall-clock reasoning. */
let tick = 0;
export function now(): number { return ++tick; }

export class Load {
  readonly agent: https.Agent;
  readonly sent: Sent[] = [];
  private running = true;
  private readonly workers: Promise<void>[] = [];

  constructor(private readonly opts: LoadOptions) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: opts.concurrency, ca: opts.ca });
    for (let i = 0; i < opts.concurrency; i++) this.workers.push(this.worker());
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const record: Sent = {};
      this.sent.push(record);
      await this.once(record);
      if (record.error && this.running) await new Promise((r) => setTimeout(r, 5)); // do not spin on a closed port
    }
  }

  private once(record: Sent): Promise<void> {
    return new Promise((resolve) => {
      const req = https.request({
        host: '127.0.0.1', port: this.opts.port, path: '/inject', method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(this.opts.body) },
      }, (res) => {
        record.peer = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          record.doneAt = now();
          record.status = res.statusCode;
          record.connection = res.headers.connection;
          try { record.uid = JSON.parse(Buffer.concat(chunks).toString('utf8')).response?.uid; } catch { record.error = 'unparsable body'; }
          resolve();
        });
        res.on('error', (err) => { record.error = err.message; record.doneAt = now(); resolve(); });
      });
      req.on('socket', (socket) => { record.socket = socket as TLSSocket; });
      req.on('finish', () => { record.writtenAt = now(); });
      req.on('error', (err) => { record.error = err.message; record.doneAt = now(); resolve(); });
      req.end(this.opts.body);
    });
  }

  completed(): Sent[] {
    return this.sent.filter((s) => s.status !== undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
  }
}
