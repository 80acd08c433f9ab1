/**
 * `npm run deploy` against a stand-in `pulumi` that records what it is asked: the bundles are
 * built from the stack's own configuration file before `pulumi up` runs on the same stack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploy, stackArgs } from '../../infra/gcp/deploy';
import type { BuildOptions } from '../../infra/functions/build';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
let bin: string;
let calls: string;

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'prodops-deploy-'));
  calls = join(bin, 'calls.log');
  writeFileSync(
    join(bin, 'pulumi'),
    `#!/usr/bin/env bash
echo "$*" >> "${calls}"
if [ "$1" = version ]; then echo v3.200.0; exit 0; fi
if [ "$1" = config ] && [ "$2" = get ]; then
  case "$3" in
    prodops:configFile) [ -n "$FAKE_CONFIG_FILE" ] && { echo "$FAKE_CONFIG_FILE"; exit 0; } ;;
  esac
  [ -n "$FAKE_CONFIG_ERROR" ] && { echo "$FAKE_CONFIG_ERROR" >&2; exit 255; }
  echo "error: configuration key '$3' not found for stack 'prod'" >&2; exit 255
fi
if [ "$1" = up ]; then exit "\${FAKE_UP_EXIT:-0}"; fi
exit 9
`,
  );
  chmodSync(join(bin, 'pulumi'), 0o755);
});

afterAll(() => rmSync(bin, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>) {
  writeFileSync(calls, '');
  const lines: string[] = [];
  const builds: BuildOptions[] = [];
  return deploy(args, {
    env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    io: { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    build: async (options) => {
      builds.push(options);
    },
  }).then((code) => ({ code, lines, builds, calls: readFileSync(calls, 'utf8').trim().split('\n') }));
}

describe('npm run deploy', () => {
  it("builds the bundles from the stack's configuration file, then runs pulumi up on that stack", async () => {
    const result = await run(['--stack', 'prod', '--yes'], {
      FAKE_CONFIG_FILE: '/srv/prodops/org.yaml',
      FAKE_UP_EXIT: '3',
    });
    expect(result.builds).toEqual([
      { configPath: '/srv/prodops/org.yaml', outDir: `${ROOT}/dist/functions` },
    ]);
    expect(result.calls).toEqual([
      'version',
      `config get prodops:configFile --cwd ${ROOT}/infra/gcp --stack prod`,
      `config get prodops:functionsDir --cwd ${ROOT}/infra/gcp --stack prod`,
      `up --cwd ${ROOT}/infra/gcp --stack prod --yes`,
    ]);
    // pulumi up's own exit code is the command's.
    expect(result.code).toBe(3);
  });

  it('uses the default configuration file when the stack names none', async () => {
    const result = await run([], {});
    expect(result.builds).toEqual([
      { configPath: `${ROOT}/prodops.config.yaml`, outDir: `${ROOT}/dist/functions` },
    ]);
    expect(result.code).toBe(0);
  });

  it('stops before building when pulumi cannot read the stack', async () => {
    const result = await run([], {
      FAKE_CONFIG_ERROR: 'error: no stack selected; please use `pulumi stack select`',
    });
    expect(result.code).toBe(1);
    expect(result.builds).toEqual([]);
    expect(result.lines.join('\n')).toContain('no stack selected');
  });

  it('says how to install Pulumi when it is not there', async () => {
    const lines: string[] = [];
    const code = await deploy([], {
      env: { PATH: join(bin, 'empty') },
      io: { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      build: () => Promise.reject(new Error('must not build')),
    });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/no pulumi on PATH: install the Pulumi CLI first/);
  });

  it('finds the stack among pulumi up arguments', () => {
    expect(stackArgs(['--yes', '-s', 'staging'])).toEqual(['--stack', 'staging']);
    expect(stackArgs(['--stack=prod'])).toEqual(['--stack', 'prod']);
    expect(stackArgs(['--yes'])).toEqual([]);
  });
});
