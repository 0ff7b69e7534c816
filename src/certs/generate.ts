// Certificate generation for local runs and the self-signed install: a CA and a serving
// certificate, ECDSA P-256 signed with SHA-256.
import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs it
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CertificateRequest {
  /** DNS subject alternative names of the serving certificate. */
  dnsNames: string[];
  /** IP subject alternative names (e.g. 127.0.0.1). */
  ipAddresses?: string[];
  /** Validity in days (default 365). */
  days?: number;
  /** Common name of the CA (default "sidecar-injector-ca"). */
  caName?: string;
}

export interface GeneratedCertificates {
  caCertPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** Makes a fresh CA and a serving certificate signed by it. */
export async function generateCertificates(req: CertificateRequest): Promise<GeneratedCertificates> {
  const days = req.days ?? 365;
  const notBefore = new Date(Date.now() - 5 * 60_000); // tolerate small clock skew
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${req.caName ?? 'sidecar-injector-ca'}`,
    notBefore, notAfter,
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
  const names = [
    ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${req.dnsNames[0] ?? req.ipAddresses?.[0] ?? 'sidecar-injector'}`,
    issuer: ca.subject,
    notBefore, notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  return {
    caCertPem: ca.toString('pem') + '\n',
    caKeyPem: await keyPem(caKeys.privateKey),
    certPem: leaf.toString('pem') + '\n',
    keyPem: await keyPem(leafKeys.privateKey),
  };
}
