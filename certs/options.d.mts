export interface CertsOptions {
  service: string;
  namespace: string;
  dns: string[];
  ip: string[];
  days: number;
  /** Absolute output folder. */
  out: string;
  /** Absolute folder of the kustomize base the generated layer builds on. */
  base: string;
  force: boolean;
  help: boolean;
}
export declare const USAGE: string;
export declare class UsageError extends Error {}
export declare function parseCertsArgs(argv: string[], repoRoot: string): CertsOptions;
export declare function subjectAltNames(options: Pick<CertsOptions, 'service' | 'namespace' | 'dns' | 'ip'>): { dnsNames: string[]; ipAddresses: string[] };
