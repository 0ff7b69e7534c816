// Serving certificate pairs: reading them, and checking a pair before it is put in use
// (both parse, the key belongs to the certificate, TLS accepts them).
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { TlsFiles } from '../settings.js';

export const TLS_MIN_VERSION = 'TLSv1.2';

export interface KeyPair {
  cert: string;
  key: string;
}

/** What the logs say about a certificate in use. */
export interface CertificateInfo {
  subject: string;
  subjectAltName?: string;
  validTo: string;
  fingerprint256: string;
}

/** A pair that cannot be served; the message says which part is wrong. */
export class KeyPairError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyPairError';
  }
}

/** Throws KeyPairError unless the pair can be served; returns what to log about it. */
export function checkKeyPair(pair: KeyPair): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch (err) {
    throw new KeyPairError(`the certificate does not parse as PEM X.509: ${(err as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(pair.key);
  } catch (err) {
    throw new KeyPairError(`the private key does not parse as PEM: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new KeyPairError(`the private key does not belong to the certificate (subject ${cert.subject.replace(/\n/g, ', ')})`);
  }
  try {
    createSecureContext({ cert: pair.cert, key: pair.key, minVersion: TLS_MIN_VERSION });
  } catch (err) {
    throw new KeyPairError(`TLS rejects the pair: ${(err as Error).message}`);
  }
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    subjectAltName: cert.subjectAltName,
    validTo: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

export async function readKeyPair(files: TlsFiles): Promise<KeyPair> {
  const [cert, key] = await Promise.allSettled([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  // Both problems in one message, in a fixed order (cert first).
  const problems: string[] = [];
  if (cert.status === 'rejected') problems.push(`cannot read --tls-cert-file ${files.certFile}: ${(cert.reason as Error).message}`);
  if (key.status === 'rejected') problems.push(`cannot read --tls-key-file ${files.keyFile}: ${(key.reason as Error).message}`);
  if (cert.status === 'rejected' || key.status === 'rejected') throw new KeyPairError(problems.join('; '));
  return { cert: cert.value, key: key.value };
}

/** A short identity of the pair's bytes, to notice changes without keeping copies around. */
export function pairDigest(pair: KeyPair): string {
  return createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex');
}
