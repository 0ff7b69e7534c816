// Reads a configuration directory (config.yaml + <name>.template.yaml, the layout of the
// repository's templates/ and of the ConfigMap) into the { filename: text } map that
// compileSnapshot takes. One read; the command line uses it as is, dir-source.ts on every
// change.
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE, TEMPLATE_SUFFIX } from './compile.js';

/**
 * The repository's templates/ folder, found from this module's own file so it is the same
 * from src/config/ (tests) and dist/config/ (the built CLI), whatever the working directory.
 */
export const BUILTIN_CONFIG_DIR = resolve(fileURLToPath(new URL('../../templates/', import.meta.url)));

/** The directory cannot be read: names it and says why. */
export class ConfigDirError extends Error {
  constructor(message: string, readonly dir: string) {
    super(message);
    this.name = 'ConfigDirError';
  }
}

function isConfigFile(name: string): boolean {
  return name === CONFIG_FILE || (name.endsWith(TEMPLATE_SUFFIX) && !name.startsWith('.'));
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'ENOTDIR') return 'it is not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

/** The kubelet's symlink to the folder holding the current version of a ConfigMap volume. */
const KUBELET_DATA_LINK = '..data';

/** Where the files are: the target of `..data` when there is one, else `dir`. */
async function dataFolder(dir: string): Promise<string> {
  const link = join(dir, KUBELET_DATA_LINK);
  try {
    return await realpath(link);
  } catch (err) {
    const isLink = await lstat(link).then((s) => s.isSymbolicLink(), () => false);
    if (!isLink) return dir;
    const target = await readlink(link).catch(() => '(unreadable)');
    throw new ConfigDirError(`the ${KUBELET_DATA_LINK} link in ${dir} points to ${target}, but ${why(err)}; the mounted ConfigMap is broken or mid-update`, dir);
  }
}

/**
 * The config files of `dir`, by file name, sorted. Other files are ignored; a missing
 * config.yaml is left for compileSnapshot to report. With a `..data` link present (a
 * mounted ConfigMap) the files are read from its target, so a swap in the middle cannot
 * mix two versions. Throws ConfigDirError.
 */
export async function loadConfigDir(dir: string): Promise<Record<string, string>> {
  const base = await dataFolder(dir);
  let names: string[];
  try {
    names = (await readdir(base)).filter(isConfigFile).sort();
  } catch (err) {
    throw new ConfigDirError(`cannot read config directory ${dir}: ${why(err)}; expected a directory holding config.yaml and *.template.yaml files`, dir);
  }
  const files: Record<string, string> = {};
  for (const name of names) {
    const file = join(dir, name);
    try {
      files[name] = await readFile(join(base, name), 'utf8');
    } catch (err) {
      throw new ConfigDirError(`cannot read ${file}: ${why(err)}`, dir);
    }
  }
  return files;
}
