// Client certificates for the tests of --client-ca-file, made with the openssl command
// (the project's generator only makes serving certificates): a CA, and leaf certificates
// for TLS clients (extendedKeyUsage clientAuth) signed by it. ECDSA P-256, valid one day.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClientCa {
  certPem: string;
  keyPem: string;
}

export interface ClientCertificate {
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** In a scratch folder removed afterwards, whatever happens. */
function inScratch<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-client-certs-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeClientCa(name: string): ClientCa {
  return inScratch((dir) => {
    openssl(dir, ['req', '-x509', ...EC, '-days', '1', '-subj', `/CN=${name}`, '-keyout', 'ca.key', '-out', 'ca.crt',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { certPem: readFileSync(path.join(dir, 'ca.crt'), 'utf8'), keyPem: readFileSync(path.join(dir, 'ca.key'), 'utf8') };
  });
}

/** A client certificate with subject CN=`commonName`, signed by `ca`. */
export function makeClientCertificate(ca: ClientCa, commonName: string): ClientCertificate {
  return inScratch((dir) => {
    writeFileSync(path.join(dir, 'ca.crt'), ca.certPem);
    writeFileSync(path.join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(path.join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    openssl(dir, ['req', ...EC, '-subj', `/CN=${commonName}`, '-keyout', 'client.key', '-out', 'client.csr']);
    openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
      '-extfile', 'client.ext', '-out', 'client.crt']);
    return { cert: readFileSync(path.join(dir, 'client.crt'), 'utf8'), key: readFileSync(path.join(dir, 'client.key'), 'utf8') };
  });
}
