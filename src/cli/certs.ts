// `sidecar-injector certs`: a CA and a serving certificate for the webhook, written with a
// kustomize layer for deploy/self-signed (certs/README.md). The flags are checked here;
// the names, the files and the layer are src/certs/'s.
import { isIP } from 'node:net';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCertificates } from '../certs/generate.js';
import { isDnsLabel, isDnsName } from '../certs/names.js';
import { ExistingFilesError, writeCertificates, type CertificateFilesOptions } from '../certs/write.js';
import { parseCommandArgs, UsageError, type CliIo } from './command.js';

/** The package's root (two folders up from src/cli/ and dist/cli/): defaults are inside it. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_OUT = resolve(PACKAGE_ROOT, 'certs/out');
export const DEFAULT_BASE = resolve(PACKAGE_ROOT, 'deploy/base');

export const CERTS_USAGE = `Usage: sidecar-injector certs [flags]

Makes a CA and a serving certificate for the webhook (ECDSA P-256, SHA-256), writes
ca.crt, tls.crt, tls.key and a kustomize layer for deploy/self-signed into --out, and
prints the caBundle (base64 of the CA bundle) on standard output.

Flags
      --service NAME     Service name (default sidecar-injector)
      --namespace NS     namespace of the Service and the TLS Secret (default sidecar-injector)
      --dns NAME         extra DNS name in the certificate (repeatable)
      --ip ADDRESS       extra IP address in the certificate, e.g. 127.0.0.1 (repeatable)
      --days N           validity in days (default 365)
      --out DIR          output folder (default certs/out)
      --base DIR         kustomize base the layer builds on (default deploy/base)
      --force            replace existing files (rotation); the previous CA stays in the
                         caBundle so the running server's certificate is trusted until it reloads
  -h, --help             show this help

Exit codes: 0 written; 1 not written (the files exist); 2 usage error.
`;

const CERTS_OPTIONS = {
  service: { type: 'string' },
  namespace: { type: 'string' },
  dns: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  days: { type: 'string' },
  out: { type: 'string' },
  base: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CertsOptions extends CertificateFilesOptions {
  help: boolean;
}

/** The command line (after `certs`); relative folders are taken from the working directory. */
export function parseCertsArgs(argv: string[]): CertsOptions {
  const given = parseCommandArgs(argv, CERTS_OPTIONS).values;
  const v = {
    service: given.service ?? 'sidecar-injector', namespace: given.namespace ?? 'sidecar-injector',
    dns: given.dns ?? [], ip: given.ip ?? [], days: given.days ?? '365',
  };
  for (const key of ['service', 'namespace'] as const) {
    if (!isDnsLabel(v[key])) {
      throw new UsageError(`--${key} "${v[key]}" is not a DNS label: lower-case letters, digits and '-', at most 63 characters`);
    }
  }
  for (const name of v.dns) {
    if (!isDnsName(name)) throw new UsageError(`--dns "${name}" is not a DNS name: dot-separated lower-case labels, optionally starting with "*."`);
  }
  for (const address of v.ip) {
    if (isIP(address) === 0) throw new UsageError(`--ip "${address}" is not an IPv4 or IPv6 address`);
  }
  if (!/^[1-9][0-9]{0,4}$/.test(v.days)) throw new UsageError(`--days "${v.days}" is not a whole number of days from 1 to 99999`);
  return {
    service: v.service,
    namespace: v.namespace,
    dns: v.dns,
    ip: v.ip,
    days: Number(v.days),
    out: given.out === undefined ? DEFAULT_OUT : resolve(given.out),
    base: given.base === undefined ? DEFAULT_BASE : resolve(given.base),
    force: given.force ?? false,
    help: given.help ?? false,
  };
}

export async function runCerts(argv: string[], io: CliIo): Promise<number> {
  let options: CertsOptions;
  try {
    options = parseCertsArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`sidecar-injector certs: ${err.message}\n\n${CERTS_USAGE}`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(CERTS_USAGE);
    return 0;
  }
  try {
    const result = await writeCertificates(options, generateCertificates);
    const where = relative(process.cwd(), options.out) || '.';
    const lines = [
      `sidecar-injector certs: wrote ${result.written.map((file) => relative(options.out, file)).join(', ')} to ${where}`,
      `  names: ${[...result.dnsNames, ...result.ipAddresses].join(', ')}`,
      `  valid until: ${result.notAfter}`,
      ...(result.keptPreviousCa ? ['  caBundle keeps the previous CA too, until the next rotation'] : []),
      `  install: kubectl apply -k ${options.out === DEFAULT_OUT ? 'deploy/self-signed' : where}`,
      '  caBundle (stdout):',
    ];
    io.stderr.write(`${lines.join('\n')}\n`);
    io.stdout.write(`${result.caBundle}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ExistingFilesError)) throw err;
    io.stderr.write(`sidecar-injector certs: ${err.message}\n`);
    return 1;
  }
}
