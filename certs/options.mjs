// Command-line options of certs/make-certs.mjs, and the names the serving certificate holds.
// Pure: no file system, no environment.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: node certs/make-certs.mjs [options]

Makes a CA and a serving certificate for the webhook (ECDSA P-256, SHA-256), writes
ca.crt, tls.crt, tls.key and a kustomize layer for deploy/self-signed into --out, and
prints the caBundle (base64 of the CA bundle) on stdout.

  --service NAME     Service name (default sidecar-injector)
  --namespace NS     namespace of the Service and the TLS Secret (default sidecar-injector)
  --dns NAME         extra DNS name in the certificate (repeatable)
  --ip ADDRESS       extra IP address in the certificate, e.g. 127.0.0.1 (repeatable)
  --days N           validity in days (default 365)
  --out DIR          output folder (default certs/out)
  --base DIR         kustomize base the layer builds on (default deploy/base)
  --force            replace existing files (rotation); the previous CA stays in the
                     caBundle so the running server's certificate is trusted until it reloads
  --help             this text
`;

/** A wrong command line; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isDnsName(name) {
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  return name.length <= 253 && labels.every((label) => DNS_LABEL.test(label));
}

/**
 * Parses argv (without node and the script). repoRoot anchors the default --out and --base.
 * @returns {import('./options.d.mts').CertsOptions}
 */
export function parseCertsArgs(argv, repoRoot) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        service: { type: 'string', default: 'sidecar-injector' },
        namespace: { type: 'string', default: 'sidecar-injector' },
        dns: { type: 'string', multiple: true, default: [] },
        ip: { type: 'string', multiple: true, default: [] },
        days: { type: 'string', default: '365' },
        out: { type: 'string', default: resolve(repoRoot, 'certs/out') },
        base: { type: 'string', default: resolve(repoRoot, 'deploy/base') },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const v = parsed.values;
  for (const key of ['service', 'namespace']) {
    if (!DNS_LABEL.test(v[key])) {
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
    out: resolve(v.out),
    base: resolve(v.base),
    force: v.force,
    help: v.help,
  };
}

/** The certificate's names: the Service's in-cluster names first, then the extras, once each. */
export function subjectAltNames(options) {
  const { service, namespace } = options;
  const dnsNames = [...new Set([service, `${service}.${namespace}`, `${service}.${namespace}.svc`, ...options.dns])];
  return { dnsNames, ipAddresses: [...new Set(options.ip)] };
}
