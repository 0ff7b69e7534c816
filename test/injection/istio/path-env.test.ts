// The webhook path's env (istio/path-env.ts), read as istiod reads /inject/... paths.
import t from 'tap';
import { injectPathEnv, PathEnvError } from '../../../src/injection/istio/path-env.js';

const plain = (env: Record<string, string>): Record<string, string> => ({ ...env });

t.test('pairs of key and value after /inject', async (t) => {
  const cases: Array<[string, Record<string, string>]> = [
    ['/inject', {}],
    ['/inject/', {}],
    ['/inject/cluster/c1', { ISTIO_META_CLUSTER_ID: 'c1' }],
    ['/inject/cluster/c1/net/n1/', { ISTIO_META_CLUSTER_ID: 'c1', ISTIO_META_NETWORK: 'n1' }],
    ['/inject/cluster/c--slash--1/net/n--slash--1', { ISTIO_META_CLUSTER_ID: 'c/1', ISTIO_META_NETWORK: 'n/1' }],
    ['/inject/cluster/c1/custom_env/foo', { ISTIO_META_CLUSTER_ID: 'c1', CUSTOM_ENV: 'foo' }],
    ['/inject/cluster', {}],
    ['/inject/cluster/c1/net', { ISTIO_META_CLUSTER_ID: 'c1' }],
    ['/inject/net/', {}],
    ['/inject/cluster//net/n1', { ISTIO_META_CLUSTER_ID: '', ISTIO_META_NETWORK: 'n1' }],
    ['/inject//skipped/net/n1', { ISTIO_META_NETWORK: 'n1' }],
    // Escapes are decoded first: an escaped slash separates, as in the path istiod splits.
    ['/inject/%63luster/c%2F1', { ISTIO_META_CLUSTER_ID: 'c' }],
    ['/inject/:ENV:cluster=c2:ENV:rootpage=/foo/bar', { ISTIO_META_CLUSTER_ID: 'c2', ROOTPAGE: '/foo/bar' }],
    ['/inject/:ENV:rootpage1=efgh:ENV:=abb:ENV:=:ENV:novalue', { ROOTPAGE1: 'efgh' }],
    ['/inject/rootpage1/value1/rootpage2/:ENV:abcd=efgh', { ROOTPAGE1: 'value1', ROOTPAGE2: ':ENV:abcd=efgh' }],
  ];
  for (const [path, want] of cases) t.same(plain(injectPathEnv(path)), want, path);
});

t.test('a key that is no env name, or a malformed escape: a clear error', async (t) => {
  t.throws(() => injectPathEnv('/inject/bad key/v'), { name: 'PathEnvError', message: /"BAD KEY"/ });
  t.ok((() => { try { injectPathEnv('/inject/bad key/v'); } catch (err) { return err instanceof PathEnvError; } return false; })(), 'a PathEnvError');
  t.throws(() => injectPathEnv('/inject/9lives/v'), { message: /"9LIVES", which is no env name/ });
  t.throws(() => injectPathEnv('/inject/cluster/%zz'), { message: /malformed %-escape/ });
  t.same(plain(injectPathEnv('/inject/__proto__/x')), { __PROTO__: 'x' }, 'upper-cased: never the prototype');
});
