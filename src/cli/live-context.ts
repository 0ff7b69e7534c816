// What `check` and `audit` share: Kubernetes access (--kubeconfig, else the usual
// discovery), the configuration in force (the ConfigMap the deployed `serve` reads), the
// MutatingWebhookConfigurations, the apiserver version, and namespaces read once each.
// The Kubernetes modules are imported in openLiveContext, not here: main.ts imports check
// and audit for every command, serve included, and @kubernetes/client-node's index alone
// adds ~25 MiB of heap (cluster/client-node-slim.ts).
import type { KubeEnv } from '../cluster/kube.js';
import type { LiveCluster, LiveObject } from '../cluster/live.js';
import { errorMessage } from '../cluster/log.js';
import type { WebhookConfigurationLike } from '../cluster/webhook-match.js';
import { ConfigError, compileSnapshot } from '../config/compile.js';
import type { NamespaceView, Snapshot } from '../injection/types.js';
import { parseConfigMapRef } from './flag-values.js';
import { DEFAULT_CONFIGMAP, DEFAULT_NAMESPACE } from './serve-help.js';
import { UsageError, type CliIo } from './inject.js';

export const LIVE_OPTIONS = {
  kubeconfig: { type: 'string' },
  'injector-namespace': { type: 'string' },
  configmap: { type: 'string' },
  'webhook-configuration': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The Deployment deploy/base installs, and every overlay built on it. */
const INJECTOR_DEPLOYMENT = 'sidecar-injector';

export const LIVE_FLAGS_HELP = `      --kubeconfig FILE       the cluster to ask (default: in a pod its service account,
                              else $KUBECONFIG)
      --injector-namespace NS the injector's namespace (default ${DEFAULT_NAMESPACE})
      --configmap [NS/]NAME   the configuration in force (default: the one the Deployment
                              ${INJECTOR_DEPLOYMENT} in the injector's namespace serves, else
                              ${DEFAULT_CONFIGMAP} there)
      --webhook-configuration NAME
                              our MutatingWebhookConfiguration (default sidecar-injector)
  -o, --output text|json      text for people (default), or JSON for programs
  -h, --help                  show this help
`;

/** A failure talking to the cluster or reading what it holds: exit code 1. */
export class ClusterError extends Error {
  readonly exitCode = 1;
}

export interface LiveValues {
  kubeconfig?: string;
  'injector-namespace'?: string;
  configmap?: string;
  'webhook-configuration'?: string;
  output?: string;
}

export interface LiveContext {
  cluster: LiveCluster;
  snapshot: Snapshot;
  /** `NS/NAME` of the ConfigMap read. */
  configMap: string;
  serverMinor: number;
  webhooks: WebhookConfigurationLike[];
  ownConfiguration: string;
  /** The kubeconfig context's namespace, else "default". */
  defaultNamespace: string;
  /** A namespace's view; undefined when it does not exist. Read once per name. */
  namespace(name: string): Promise<NamespaceView | undefined>;
}

export function outputFormat(values: LiveValues): 'text' | 'json' {
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output: "${output}" is not an output format; expected text or json`);
  return output;
}

/**
 * The --configmap value of the `serve` a Deployment runs (deploy/istio serves another
 * ConfigMap than deploy/base); undefined when it names none.
 */
export function deployedConfigMap(deployment: LiveObject | undefined): string | undefined {
  const containers = (deployment?.spec as { template?: { spec?: { containers?: unknown } } } | undefined)?.template?.spec?.containers;
  if (!Array.isArray(containers)) return undefined;
  for (const container of containers as Array<{ command?: unknown; args?: unknown } | null>) {
    const argv = [container?.command, container?.args].flatMap((list) => (Array.isArray(list) ? list : []));
    if (!argv.includes('serve')) continue;
    for (let i = 0; i < argv.length; i++) {
      const arg: unknown = argv[i];
      const next: unknown = argv[i + 1];
      if (arg === '--configmap' && typeof next === 'string') return next;
      if (typeof arg === 'string' && arg.startsWith('--configmap=')) return arg.slice('--configmap='.length);
    }
  }
  return undefined;
}

interface ConfigMapToRead { namespace: string; name: string; origin: string }

/**
 * The ConfigMap to read when --configmap names none: the one the deployed injector serves
 * (read from its Deployment), else serve's default. `origin` says where the name came
 * from, for errors.
 */
async function deployedOrDefault(injectorNamespace: string, live: LiveCluster): Promise<ConfigMapToRead> {
  const deployment = await live.read('apps/v1', 'Deployment', injectorNamespace, INJECTOR_DEPLOYMENT).catch(() => undefined);
  const named = deployedConfigMap(deployment);
  const origin = `the --configmap of deployment ${injectorNamespace}/${INJECTOR_DEPLOYMENT}`;
  if (named !== undefined) {
    try {
      return { ...parseConfigMapRef(named, injectorNamespace), origin };
    } catch {
      // Not a reference serve would accept: that Deployment does not run; fall back to the default.
    }
  }
  return { namespace: injectorNamespace, name: DEFAULT_CONFIGMAP, origin: 'the default' };
}

export async function openLiveContext(values: LiveValues, env: KubeEnv, cluster?: LiveCluster): Promise<LiveContext> {
  const injectorNamespace = values['injector-namespace'] || DEFAULT_NAMESPACE;
  // A bad --configmap is a usage error (exit 2), found before any call.
  const explicit: ConfigMapToRead | undefined = values.configmap === undefined
    ? undefined : { ...parseConfigMapRef(values.configmap, injectorNamespace), origin: '--configmap' };
  const ownConfiguration = values['webhook-configuration'] || 'sidecar-injector';
  let defaultNamespace = 'default';
  const { namespaceView } = await import('../cluster/namespace-cache.js');
  if (!cluster) {
    const [{ loadKubeAccess }, { liveCluster }] = await Promise.all([import('../cluster/kube.js'), import('../cluster/live.js')]);
    let connection;
    try {
      connection = loadKubeAccess({ kubeconfig: values.kubeconfig, env });
    } catch (err) {
      throw new ClusterError(errorMessage(err));
    }
    if (!connection) throw new ClusterError('no Kubernetes access: pass --kubeconfig FILE or set $KUBECONFIG');
    cluster = liveCluster(connection.kubeConfig);
    defaultNamespace = connection.namespace ?? 'default';
  }
  const live = cluster;
  try {
    const ref = explicit ?? await deployedOrDefault(injectorNamespace, live);
    const where = `${ref.namespace}/${ref.name}`;
    const [serverMinor, webhooks, data] = await Promise.all([live.serverMinor(), live.webhookConfigurations(), live.configMapData(ref.namespace, ref.name)]);
    if (data === undefined) {
      throw new ClusterError(`configmap ${where} (${ref.origin}) not found: the injector has no configuration there (see --configmap, --injector-namespace)`);
    }
    let snapshot: Snapshot;
    try {
      snapshot = compileSnapshot(data, { ownNamespace: ref.namespace });
    } catch (err) {
      if (err instanceof ConfigError) throw new ClusterError(`configmap ${where} holds an invalid configuration (the injector keeps its last good one): ${err.message}`);
      throw err;
    }
    const namespaces = new Map<string, Promise<NamespaceView | undefined>>();
    return {
      cluster: live, snapshot, configMap: where, serverMinor, webhooks, ownConfiguration, defaultNamespace,
      namespace(name) {
        let found = namespaces.get(name);
        if (!found) {
          found = live.read('v1', 'Namespace', undefined, name).then((ns) => (ns ? namespaceView(ns) : undefined));
          namespaces.set(name, found);
        }
        return found;
      },
    };
  } catch (err) {
    if (err instanceof ClusterError) throw err;
    throw new ClusterError(errorMessage(err));
  }
}

/** Prints a ClusterError (exit 1); anything else goes to the command's own handler. */
export function reportClusterError(err: unknown, io: CliIo, command: string): number | undefined {
  if (err instanceof ClusterError) {
    io.stderr.write(`sidecar-injector ${command}: ${err.message}\n`);
    return 1;
  }
  if (err instanceof Error && (err as { code?: unknown }).code !== undefined && 'body' in err) {
    io.stderr.write(`sidecar-injector ${command}: ${errorMessage(err)}\n`);
    return 1;
  }
  return undefined;
}
