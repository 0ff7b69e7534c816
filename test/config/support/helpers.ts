// Shared by the config and cluster tests: polling with a deadline, a recording logger,
// temporary folders, and a kubelet-style ConfigMap volume writer.
import { mkdir, mkdtemp, readdir, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../../src/cluster/log.js';

/** Polls `condition` until it holds; fails with `what` when `timeoutMs` passes first. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLog(): Log & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A fresh temp folder, removed when the test ends. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'sidecar-injector-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes versions the way the kubelet updates a ConfigMap volume: each version in a new
 * `..<timestamp>` folder, `..data` swapped to it with one rename, the visible names as
 * symlinks through `..data`, the old folder removed afterwards.
 */
export class KubeletVolume {
  private version = 0;
  constructor(readonly dir: string) {}

  async write(files: Record<string, string>): Promise<void> {
    const versionDir = `..2026_05_01_12_00_00.${process.pid}_${this.version++}`;
    await mkdir(join(this.dir, versionDir));
    for (const [name, text] of Object.entries(files)) await writeFile(join(this.dir, versionDir, name), text);
    const previous = await readlink(join(this.dir, '..data')).catch(() => undefined);
    await symlink(versionDir, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    const visible = (await readdir(this.dir)).filter((n) => !n.startsWith('..'));
    for (const name of Object.keys(files)) {
      if (!visible.includes(name)) await symlink(join('..data', name), join(this.dir, name));
    }
    for (const name of visible) {
      if (!(name in files)) await unlink(join(this.dir, name));
    }
    if (previous) await rm(join(this.dir, previous), { recursive: true, force: true });
  }
}
