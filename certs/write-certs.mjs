// Makes the certificates and writes them, with the kustomize layer, into the output folder.
// The generator is passed in, so tests can hand over the TypeScript source and the CLI the
// built one.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kustomizeLayer } from './kustomize-layer.mjs';
import { subjectAltNames } from './options.mjs';

/** Files written into the output folder, with their modes. Keys are readable by the owner only. */
const CERT_FILE_MODES = { 'ca.crt': 0o644, 'tls.crt': 0o644, 'tls.key': 0o600 };
const LAYER_FILE_MODE = 0o644;

/** Some output files exist and --force was not given. */
export class ExistingFilesError extends Error {
  constructor(out, files) {
    super(`${out} already holds ${files.join(', ')}; pass --force to replace them (rotation), or choose another --out`);
    this.name = 'ExistingFilesError';
    this.files = files;
  }
}

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}

/** The previous CA, kept in the new caBundle while pods still serve a certificate it signed. */
async function previousCaPem(path, now) {
  let pem;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return '';
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
async function writeAtomically(path, content, mode) {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await rename(temporary, path);
}

/**
 * @param {import('./options.d.mts').CertsOptions} options
 * @param {(req: { dnsNames: string[], ipAddresses: string[], days: number, caName: string })
 *   => Promise<{ caCertPem: string, certPem: string, keyPem: string }>} generate
 * @param {Date} [now]
 */
export async function writeCertificates(options, generate, now = new Date()) {
  const { out } = options;
  const { dnsNames, ipAddresses } = subjectAltNames(options);
  const placeholderLayer = kustomizeLayer({ outDir: out, baseDir: options.base, namespace: options.namespace, caBundle: '', createdAt: now });
  const targets = [...Object.keys(CERT_FILE_MODES), ...Object.keys(placeholderLayer)];
  const present = [];
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
  const contents = { 'ca.crt': generated.caCertPem, 'tls.crt': generated.certPem, 'tls.key': generated.keyPem };
  const written = [];
  // The key before the certificate: a server watching the pair sees the new key first and
  // keeps serving the old pair until both match.
  for (const name of ['tls.key', 'tls.crt', 'ca.crt']) {
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
