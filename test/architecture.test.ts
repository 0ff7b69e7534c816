// The direction of imports in src/ (ARCHITECTURE.md, "Layers"): every import of every
// source file, static or dynamic, read with TypeScript's own import scanner, checked
// against the layers' allowed dependencies. Fails naming the file, the import and the rule.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { ROOT } from './support/config.js';

const SRC = join(ROOT, 'src');

/** What each layer may import besides itself (ARCHITECTURE.md's table, top to bottom). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  cli: ['server', 'config', 'cluster', 'admission', 'injection', 'certs', 'watch'],
  server: ['admission', 'injection', 'certs', 'watch'],
  config: ['cluster', 'injection', 'watch'],
  cluster: ['injection'],
  admission: ['injection'],
  certs: [],
  watch: [],
  injection: [],
};

/** The pure core does no I/O: no files, sockets, processes, HTTP server or Kubernetes client. */
const PURE_LAYERS = ['injection', 'admission'];
const IO_MODULES = [
  /^(node:)?(fs|fs\/promises|net|tls|http|https|http2|child_process|dgram|dns|worker_threads|cluster)$/,
  /^fastify/, /^@kubernetes\/client-node/, /^pino/, /^prom-client/,
];

/**
 * Imports that break the rules, each with why and until when. Empty: keep it so. (A file
 * at the top of src/ is in no layer, so it fails too.)
 */
export const KNOWN_EXCEPTIONS: ReadonlyArray<{ from: string; to: string; why: string }> = [];

/** The layer of a file under src/: its folder (a file at the top of src/ is its own, unlisted, layer). */
export function layerOf(file: string): string {
  const [first, ...rest] = file.split('/');
  return rest.length === 0 ? first.replace(/\.ts$/, '') : first;
}

export interface Import {
  /** Path under src/, with "/" separators. */
  from: string;
  /** A path under src/ for a relative import, else the module specifier as written. */
  to: string;
}

/** The rule an import breaks, or undefined when it is allowed. */
export function violation({ from, to }: Import, exceptions = KNOWN_EXCEPTIONS): string | undefined {
  const layer = layerOf(from);
  if (!to.endsWith('.ts')) {
    return PURE_LAYERS.includes(layer) && IO_MODULES.some((pattern) => pattern.test(to))
      ? `${layer}/ is pure: no I/O module (${to})`
      : undefined;
  }
  const target = layerOf(to);
  if (target === layer) return undefined;
  if (exceptions.some((e) => e.from === from && e.to === to)) return undefined;
  const allowed = MAY_IMPORT[layer];
  if (!allowed) return `${from} is in no layer of ARCHITECTURE.md (src/${layer})`;
  if (!allowed.includes(target)) {
    return `${layer}/ may import only ${allowed.length > 0 ? allowed.map((l) => `${l}/`).join(', ') : 'itself'}, not ${target}/`;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const toSrcPath = (absolute: string) => relative(SRC, absolute).split(sep).join('/');

/** Every import of every file in src/ (static, `export ... from` and dynamic `import()`). */
export function importsOfSrc(): Import[] {
  return sourceFiles(SRC).sort().flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return info.importedFiles.map(({ fileName }) => ({
      from: toSrcPath(file),
      to: fileName.startsWith('.') ? toSrcPath(resolve(dirname(file), fileName.replace(/\.js$/, '.ts'))) : fileName,
    }));
  });
}

t.test('every import in src/ goes in an allowed direction', async (t) => {
  const imports = importsOfSrc();
  t.ok(imports.length > 100, `read the imports (${imports.length})`);
  const broken = imports.flatMap((i) => {
    const rule = violation(i);
    return rule ? [`src/${i.from} imports ${i.to}: ${rule}`] : [];
  });
  t.same(broken, [], 'no import breaks the layering (ARCHITECTURE.md)');
});

t.test('every known exception is still an import of the tree (so the list only shrinks)', async (t) => {
  t.same(KNOWN_EXCEPTIONS, [], 'no import is excused (issue 11 emptied the list)');
  const imports = importsOfSrc();
  for (const e of KNOWN_EXCEPTIONS) {
    t.ok(imports.some((i) => i.from === e.from && i.to === e.to), `src/${e.from} still imports ${e.to} (${e.why}); else drop it from KNOWN_EXCEPTIONS`);
  }
});

t.test('every src/ folder is a layer', async (t) => {
  const layers = new Set(importsOfSrc().map((i) => layerOf(i.from)));
  for (const layer of layers) {
    t.ok(layer in MAY_IMPORT, `src/${layer} has a place in ARCHITECTURE.md and MAY_IMPORT`);
  }
});

t.test('the rules catch the imports they forbid', async (t) => {
  const cases: Array<[Import, RegExp | undefined]> = [
    [{ from: 'server/webhook-app.ts', to: 'cli/serve.ts' }, /server\/ may import only admission\/, injection\/, certs\/, watch\/, not cli\//],
    [{ from: 'server/tls.ts', to: 'config/store.ts' }, /not config\//],
    [{ from: 'server/health-app.ts', to: 'cli/serve-flags.ts' }, /not cli\//],
    [{ from: 'settings.ts', to: 'cli/serve-flags.ts' }, /settings\.ts is in no layer/],
    [{ from: 'injection/engine.ts', to: 'server/metrics.ts' }, /injection\/ may import only itself, not server\//],
    [{ from: 'injection/render.ts', to: 'config/load-dir.ts' }, /not config\//],
    [{ from: 'injection/render.ts', to: 'node:fs' }, /injection\/ is pure: no I\/O module \(node:fs\)/],
    [{ from: 'admission/review.ts', to: 'fastify' }, /admission\/ is pure/],
    [{ from: 'config/store.ts', to: 'cli/inject.ts' }, /not cli\//],
    [{ from: 'cluster/kube.ts', to: 'config/store.ts' }, /cluster\/ may import only injection\/, not config\//],
    [{ from: 'certs/write.ts', to: 'server/tls.ts' }, /certs\/ may import only itself/],
    [{ from: 'cli/serve.ts', to: 'server/start.ts' }, undefined],
    [{ from: 'server/inject-route.ts', to: 'admission/admit.ts' }, undefined],
    [{ from: 'config/configmap-source.ts', to: 'cluster/kube-client.ts' }, undefined],
    [{ from: 'server/tls.ts', to: 'node:tls' }, undefined],
    [{ from: 'injection/render.ts', to: 'json-e' }, undefined],
  ];
  for (const [i, expected] of cases) {
    const rule = violation(i, []);
    if (expected) t.match(rule, expected, `${i.from} → ${i.to} is refused`);
    else t.equal(rule, undefined, `${i.from} → ${i.to} is allowed`);
  }
  const listed = [{ from: 'server/tls.ts', to: 'cli/serve-flags.ts', why: 'an example' }];
  t.equal(violation({ from: 'server/tls.ts', to: 'cli/serve-flags.ts' }, listed), undefined, 'a listed exception passes');
  t.match(violation({ from: 'server/tls.ts', to: 'cli/serve-flags.ts' }, []), /not cli\//, '...and only while it is listed');
});
