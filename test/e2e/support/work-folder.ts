// A folder for one fault scenario's certificates, config and injector log, under
// $E2E_WORK_DIR when the runner set it: removed when the scenario passes, kept (and its
// path printed) when it fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export async function workFolder(t: Test, name: string): Promise<string> {
  const dir = await mkdtemp(join(process.env.E2E_WORK_DIR || tmpdir(), `${name}-`));
  t.teardown(async () => {
    if (t.passing()) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`# ${name} failed: its work folder is kept in ${dir}\n`);
  });
  return dir;
}
