/**
 * Vendor faults while a release and a leave request do their work against the sandbox, on the
 * dev server with the real activities: a storm of 429s (with Retry-After), 500s and dropped
 * connections, and answers lost after a create worked (the vendor timeout). After each, the
 * sandbox's audit holds exactly what the same work makes without faults: every artifact once,
 * none missing, none made without its key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../sandbox/http';
import type { SandboxAudit } from '../../sandbox/audit';
import { startStack, type Stack } from '../helpers/stack';
import { sandboxAudit } from '../helpers/sandbox';
import { artifactLines, chaosConfig, runScenario, settle } from './scenario';
import type { WorkflowHandle } from '@temporalio/client';

let stack: Stack;
let baseline: SandboxAudit;

beforeAll(async () => {
  stack = await startStack({ temporal: 'dev-server', config: chaosConfig, sandbox: true });
});
afterAll(() => stack?.stop());

/** Runs the scenario on fresh workers and a reset sandbox, with `faults` injected at its start. */
async function runWith(faults: FaultRule[], patienceMs = 30_000): Promise<SandboxAudit> {
  stack.sandbox.reset();
  return stack.withWorkers({ activities: 'sandbox' }, async ({ taskQueue, track }) => {
    const handles: WorkflowHandle[] = [];
    const run = {
      client: stack.client,
      taskQueue,
      sandbox: stack.sandbox,
      patienceMs,
      track: (...more: WorkflowHandle[]) => {
        handles.push(...more);
        track(...more);
      },
    };
    for (const rule of faults) stack.sandbox.injectFault(rule);
    await runScenario(run);
    await settle(handles, patienceMs);
    return sandboxAudit(stack.sandbox.url);
  });
}

describe('vendor faults during a release and a leave', () => {
  it('makes the expected artifacts without faults (the baseline)', async () => {
    baseline = await runWith([]);
    expect(baseline.duplicates).toBe(0);
    expect(baseline.unkeyed).toBe(0);
    const kinds = new Set(baseline.artifacts.map((a) => `${a.vendor} ${a.kind}`));
    for (const kind of ['jira issue', 'jira comment', 'notion page', 'google event', 'google mail'])
      expect(kinds).toContain(kind);
  });

  it('comes out of a storm of 429s, 500s and dropped connections with every artifact exactly once', async () => {
    const storm = { probability: 0.3, forMs: 10_000 };
    const audit = await runWith(
      [
        {
          route: '*',
          seed: 14,
          fault: { kind: 'status', statuses: [429, 500], retryAfterSeconds: 1, ...storm },
        },
        // Dropped connections: before the vendor handled the request, and after (the answer lost).
        { route: '*', seed: 15, fault: { kind: 'drop', probability: 0.05, forMs: storm.forMs } },
        { route: '*', seed: 16, fault: { kind: 'dropResponse', probability: 0.1, forMs: storm.forMs } },
      ],
      90_000,
    );
    const fired = stack.sandbox.router.faultRules.map((r) => r.fired);
    // The storm did hit the work (how often depends on how far the work got within its window).
    expect(fired[0]).toBeGreaterThan(0);
    expect(fired.reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    expect(audit.duplicates).toBe(0);
    expect(audit.unkeyed).toBe(0);
    expect(artifactLines(audit)).toEqual(artifactLines(baseline));
  });

  it('finds the create whose answer was lost instead of making a twin', async () => {
    const lostOnce = (route: string): FaultRule => ({ route, fault: { kind: 'dropResponse', times: 1 } });
    const creates = [
      'POST /rest/api/3/issue',
      'POST /rest/api/3/issue/:issueIdOrKey/comment',
      'POST /v1/pages',
      'POST /calendar/v3/calendars/:calendarId/events',
      'POST /gmail/v1/users/:userId/messages/send',
    ];
    const audit = await runWith(creates.map(lostOnce), 60_000);
    // Each create's first answer was lost, after the vendor had made it.
    expect(stack.sandbox.router.faultRules.map((r) => [r.route, r.fired])).toEqual(
      creates.map((route) => [route, 1]),
    );
    expect(audit.duplicates).toBe(0);
    expect(audit.unkeyed).toBe(0);
    expect(artifactLines(audit)).toEqual(artifactLines(baseline));
  });
});
