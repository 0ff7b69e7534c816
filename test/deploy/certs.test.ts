// `sidecar-injector certs` (src/cli/certs.ts, src/certs/): the options, the files written
// and what is inside the certificates.
import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { generateCertificates } from '../../src/certs/generate.js';
import { subjectAltNames } from '../../src/certs/names.js';
import { ExistingFilesError, writeCertificates, type CertificateFilesOptions } from '../../src/certs/write.js';
import { CERTS_USAGE, parseCertsArgs } from '../../src/cli/certs.js';
import { UsageError } from '../../src/cli/command.js';
import { cli } from '../cli/support/cli.js';

const repo = resolve(import.meta.dirname, '../..');

// DER of the AlgorithmIdentifier OIDs: ecdsa-with-SHA256 (1.2.840.10045.4.3.2) and its SHA-1/384/512 siblings.
const ECDSA_WITH = (last: number) => Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, last]);
const ECDSA_SHA1 = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01]);

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'certs-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function options(out: string, extra: Partial<CertificateFilesOptions> = {}): CertificateFilesOptions {
  return {
    service: 'sidecar-injector', namespace: 'sidecar-injector', dns: [], ip: [], days: 365,
    out, base: join(repo, 'deploy/base'), force: false, ...extra,
  };
}

t.test('options', async (t) => {
  const defaults = parseCertsArgs([]);
  t.same(defaults, {
    service: 'sidecar-injector', namespace: 'sidecar-injector', dns: [], ip: [], days: 365,
    out: join(repo, 'certs/out'), base: join(repo, 'deploy/base'), force: false, help: false,
  });
  const given = parseCertsArgs(['--service', 'inj', '--namespace', 'mesh', '--dns', 'localhost', '--dns', '*.example.com',
    '--ip', '127.0.0.1', '--ip', '::1', '--days', '30', '--out', 'x', '--force']);
  t.match(given, { service: 'inj', namespace: 'mesh', dns: ['localhost', '*.example.com'], ip: ['127.0.0.1', '::1'], days: 30, force: true });
  t.equal(given.out, resolve('x'), 'relative --out is taken from the working directory');

  const bad: [string[], RegExp][] = [
    [['--service', 'Bad_Name'], /--service "Bad_Name" is not a DNS label/],
    [['--namespace', ''], /--namespace "" is not a DNS label/],
    [['--dns', 'a..b'], /--dns "a\.\.b" is not a DNS name/],
    [['--ip', '300.1.1.1'], /--ip "300\.1\.1\.1" is not an IPv4 or IPv6 address/],
    [['--days', '0'], /--days "0" is not a whole number/],
    [['--days', '1.5'], /--days "1\.5"/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['positional'], /positional/],
  ];
  for (const [argv, message] of bad) t.throws(() => parseCertsArgs(argv), message, argv.join(' '));
  const caught = (() => { try { parseCertsArgs(['--ip', 'x']); } catch (err) { return err; } })();
  t.ok(caught instanceof UsageError, 'a UsageError, which the command answers with exit code 2');
});

t.test('subject alternative names', async (t) => {
  t.same(subjectAltNames('inj', 'mesh', ['localhost', 'inj.mesh'], ['127.0.0.1', '127.0.0.1']), {
    dnsNames: ['inj', 'inj.mesh', 'inj.mesh.svc', 'localhost'],
    ipAddresses: ['127.0.0.1'],
  }, 'service names first, extras after, each once');
});

t.test('writes a CA and a serving certificate that verify', async (t) => {
  const out = join(tempDir(t), 'out');
  const result = await writeCertificates(options(out, { ip: ['127.0.0.1'], dns: ['localhost'], days: 30 }), generateCertificates);

  const mode = (file: string) => statSync(join(out, file)).mode & 0o777;
  t.equal(mode('tls.key'), 0o600, 'key readable by its owner only');
  t.equal(mode('tls.crt'), 0o644);
  t.equal(mode('ca.crt'), 0o644);

  const ca = new X509Certificate(readFileSync(join(out, 'ca.crt')));
  const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
  t.ok(ca.ca, 'ca.crt is a CA');
  t.notOk(leaf.ca, 'tls.crt is not a CA');
  t.ok(leaf.checkIssued(ca), 'issued by the CA');
  t.ok(leaf.verify(ca.publicKey), 'signature verifies with the CA key');
  t.ok(leaf.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'tls.key')))), 'tls.key belongs to tls.crt');
  t.same(leaf.subjectAltName?.split(', '), [
    'DNS:sidecar-injector', 'DNS:sidecar-injector.sidecar-injector', 'DNS:sidecar-injector.sidecar-injector.svc',
    'DNS:localhost', 'IP Address:127.0.0.1',
  ]);
  t.equal(leaf.checkHost('sidecar-injector.sidecar-injector.svc'), 'sidecar-injector.sidecar-injector.svc');
  t.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  for (const [name, cert] of [['CA', ca], ['serving', leaf]] as const) {
    t.equal(cert.publicKey.asymmetricKeyType, 'ec', `${name} key is EC`);
    t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', `${name} key is P-256`);
    t.equal(occurrences(cert.raw, ECDSA_WITH(0x02)), 2, `${name} signed with ecdsa-with-SHA256 (inner and outer algorithm)`);
    t.equal(occurrences(cert.raw, ECDSA_WITH(0x03)) + occurrences(cert.raw, ECDSA_WITH(0x04)) + occurrences(cert.raw, ECDSA_SHA1), 0, `${name}: no other digest`);
  }
  const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
  t.equal(Math.round(days), 30, '--days sets the validity');

  t.equal(result.caBundle, readFileSync(join(out, 'ca.crt')).toString('base64'), 'caBundle is base64 of ca.crt');
  t.equal(result.keptPreviousCa, false);
  t.same(result.written.map((f) => f.slice(out.length + 1)).sort(),
    ['ca.crt', 'kustomization.yaml', 'tls.crt', 'tls.key', 'webhook-ca-bundle.yaml']);

  const kustomization = YAML.parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8'));
  t.equal(kustomization.bases.length, 1, 'one base');
  t.equal(resolve(out, kustomization.bases[0]), join(repo, 'deploy/base'), 'builds on the given base, by relative path');
  t.match(kustomization.secretGenerator, [{ name: 'sidecar-injector-tls', namespace: 'sidecar-injector', type: 'kubernetes.io/tls', files: ['tls.crt', 'tls.key', 'ca.crt'] }]);
  const patch = YAML.parse(readFileSync(join(out, 'webhook-ca-bundle.yaml'), 'utf8'));
  t.same(patch, [0, 1].map((i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: result.caBundle })));
});

t.test('refuses to overwrite without --force; --force rotates and keeps the previous CA in the bundle', async (t) => {
  const out = join(tempDir(t), 'out');
  const first = await writeCertificates(options(out), generateCertificates);
  const firstCa = readFileSync(join(out, 'ca.crt'), 'utf8');
  const firstKey = readFileSync(join(out, 'tls.key'), 'utf8');

  const refused = await writeCertificates(options(out), generateCertificates).then(() => undefined, (err: unknown) => err);
  t.ok(refused instanceof ExistingFilesError, 'an ExistingFilesError');
  await t.rejects(writeCertificates(options(out), generateCertificates), /already holds ca\.crt, tls\.crt, tls\.key, kustomization\.yaml, webhook-ca-bundle\.yaml; pass --force/);
  t.equal(readFileSync(join(out, 'tls.key'), 'utf8'), firstKey, 'nothing replaced');

  const second = await writeCertificates(options(out, { force: true }), generateCertificates);
  const secondCa = readFileSync(join(out, 'ca.crt'), 'utf8');
  t.not(secondCa, firstCa, 'a new CA');
  t.not(readFileSync(join(out, 'tls.key'), 'utf8'), firstKey, 'a new key');
  t.equal(second.keptPreviousCa, true);
  t.equal(Buffer.from(second.caBundle, 'base64').toString(), secondCa + new X509Certificate(firstCa).toString(), 'bundle: new CA, then the previous');
  t.not(second.caBundle, first.caBundle);
  t.equal(readFileSync(join(out, 'ca.crt'), 'utf8'), secondCa, 'ca.crt holds the new CA only');
  const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
  t.ok(leaf.checkIssued(new X509Certificate(secondCa)), 'new serving certificate from the new CA');

  const third = await writeCertificates(options(out, { force: true }), generateCertificates);
  t.equal(Buffer.from(third.caBundle, 'base64').toString().match(/BEGIN CERTIFICATE/g)?.length, 2, 'only one previous CA is kept');
});

t.test('the command', async (t) => {
  const usage = await cli(['certs', '--ip', 'nope']);
  t.equal(usage.code, 2, 'usage error exits 2');
  t.match(usage.stderr, /--ip "nope" is not an IPv4 or IPv6 address[\s\S]*Usage: sidecar-injector certs/);
  const help = await cli(['certs', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /--force/);
  t.equal((await cli(['help', 'certs'])).stdout, CERTS_USAGE, '`help certs` shows the same text');

  const out = join(tempDir(t), 'out');
  const made = await cli(['certs', '--out', out, '--ip', '127.0.0.1']);
  t.equal(made.code, 0, made.code === 0 ? 'exits 0' : made.stderr);
  t.equal(made.stdout.trim(), readFileSync(join(out, 'ca.crt')).toString('base64'), 'prints the caBundle alone on stdout');
  t.match(made.stderr, /IP Address|127\.0\.0\.1/);
  t.match(made.stderr, new RegExp(`install: kubectl apply -k \\S*out`), 'says how to install the layer it wrote');
  t.ok(new X509Certificate(readFileSync(join(out, 'tls.crt'))).checkIP('127.0.0.1'));
  const again = await cli(['certs', '--out', out]);
  t.equal(again.code, 1, 'refuses to overwrite');
  t.match(again.stderr, /pass --force/);
  t.equal(again.stdout, '', 'no caBundle printed when nothing was written');
  const rotated = await cli(['certs', '--out', out, '--force']);
  t.equal(rotated.code, 0, '--force rotates');
  t.match(rotated.stderr, /caBundle keeps the previous CA too/);
});
