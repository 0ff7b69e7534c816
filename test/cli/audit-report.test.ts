// audit's classification of pods and the report grouped by workload, with counts.
import t from 'tap';
import { buildReport, classifyPod, formatAudit, notRestartable, type AuditFinding } from '../../src/cli/audit-report.js';
import type { PodInjection } from '../../src/cluster/pod-injection.js';

const live = (over: Partial<PodInjection> = {}): PodInjection => ({ injected: false, ourContainers: [], foreign: [], ...over });
const status = (revision: string) => ({ templates: [], containers: ['envoy'], initContainers: [], volumes: [], imagePullSecrets: [], revision });
const base = { decision: 'inject' as const, reason: 'namespace-enabled', sent: true, currentRevision: 'new' };

t.test('classifyPod', async (t) => {
  t.same(classifyPod({ ...base, live: live() }), { state: 'missing', detail: 'no sidecar (reason namespace-enabled)' });
  t.match(classifyPod({ ...base, sent: false, live: live() })?.detail, /do not send/);
  t.equal(classifyPod({ ...base, decision: 'skip', live: live() }), undefined, 'not injected and not to be injected');
  t.same(classifyPod({ ...base, live: live({ injected: true, status: status('old') }) }), { state: 'stale', detail: 'revision old, current new' });
  t.equal(classifyPod({ ...base, live: live({ injected: true, status: status('new') }) }), undefined, 'current');
  t.same(classifyPod({ ...base, live: live({ injected: true, status: status('new'), foreign: ['container istio-proxy (istio)'] }) }),
    { state: 'foreign', detail: 'our proxy and container istio-proxy (istio)' }, 'two proxies');
  t.equal(classifyPod({ ...base, decision: 'skip', live: live({ foreign: ['container linkerd-proxy (linkerd)'] }) })?.state, 'foreign', "another mesh's proxy only");
});

t.test('grouping by workload, counts, pods without owner', async (t) => {
  const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
  const cron = { apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'shop', name: 'report' };
  const findings: AuditFinding[] = [
    { namespace: 'shop', pod: 'web-b', state: 'stale', detail: 'd', workload: web },
    { namespace: 'shop', pod: 'web-a', state: 'missing', detail: 'd', workload: web },
    { namespace: 'shop', pod: 'loose', state: 'missing', detail: 'd' },
    { namespace: 'shop', pod: 'report-1', state: 'stale', detail: 'd', workload: cron },
    { namespace: 'api', pod: 'x', state: 'foreign', detail: 'd', workload: { ...web, namespace: 'api', name: 'x' } },
  ];
  const report = buildReport('all namespaces', 'new', 'sidecar-injector/sidecar-injector', findings);
  t.same(report.totals, { missing: 2, stale: 2, foreign: 1 });
  t.same(report.groups.map((g) => [g.namespace, g.workload ? `${g.workload.kind}/${g.workload.name}` : '-']),
    [['api', 'Deployment/x'], ['shop', 'CronJob/report'], ['shop', 'Deployment/web'], ['shop', '-']], 'sorted, pods without owner last');
  const webGroup = report.groups[2];
  t.same(webGroup.counts, { missing: 1, stale: 1, foreign: 0 });
  t.same(webGroup.pods.map((p) => p.pod), ['web-a', 'web-b']);
  t.equal(notRestartable(webGroup), undefined, 'a Deployment is restarted');
  t.match(notRestartable(report.groups[3]), /no owner/, 'pods without owner are never touched');
  t.match(notRestartable(report.groups[1]), /CronJob/, 'a CronJob is not restarted');
  const text = formatAudit(report);
  t.match(text, /all namespaces, config revision new \(configmap sidecar-injector\/sidecar-injector\): 2 missing, 2 stale, 1 foreign/);
  t.match(text, /shop\s+Deployment\/web\s+1\s+1\s+0/);
  t.match(text, /shop\s+\(no owner\)\s+1\s+0\s+0/);
  t.match(formatAudit(buildReport('namespace x', 'r', 'ns/cm', [])), /every pod that should have a sidecar has the current one/);
});
