// @ts-check
// The local control plane (test/e2e/cluster) and plain HTTPS calls to its apiserver with
// the kubeconfig's token: one keep-alive connection per client, no kubectl start-up cost.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const run = promisify(execFile);

/** True when kube-up can start at once (the one-time 15-minute build is done). */
export function controlPlaneAvailable(kubeDir) {
  const cache = '/var/cache/kube-local/bin';
  return existsSync(path.join(kubeDir, 'kube-up'))
    && existsSync(path.join(cache, 'kube-apiserver'));
}

/** Starts etcd and the apiserver (no controllers) in `dir` on the given ports; returns the kubeconfig path. */
export async function kubeUp({ kubeDir, dir, apiPort, etcdPort }) {
  const env = { ...process.env, KUBE_API_PORT: String(apiPort), KUBE_ETCD_PORT: String(etcdPort), KUBE_CONTROLLERS: '0' };
  const { stdout } = await run(path.join(kubeDir, 'kube-up'), [dir], { env, timeout: 180_000 });
  const match = /export KUBECONFIG=(\S+)/.exec(stdout);
  if (!match) throw new Error(`kube-up printed no KUBECONFIG: ${stdout}`);
  return match[1];
}

export async function kubeDown({ kubeDir, dir }) {
  await run(path.join(kubeDir, 'kube-down'), [dir], { timeout: 60_000 }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

/** A client for the apiserver in a kubeconfig written by kube-up (token + CA file). */
export function apiClient(kubeconfigPath) {
  const config = YAML.parse(readFileSync(kubeconfigPath, 'utf8'));
  const cluster = config.clusters[0].cluster;
  const token = config.users[0].user.token;
  const server = new URL(cluster.server);
  const ca = readFileSync(cluster['certificate-authority']);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
  return {
    /** Resolves { status, body, ms }; body is parsed JSON when it is JSON. */
    request(method, urlPath, body) {
      const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const req = https.request({
          agent, host: server.hostname, port: server.port, path: urlPath, method,
          headers: {
            authorization: `Bearer ${token}`, accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - start) / 1e6;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed = text;
            if ((res.headers['content-type'] ?? '').includes('json')) {
              try { parsed = JSON.parse(text); } catch { /* keep the text */ }
            }
            resolve({ status: res.statusCode, body: parsed, ms });
          });
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** Requests that must succeed: throws with the apiserver's message otherwise. */
export async function expectOk(promise, what) {
  const res = await promise;
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${what}: HTTP ${res.status}: ${typeof res.body === 'string' ? res.body.slice(0, 500) : res.body?.message ?? JSON.stringify(res.body).slice(0, 500)}`);
  }
  return res;
}

/**
 * The cumulative buckets, sum and count of one Prometheus histogram, for the series whose
 * labels include all of `match`, summed over the remaining labels.
 */
export function histogram(text, name, match = {}) {
  const buckets = new Map();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) continue;
    const value = Number(m[3]);
    if (m[1] === `${name}_bucket`) buckets.set(labels.le, (buckets.get(labels.le) ?? 0) + value);
    else if (m[1] === `${name}_sum`) sum += value;
    else if (m[1] === `${name}_count`) count += value;
  }
  return { buckets: Object.fromEntries(buckets), sum, count };
}

/** after − before, bucket by bucket. */
export function histogramDelta(after, before) {
  const buckets = {};
  for (const [le, n] of Object.entries(after.buckets)) buckets[le] = n - (before.buckets[le] ?? 0);
  return { buckets, sum: after.sum - before.sum, count: after.count - before.count };
}

/** The pids of the control plane kube-up started in `dir` (its *.pid files). */
export function controlPlanePids(dir) {
  const pid = (name) => {
    try {
      return Number(readFileSync(path.join(dir, `${name}.pid`), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  return { apiserver: pid('apiserver'), etcd: pid('etcd') };
}

/**
 * The TCP sockets of a local server port, from `ss`: the remote ports of its established
 * connections and how many connections to or from it sit in TIME-WAIT (each one closed in
 * the last minute). Undefined when `ss` is missing.
 */
export async function socketsOnPort(port) {
  try {
    const { stdout } = await run('ss', ['-tanH', `( sport = :${port} or dport = :${port} )`], { timeout: 10_000 });
    const peers = new Set();
    let timeWait = 0;
    for (const line of stdout.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5) continue;
      const [state, , , local, peer] = fields;
      if (state === 'TIME-WAIT') timeWait++;
      else if (state === 'ESTAB' && local.endsWith(`:${port}`)) peers.add(peer);
    }
    return { peers, timeWait };
  } catch {
    return undefined;
  }
}

/** Connections a server accepted between two socketsOnPort() readings (new peers, plus those opened and closed since). */
export function connectionsOpened(before, after) {
  if (!before || !after) return undefined;
  const fresh = [...after.peers].filter((p) => !before.peers.has(p)).length;
  return { opened: fresh + Math.max(0, after.timeWait - before.timeWait), openAtEnd: after.peers.size };
}

/** a + b, bucket by bucket (histograms of one metric). */
export function histogramSum(a, b) {
  const buckets = { ...a.buckets };
  for (const [le, n] of Object.entries(b.buckets)) buckets[le] = (buckets[le] ?? 0) + n;
  return { buckets, sum: a.sum + b.sum, count: a.count + b.count };
}
