// A folder laid out like a Kubernetes Secret or ConfigMap volume: each visible file is a
// symlink through `..data`, itself a symlink to a versioned folder; an update writes a
// new folder and renames a fresh `..data` symlink over the old one (one atomic step),
// then removes the old folder, as the kubelet does.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class ProjectedVolume {
  private generation = 0;
  private current: string | undefined;

  /** Creates the folder `dir` (must not exist) with these files. */
  constructor(readonly dir: string, files: Record<string, string>) {
    mkdirSync(dir, { recursive: true });
    this.swap(files);
    for (const name of Object.keys(files)) symlinkSync(path.join('..data', name), path.join(dir, name));
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Replaces every file at once. The file names must stay the same. */
  swap(files: Record<string, string>): void {
    const name = `..v${String(++this.generation).padStart(4, '0')}`;
    mkdirSync(path.join(this.dir, name));
    for (const [file, content] of Object.entries(files)) writeFileSync(path.join(this.dir, name, file), content);
    symlinkSync(name, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
    if (this.current) rmSync(path.join(this.dir, this.current), { recursive: true });
    this.current = name;
  }
}
