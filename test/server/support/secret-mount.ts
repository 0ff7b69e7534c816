// A directory laid out like a Kubernetes Secret volume: tls.crt and tls.key are symlinks
// into `..data`, itself a symlink to a timestamped directory; an update writes a new
// directory and renames a fresh symlink over `..data` (one atomic step).
import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyPair } from '../../../src/server/tls.js';

export class SecretMount {
  readonly dir: string;
  private generation = 0;
  private current: string | undefined;

  constructor(pair: KeyPair) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-secret-'));
    this.swap(pair);
    symlinkSync('..data/tls.crt', path.join(this.dir, 'tls.crt'));
    symlinkSync('..data/tls.key', path.join(this.dir, 'tls.key'));
  }

  get certFile(): string { return path.join(this.dir, 'tls.crt'); }
  get keyFile(): string { return path.join(this.dir, 'tls.key'); }

  /** Replaces both files at once, as the kubelet does. */
  swap(pair: KeyPair): void {
    const name = `..gen_${++this.generation}`;
    mkdirSync(path.join(this.dir, name));
    writeFileSync(path.join(this.dir, name, 'tls.crt'), pair.cert);
    writeFileSync(path.join(this.dir, name, 'tls.key'), pair.key);
    symlinkSync(name, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
    if (this.current) rmSync(path.join(this.dir, this.current), { recursive: true });
    this.current = name;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
