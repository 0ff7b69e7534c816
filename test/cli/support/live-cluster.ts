// `check` and `audit` in-process against a fake cluster: objects found by kind, namespace
// and name, ConfigMaps by namespace/name, webhook configurations, a 1.20 apiserver, and
// the merge patches `audit --restart` sends, recorded.
import { Readable, Writable } from 'node:stream';
import type { runCheck } from '../../../src/cli/check.js';
import type { LiveCluster, LiveObject } from '../../../src/cluster/live.js';
import type { WebhookConfigurationLike } from '../../../src/cluster/webhook-match.js';

export interface FakeCluster extends LiveCluster {
  patches: Array<{ kind: string; name: string; dryRun: boolean }>;
}

export interface FakeClusterOptions {
  objects: LiveObject[];
  /** ConfigMap data by `NAMESPACE/NAME`. */
  configMaps: Record<string, Record<string, string>>;
  webhooks: WebhookConfigurationLike[];
}

export function fakeCluster({ objects, configMaps, webhooks }: FakeClusterOptions): FakeCluster {
  const patches: FakeCluster['patches'] = [];
  return {
    patches,
    serverMinor: async () => 20,
    webhookConfigurations: async () => webhooks,
    configMapData: async (namespace, name) => configMaps[`${namespace}/${name}`],
    read: async (_v, kind, namespace, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name && (kind === 'Namespace' || o.metadata?.namespace === namespace)),
    list: async (_v, kind, namespace) => objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace)),
    mergePatch: async (_v, kind, _ns, name, _patch, dryRun) => { patches.push({ kind, name, dryRun }); },
  };
}

/** Runs `check` or `audit` (same signature) against `cluster`; its exit code and output. */
export async function runLive(command: typeof runCheck, cluster: LiveCluster, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({ write(c: Buffer, _e, done) { into.push(c); done(); } });
  const code = await command(argv, { stdin: Readable.from([]), stdout: sink(out), stderr: sink(err) }, {}, cluster);
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}
