// The JSON annotations Istio writes, as Go's encoding/json writes them, where templates
// (JSON-e sorts keys) cannot: its status, and the pod's overrides (proxy.istio.io/overrides)
// as corev1.Containers: the fields in the Go type's order, the empty ones its `omitempty`
// drops left out, fields the type does not have dropped (Go's unmarshal drops them),
// quantities in canonical form.
import { MULTUS_NETWORKS } from './cni.js';
import { isPlainObject } from '../plain-object.js';
import { canonicalQuantityOf } from '../quantity.js';
import { goJson, type Json } from './json.js';

/**
 * A field: its JSON name, how Go treats an empty value, and its type when it has fields.
 * `empty` (omitempty on a string, number, bool, slice or map): '', 0, false, [] and {} are
 * dropped; `set` (a pointer, or no omitempty): only an absent value is; `always` (a struct,
 * which omitempty never drops): written as {} when absent.
 */
type Field = readonly [name: string, omit: 'empty' | 'set' | 'always', type?: string];

// The types of k8s.io/api/core/v1 a container holds, fields in declaration order (embedded
// structs inlined). `quantity` and `resources` are the resource.Quantity values.
const TYPES: Readonly<Record<string, readonly Field[]>> = {
  Container: [
    ['name', 'set'], ['image', 'empty'], ['command', 'empty'], ['args', 'empty'], ['workingDir', 'empty'],
    ['ports', 'empty', 'ContainerPort'], ['envFrom', 'empty', 'EnvFromSource'], ['env', 'empty', 'EnvVar'],
    ['resources', 'always', 'ResourceRequirements'], ['resizePolicy', 'empty', 'ContainerResizePolicy'], ['restartPolicy', 'set'],
    ['restartPolicyRules', 'empty', 'ContainerRestartRule'], ['volumeMounts', 'empty', 'VolumeMount'], ['volumeDevices', 'empty', 'VolumeDevice'],
    ['livenessProbe', 'set', 'Probe'], ['readinessProbe', 'set', 'Probe'], ['startupProbe', 'set', 'Probe'], ['lifecycle', 'set', 'Lifecycle'],
    ['terminationMessagePath', 'empty'], ['terminationMessagePolicy', 'empty'], ['imagePullPolicy', 'empty'],
    ['securityContext', 'set', 'SecurityContext'], ['stdin', 'empty'], ['stdinOnce', 'empty'], ['tty', 'empty'],
  ],
  ContainerPort: [['name', 'empty'], ['hostPort', 'empty'], ['containerPort', 'set'], ['protocol', 'empty'], ['hostIP', 'empty']],
  EnvFromSource: [['prefix', 'empty'], ['configMapRef', 'set', 'Optional'], ['secretRef', 'set', 'Optional']],
  Optional: [['name', 'empty'], ['optional', 'set']],
  EnvVar: [['name', 'set'], ['value', 'empty'], ['valueFrom', 'set', 'EnvVarSource']],
  EnvVarSource: [
    ['fieldRef', 'set', 'ObjectFieldSelector'], ['resourceFieldRef', 'set', 'ResourceFieldSelector'],
    ['configMapKeyRef', 'set', 'KeySelector'], ['secretKeyRef', 'set', 'KeySelector'], ['fileKeyRef', 'set', 'FileKeySelector'],
  ],
  ObjectFieldSelector: [['apiVersion', 'empty'], ['fieldPath', 'set']],
  ResourceFieldSelector: [['containerName', 'empty'], ['resource', 'set'], ['divisor', 'set', 'quantity']],
  KeySelector: [['name', 'empty'], ['key', 'set'], ['optional', 'set']],
  FileKeySelector: [['volumeName', 'set'], ['path', 'set'], ['key', 'set'], ['optional', 'set']],
  ResourceRequirements: [['limits', 'empty', 'resources'], ['requests', 'empty', 'resources'], ['claims', 'empty', 'ResourceClaim']],
  ResourceClaim: [['name', 'set'], ['request', 'empty']],
  ContainerResizePolicy: [['resourceName', 'set'], ['restartPolicy', 'set']],
  ContainerRestartRule: [['action', 'empty'], ['exitCodes', 'set', 'ExitCodes']],
  ExitCodes: [['operator', 'empty'], ['values', 'empty']],
  VolumeMount: [
    ['name', 'set'], ['readOnly', 'empty'], ['recursiveReadOnly', 'set'], ['mountPath', 'set'], ['subPath', 'empty'],
    ['mountPropagation', 'set'], ['subPathExpr', 'empty'], ['bindMountOptions', 'empty'],
  ],
  VolumeDevice: [['name', 'set'], ['devicePath', 'set']],
  Probe: [
    ['exec', 'set', 'ExecAction'], ['httpGet', 'set', 'HTTPGetAction'], ['tcpSocket', 'set', 'TCPSocketAction'], ['grpc', 'set', 'GRPCAction'],
    ['initialDelaySeconds', 'empty'], ['timeoutSeconds', 'empty'], ['periodSeconds', 'empty'], ['successThreshold', 'empty'],
    ['failureThreshold', 'empty'], ['terminationGracePeriodSeconds', 'set'],
  ],
  ExecAction: [['command', 'empty']],
  HTTPGetAction: [['path', 'empty'], ['port', 'set'], ['host', 'empty'], ['scheme', 'empty'], ['httpHeaders', 'empty', 'HTTPHeader'], ['protocol', 'set']],
  HTTPHeader: [['name', 'set'], ['value', 'set']],
  TCPSocketAction: [['port', 'set'], ['host', 'empty']],
  GRPCAction: [['port', 'set'], ['service', 'set'], ['mode', 'set']],
  Lifecycle: [['postStart', 'set', 'LifecycleHandler'], ['preStop', 'set', 'LifecycleHandler'], ['stopSignal', 'set']],
  LifecycleHandler: [['exec', 'set', 'ExecAction'], ['httpGet', 'set', 'HTTPGetAction'], ['tcpSocket', 'set', 'TCPSocketAction'], ['sleep', 'set', 'SleepAction']],
  SleepAction: [['seconds', 'set']],
  SecurityContext: [
    ['capabilities', 'set', 'Capabilities'], ['privileged', 'set'], ['seLinuxOptions', 'set', 'SELinuxOptions'],
    ['windowsOptions', 'set', 'WindowsOptions'], ['runAsUser', 'set'], ['runAsGroup', 'set'], ['runAsNonRoot', 'set'],
    ['readOnlyRootFilesystem', 'set'], ['allowPrivilegeEscalation', 'set'], ['procMount', 'set'],
    ['seccompProfile', 'set', 'Profile'], ['appArmorProfile', 'set', 'Profile'],
  ],
  Capabilities: [['add', 'empty'], ['drop', 'empty']],
  SELinuxOptions: [['user', 'empty'], ['role', 'empty'], ['type', 'empty'], ['level', 'empty']],
  WindowsOptions: [['gmsaCredentialSpecName', 'set'], ['gmsaCredentialSpec', 'set'], ['runAsUserName', 'set'], ['hostProcess', 'set']],
  Profile: [['type', 'set'], ['localhostProfile', 'set']],
};

function isEmpty(value: unknown): boolean {
  return value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0)
    || (isPlainObject(value) && Object.keys(value).length === 0);
}

/** `value` as Go would write it as a `type` (a struct name, `quantity`, `resources`, or none: as it is). */
function goValue(value: unknown, type: string | undefined): unknown {
  if (type === undefined) return value;
  if (Array.isArray(value)) return value.map((item) => goValue(item, type));
  if (type === 'quantity') return canonicalQuantityOf(value);
  if (!isPlainObject(value)) return value;
  if (type === 'resources') {
    // A map: Go writes its keys sorted.
    const out: Json = {};
    for (const key of Object.keys(value).sort()) out[key] = goValue(value[key], 'quantity');
    return out;
  }
  const out: Json = {};
  for (const [name, omit, fieldType] of TYPES[type]) {
    const field = Object.hasOwn(value, name) ? value[name] : undefined;
    if (field === undefined || field === null) {
      if (omit === 'always') out[name] = {};
      continue;
    }
    if (omit === 'empty' && isEmpty(field)) continue;
    out[name] = goValue(field, fieldType);
  }
  return out;
}

/** One value of a corev1 type (a key of TYPES) as Go's encoding/json writes it. */
export function goTypedJson(value: unknown, type: keyof typeof TYPES): string {
  return goJson(goValue(value, type));
}

/** Where Istio records a pod's own declarations of the containers it injects. */
export const ISTIO_OVERRIDES_ANNOTATION = 'proxy.istio.io/overrides';

/** `text` parsed as a JSON object and written again by `rewrite`; text that is not such JSON as it is. */
function rewrittenObject(text: string, rewrite: (parsed: Json) => Json): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return isPlainObject(parsed) ? goJson(rewrite(parsed)) : text;
}

/**
 * The text of proxy.istio.io/overrides as Istio writes it (its ParsedContainers: containers,
 * then initContainers, each a corev1.Container); text that is not such JSON as it is.
 */
export function goOverrides(text: string): string {
  return rewrittenObject(text, (parsed) => {
    const out: Json = {};
    for (const list of ['containers', 'initContainers']) {
      const items = parsed[list];
      if (Array.isArray(items) && items.length > 0) out[list] = items.map((c) => goValue(c, 'Container'));
    }
    return out;
  });
}

/** Istio's record of what it injected (its SidecarInjectionStatus). */
export const ISTIO_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/**
 * Annotations of the pod that Istio's template writes over (its overlay wins) with a value
 * other than the pod's: the status of an earlier injection, and the Multus networks Istio
 * CNI adds its own to (cni.ts). Every other annotation it writes keeps the pod's value.
 */
export const ISTIO_REWRITTEN_ANNOTATIONS: readonly string[] = [ISTIO_STATUS_ANNOTATION, MULTUS_NETWORKS];
const STATUS_FIELDS = ['initContainers', 'containers', 'volumes', 'imagePullSecrets', 'revision'];

/** The text of sidecar.istio.io/status in Go's field order; text that is not such JSON as it is. */
export function goStatus(text: string): string {
  return rewrittenObject(text, (parsed) => {
    const out: Json = {};
    for (const field of STATUS_FIELDS) if (Object.hasOwn(parsed, field)) out[field] = parsed[field];
    for (const field of Object.keys(parsed)) if (!Object.hasOwn(out, field)) out[field] = parsed[field];
    return out;
  });
}
