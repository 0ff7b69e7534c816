import type { CertsOptions } from './options.d.mts';

export interface CertificateGenerator {
  (req: { dnsNames: string[]; ipAddresses: string[]; days: number; caName: string }):
    Promise<{ caCertPem: string; certPem: string; keyPem: string }>;
}
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
export declare class ExistingFilesError extends Error {
  files: string[];
  constructor(out: string, files: string[]);
}
export declare function writeCertificates(options: CertsOptions, generate: CertificateGenerator, now?: Date): Promise<WrittenCertificates>;
