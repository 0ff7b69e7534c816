// Makes the certificates and writes them, with the kustomize layer, into the output folder.
// The generator is passed in, so tests can count or replace it.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateRequest, GeneratedCertificates } from './generate.js';
import { kustomizeLayer } from './kustomize-layer.js';
import { subjectAltNames } from './names.js';

export interface CertificateFilesOptions {
  service: string;
  namespace: string;
  /** Extra DNS names and IP addresses for the serving certificate. */
  dns: string[];
  ip: string[];
  days: number;
  /** Absolute output folder. */
  out: string;
  /** Absolute folder of the kustomize base the generated layer builds on. */
  base: string;
  /** Replace existing files (rotation). */
  force: boolean;
}

export type CertificateGenerator = (req: CertificateRequest) => Promise<Pick<GeneratedCertificates, 'caCertPem' | 'certPem' | 'keyPem'>>;

export interface WrittenCertificates {
  /** base64 of the PEM CA bundle (the new CA, then the previous one while it is valid). */
  caBundle: string;
  /** Absolute paths of the files written. */
  written: string[];
  dnsNames: string[];
  ipAddresses: string[];
  keptPreviousCa: boolean;
  /** Expiry of the serving certificate, as node:crypto prints it. */
  notAfter: string;
}

/** Files written into the output folder, with their modes. Keys are readable by the owner only. */
const CERT_FILE_MODES = { 'ca.crt': 0o644, 'tls.crt': 0o644, 'tls.key': 0o600 } as const;
type CertFile = keyof typeof CERT_FILE_MODES;
const LAYER_FILE_MODE = 0o644;

/** Some output files exist and --force was not given. */
export class ExistingFilesError extends Error {
  readonly files: string[];
  constructor(out: string, files: string[]) {
    super(`${out} already holds ${files.join(', ')}; pass --force to replace them (rotation), or choose another --out`);
    this.name = 'ExistingFilesError';
    this.files = files;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** The previous CA, kept in the new caBundle while pods still serve a certificate it signed. */
async function previousCaPem(path: string, now: Date): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return '';
    throw err;
  }
  try {
    const ca = new X509Certificate(pem);
    return new Date(ca.validTo) > now ? ca.toString() : '';
  } catch {
    return ''; // not a certificate: nothing worth trusting
  }
}

/** Writes through a temporary file and a rename, so a watcher never reads half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

export async function writeCertificates(
  options: CertificateFilesOptions, generate: CertificateGenerator, now: Date = new Date(),
): Promise<WrittenCertificates> {
  const { out } = options;
  const { dnsNames, ipAddresses } = subjectAltNames(options.service, options.namespace, options.dns, options.ip);
  const placeholderLayer = kustomizeLayer({ outDir: out, baseDir: options.base, namespace: options.namespace, caBundle: '', createdAt: now });
  const targets = [...Object.keys(CERT_FILE_MODES), ...Object.keys(placeholderLayer)];
  const present: string[] = [];
  for (const name of targets) if (await exists(join(out, name))) present.push(name);
  if (present.length > 0 && !options.force) throw new ExistingFilesError(out, present);

  const previousCa = await previousCaPem(join(out, 'ca.crt'), now);
  const generated = await generate({
    dnsNames,
    ipAddresses,
    days: options.days,
    caName: `${options.service}.${options.namespace} webhook CA`,
  });
  const caBundle = Buffer.from(generated.caCertPem + previousCa).toString('base64');
  const layer = kustomizeLayer({ outDir: out, baseDir: options.base, namespace: options.namespace, caBundle, createdAt: now });

  await mkdir(out, { recursive: true, mode: 0o700 });
  const contents: Record<CertFile, string> = { 'ca.crt': generated.caCertPem, 'tls.crt': generated.certPem, 'tls.key': generated.keyPem };
  const written: string[] = [];
  // The key before the certificate: a server watching the pair sees the new key first and
  // keeps serving the old pair until both match.
  for (const name of ['tls.key', 'tls.crt', 'ca.crt'] as const) {
    await writeAtomically(join(out, name), contents[name], CERT_FILE_MODES[name]);
    written.push(join(out, name));
  }
  for (const [name, content] of Object.entries(layer)) {
    await writeAtomically(join(out, name), content, LAYER_FILE_MODE);
    written.push(join(out, name));
  }
  return {
    caBundle,
    written,
    dnsNames,
    ipAddresses,
    keptPreviousCa: previousCa !== '',
    notAfter: new X509Certificate(generated.certPem).validTo,
  };
}
