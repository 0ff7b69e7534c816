// A plain-HTTP server on 127.0.0.1 standing in for the apiserver, and a KubeConfig that
// points at it with a bearer token: shared by the cluster/ tests of the API clients.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { KubeConfig } from '@kubernetes/client-node';

/** Listens with `server`, closes it when `t` ends, and returns a KubeConfig for it (token `t0ken`). */
export async function kubeConfigServedBy(t: Test, server: Server, trailingSlash = false): Promise<KubeConfig> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS checks are off (there is no TLS to check).
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}${trailingSlash ? '/' : ''}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't0ken' }],
    contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}
