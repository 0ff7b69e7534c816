export declare const WEBHOOK_COUNT: number;
export declare const WEBHOOK_CONFIGURATION: string;
export declare const TLS_SECRET: string;
export declare const PATCH_FILE: string;
export declare function kustomizeLayer(input: {
  outDir: string;
  baseDir: string;
  namespace: string;
  caBundle: string;
  createdAt: Date;
}): Record<string, string>;
