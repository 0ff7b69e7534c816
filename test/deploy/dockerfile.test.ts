// Docker cannot run here, so the Dockerfile is checked by reading it: every COPY source
// exists (in the build context, or made by an earlier stage), the runtime is distroless
// Node 22 nonroot as UID 65532, and it starts the bundled CLI with `serve`.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

interface Instruction { op: string; args: string; line: number }
interface Stage { from: string; name?: string; instructions: Instruction[] }

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const [op, ...rest] = full.split(/\s+/);
    out.push({ op: op.toUpperCase(), args: rest.join(' '), line: start });
  });
  return out;
}

function stages(all: Instruction[]): Stage[] {
  const result: Stage[] = [];
  for (const ins of all) {
    if (ins.op === 'FROM') {
      const [from, as, name] = ins.args.split(/\s+/);
      result.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (ins.op !== 'ARG' || result.length > 0) {
      result.at(-1)?.instructions.push(ins);
    }
  }
  return result;
}

interface Copy { from?: string; sources: string[]; dest: string; line: number }

function copyOf(ins: Instruction): Copy {
  const words = ins.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '', line: ins.line };
}

/** .dockerignore semantics for the patterns used here: globs with *, `!` re-includes, last match wins. */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  let ignored = false;
  const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    const regex = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    if (candidates.some((c) => regex.test(c))) ignored = !negate;
  }
  return ignored;
}

/** What a stage's file system holds after its instructions: absolute paths copied or made. */
function producedBy(stage: Stage, buildOutDir: string): Set<string> {
  const made = new Set<string>();
  let workdir = '/';
  for (const ins of stage.instructions) {
    if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.op === 'COPY') {
      const { sources, dest } = copyOf(ins);
      const target = posix.resolve(workdir, dest);
      for (const source of sources) made.add(dest.endsWith('/') || sources.length > 1 ? posix.join(target, posix.basename(source)) : target);
    }
    if (ins.op === 'RUN') {
      if (/\bnpm ci\b/.test(ins.args)) made.add(posix.join(workdir, 'node_modules'));
      if (/\bnpm run build\b/.test(ins.args)) made.add(posix.join(workdir, buildOutDir));
    }
  }
  return made;
}

const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
const all = stages(instructions(dockerfile));
const runtime = all.at(-1)!;
const dockerignore = readFileSync(join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const buildConfig = JSON.parse(readFileSync(join(repo, 'tsconfig.build.json'), 'utf8'));
const buildOutDir: string = buildConfig.compilerOptions.outDir;
/** What `npm run build` bundles the package's bin into (scripts/bundle-image.js): the image's program. */
const BUNDLE_DIR = `${buildOutDir}/bundle`;

/** Made by a stage: the path itself, or inside a folder the stage made. */
function isMade(made: Set<string>, path: string): boolean {
  return made.has(path) || [...made].some((p) => path.startsWith(`${p}/`));
}

t.test('stages: built with Node 22, run on distroless Node 22 nonroot', async (t) => {
  t.ok(all.length >= 2, 'multi-stage');
  for (const stage of all.slice(0, -1)) t.match(stage.from, /^node:22-/, `stage ${stage.name} builds with Node 22`);
  t.equal(runtime.from, 'gcr.io/distroless/nodejs22-debian13:nonroot');
  const users = runtime.instructions.filter((i) => i.op === 'USER');
  t.same(users.map((u) => u.args), ['65532'], 'USER 65532');
  const exposed = runtime.instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  t.same(exposed.sort(), ['8080', '9443']);
  t.notOk(runtime.instructions.some((i) => i.op === 'RUN'), 'no RUN in the runtime stage (distroless has no shell)');
});

t.test('entrypoint runs the bundled CLI with serve', async (t) => {
  const json = (op: string) => JSON.parse(runtime.instructions.find((i) => i.op === op)?.args ?? 'null');
  const entrypoint = json('ENTRYPOINT');
  t.equal(entrypoint[0], '/nodejs/bin/node', 'the distroless image keeps node at /nodejs/bin/node');
  t.equal(posix.normalize(entrypoint[1]), `${BUNDLE_DIR}/${posix.basename(pkg.bin['sidecar-injector'])}`, 'the package.json bin, bundled');
  t.match(pkg.scripts.build, /node scripts\/bundle-image\.js/, 'npm run build bundles it');
  t.same(json('CMD'), ['serve'], 'Deployment args starting with serve replace CMD');
  const workdir = runtime.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/';
  t.ok(isMade(producedBy(runtime, buildOutDir), posix.resolve(workdir, entrypoint[1])), 'the entry script is copied in');
  t.equal(posix.dirname(entrypoint[1]).split('/').length, 2, 'as deep as dist/cli/: ../../templates and ../../package.json resolve');
});

t.test('every COPY source exists', async (t) => {
  for (const stage of all) {
    for (const ins of stage.instructions.filter((i) => i.op === 'COPY')) {
      const copy = copyOf(ins);
      if (copy.from === undefined) {
        for (const source of copy.sources) {
          t.ok(existsSync(join(repo, source)), `line ${copy.line}: ${source} is in the repository`);
          t.notOk(ignoredByDockerignore(posix.normalize(source), dockerignore), `line ${copy.line}: ${source} is not excluded by .dockerignore`);
        }
      } else {
        const origin = all.find((s) => s.name === copy.from);
        t.ok(origin, `line ${copy.line}: stage ${copy.from} exists`);
        if (!origin) continue;
        const made = producedBy(origin, buildOutDir);
        for (const source of copy.sources) t.ok(isMade(made, source), `line ${copy.line}: ${source} is made in stage ${copy.from}`);
      }
    }
  }
});

t.test('the build stage has what the compiler reads, the runtime only what runs', async (t) => {
  const build = all.find((s) => s.instructions.some((i) => i.op === 'RUN' && /npm run build/.test(i.args)))!;
  t.ok(build, 'a stage runs npm run build');
  const copied = [...producedBy(build, buildOutDir)].map((p) => posix.basename(p));
  const needed = ['tsconfig.build.json', buildConfig.extends.replace(/^\.\//, ''), buildConfig.compilerOptions.rootDir, 'bin', 'scripts'];
  for (const file of needed) t.ok(copied.includes(file), `build stage copies ${file}`);
  t.match(pkg.scripts.build, /tsconfig\.build\.json/, 'npm run build compiles with tsconfig.build.json');

  const runtimeNames = runtime.instructions.filter((i) => i.op === 'COPY').flatMap((i) => copyOf(i).sources.map((s) => posix.basename(s)));
  t.same(runtimeNames.sort(), ['bundle', 'node_modules', 'package.json', 'templates'], 'runtime copies only these');
  const depsStage = all.find((s) => s.name === copyOf(runtime.instructions.find((i) => i.op === 'COPY' && i.args.includes('node_modules'))!).from)!;
  t.ok(depsStage.instructions.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)), 'node_modules holds production dependencies only');
  t.ok(ignoredByDockerignore('templates/kustomization.yaml', dockerignore), 'kustomize file stays out of the image');
  for (const made of ['node_modules', 'dist', 'certs/out', 'test', 'bench', '.git']) t.ok(ignoredByDockerignore(made, dockerignore), `.dockerignore excludes ${made}`);
});
