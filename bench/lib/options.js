// @ts-check
// Command-line flags of bench/run.js.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { DEFAULT_FIXTURES_DIR, DEFAULT_KUBE_DIR, REPO_ROOT } from './paths.js';

export const SECTIONS = ['in-process', 'https', 'cpu-profile', 'memory', 'apiserver'];

export const HELP = `Usage: npm run bench [-- flags]

Measures the injector in-process, over HTTPS against a baseline server (and, from V8
CPU profiles, where each request's CPU goes), its memory over 200,000 requests, and
through a real apiserver; prints a markdown table and writes BENCHMARKS.md.

  --quick              under a minute: fewer iterations and shorter runs, the typical
                       review only over HTTPS, two 3 s memory batches, no apiserver;
                       writes nothing unless --out
  --only LIST          run only these sections (comma-separated: ${SECTIONS.join(', ')})
  --skip LIST          leave these sections out
  --out FILE           where to write the report (default BENCHMARKS.md for full runs)
  --json FILE          also write the raw results as JSON
  --report FILE        measure nothing: write the report again from a --json FILE of an
                       earlier run (after a change to the report's wording)
  --fixtures DIR       captured AdmissionReviews (default test/fixtures/admission-reviews)
  --kube-dir DIR       kube-up/kube-down scripts (default test/e2e/cluster)
  --api-port N         apiserver port for section 4 (default 6743)
  --etcd-port N        etcd port for section 4 (default 2679)
  --no-pin             do not pin servers and load generators to separate CPUs
  --keep               keep the work folder (the servers' logs) and print its path
  -h, --help
`;

function list(flag, text) {
  if (text === undefined) return undefined;
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !SECTIONS.includes(n));
  if (unknown.length > 0) throw new Error(`${flag}: unknown section ${unknown.join(', ')}; expected ${SECTIONS.join(', ')}`);
  return names;
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' }, only: { type: 'string' }, skip: { type: 'string' },
      out: { type: 'string' }, json: { type: 'string' }, report: { type: 'string' }, fixtures: { type: 'string' },
      'kube-dir': { type: 'string' }, 'api-port': { type: 'string' }, 'etcd-port': { type: 'string' },
      'no-pin': { type: 'boolean' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const only = list('--only', values.only);
  const skip = list('--skip', values.skip) ?? [];
  const sections = (only ?? SECTIONS.filter((s) => !(quick && s === 'apiserver'))).filter((s) => !skip.includes(s));
  const port = (flag, text, fallback) => {
    const n = Number(text ?? fallback);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag}: "${text}" is not a port`);
    return n;
  };
  return {
    help: values.help === true,
    quick,
    sections,
    out: values.out ? path.resolve(values.out) : quick ? undefined : path.join(REPO_ROOT, 'BENCHMARKS.md'),
    json: values.json ? path.resolve(values.json) : undefined,
    report: values.report ? path.resolve(values.report) : undefined,
    fixturesDir: path.resolve(values.fixtures ?? DEFAULT_FIXTURES_DIR),
    kubeDir: path.resolve(values['kube-dir'] ?? DEFAULT_KUBE_DIR),
    apiPort: port('--api-port', values['api-port'], 6743),
    etcdPort: port('--etcd-port', values['etcd-port'], 2679),
    pin: values['no-pin'] !== true,
    keep: values.keep === true,
  };
}
