// `serve` loads @kubernetes/client-node only with Kubernetes access, and then only its
// KubeConfig and Watch (cluster/client-node-slim.ts). Here: from the CLI's entry point and
// from serve, no chain of static value imports reaches the library (a type import is
// erased; a dynamic import is the lazy load). A static one would load its index, or
// dist/config.js without the slim hook, into every process (~25 MiB of heap).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { ROOT } from '../support/config.js';

/** The value imports of a source file (specifiers as written), type-only ones left out. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      out.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** Chains of static value imports from `entry` to the library, as `a.ts -> b.ts -> library`. */
function chainsToLibrary(entry: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('@kubernetes/client-node')) found.push([...path, specifier].join(' -> '));
      else if (specifier.startsWith('.')) {
        const next = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        visit(next, [...path, next.slice(ROOT.length + 1)]);
      }
    }
  };
  visit(join(ROOT, entry), [entry]);
  return found;
}

t.test('the CLI and serve load no part of @kubernetes/client-node until Kubernetes access is known', async (t) => {
  t.same(chainsToLibrary('src/cli/main.ts'), [], 'from src/cli/main.ts (every command)');
  t.same(chainsToLibrary('src/cli/serve.ts'), [], 'from src/cli/serve.ts');
});

t.test('the check finds a static import when there is one', async (t) => {
  t.ok(chainsToLibrary('src/cluster/kube.ts').length > 0, 'cluster/kube.ts imports dist/config.js');
  t.ok(chainsToLibrary('src/cluster/kube-client.ts').length > 0, 'cluster/kube-client.ts imports dist/watch.js');
});
