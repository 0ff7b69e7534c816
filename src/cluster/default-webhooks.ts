// The webhooks deploy/base registers (deploy/base/webhook.yaml), as data, so the offline
// `explain` can say whether the shipped selectors would send a pod to the injector at all.
// test/cluster/default-webhooks.test.ts keeps this equal to the YAML.
import type { WebhookConfigurationLike } from './webhook-match.js';

const POD_CREATE = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }];
const NOT_IGNORED = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', 'sidecar-injector'] };

export const DEFAULT_WEBHOOK_CONFIGURATION: WebhookConfigurationLike = {
  metadata: { name: 'sidecar-injector' },
  webhooks: [
    {
      name: 'namespace.sidecar-injector.io',
      rules: POD_CREATE,
      namespaceSelector: { matchExpressions: [{ key: 'sidecar-injection', operator: 'In', values: ['enabled'] }, NOT_IGNORED] },
      objectSelector: { matchExpressions: [{ key: 'sidecar-injector.io/inject', operator: 'NotIn', values: ['false'] }] },
      failurePolicy: 'Fail',
    },
    {
      name: 'object.sidecar-injector.io',
      rules: POD_CREATE,
      namespaceSelector: { matchExpressions: [{ key: 'sidecar-injection', operator: 'DoesNotExist' }, NOT_IGNORED] },
      objectSelector: { matchLabels: { 'sidecar-injector.io/inject': 'true' } },
      failurePolicy: 'Fail',
    },
  ],
};
