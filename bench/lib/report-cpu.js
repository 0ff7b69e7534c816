// @ts-check
// The cpu-profile section's table (issue 15): where the CPU of one admission over HTTPS
// goes, stage by stage, beside the floor answering the same patch.
import { duration, rate, table } from './format.js';

const pct = (x) => `${(100 * x).toFixed(1)} %`;

export function cpuProfileSection(r) {
  const inj = r.injector;
  const base = r.baseline;
  const baseById = Object.fromEntries(base.stages.map((s) => [s.id, s]));
  const rows = inj.stages
    .filter((s) => s.share > 0 || (baseById[s.id]?.share ?? 0) > 0)
    .map((s) => {
      const b = baseById[s.id];
      const top = s.top.filter((f) => f.share >= 0.002).slice(0, 3).map((f) => `\`${f.name}\` ${pct(f.share)}`).join(', ');
      return [s.label, pct(s.share), duration(s.usPerRequest), b && b.share > 0 ? pct(b.share) : '—', b && b.share > 0 ? duration(b.usPerRequest) : '—',
        duration(s.usPerRequest - (b?.usPerRequest ?? 0)), top || '—'];
    });
  const total = (x) => x.unprofiledCpuUsPerRequest ?? x.cpuUsPerRequest;
  rows.push(['**total**', '100 %', `**${duration(total(inj))}**`, '100 %', `**${duration(total(base))}**`, `**${duration(total(inj) - total(base))}**`, '']);
  const s = r.settings;
  const source = inj.unprofiledCpuUsPerRequest !== undefined
    ? `section 2's CPU per request at saturation (measured without the profiler: ${duration(inj.unprofiledCpuUsPerRequest)} injector, ${duration(base.unprofiledCpuUsPerRequest)} floor; under the profiler here ${duration(inj.cpuUsPerRequest)} and ${duration(base.cpuUsPerRequest)})`
    : `the CPU per request measured here, under the profiler (${duration(inj.cpuUsPerRequest)} injector, ${duration(base.cpuUsPerRequest)} floor; section 2 did not run)`;
  return [
    '## 2b. Where the CPU of one admission goes (HTTPS, at saturation)',
    '',
    `The \`serve\` process of section 2, from the unbundled program (\`bin/sidecar-injector.js\` over tsc's \`dist/\`, the same code the image's bundle is made of: the profile's file names are how stages are told apart), and the baseline answering the same patch, each started under \`node --cpu-prof --cpu-prof-interval=${s.samplingIntervalUs}\` (V8's sampling profiler; the profile is written when the process exits after SIGTERM), warmed up ${s.warmupS} s, then ${s.profileS} s at saturation (autocannon, ${s.connections} keep-alive connections, the ${s.review} review); only the samples of that window count (${inj.samples.toLocaleString('en-US')} and ${base.samples.toLocaleString('en-US')} samples${inj.windowed && base.windowed ? '' : '; a profile without the window\'s timestamps was counted whole'}; ${rate(inj.rps)} and ${rate(base.rps)} under the profiler). Each sample goes to a stage by its call stack (\`bench/lib/cpu-stages.js\`): our own code claims a sample wherever it is on the stack (the log line's write is the log line's), otherwise the framework or Node.js frame nearest the leaf decides (a socket write under the answer is the reply's; TLS encryption runs inside that write). Shares are of the busy samples (idle: ${pct(inj.idleShare)} and ${pct(base.idleShare)} of the window); µs per request = share × ${source}.`,
    '',
    table(['stage', 'injector share', 'injector per request', 'floor share', 'floor per request', 'injector − floor', 'largest self time (injector, share of its busy samples)'], rows),
  ].join('\n');
}
