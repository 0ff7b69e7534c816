// A pod's declaration of a container the templates inject (an override of the proxy or of
// the capture) goes where injected containers go, as Istio moves its own; its env keeps the
// template's order; its probes are its own (never the app's). Each through the engine, with
// the patch checked against the injected object.
import t from 'tap';
import fjp from 'fast-json-patch';
import { applyOutcome, evaluatePod } from '../../src/injection/engine.js';
import type { Container, NamespaceView, Pod } from '../../src/injection/types.js';
import { snapshotWith } from '../support/config.js';

const enabled: NamespaceView = { name: 'shop', labels: { 'sidecar-injection': 'enabled' }, annotations: {} };
const request = { kind: 'Pod', operation: 'CREATE' };
const snapshot = snapshotWith();

function inject(pod: Pod): { injected: Pod; patch: ReturnType<typeof evaluatePod>['patch']; default?: string } {
  const outcome = evaluatePod(pod, enabled, snapshot, request);
  if (outcome.denial) throw new Error(outcome.denial);
  const injected = applyOutcome(pod, outcome);
  const patched = fjp.applyPatch(structuredClone(pod), fjp.deepClone(outcome.patch), true, false).newDocument;
  if (JSON.stringify(patched) !== JSON.stringify(injected)) throw new Error(`the patch does not give the injected pod: ${JSON.stringify(outcome.patch)}`);
  return { injected, patch: outcome.patch, default: injected.metadata?.annotations?.['kubectl.kubernetes.io/default-container'] };
}

const names = (list: Container[] | undefined): string[] => (list ?? []).map((c) => c.name);

t.test('holding the app: a declared proxy after the app moves first, so the hold works', async (t) => {
  const pod: Pod = {
    metadata: { name: 'p', annotations: { 'sidecar-injector.io/hold-application-until-proxy-starts': 'true' } },
    spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'envoy', image: 'auto', resources: { limits: { memory: '2Gi' } } }] },
  };
  const { injected, patch, default: first } = inject(pod);
  t.same(names(injected.spec!.containers), ['envoy', 'app']);
  t.match(injected.spec!.containers[0].image, /envoy/, 'image auto is the rendered one');
  t.match(injected.spec!.containers[0].resources, { limits: { memory: '2Gi' } }, 'the override still wins');
  t.ok(patch.some((op) => op.op === 'remove' && op.path === '/spec/containers/1'), 'the declaration is removed where the pod wrote it');
  t.equal(first, 'app', 'the default container is the app');
});

t.test('without hold a declared proxy first moves last; where it already is, it is merged in place', async (t) => {
  const first = inject({ metadata: { name: 'p' }, spec: { containers: [{ name: 'envoy', image: 'auto' }, { name: 'app', image: 'app:1' }] } });
  t.same(names(first.injected.spec!.containers), ['app', 'envoy']);
  t.equal(first.default, 'app', 'a declared proxy with its own image is never the default container either');
  const last = inject({ metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'envoy', image: 'auto' }] } });
  t.same(names(last.injected.spec!.containers), ['app', 'envoy']);
  t.notOk(last.patch.some((op) => op.op === 'remove'), 'no remove when the place does not change');
});

t.test('a declared capture before the app\'s init containers moves after them (they are not redirected)', async (t) => {
  const { injected } = inject({
    metadata: { name: 'p' },
    spec: {
      initContainers: [{ name: 'proxy-init', image: 'auto', args: ['--custom'] }, { name: 'migrate', image: 'migrate:1' }],
      containers: [{ name: 'app', image: 'app:1' }],
    },
  });
  t.same(names(injected.spec!.initContainers), ['migrate', 'proxy-init']);
  t.same(injected.spec!.initContainers![1].args, ['--custom']);
});

t.test('an override\'s env is placed as Istio\'s strategic merge places it: the template\'s variables before it stay before it', async (t) => {
  const { injected } = inject({
    metadata: { name: 'p' },
    spec: {
      containers: [
        { name: 'app', image: 'app:1' },
        { name: 'envoy', image: 'auto', env: [{ name: 'ID', value: '$(POD_NAME).x' }, { name: 'POD_NAMESPACE', value: 'fixed' }] },
      ],
    },
  });
  const env = (injected.spec!.containers[1].env ?? []) as Array<{ name: string; value?: string }>;
  const at = (name: string): number => env.findIndex((e) => e.name === name);
  t.ok(at('POD_NAME') >= 0 && at('POD_NAME') < at('ID'), 'POD_NAME comes before the override\'s ID');
  t.ok(at('ID') < at('POD_NAMESPACE'), 'the override\'s own entries keep the override\'s order');
  t.equal(env[at('POD_NAMESPACE')].value, 'fixed', 'the override\'s value wins');
});

t.test('a declared proxy\'s own probes are not rewritten as an app\'s', async (t) => {
  const probe = { httpGet: { path: '/ready', port: 9901 } };
  const { injected } = inject({
    metadata: { name: 'p', annotations: { 'sidecar-injector.io/rewrite-probes': 'true' } },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', readinessProbe: { httpGet: { path: '/health', port: 8080 } } },
        { name: 'envoy', image: 'auto', readinessProbe: probe },
      ],
    },
  });
  const [app, envoy] = injected.spec!.containers;
  t.equal((app.readinessProbe as { httpGet: { path: string } }).httpGet.path, '/app-health/app/readyz', 'the app\'s probe is rewritten');
  t.match(envoy.readinessProbe, probe, 'the proxy\'s is its own');
  t.notMatch(JSON.stringify(injected), '/app-health/envoy/', 'and no prober is rendered for it');
});
