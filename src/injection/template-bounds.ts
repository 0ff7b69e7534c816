// Bounds on the pod labels templates see (pod.labels): a template may copy them into the
// sidecar (the built-in one puts them in Envoy's arguments), so without a bound a 7 MiB
// label made a 9.8 MB answer. The apiserver allows label values of 63 characters; these
// bounds are far above real pods and only matter for requests that did not come through
// an apiserver. Annotations are not bounded here: the apiserver caps them at 256 KiB in
// all, the per-pod settings read from them have their own bounds, and the built-in
// template copies none.
import type { StringMap } from './types.js';

export const TEMPLATE_METADATA_LIMITS = Object.freeze({
  /** Characters of one label value. */
  maxLabelValue: 32 * 1024,
  /** Characters of all label keys and values together. */
  maxLabelsTotal: 64 * 1024,
});

function total(map: StringMap): number {
  let n = 0;
  for (const [key, value] of Object.entries(map)) n += key.length + value.length;
  return n;
}

/** What is over a bound, as a message; undefined when within. Expects string maps. */
export function templateMetadataProblem(labels: StringMap | undefined): string | undefined {
  const limits = TEMPLATE_METADATA_LIMITS;
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (value.length > limits.maxLabelValue) {
      return `metadata.labels: the value of ${JSON.stringify(key.slice(0, 100))} is ${value.length} characters; templates see labels, so at most ${limits.maxLabelValue} are accepted`;
    }
  }
  const labelChars = total(labels ?? {});
  if (labelChars > limits.maxLabelsTotal) {
    return `metadata.labels: ${labelChars} characters in all; templates see labels, so at most ${limits.maxLabelsTotal} are accepted`;
  }
  return undefined;
}
