// Scenario 8: `kubectl apply -k deploy/<overlay> --dry-run=server` against the real
// apiserver, for every overlay, run in a copy of the repository (deploy/, templates/, and
// certs/out/ made by `sidecar-injector certs`, so the self-signed overlay has its certificates
// without touching the checkout's certs/out/).
//
// Run literally, the command is refused for objects whose API this apiserver does not serve:
// on Kubernetes 1.20 the PodDisruptionBudget (policy/v1 exists from 1.21; deploy/README.md,
// "Kubernetes 1.20"), and cert-manager.io objects where cert-manager's CRDs are absent. The
// first test of each overlay runs the literal command and checks that every other object is
// accepted and that those, and only those, are refused for that reason. The second applies
// the same render the way deploy/README.md tells 1.20 users to (PDB as policy/v1beta1),
// leaving out cert-manager.io objects when their CRDs are missing, and expects no error.
import { existsSync, readdirSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { INJECTOR_NAMESPACE, makeCerts, WEBHOOK_CONFIGURATION } from './support/harness.js';
import { noCluster, workDir } from './support/scenario.js';
import { applyObjects, kubectl, type KubectlResult } from './support/kubectl.js';
import { groupOf, kubectlName, renderKustomization, type KubeObject } from './support/manifests.js';
import { DEPLOY_DIR, REPO_ROOT, requireBuild } from './support/repo.js';

t.setTimeout(300_000);

const OVERLAYS = readdirSync(DEPLOY_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'base' && existsSync(join(DEPLOY_DIR, entry.name, 'kustomization.yaml')))
  .map((entry) => entry.name)
  .sort();

/** Objects kubectl reported as accepted: `kind.group/name created (server dry run)`. */
function acceptedNames(result: KubectlResult): string[] {
  return result.stdout.split('\n')
    .map((line) => /^(\S+) (?:created|configured|unchanged) \(server dry run\)$/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** stderr lines that are neither kustomize's deprecation notes, kubectl warnings nor missing-API reports. */
function otherErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== ''
    && !/^# Warning: /.test(line) && !/^Warning: /.test(line)
    // kubectl 1.21+: `resource mapping not found for name: …`; 1.20: `unable to recognize "…"`.
    && !/^(error: )?(resource mapping not found for name: .*|unable to recognize ".*"): no matches for kind ".*" in version ".*"$/.test(line)
    && line !== 'ensure CRDs are installed first');
}

/** The REST path of an object's collection (plural = lower-case kind + "s", true for the kinds here). */
function resourcePath(object: KubeObject): string {
  const prefix = groupOf(object) ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${prefix}${namespace}/${object.kind.toLowerCase()}s`;
}

/** What deploy/README.md tells 1.20 users to do, and leaving out APIs the cluster lacks. */
function adaptedToCluster(objects: KubeObject[], served: Set<string>): { objects: KubeObject[]; changes: string[] } {
  const changes = new Set<string>();
  const adapted = objects.flatMap((object) => {
    if (served.has(object.apiVersion)) return [object];
    if (object.kind === 'PodDisruptionBudget' && object.apiVersion === 'policy/v1' && served.has('policy/v1beta1')) {
      changes.add('PodDisruptionBudget as policy/v1beta1');
      return [{ ...object, apiVersion: 'policy/v1beta1' }];
    }
    if (groupOf(object) === 'cert-manager.io') {
      changes.add('without the cert-manager.io objects (no cert-manager CRDs here)');
      return [];
    }
    return [object]; // anything else unserved stays, and fails the test
  });
  return { objects: adapted, changes: [...changes] };
}

t.test('deploy/ overlays on the real apiserver (server dry run)', { skip: noCluster }, async (t) => {
  requireBuild(); // `sidecar-injector certs` runs from dist/
  t.ok(OVERLAYS.length >= 2, `overlays found: ${OVERLAYS.join(', ')}`);
  const tree = join(await workDir(t, '08-deploy-overlays'), 'repo');
  await cp(join(REPO_ROOT, 'deploy'), join(tree, 'deploy'), { recursive: true });
  await cp(join(REPO_ROOT, 'templates'), join(tree, 'templates'), { recursive: true });
  await makeCerts(join(tree, 'certs/out'));

  // A dry run does not create the namespace (deploy/README.md): create it first, as documented.
  const existing = await kubectl(['get', 'namespace', INJECTOR_NAMESPACE, '--ignore-not-found', '-o', 'name']);
  if (existing.stdout.trim() === '') {
    await kubectl(['create', 'namespace', INJECTOR_NAMESPACE]);
    t.teardown(() => kubectl(['delete', 'namespace', INJECTOR_NAMESPACE, '--wait=false']).then(() => undefined));
  }
  const served = new Set((await kubectl(['api-versions'])).stdout.split('\n').map((line) => line.trim()).filter(Boolean));
  const stored = () => Promise.all([
    kubectl(['get', 'mutatingwebhookconfiguration', WEBHOOK_CONFIGURATION, '--ignore-not-found', '-o', 'jsonpath={.metadata.resourceVersion}']),
    kubectl(['-n', INJECTOR_NAMESPACE, 'get', 'deployment/sidecar-injector', 'service/sidecar-injector', 'secret/sidecar-injector-tls', '--ignore-not-found', '-o', 'name']),
  ]).then((results) => results.map((r) => r.stdout.trim()));
  const before = await stored();

  for (const overlay of OVERLAYS) {
    const dir = `deploy/${overlay}`;
    const rendered = await renderKustomization(dir, tree);
    const unserved = rendered.filter((object) => !served.has(object.apiVersion));
    const refusals = unserved.map((o) => `${o.kind} ${o.apiVersion}`);

    await t.test(`${dir}: kubectl apply -k ${dir} --dry-run=server: every object whose API this apiserver serves is accepted`
      + (unserved.length ? `; refused only for APIs it does not serve: ${[...new Set(refusals)].join(', ')}` : ''), async (t) => {
      const result = await kubectl(['apply', '-k', dir, '--dry-run=server'], { cwd: tree, allowFailure: true });
      t.comment(`exit ${result.code}; stderr:\n${result.stderr.trim()}`);
      t.same(acceptedNames(result), rendered.filter((o) => !unserved.includes(o)).map(kubectlName).sort(), 'accepted: every served object');
      t.same(otherErrors(result.stderr), [], 'no error besides missing APIs');
      for (const object of unserved) {
        t.match(result.stderr, `no matches for kind "${object.kind}" in version "${object.apiVersion}"`,
          `${object.kind} ${object.metadata.name}: refused because the apiserver has no ${object.apiVersion}`);
        // Not only kubectl's discovery: the apiserver itself has no such resource.
        const post = await kubectl(['create', '--raw', `${resourcePath(object)}?dryRun=All`, '-f', '-'], { input: JSON.stringify(object), allowFailure: true });
        t.match(post.stderr, /NotFound/, `POST ${resourcePath(object)} (dry run) is answered 404 by the apiserver`, { post });
      }
      t.equal(result.code, unserved.length ? 1 : 0, unserved.length ? 'kubectl exits 1 for the refused objects' : 'kubectl exits 0');
    });

    const { objects, changes } = adaptedToCluster(rendered, served);
    if (changes.length === 0) continue;
    await t.test(`${dir}: the same render with ${changes.join(', ')}: everything accepted`, async (t) => {
      const result = await applyObjects(objects, ['--dry-run=server'], { allowFailure: true });
      t.equal(result.code, 0, 'kubectl apply --dry-run=server exits 0', { stderr: result.stderr });
      t.same(acceptedNames(result), objects.map(kubectlName).sort(), 'every object accepted');
      t.same(otherErrors(result.stderr), [], 'no error');
    });
  }

  t.same(await stored(), before, 'nothing was stored: the webhook configuration, Deployment, Service and TLS Secret are as before');
});
