// proxy.istio.io/config, a per-pod setting: only its holdApplicationUntilProxyStarts field
// is read, with the size and shape of the YAML bounded before it is parsed.
import { parseDocument } from 'yaml';
import { isPlainObject } from './plain-object.js';
import { bad, ok, quote, type Parsed } from './value-parsers.js';
import { yamlShapeProblem, type YamlShapeLimits } from './yaml-shape.js';

const PROXY_CONFIG_EXPECTED = 'a ProxyConfig as a YAML or JSON mapping whose holdApplicationUntilProxyStarts, if set, is true or false';
// Parsing YAML costs far more per byte than any other check here, and a mapping with many
// keys more still (the duplicate-key check is quadratic): a 1 MB value would block the
// event loop, and so every admission, for seconds. Real ProxyConfig annotations are a few
// hundred bytes; the size is checked before parsing.
export const PROXY_CONFIG_MAX_CHARS = 16 * 1024;
// The size alone is not enough: within 16 KiB, deep nesting or a few thousand entries
// cost the YAML library tens of ms each. Real ProxyConfigs nest a handful of levels and
// have tens of entries; these bounds are far above that and keep a parse near 1 ms.
export const PROXY_CONFIG_SHAPE: YamlShapeLimits = { maxFlowOpeners: 64, maxEntries: 512, maxIndent: 128 };

/**
 * The holdApplicationUntilProxyStarts field of a ProxyConfig annotation: a boolean, or
 * undefined when the field is absent or null. YAML 1.1, as Go's sigs.k8s.io/yaml reads it
 * (so `yes`/`on` are booleans there too); protobuf JSON then takes only booleans, under
 * the JSON or the proto field name.
 */
export function parseProxyConfigHold(raw: string): Parsed<boolean | undefined> {
  if (raw.length > PROXY_CONFIG_MAX_CHARS) return bad(`${PROXY_CONFIG_EXPECTED}, of at most ${PROXY_CONFIG_MAX_CHARS} characters`);
  const tooComplex = yamlShapeProblem(raw, PROXY_CONFIG_SHAPE);
  if (tooComplex) return bad(`${PROXY_CONFIG_EXPECTED} (${tooComplex})`);
  let config: unknown;
  try {
    const doc = parseDocument(raw, { version: '1.1', uniqueKeys: true, prettyErrors: false, logLevel: 'silent' });
    if (doc.errors.length > 0) return bad(`${PROXY_CONFIG_EXPECTED} (it is not valid YAML)`);
    config = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return bad(`${PROXY_CONFIG_EXPECTED} (it is not valid YAML)`);
  }
  if (!isPlainObject(config)) return bad(`${PROXY_CONFIG_EXPECTED} (it is not a mapping)`);
  const hasJsonName = Object.hasOwn(config, 'holdApplicationUntilProxyStarts');
  const hasProtoName = Object.hasOwn(config, 'hold_application_until_proxy_starts');
  if (hasJsonName && hasProtoName) return bad(`${PROXY_CONFIG_EXPECTED} (the field is set twice)`);
  const value = hasJsonName ? config.holdApplicationUntilProxyStarts : config.hold_application_until_proxy_starts;
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'boolean') {
    const shown = typeof value === 'string' ? `the string ${quote(value, 40)}` : `a ${Array.isArray(value) ? 'list' : typeof value}`;
    return bad(`${PROXY_CONFIG_EXPECTED} (holdApplicationUntilProxyStarts is ${shown})`);
  }
  return ok(value);
}
