// Parity with Istio's injector on Istio's own test corpus (`npm run test:istio`; the corpus
// lives outside the repository, see test/istio/support/corpus.ts). Every case runs through
// the istio profile with its overrides; each pod is compared with Istio's golden field by
// field. Prints `istio parity: N/M in-scope cases identical` and every difference; fails
// when fewer than PARITY_FLOOR cases are identical or an expected error is not refused.
import t from 'tap';
import { podDifferences } from './support/compare.js';
import { CORPUS_DIR, corpusPresent, loadCases, readPods, type ParityCase } from './support/corpus.js';
import { injectIstio } from './support/run.js';

/** Identical in-scope cases this state reaches; raise it as parity improves. */
const PARITY_FLOOR = 116;

interface Verdict { identical: boolean; lines: string[] }

function runCase(c: ParityCase): Verdict {
  const inputs = readPods(c.in);
  if (c.expectedError) {
    const refused = inputs.map(({ pod, namespace }) => injectIstio(c, pod, namespace).denial).find((d) => d !== undefined);
    if (refused === undefined) return { identical: false, lines: [`not refused (Istio refuses it: "${c.expectedError}")`] };
    return { identical: true, lines: [] };
  }
  const wants = readPods(c.want!);
  if (wants.length !== inputs.length) return { identical: false, lines: [`${inputs.length} pods in the input, ${wants.length} in the golden`] };
  const lines: string[] = [];
  inputs.forEach(({ pod, namespace }, i) => {
    const result = injectIstio(c, pod, namespace);
    const prefix = inputs.length > 1 ? `pod ${i}: ` : '';
    if (result.denial) lines.push(`${prefix}refused: ${result.denial}`);
    else lines.push(...podDifferences(result.pod, wants[i].pod).map((l) => prefix + l));
  });
  return { identical: lines.length === 0, lines };
}

if (!corpusPresent()) {
  t.comment(`istio parity: corpus not found at ${CORPUS_DIR}; it is Istio's pkg/kube/inject/testdata with cases.json (see the README, "istio profile"); set ISTIO_CORPUS to its folder`);
  t.pass('skipped: no corpus');
} else {
  const cases = loadCases();
  const inScope = cases.filter((c) => !c.outOfScope);
  let identical = 0;
  const failures: string[] = [];
  const notRefused: string[] = [];
  for (const c of inScope) {
    const verdict = runCase(c);
    if (verdict.identical) identical++;
    else failures.push(`${c.label}\n${verdict.lines.map((l) => `    ${l}`).join('\n')}`);
    if (c.expectedError && !verdict.identical) notRefused.push(c.label);
  }
  for (const c of cases.filter((x) => x.outOfScope)) t.comment(`out of scope: ${c.label}: ${c.outOfScope}`);
  for (const f of failures) t.comment(`differs: ${f}`);
  const summary = `istio parity: ${identical}/${inScope.length} in-scope cases identical (${cases.length - inScope.length} out of scope)`;
  t.comment(summary);
  console.error(summary);
  t.ok(identical >= PARITY_FLOOR, `at least ${PARITY_FLOOR} cases identical (${identical})`);
  t.same(notRefused, [], 'every input Istio refuses is refused');
  t.ok(inScope.length > 100, `the corpus has its ~130 in-scope cases (${inScope.length})`);
}
