// A serving certificate for runs without --tls-cert-file: a fresh CA and leaf at every
// start, the CA written to a file so the caller can put it in a webhook's caBundle.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateCertificates } from '../certs/generate.js';
import { serviceDnsNames } from '../certs/names.js';
import type { KeyPair } from './tls.js';

/** The names the apiserver (or a local client) may use to reach the webhook. */
export function servingNames(serviceName: string, namespace: string): { dnsNames: string[]; ipAddresses: string[] } {
  return {
    dnsNames: ['localhost', ...serviceDnsNames(serviceName, namespace)],
    ipAddresses: ['127.0.0.1'],
  };
}

export interface SelfSigned {
  pair: KeyPair;
  caCertPem: string;
}

export async function generateSelfSigned(serviceName: string, namespace: string): Promise<SelfSigned> {
  const certs = await generateCertificates({ ...servingNames(serviceName, namespace), caName: `${serviceName}-local-ca` });
  return { pair: { cert: certs.certPem, key: certs.keyPem }, caCertPem: certs.caCertPem };
}

/** Writes the CA certificate atomically (readers never see half a file). */
export async function writeCaFile(file: string, pem: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, pem, { mode: 0o644 });
  await rename(tmp, file);
}
