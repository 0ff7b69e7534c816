// @ts-check
// One ECDSA P-256 serving certificate (the kind `serve` makes for itself), written to
// files and shared by the injector and the baseline so both pay the same TLS costs.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadProgram } from './program.js';

/**
 * Writes into DIR/tls, a folder of their own as in a Secret volume: `serve` watches the
 * certificate's folder, and the servers' log files (in DIR) would wake that watch on
 * every logged admission, a cost no deployment has.
 */
export async function writeServingPair(workDir) {
  const dir = path.join(workDir, 'tls');
  mkdirSync(dir, { recursive: true });
  const { generateCertificates } = await loadProgram('certs/generate.js');
  const certs = await generateCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], caName: 'sidecar-injector-bench-ca' });
  const files = { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key'), ca: path.join(dir, 'ca.crt') };
  writeFileSync(files.cert, certs.certPem);
  writeFileSync(files.key, certs.keyPem, { mode: 0o600 });
  writeFileSync(files.ca, certs.caCertPem);
  return { files, caPem: certs.caCertPem };
}
