// Workloads the scenarios create, and what "injected" and "untouched" mean on a stored pod.
import type { Test } from 'tap';
import type { KubeObject } from './manifests.js';

export const STATUS_ANNOTATION = 'sidecar-injector.io/status';
export const INJECT_KEY = 'sidecar-injector.io/inject';
/** Pods are admitted and stored, never run (no kubelet): any image name will do. */
export const APP_IMAGE = 'registry.example.com/e2e/app:1.0';
/** What the built-in template adds (templates/sidecar.template.yaml). */
export const PROXY_CONTAINER = 'envoy';
export const INIT_CONTAINER = 'proxy-init';
export const PROXY_VOLUMES = ['envoy-tmp', 'proxy-token'];

export interface Meta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * A minimal pod spec. serviceAccountName is set because kube-up runs without the
 * ServiceAccount admission plugin, which in a real cluster fills it in before webhooks run;
 * without it the apiserver refuses the template's projected service-account token volume
 * ("must not be specified when serviceAccountName is not set").
 */
export function podSpec(): Record<string, unknown> {
  return {
    serviceAccountName: 'default',
    containers: [{ name: 'app', image: APP_IMAGE, ports: [{ name: 'http', containerPort: 8080 }] }],
  };
}

export function podManifest(name: string, namespace: string, meta: Meta = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name, ...meta.labels }, ...(meta.annotations ? { annotations: meta.annotations } : {}) },
    spec: podSpec(),
  };
}

/** `kubectl run` flags that give the pod its service account (see podSpec). */
export const RUN_OVERRIDES = ['--overrides', JSON.stringify({ apiVersion: 'v1', spec: { serviceAccountName: 'default' } })];

export interface InjectionStatus {
  templates: string[];
  containers: string[];
  initContainers: string[];
  volumes: string[];
  revision: string;
}

export function injectionStatus(pod: KubeObject): InjectionStatus | undefined {
  const text = pod.metadata.annotations?.[STATUS_ANNOTATION];
  return text === undefined ? undefined : JSON.parse(text) as InjectionStatus;
}

const names = (list: Array<{ name: string }> | undefined): string[] => (list ?? []).map((item) => item.name);

export function containerNames(pod: KubeObject): string[] {
  return names(pod.spec?.containers);
}

export function initContainerNames(pod: KubeObject): string[] {
  return names(pod.spec?.initContainers);
}

export function volumeNames(pod: KubeObject): string[] {
  return names(pod.spec?.volumes);
}

export function container(pod: KubeObject, name: string): Record<string, any> | undefined {
  return [...pod.spec?.containers ?? [], ...pod.spec?.initContainers ?? []].find((c: { name: string }) => c.name === name);
}

/** The value after `--log-level` in the proxy's arguments. */
export function proxyLogLevel(pod: KubeObject): string | undefined {
  const args: string[] = container(pod, PROXY_CONTAINER)?.args ?? [];
  const at = args.indexOf('--log-level');
  return at === -1 ? undefined : args[at + 1];
}

/** Asserts the pod has the proxy, the init container, the volumes and a status annotation that lists them. */
export function assertInjected(t: Test, pod: KubeObject, what = `pod ${pod.metadata.name}`): void {
  const status = injectionStatus(pod);
  t.ok(status, `${what}: has the ${STATUS_ANNOTATION} annotation`);
  t.ok(containerNames(pod).includes(PROXY_CONTAINER), `${what}: has container ${PROXY_CONTAINER}`, { found: containerNames(pod) });
  t.ok(initContainerNames(pod).includes(INIT_CONTAINER), `${what}: has init container ${INIT_CONTAINER}`, { found: initContainerNames(pod) });
  t.ok(PROXY_VOLUMES.every((v) => volumeNames(pod).includes(v)), `${what}: has volumes ${PROXY_VOLUMES.join(', ')}`, { found: volumeNames(pod) });
  if (!status) return;
  t.ok(status.containers.includes(PROXY_CONTAINER) && status.initContainers.includes(INIT_CONTAINER),
    `${what}: the status annotation lists what was added`, { status });
  t.ok(status.volumes.every((v) => volumeNames(pod).includes(v)), `${what}: every volume in the status annotation exists`, { status, volumes: volumeNames(pod) });
  t.ok(containerNames(pod).some((name) => name !== PROXY_CONTAINER), `${what}: the application container is still there`, { found: containerNames(pod) });
}

/** Asserts the pod is exactly as the user wrote it: no proxy, no init container, no status. */
export function assertUntouched(t: Test, pod: KubeObject, what = `pod ${pod.metadata.name}`): void {
  t.equal(injectionStatus(pod), undefined, `${what}: no status annotation`);
  t.same(containerNames(pod), ['app'], `${what}: only its own container`);
  t.same(initContainerNames(pod), [], `${what}: no init containers`);
  t.notOk(volumeNames(pod).some((v) => PROXY_VOLUMES.includes(v)), `${what}: no proxy volumes`);
}
