// The names a serving certificate holds: the Service's in-cluster DNS names (how the
// apiserver calls the webhook), and the checks on names a user gives.

/** A DNS label (RFC 1123): a Service or namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isDnsLabel(text: string): boolean {
  return DNS_LABEL.test(text);
}

/** Dot-separated DNS labels, at most 253 characters, optionally starting with "*.". */
export function isDnsName(name: string): boolean {
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  return name.length <= 253 && labels.every(isDnsLabel);
}

/** `<service>`, `<service>.<namespace>`, `<service>.<namespace>.svc`. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`];
}

export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** The Service's names first, then the extra DNS names and IP addresses, each once. */
export function subjectAltNames(service: string, namespace: string, extraDns: readonly string[], ips: readonly string[]): SubjectAltNames {
  return {
    dnsNames: [...new Set([...serviceDnsNames(service, namespace), ...extraDns])],
    ipAddresses: [...new Set(ips)],
  };
}
