import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main';
import { EXAMPLE_CONFIG_PATH, exampleConfigText } from '../helpers/config';

const bin = fileURLToPath(new URL('../../bin/prodops.js', import.meta.url));

/** Runs the real command, as a user would with `npx prodops …`. */
function prodops(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: tmpdir(),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prodops-config-'));
  const path = join(dir, 'prodops.config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('prodops config check', () => {
  it('exits 0 with a one-line summary on a valid file', () => {
    const { code, stdout, stderr } = prodops(['config', 'check', '--config', EXAMPLE_CONFIG_PATH]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stdout).toContain('valid — 26 people in 9 teams');
  });

  it('reads PRODOPS_CONFIG when no --config is given', () => {
    const { code, stdout } = prodops(['config', 'check'], { PRODOPS_CONFIG: EXAMPLE_CONFIG_PATH });
    expect(code).toBe(0);
    expect(stdout).toContain(EXAMPLE_CONFIG_PATH);
  });

  it('prints every problem with its path and no stack trace on an invalid file', () => {
    const path = writeConfig(
      exampleConfigText()
        .replace('manager: hana, calendar: london, buddy: ben', 'manager: kim, calendar: london, buddy: ben')
        .replace('timezone: America/New_York', 'timezone: Mars/Olympus'),
    );
    const { code, stdout, stderr } = prodops(['config', 'check', '--config', path]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('2 problems');
    expect(stderr).toContain('people[5].manager (line');
    expect(stderr).toContain('"kim" is not a person');
    expect(stderr).toContain('calendars.new-york.timezone');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('says how to create a configuration when none exists', () => {
    const { code, stderr } = prodops([
      'config',
      'check',
      '--config',
      join(tmpdir(), 'nope', 'prodops.config.yaml'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^prodops: no configuration at .*copy prodops\.config\.example\.yaml/);
  });

  it('rejects an unknown command with a non-zero exit', () => {
    const { code, stderr } = prodops(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('--json: the summary of a valid file, every problem of an invalid one (exit 1)', async () => {
    const run = async (path: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['config', 'check', '--json', '--config', path], {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
      });
      return { code, out, err };
    };
    const valid = await run(EXAMPLE_CONFIG_PATH);
    expect(valid).toMatchObject({ code: 0, err: [] });
    expect(valid.out).toHaveLength(1);
    expect(JSON.parse(valid.out[0]!)).toEqual({
      path: EXAMPLE_CONFIG_PATH,
      valid: true,
      summary: { organisation: 'Northwind Analytics', people: 26, teams: 9, roles: 11, calendars: 3 },
    });

    const path = writeConfig(
      exampleConfigText().replace('timezone: America/New_York', 'timezone: Mars/Olympus'),
    );
    const invalid = await run(path);
    expect(invalid).toMatchObject({ code: 1, err: [] });
    expect(JSON.parse(invalid.out[0]!)).toMatchObject({
      path,
      valid: false,
      problems: [{ path: 'calendars.new-york.timezone', line: expect.any(Number) as number }],
    });
  });
});
