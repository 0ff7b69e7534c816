// For each missed target, what the run itself measured about the cause: the CPU profile
// of the in-process path, the stage breakdown, CPU per request, module footprints.
import { bytes, duration } from './format.js';

const pct = (x) => `${Math.round(100 * x)} %`;

function profileLines(profile) {
  if (!profile || profile.error) return [];
  const inc = Object.fromEntries(profile.inclusive.map((x) => [x.name, x.share]));
  const pkg = profile.selfByPackage.map((p) => `${p.name} ${pct(p.share)}`).join(', ');
  const fns = profile.selfByFunction.slice(0, 8).map((f) => `\`${f.name}\` ${pct(f.share)}`).join(', ');
  return [
    `CPU profile of the in-process path on the ${profile.file} review (V8 sampling profiler, the one behind \`--cpu-prof\`, ${profile.calls.toLocaleString('en-US')} calls): \`renderTemplates\` ${pct(inc.renderTemplates ?? 0)} of all samples inclusive, \`encodeResponse\` ${pct(inc.encodeResponse ?? 0)}, \`buildPatch\` ${pct(inc.buildPatch ?? 0)}, \`decide\` + \`resolveSettings\` ${pct((inc.decide ?? 0) + (inc.resolveSettings ?? 0))}. Self time by package: ${pkg}. Top functions by self time: ${fns}.`,
  ];
}

export function causesOfMisses(results, targets) {
  const missed = new Set(targets.filter((t) => t.met === false).map((t) => t.id));
  if (missed.size === 0) return '';
  const out = ['## Causes of the misses (measured in this run)', ''];
  const ip = results['in-process'];
  const typical = ip?.reviews.find((r) => r.id === 'typical');
  const huge = ip?.reviews.find((r) => r.id === 'huge');

  if (missed.has('in-process-typical') || missed.has('https-throughput') || missed.has('https-p99-500') || missed.has('apiserver-bucket')) {
    const b = typical?.breakdown;
    out.push('### Rendering the sidecar template with JSON-e on every request',
      '',
      ...(b && !b.error ? [`Typical review, stages alone: \`JSON.parse\` ${duration(b.parseUs)}, \`evaluatePod\` ${duration(b.evaluatePodUs)} of which \`renderTemplates\` ${duration(b.renderUs)} (${pct(b.renderUs / b.evaluatePodUs)}), \`decide\` ${duration(b.decideUs)}, \`resolveSettings\` ${duration(b.resolveSettingsUs)}, \`buildPatch\` ${duration(b.buildPatchUs)}, encode + stringify ${duration(b.encodeUs)}.`, ''] : []),
      ...profileLines(results.profile?.typical),
      '');
  }
  if (missed.has('in-process-huge') && huge?.breakdown && !huge.breakdown.error) {
    const b = huge.breakdown;
    out.push('### The huge review', '', `Stages alone: \`JSON.parse\` of the 390 KB body ${duration(b.parseUs)}, \`evaluatePod\` ${duration(b.evaluatePodUs)} (render ${duration(b.renderUs)}), encode ${duration(b.encodeUs)}; the floor (parse + answer) takes ${duration(huge.floor.medianUs)} against the core's ${duration(huge.core.medianUs)}.`, ...profileLines(results.profile?.huge), '');
  }
  if (missed.has('https-throughput')) {
    const s = results.https.reviews.find((r) => r.id === 'typical').saturation;
    const cpuPer = (x) => (x.serverCpu / x.rps) * 1e6;
    out.push('### HTTPS throughput', '', `At saturation the injector used ${duration(cpuPer(s['https-injector']))} of CPU per request against the baseline's ${duration(cpuPer(s.baseline))}: the difference (${duration(cpuPer(s['https-injector']) - cpuPer(s.baseline))}) is the in-process work above (core median ${duration(typical?.core.medianUs)} vs floor ${duration(typical?.floor.medianUs)}) plus fastify's routing, the log line and metrics (route median ${duration(typical?.route.medianUs)}).`, '');
  }
  if (missed.has('memory-rss') && results.footprint) {
    const f = Object.fromEntries(results.footprint.map((x) => [x.what, x]));
    out.push('### Resident memory', '', `Most of it is code, loaded before the first request: a bare Node.js process has ${bytes(f.bare?.rss)} RSS; importing the modules \`serve\` loads brings it to ${bytes(f['serve-modules']?.rss)} (heap ${bytes(f['serve-modules']?.heapUsed)}). \`@kubernetes/client-node\` alone takes a fresh process to ${bytes(f['client-node']?.rss)} (heap ${bytes(f['client-node']?.heapUsed)}); fastify, pino, prom-client, json-e, yaml and fast-json-patch together to ${bytes(f['fastify-stack']?.rss)} (heap ${bytes(f['fastify-stack']?.heapUsed)}).`, '');
  }
  return out.join('\n');
}
