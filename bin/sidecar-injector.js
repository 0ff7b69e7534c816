#!/usr/bin/env node
// Launcher for the compiled CLI (dist/, built by `npm run build`, which `npm install` runs
// through the `prepare` script). It only sets the exit code: output drains before exit.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write(`sidecar-injector: the compiled program is missing (${err.message}); run "npm run build" first\n`);
  process.exit(1);
}
// A closed pipe (`... | head`) is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await cli.runCli(process.argv.slice(2));
