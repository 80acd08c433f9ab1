/**
 * Where the system Chromium is, for the dashboard's browser test and for CI, which must agree:
 * `CHROMIUM_PATH` when set (and then only there), else Debian's `/usr/bin/chromium`, else
 * `/usr/bin/chromium-browser`. Run directly (`node test/helpers/chromium.ts`), it prints one line
 * saying whether the browser test runs and why, and exits 0 when it does, 1 when it is skipped.
 * It imports nothing of the project, so Node runs it without a build.
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

export type ChromiumLookup = { found: true; path: string } | { found: false; reason: string };

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const configured = env.CHROMIUM_PATH?.trim();
  // A path set on purpose is not second-guessed: a wrong one says so rather than falling back.
  if (configured)
    return executable(configured)
      ? { found: true, path: configured }
      : { found: false, reason: `CHROMIUM_PATH is ${configured}, which is not an executable file` };
  const path = CHROMIUM_CANDIDATES.find(executable);
  return path
    ? { found: true, path }
    : {
        found: false,
        reason: `no Chromium at ${CHROMIUM_CANDIDATES.join(' or ')} (apt-get install chromium, or set CHROMIUM_PATH)`,
      };
}

/** The line the test and CI print. */
export function describeChromium(lookup: ChromiumLookup): string {
  return lookup.found
    ? `dashboard browser test runs: Chromium at ${lookup.path}`
    : `dashboard browser test skipped: ${lookup.reason}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lookup = findChromium();
  console.log(describeChromium(lookup));
  process.exitCode = lookup.found ? 0 : 1;
}
