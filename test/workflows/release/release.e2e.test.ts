/**
 * A Tier 3 release from start to its Day-14 retro with the real activities, through the real
 * client libraries, against the sandbox APIs; time skips over the weeks in between. At the end
 * every artifact exists exactly once. The run's history is what the replay test replays:
 * PRODOPS_RECORD_HISTORY=release writes it to histories/tier3-lifecycle.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadExampleConfig } from '../../helpers/config';
import { withOperators } from '../../helpers/operators';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import type { Sandbox } from '../../../sandbox/index';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import {
  confirmReadiness,
  decideGoNoGo,
  markReleased,
  publishBundle,
  releaseStatus,
  releaseWorkflowId,
} from '../../../workflows/release/messages';
import { addWorkingDays, localDateOf, zonedDateTimeToInstant } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import { calendarEventId } from '../../../contracts/node/idempotency';
import { releaseHarness } from './release-harness';

/** Every person an operator with a key of their own; Priya (Product Ops) runs the release commands. */
const operators = withOperators(loadExampleConfig());
const config = operators.config;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
const { signed } = releaseHarness(operators, () => stack);

beforeAll(async () => {
  stack = await startStack({ config, sandbox: true });
  ({ env, sandbox } = stack);
});
afterAll(() => stack?.stop());

describe('release workflow end to end', () => {
  it('runs a Tier 3 release against the sandbox: every artifact exactly once', async () => {
    const year = new Date().getUTCFullYear();
    const cal = resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 2 });
    const today = localDateOf(await env.currentTimeMs(), cal.timezone);
    const launch = addWorkingDays(cal, today, 15);
    const issueKey = 'REL-1';
    const workflowId = releaseWorkflowId(issueKey);

    const result = await stack.withWorkers({ activities: 'sandbox' }, async ({ taskQueue }) => {
      const handle = await env.client.workflow.start(releaseWorkflow, {
        taskQueue,
        workflowId,
        args: [
          {
            issueKey,
            tier: 3,
            launchDate: launch,
            pmId: 'ana',
            title: 'Usage-based billing',
            productArea: 'Billing',
          },
        ],
      });
      for (let i = 0; i < 400; i++) {
        const s = await handle.query(releaseStatus);
        if (
          s.steps.find((x) => x.id === 'day-14-retro')?.ref &&
          s.steps.find((x) => x.id === 'sales-readiness')?.ref
        )
          break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await handle.executeUpdate(publishBundle, { args: [await signed(handle, publishBundle, {})] });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' })],
      });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'sales', by: 'nora' })],
      });
      await handle.executeUpdate(decideGoNoGo, {
        args: [await signed(handle, decideGoNoGo, { by: 'ana', decision: 'go' })],
      });
      const launchMorning = Date.parse(zonedDateTimeToInstant(launch, '11:00', cal.timezone));
      await env.sleep(launchMorning - (await env.currentTimeMs()));
      await handle.executeUpdate(markReleased, { args: [await signed(handle, markReleased, {})] });
      const finished = await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier3-lifecycle',
        'a whole Tier 3 lifecycle with the real activities against the sandbox',
      );
      return finished;
    });

    expect(result.phase).toBe('done');
    expect(result.flags).toEqual({
      late: false,
      atRisk: false,
      onHold: false,
      launchOverdue: false,
      integrationError: false,
    });
    expect(result.steps.every((s) => s.status === 'done')).toBe(true);

    const state = sandbox.snapshot();
    const pages = state.notion!.pages as {
      key: string;
      dataSource: string;
      properties: Record<string, unknown>;
    }[];
    const mine = (key: string) => key.startsWith(`release:${issueKey}:`);
    expect(
      pages
        .filter((p) => mine(p.key))
        .map((p) => p.key)
        .sort(),
    ).toEqual([
      `release:${issueKey}:bundle`,
      `release:${issueKey}:check-in`,
      `release:${issueKey}:release-log`,
    ]);
    expect(pages.find((p) => p.key === `release:${issueKey}:release-log`)!.properties.Status).toBe(
      'Released',
    );
    expect(pages.find((p) => p.key === `release:${issueKey}:bundle`)!.properties.Tier).toBe('Tier 3');

    const issues = state.jira!.issues as {
      key: string;
      parent: string | null;
      summary: string;
      assignee: string | null;
    }[];
    const subtasks = issues.filter((i) => i.parent === issueKey);
    expect(subtasks.map((i) => i.summary).sort()).toEqual([
      'Sales readiness: Usage-based billing',
      'Support readiness: Usage-based billing',
    ]);
    expect(subtasks.map((i) => i.assignee).sort()).toEqual(['Maya Lindqvist', 'Nora Fischer']);
    const comments = (state.jira!.comments as { issue: string; text: string }[]).filter(
      (c) => c.issue === issueKey,
    );
    expect(comments).toHaveLength(2);
    expect(comments[0]!.text).toContain(`launch ${launch}`);
    expect(comments[1]!.text).toContain('Any early issues');

    const events = (
      state.google!.events as {
        calendarId: string;
        id: string;
        status: string;
        summary: string;
        attendees: string;
      }[]
    ).filter(
      (e) =>
        e.id === calendarEventId(`release:${issueKey}:readiness-check`) ||
        e.id === calendarEventId(`release:${issueKey}:retro`),
    );
    expect(events.map((e) => [e.calendarId, e.summary, e.status]).sort()).toEqual([
      ['ana@northwind.example', 'Day-14 retro: Usage-based billing', 'confirmed'],
      ['ana@northwind.example', 'Launch Readiness Check: Usage-based billing', 'confirmed'],
    ]);
    expect(events[0]!.attendees).toContain('ivan@northwind.example');

    // The sender's mailbox holds one copy of each mail sent (recipients' inboxes hold theirs).
    const mails = sandbox.google.store
      .messages(config.integrations.google.sender)
      .filter((m) => m.subject.includes(issueKey));
    expect(mails.map((m) => m.subject)).toEqual([
      `[prodops] Day-3 check-in: Usage-based billing (${issueKey})`,
    ]);
    expect(mails[0]!.to.sort()).toEqual([
      'ana@northwind.example',
      'maya@northwind.example',
      'nora@northwind.example',
    ]);
  });
});
