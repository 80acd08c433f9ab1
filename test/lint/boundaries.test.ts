/**
 * The layer rules of eslint.config.js, run through ESLint's own API on small files placed in
 * the folders they pretend to belong to: each deliberate violation is reported by the rule that
 * guards it, and a file that keeps to its layer passes.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAYER_RULES = ['boundaries/dependencies', 'no-restricted-imports', 'no-restricted-globals'];

// The project's configuration as it is; type information is not needed for import rules, and
// building it for every probe would take a minute.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => LAYER_RULES.includes(ruleId),
});

/** Lints `code` as if it were the file at `path` (which need not exist). */
async function problems(path: string, code: string): Promise<{ rule: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

describe('layer rules', () => {
  it.each([
    [
      'triggers/probe.ts',
      "import { createJiraActivities } from '../activities/jira';",
      'triggers may not import activities',
    ],
    [
      'triggers/probe.ts',
      "import { startSandbox } from '../sandbox/index';",
      'triggers may not import sandbox',
    ],
    ['triggers/probe.ts', "import { CliError } from '../cli/errors';", 'triggers may not import cli'],
    [
      'domain/probe.ts',
      "import { releaseWorkflowId } from '../workflows/release/messages';",
      'domain may not import workflows',
    ],
    [
      'domain/probe.ts',
      "import { releaseWorkflowId } from '../contracts/ids';",
      'domain may not import contracts',
    ],
    [
      'activities/probe.ts',
      "import { verifyBodySignature } from '../triggers/verify';",
      'activities may not import triggers',
    ],
    [
      'activities/probe.ts',
      "import { releaseStatus } from '../workflows/release/messages';",
      'activities may not import workflows',
    ],
    [
      'workflows/probe.ts',
      "import { createJiraActivities } from '../activities/jira';",
      'workflows may not import activities',
    ],
    [
      'workflows/probe.ts',
      "import { jiraLabel } from '../contracts/node/idempotency';",
      'workflows may not import contracts-node',
    ],
    [
      'workflows/probe.ts',
      "import { gatewayPort } from '../triggers/endpoints';",
      'workflows may not import triggers',
    ],
    ['workflows/probe.ts', "import { main } from '../cli/main';", 'workflows may not import cli'],
    [
      'workflows/probe.ts',
      "import { createWorkers } from '../workers/index';",
      'workflows may not import workers',
    ],
    [
      'contracts/probe.ts',
      "import { loadConfig } from '../runtime/config';",
      'contracts may not import runtime',
    ],
    [
      'runtime/probe.ts',
      "import { releaseWorkflowId } from '../workflows/release/messages';",
      'runtime may not import workflows',
    ],
    [
      'workers/probe.ts',
      "import { startSandbox } from '../sandbox/index';",
      'workers may not import sandbox',
    ],
    ['cli/leave-probe.ts', "import { startSandbox } from '../sandbox/index';", 'cli may not import sandbox'],
  ])('%s: %s is reported', async (path, code, message) => {
    expect(await problems(path, code)).toEqual([
      { rule: 'boundaries/dependencies', message: expect.stringContaining(message) as string },
    ]);
  });

  it.each([
    ['workflows/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['workflows/probe.ts', "import { createHash } from 'crypto';"],
    ['workflows/probe.ts', "import { run } from 'node:test';"],
    ['contracts/probe.ts', "import { createHash } from 'node:crypto';"],
    ['workflows/probe.ts', "import { Client } from '@temporalio/client';"],
  ])(
    '%s: %s, a Node built-in or a client-side package, is refused in the workflow sandbox',
    async (path, code) => {
      expect(await problems(path, code)).toEqual([
        { rule: 'no-restricted-imports', message: expect.stringContaining('workflow sandbox') as string },
      ]);
    },
  );

  it('allows each layer what it needs', async () => {
    expect(
      await problems(
        'workflows/probe.ts',
        [
          "import type { JiraActivities } from '../activities/jira';",
          "import { releaseWorkflowId } from '../contracts/ids';",
          "import { addCalendarDays } from '../domain/business-calendar';",
          "import { proxyActivities } from '@temporalio/workflow';",
          'export const used = [releaseWorkflowId, addCalendarDays, proxyActivities];',
          'export type Used = JiraActivities;',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await problems(
        'triggers/probe.ts',
        [
          "import { jiraLabel } from '../contracts/node/idempotency';",
          "import { withEnvironmentOverrides } from '../runtime/config';",
          "import { released } from '../workflows/release/messages';",
          'export const used = [jiraLabel, withEnvironmentOverrides, released];',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await problems(
        'activities/probe.ts',
        [
          "import { channelToken } from '../contracts/node/channels';",
          "import type { ReleaseContext } from '../workflows/release/messages';",
          "import { readFileSync } from 'node:fs';",
          'export const used = [channelToken, readFileSync];',
          'export type Used = ReleaseContext;',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await problems(
        'cli/simulate.ts',
        "import { sendVendorRequest } from '../sandbox/simulate/vendor-events';",
      ),
    ).toEqual([]);
  });
});
