// Opt-in intent (src/injection/intent.ts): the pod's inject label and annotation, native
// and Istio keys, and the namespace's injection label.
import t from 'tap';
import { readNamespaceInjection, readPodInjectIntent } from '../../src/injection/intent.js';
import { namespace, pod } from './snapshot-fixture.js';

t.test('pod inject intent', async (t) => {
  const N = 'sidecar-injector.io/inject';
  const I = 'sidecar.istio.io/inject';
  // [labels, annotations, compat, value, key, source]
  const cases: Array<[Record<string, string>, Record<string, string>, boolean, boolean | undefined, string | undefined, string | undefined]> = [
    [{}, {}, true, undefined, undefined, undefined],
    [{ [N]: 'true' }, {}, true, true, N, 'label'],
    [{}, { [N]: 'false' }, true, false, N, 'annotation'],
    [{ [N]: 'false' }, { [N]: 'true' }, true, false, N, 'label'],
    [{ [I]: 'true' }, {}, true, true, I, 'label'],
    [{}, { [I]: 'false' }, true, false, I, 'annotation'],
    [{ [I]: 'false' }, { [N]: 'true' }, true, true, N, 'annotation'],
    [{ [I]: 'true' }, { [I]: 'false' }, true, true, I, 'label'],
    [{ [I]: 'true' }, {}, false, undefined, undefined, undefined],
    [{ [I]: 'YES' }, {}, true, true, I, 'label'],
    [{ [I]: 'on' }, {}, true, true, I, 'label'],
    [{ [I]: 'Off' }, {}, true, false, I, 'label'],
    [{ [I]: 'n' }, {}, true, false, I, 'label'],
  ];
  for (const [labels, annotations, compat, value, key, source] of cases) {
    const r = readPodInjectIntent(pod(annotations, labels), compat);
    t.same([r.value, r.key, r.source, r.warnings], [value, key, source, []], JSON.stringify([labels, annotations, compat]));
  }
  t.same(readPodInjectIntent(undefined, true), { warnings: [] });
});

t.test('an inject value that is not accepted is ignored with a warning', async (t) => {
  const N = 'sidecar-injector.io/inject';
  const I = 'sidecar.istio.io/inject';
  const r = readPodInjectIntent(pod({}, { [N]: 'yes' }), true);
  t.same(r, { warnings: ['label sidecar-injector.io/inject: ignored value "yes": expected "true" or "false"'] });
  const fallsThrough = readPodInjectIntent(pod({ [N]: 'true' }, { [N]: 'True' }), true);
  t.same([fallsThrough.value, fallsThrough.source], [true, 'annotation'], 'the next source decides');
  t.equal(fallsThrough.warnings.length, 1);
  const istio = readPodInjectIntent(pod({ [I]: 'enabled' }, {}), true);
  t.same(istio, { warnings: ['annotation sidecar.istio.io/inject: ignored value "enabled": expected "true" or "false" (also y, yes, on, n, no, off, in any case)'] });
  t.same(readPodInjectIntent(pod({ [I]: 'enabled' }, {}), false), { warnings: [] }, 'compat off: not our key');
  const hidden = readPodInjectIntent(pod({ [I]: '???' }, { [N]: 'true' }), true);
  t.same([hidden.value, hidden.warnings.length], [true, 1], 'a hidden bad value still warns');
  const hostile = readPodInjectIntent(pod({}, { [N]: '"\n${x}' + 'y'.repeat(1 << 20) }), true);
  t.match(hostile.warnings[0], /^label sidecar-injector\.io\/inject: ignored value "\\"\\n\$\{x\}y+"… \(1048582 characters\): expected "true" or "false"$/);
  const malformed = readPodInjectIntent({ labels: { [N]: true as unknown as string }, annotations: 'nope' as unknown as Record<string, string> }, true);
  t.same(malformed, { warnings: ['label sidecar-injector.io/inject: ignored value "true": expected "true" or "false"'] }, 'a non-string value is not accepted');
});

t.test('namespace injection label', async (t) => {
  const cases: Array<[Record<string, string>, boolean, { value?: string; key?: string }]> = [
    [{}, true, {}],
    [{ 'sidecar-injection': 'enabled' }, true, { value: 'enabled', key: 'sidecar-injection' }],
    [{ 'sidecar-injection': 'disabled' }, true, { value: 'disabled', key: 'sidecar-injection' }],
    [{ 'istio-injection': 'enabled' }, true, { value: 'enabled', key: 'istio-injection' }],
    [{ 'istio-injection': 'enabled' }, false, {}],
    [{ 'sidecar-injection': 'enabled', 'istio-injection': 'disabled' }, true, { value: 'enabled', key: 'sidecar-injection' }],
    [{ 'sidecar-injection': 'Enabled', 'istio-injection': 'disabled' }, true, { value: 'disabled', key: 'istio-injection' }],
    [{ 'sidecar-injection': 'true' }, true, {}],
  ];
  for (const [labels, compat, want] of cases) t.same(readNamespaceInjection(namespace({}, labels), compat), want, JSON.stringify([labels, compat]));
});

t.test('inputs are not modified', async (t) => {
  const meta = pod({ 'sidecar.istio.io/inject': 'yes' }, { 'sidecar-injector.io/inject': 'true' });
  const ns = namespace({}, { 'sidecar-injection': 'enabled' });
  const before = JSON.stringify([meta, ns]);
  readPodInjectIntent(meta, true);
  readNamespaceInjection(ns, true);
  t.equal(JSON.stringify([meta, ns]), before);
});
