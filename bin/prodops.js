#!/usr/bin/env node
// Entry point for `npx prodops` and `npm start`. prodops needs Node 24: on an older Node, it
// re-runs itself under the Node 24 that scripts/tools.sh keeps in its cache (installing it from
// the npm registry on first use), so the command works the same on every machine.
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 24 && !process.env.PRODOPS_NODE_REEXEC) {
  let nodeBin;
  try {
    nodeBin = execFileSync('bash', [join(root, 'scripts/tools.sh'), 'node'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  } catch {
    console.error(
      `prodops needs Node 24 or later (this is ${process.version}); install it from https://nodejs.org`,
    );
    process.exit(1);
  }
  const result = spawnSync(
    join(nodeBin, 'node'),
    [fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, PRODOPS_NODE_REEXEC: '1', PATH: `${nodeBin}:${process.env.PATH ?? ''}` },
    },
  );
  process.exit(result.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
