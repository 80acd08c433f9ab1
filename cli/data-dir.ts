/**
 * The local data directory (`.prodops/` by default) holds the Temporal database, the sandbox's
 * state and the development trigger secrets: readable by its owner only.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export interface PrivateDataDir {
  path: string;
  created: boolean;
  /** The mode it had when it was not 0700 already (now corrected). */
  previousMode?: string;
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

/** Creates the directory with mode 0700, or brings an existing one to 0700. */
export function ensurePrivateDataDir(dir: string): PrivateDataDir {
  const path = resolve(dir);
  const created = mkdirSync(path, { recursive: true, mode: 0o700 }) !== undefined;
  if (process.platform === 'win32') return { path, created };
  const mode = statSync(path).mode & 0o777;
  if (mode === 0o700) return { path, created };
  chmodSync(path, 0o700);
  // A directory created just now under a restrictive umask is not news; an old open one is.
  return created ? { path, created } : { path, created, previousMode: octal(mode) };
}
