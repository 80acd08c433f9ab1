import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { main, type CliIO } from '../../cli/main';
import { exampleConfigText } from '../helpers/config';

let env: TestWorkflowEnvironment;
let configPath: string;

beforeAll(async () => {
  // A dev server with none of prodops' search attributes, as a new namespace would be.
  const cli = process.env.TEMPORAL_CLI_PATH;
  env = await TestWorkflowEnvironment.createLocal(
    cli ? { server: { executable: { type: 'existing-path', path: cli } } } : {},
  );
  const address = env.connection.options.address;
  configPath = join(mkdtempSync(join(tmpdir(), 'prodops-setup-')), 'prodops.config.yaml');
  writeFileSync(configPath, exampleConfigText().replace('address: 127.0.0.1:7233', `address: ${address}`));
});
afterAll(async () => {
  await env?.teardown();
});

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('prodops temporal setup', () => {
  it('registers the search attributes once and is harmless to repeat', async () => {
    const first = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], first)).toBe(0);
    expect(first.lines.join('\n')).toMatch(/13 search attributes added, 0 already there/);
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining([
        'ReleaseTier',
        'LaunchDate',
        'EnablementStatus',
        'ProductArea',
        'LeaveStatus',
        'Team',
        'LeaveStart',
        'LeaveEnd',
        'OnboardingPhase',
        'StartDate',
        'EndDate',
        'RenewalStatus',
        'NoticeDeadline',
      ]),
    );

    const second = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], second)).toBe(0);
    expect(second.lines.join('\n')).toMatch(/0 search attributes added, 13 already there/);
  });
});
