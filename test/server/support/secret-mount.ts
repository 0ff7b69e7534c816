// A TLS Secret volume (tls.crt, tls.key) in a fresh temporary folder, updated as the
// kubelet does (test/support/volume.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyPair } from '../../../src/server/tls.js';
import { ProjectedVolume } from '../../support/volume.js';

export class SecretMount {
  private readonly volume: ProjectedVolume;

  constructor(pair: KeyPair) {
    this.volume = new ProjectedVolume(mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-secret-')), filesOf(pair));
  }

  get dir(): string { return this.volume.dir; }
  get certFile(): string { return this.volume.file('tls.crt'); }
  get keyFile(): string { return this.volume.file('tls.key'); }

  /** Replaces both files at once, as the kubelet does. */
  swap(pair: KeyPair): void {
    this.volume.swap(filesOf(pair));
  }

  remove(): void {
    rmSync(this.volume.dir, { recursive: true, force: true });
  }
}

function filesOf(pair: KeyPair): Record<string, string> {
  return { 'tls.crt': pair.cert, 'tls.key': pair.key };
}
