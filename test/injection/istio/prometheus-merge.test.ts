// Istio's metrics merge (src/injection/istio/prometheus-merge.ts): when it applies, what it
// moves into ISTIO_PROMETHEUS_ANNOTATIONS, which annotations it takes away, and which scrape
// ports make Istio refuse the pod. Expected values follow pkg/kube/inject/webhook.go.
import t from 'tap';
import { prometheusMergeOf } from '../../../src/injection/istio/prometheus-merge.js';

const MESH = { defaultConfig: { statusPort: 15020 } };
const AGENT = { 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true' };

t.test('when the merge applies', async (t) => {
  const cases: Array<[string, Record<string, string>, Record<string, unknown>, boolean]> = [
    ['no annotations: on by default', {}, MESH, true],
    ['the mesh turns it off', {}, { ...MESH, enablePrometheusMerge: false }, false],
    ['the pod turns it on against the mesh', { 'prometheus.istio.io/merge-metrics': 'true' }, { ...MESH, enablePrometheusMerge: false }, true],
    ['the pod turns it off (Go bool spelling)', { 'prometheus.istio.io/merge-metrics': 'F' }, MESH, false],
    ['an unparsable pod choice falls back to the mesh', { 'prometheus.istio.io/merge-metrics': 'nope' }, MESH, true],
    ['scrape false: nothing to merge', { 'prometheus.io/scrape': 'false' }, MESH, false],
    ['scrape false in another spelling', { 'prometheus-io/scrape': '0' }, MESH, false],
    ['an unparsable scrape counts as true', { 'prometheus.io/scrape': 'maybe' }, MESH, true],
    ['already pointing at the agent (re-injection)', { 'prometheus.io/port': '15020', 'prometheus.io/path': '/mine' }, MESH, false],
  ];
  for (const [name, annotations, mesh, applies] of cases) {
    const merge = prometheusMergeOf(annotations, mesh);
    t.same(merge.annotations, applies ? AGENT : {}, name);
    if (!applies) t.same([merge.replaced, merge.scrapeConfig], [[], ''], `${name}: the pod is left alone`);
  }
});

t.test('the pod\'s scrape annotations move into the proxy\'s environment, every spelling removed', async (t) => {
  const legacy = prometheusMergeOf({ 'prometheus.io/scrape': 'true', 'prometheus_io/port': '9090', 'prometheus.io/path': '/m', app: 'x' }, MESH);
  t.same(legacy.replaced, ['prometheus.io/scrape', 'prometheus_io/port', 'prometheus.io/path']);
  t.equal(legacy.scrapeConfig, '{"scrape":"true","path":"/m","port":"9090"}');
  t.equal(legacy.problem, undefined);
  const targets = prometheusMergeOf({ 'prometheus.io/scrape': 'true', 'prometheus.istio.io/scrape-targets': ' 8080:/metrics , 9100 , ,9200:  /x ' }, MESH);
  t.equal(targets.scrapeConfig, '{"scrape":"true","path":"/metrics","port":"8080","targets":[{"port":"8080","path":"/metrics"},{"port":"9100","path":"/metrics"},{"port":"9200","path":"/x"}]}', 'the first target is also the legacy port and path');
  t.same(targets.replaced, ['prometheus.io/scrape', 'prometheus.istio.io/scrape-targets']);
  const broken = prometheusMergeOf({ 'prometheus.io/port': '9090', 'prometheus.istio.io/scrape-targets': '8080:/a,:/b' }, MESH);
  t.equal(broken.scrapeConfig, '{"scrape":"","path":"","port":"9090"}', 'a target without a port: the annotation is ignored, as Istio logs and ignores it');
  t.same(broken.replaced, ['prometheus.io/port', 'prometheus.istio.io/scrape-targets'], 'and still removed');
  t.equal(prometheusMergeOf({}, MESH).scrapeConfig, '', 'no scrape annotation: no environment entry');
  t.equal(prometheusMergeOf({ 'prometheus.io/path': '/a<b>&c' }, MESH).scrapeConfig, '{"scrape":"","path":"/a\\u003cb\\u003e\\u0026c","port":""}', 'escaped as Go writes JSON');
  t.same(prometheusMergeOf({}, { defaultConfig: { statusPort: 15999 } }).annotations['prometheus.io/port'], '15999', 'the mesh\'s status port');
});

t.test('scrape ports Istio refuses, with its messages', async (t) => {
  const cases: Array<[Record<string, string>, string | undefined]> = [
    [{ 'prometheus.io/port': 'http' }, 'invalid prometheus scrape configuration: invalid port "http"'],
    [{ 'prometheus.io/port': '70000' }, 'invalid prometheus scrape configuration: invalid port "70000"'],
    [{ 'prometheus.io/port': '015020' }, 'invalid prometheus scrape configuration: port 015020 conflicts with agent port'],
    [{ 'prometheus.io/port': '15090' }, 'invalid prometheus scrape configuration: port 15090 is reserved for Istio (Envoy Prometheus (already merged)) and cannot be scraped'],
    [{ 'prometheus.io/port': '+9090' }, undefined],
    [{ 'prometheus.istio.io/scrape-targets': '8080,x:/y' }, 'invalid prometheus scrape targets: invalid target port "x"'],
    [{ 'prometheus.istio.io/scrape-targets': '8080,15000' }, 'invalid prometheus scrape targets: target port 15000 is reserved for Istio (Envoy admin) and cannot be scraped'],
    [{ 'prometheus.io/port': 'bad', 'prometheus.istio.io/scrape-targets': '8080' }, undefined],
  ];
  for (const [annotations, problem] of cases) t.equal(prometheusMergeOf(annotations, MESH).problem, problem, JSON.stringify(annotations));
});
