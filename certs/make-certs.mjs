#!/usr/bin/env node
// One command for the webhook's certificates: see certs/README.md, or run with --help.
// Uses the built certificate generator (dist/, made by `npm install` or `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCertsArgs, USAGE, UsageError } from './options.mjs';
import { ExistingFilesError, writeCertificates } from './write-certs.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GENERATOR = new URL('../dist/certs/generate.js', import.meta.url);

/** Something the user can fix; printed without a stack trace. */
class SetupError extends Error {}

async function loadGenerator() {
  if (!existsSync(GENERATOR)) {
    throw new SetupError(`${fileURLToPath(GENERATOR)} is missing: run \`npm run build\` (npm install runs it) first`);
  }
  return (await import(GENERATOR.href)).generateCertificates;
}

async function main(argv) {
  let options;
  try {
    options = parseCertsArgs(argv, repoRoot);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`make-certs: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const result = await writeCertificates(options, await loadGenerator());
    const where = relative(process.cwd(), options.out) || '.';
    process.stderr.write([
      `make-certs: wrote ${result.written.map((file) => relative(options.out, file)).join(', ')} to ${where}`,
      `  names: ${[...result.dnsNames, ...result.ipAddresses].join(', ')}`,
      `  valid until: ${result.notAfter}`,
      result.keptPreviousCa ? '  caBundle keeps the previous CA too, until the next rotation' : '',
      `  install: kubectl apply -k ${options.out === resolve(repoRoot, 'certs/out') ? 'deploy/self-signed' : where}`,
      '  caBundle (stdout):',
      '',
    ].filter((line, i, all) => line !== '' || i === all.length - 1).join('\n'));
    process.stdout.write(`${result.caBundle}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ExistingFilesError || err instanceof SetupError)) throw err;
    process.stderr.write(`make-certs: ${err.message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
