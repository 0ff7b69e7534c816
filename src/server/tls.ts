// Serving certificate pairs: reading them, and checking a pair before it is put in use
// (both parse, the key belongs to the certificate, TLS accepts them). Likewise the
// optional client CA bundle that callers' certificates must be signed by.
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** The serving certificate and its key, as PEM files. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export const TLS_MIN_VERSION = 'TLSv1.2';

export interface KeyPair {
  cert: string;
  key: string;
}

/** What the logs say about a certificate in use. */
export interface CertificateInfo {
  subject: string;
  subjectAltName?: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

/** Why a certificate cannot be served at `now` (expired, not yet valid), or undefined. */
export function validityProblem(validity: { validFrom: string; validTo: string }, now: number = Date.now()): string | undefined {
  if (now > Date.parse(validity.validTo)) return `the certificate expired at ${validity.validTo}`;
  if (now < Date.parse(validity.validFrom)) return `the certificate is not valid until ${validity.validFrom}`;
  return undefined;
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
    validFrom: new Date(cert.validFrom).toISOString(),
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

/** The TLS settings of the webhook port: the serving pair and, with client authentication, the CA bundle. */
export function secureContextOptions(pair: KeyPair, clientCa?: string): SecureContextOptions {
  return { cert: pair.cert, key: pair.key, minVersion: TLS_MIN_VERSION, ...(clientCa ? { ca: clientCa } : {}) };
}

/** A client CA bundle that cannot be used; the message says why. */
export class ClientCaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientCaError';
  }
}

/** What the logs say about a client CA bundle in use. */
export interface ClientCaInfo {
  certificates: number;
  subjects: string[];
  /** The earliest expiry in the bundle. */
  validTo: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Throws ClientCaError unless the bundle holds at least one certificate, every
 * certificate in it parses (TLS itself would silently skip a broken one) and at least one
 * is valid at `now` (a bundle of expired CAs would refuse every caller).
 */
export function checkClientCa(pem: string, now: number = Date.now()): ClientCaInfo {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ClientCaError('--client-ca-file holds no PEM certificate (expected one or more "-----BEGIN CERTIFICATE-----" blocks)');
  const certs = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new ClientCaError(`certificate ${i + 1} of --client-ca-file does not parse as X.509: ${(err as Error).message}`);
    }
  });
  const earliest = Math.min(...certs.map((c) => new Date(c.validTo).getTime()));
  const problems = certs.map((c) => validityProblem({ validFrom: new Date(c.validFrom).toISOString(), validTo: new Date(c.validTo).toISOString() }, now));
  if (problems.every(Boolean)) {
    throw new ClientCaError(`no certificate of --client-ca-file is valid now: ${problems.map((p, i) => `certificate ${i + 1}: ${p!.replace('the certificate ', '')}`).join('; ')}`);
  }
  return {
    certificates: certs.length,
    subjects: certs.map((c) => c.subject.replace(/\n/g, ', ')),
    validTo: new Date(earliest).toISOString(),
  };
}

export async function readClientCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ClientCaError(`cannot read --client-ca-file ${file}: ${(err as Error).message}`);
  }
}

export function caDigest(pem: string): string {
  return createHash('sha256').update(pem).digest('hex');
}
