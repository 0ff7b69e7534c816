// AdmissionReviews as the apiserver sends them for a pod CREATE, built from the suite's
// pod manifests, and one-off calls to the webhook with them.
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { podManifest, type Meta } from './pods.js';

/** An `admission.k8s.io/v1` review of creating pod `name` in `namespace`, as JSON text. */
export function podCreateReview(namespace: string, name = 'load', meta: Meta = {}): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name,
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] },
      object: podManifest(name, namespace, meta),
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}

/** The patch of an admission response, decoded (undefined when there is none). */
export function decodePatch(response: { patch?: string }): Array<{ op: string; path: string; value?: unknown }> | undefined {
  return response.patch === undefined ? undefined : JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
}

/** The proxy image an injection patch adds, if any. */
export function patchedProxyImage(response: { patch?: string }): string | undefined {
  for (const op of decodePatch(response) ?? []) {
    const values = Array.isArray(op.value) ? op.value : [op.value];
    for (const value of values) {
      if (value && typeof value === 'object' && (value as { name?: string }).name === 'envoy') return (value as { image?: string }).image;
    }
  }
  return undefined;
}

/** One POST /inject on a connection of its own; resolves the status and parsed body. */
export function admitOnce(port: number, ca: string | string[], review: string, clientCert?: { cert: string; key: string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/inject', method: 'POST', agent: false, ca, ...clientCert,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(review) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }); } catch { resolve({ status: res.statusCode ?? 0, body: text }); }
      });
    });
    req.on('error', reject);
    req.end(review);
  });
}
