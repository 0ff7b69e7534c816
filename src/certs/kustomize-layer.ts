// The kustomize layer written next to the certificates: it builds on deploy/base, adds the
// TLS Secret from the files beside it and puts the caBundle into the webhooks.
// deploy/self-signed points at it. It lives with the files because kustomize reads files
// only below a kustomization's own folder. Pure: returns file names and contents.
import { relative, sep } from 'node:path';

/** The webhooks in deploy/base/webhook.yaml, in order (test/deploy checks this). */
export const WEBHOOK_COUNT = 2;
export const WEBHOOK_CONFIGURATION = 'sidecar-injector';
export const TLS_SECRET = 'sidecar-injector-tls';
export const PATCH_FILE = 'webhook-ca-bundle.yaml';

export interface LayerInput {
  /** Absolute folder the layer is written to. */
  outDir: string;
  /** Absolute folder of the kustomize base it builds on. */
  baseDir: string;
  namespace: string;
  /** base64 of the PEM CA bundle. */
  caBundle: string;
  createdAt: Date;
}

/** File name in outDir → content. */
export function kustomizeLayer({ outDir, baseDir, namespace, caBundle, createdAt }: LayerInput): Record<string, string> {
  const base = relative(outDir, baseDir).split(sep).join('/') || '.';
  const kustomization = `# Written by \`sidecar-injector certs\` at ${createdAt.toISOString()}. Do not edit: rerun it
# (with --force) to rotate. Secret and caBundle change together on the next apply.
# Uses only fields kubectl 1.14+ understands (bases, patchesJson6902).
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
- ${base}
secretGenerator:
- name: ${TLS_SECRET}
  namespace: ${namespace}
  type: kubernetes.io/tls
  files:
  - tls.crt
  - tls.key
  - ca.crt
generatorOptions:
  # Same name across rotations: the server reloads the mounted files, no rollout needed.
  disableNameSuffixHash: true
patchesJson6902:
- target:
    group: admissionregistration.k8s.io
    version: v1
    kind: MutatingWebhookConfiguration
    name: ${WEBHOOK_CONFIGURATION}
  path: ${PATCH_FILE}
`;
  const ops = Array.from({ length: WEBHOOK_COUNT }, (_, i) =>
    `- op: add\n  path: /webhooks/${i}/clientConfig/caBundle\n  value: ${caBundle}\n`).join('');
  return {
    'kustomization.yaml': kustomization,
    [PATCH_FILE]: `# Written by \`sidecar-injector certs\`: the CA bundle each webhook trusts.\n${ops}`,
  };
}
