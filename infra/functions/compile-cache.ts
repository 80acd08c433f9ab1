/**
 * Node's module compile cache for a function bundle: V8's compiled code for each file of the
 * bundle, kept on disk so that a new instance deserialises it instead of compiling the source.
 *
 * The cache is made by the bundle's `gcp-build` script (compile-cache.mjs, written by build.ts),
 * which Google's Node.js buildpack runs after installing the dependencies, on the Node of the
 * runtime that will run the function. Node files the cache under a directory named by its own
 * version, V8's flags and the user id, and reads only the directory that matches the process: a
 * cache made by another Node (a build machine's, or the runtime's before an automatic update) is
 * not used, never misused. So only the runtime the function is deployed on (Node 24) makes one.
 *
 * The bundle's entry turns the cache on before it loads the rest, and only when the directory
 * exists: a bundle without one compiles as before and writes nothing.
 */
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Beside the bundle's files; `portable` keys entries by their path relative to it. */
export const COMPILE_CACHE_DIR = '.compile-cache';

/** Turns the compile cache on for what the entry at `entryUrl` loads next. */
export function useShippedCompileCache(entryUrl: string): boolean {
  const directory = fileURLToPath(new URL(`./${COMPILE_CACHE_DIR}/`, entryUrl));
  if (!existsSync(directory)) return false;
  const result = enableCompileCache({ directory, portable: true });
  return result.directory !== undefined;
}
