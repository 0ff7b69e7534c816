// A folder laid out like a Kubernetes Secret or ConfigMap volume, updated the way the
// kubelet updates one: each version is written into a new `..<version>` folder, then a
// fresh `..data` symlink to it is renamed over the old one (one atomic step); every visible
// file is a symlink through `..data`; names no longer in the volume disappear, and the old
// version's folder is removed last. The one volume simulator of the tests (server TLS
// reload, config folder watching, the e2e fault scenarios).
import { mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class ProjectedVolume {
  private generation = 0;

  /** Creates `dir` (and its parents) if missing; with `files`, writes them as the first version. */
  constructor(readonly dir: string, files?: Record<string, string>) {
    mkdirSync(dir, { recursive: true });
    if (files) this.swap(files);
  }

  /** The visible path of one file of the volume. */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Replaces the volume's content with `files`, all at once. */
  swap(files: Record<string, string>): void {
    const version = `..2026_05_01_12_00_00.${process.pid}_${String(++this.generation).padStart(4, '0')}`;
    mkdirSync(path.join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(this.dir, version, name), content);
    const data = path.join(this.dir, '..data');
    let previous: string | undefined;
    try { previous = readlinkSync(data); } catch { /* the first version */ }
    symlinkSync(version, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), data);
    const visible = readdirSync(this.dir).filter((name) => !name.startsWith('..'));
    for (const name of Object.keys(files)) {
      if (!visible.includes(name)) symlinkSync(path.join('..data', name), path.join(this.dir, name));
    }
    for (const name of visible) {
      if (!(name in files)) unlinkSync(path.join(this.dir, name));
    }
    if (previous) rmSync(path.join(this.dir, previous), { recursive: true, force: true });
  }
}
