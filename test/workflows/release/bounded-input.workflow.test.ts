/**
 * Whoever starts a release (a Jira webhook, a command) writes its product area and title. The
 * area becomes a search attribute, a Notion select and part of a mail subject; the title a mail
 * subject and a page title. A release started with several lines, control characters or a
 * thousand characters in them keeps one short line of each, and nothing it sends carries more.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProductArea } from '../../../domain/search-attributes';
import { MAX_LABEL_LENGTH } from '../../../domain/commands';
import { addWorkingDays, localDateOf } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import { releaseStatus, releaseWorkflowId } from '../../../workflows/release/messages';
import { MAX_TITLE_LENGTH, releaseWorkflow } from '../../../workflows/release/workflow';
import { loadExampleConfig } from '../../helpers/config';
import { queryUntil, until } from '../../helpers/eventually';
import { NO_RATE_LIMITS, startStack, type Stack } from '../../helpers/stack';
import { FakeWorld } from './fake-world';

const config = loadExampleConfig();
let stack: Stack;

// The dev server: the time-skipping one keeps no custom search attributes to read back.
beforeAll(async () => {
  stack = await startStack({ config, temporal: 'dev-server', rateLimits: NO_RATE_LIMITS });
});
afterAll(() => stack?.stop());

it('keeps one bounded line of a multi-line product area and title, in its status, its search attribute and its mail', async () => {
  const world = new FakeWorld(config);
  const issueKey = 'REL-4242';
  world.releaseIssue(issueKey);
  const year = new Date().getUTCFullYear();
  const london = resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 3 });
  const today = localDateOf(await stack.env.currentTimeMs(), london.timezone);
  const productArea = `Growth\r\nBcc: everyone@northwind.example\u0000\u202e${'x'.repeat(1_000)}`;
  const title = `Usage alerts\nSubject: injected\t${'y'.repeat(1_000)}`;

  await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
    const handle = await stack.env.client.workflow.start(releaseWorkflow, {
      taskQueue,
      workflowId: releaseWorkflowId(issueKey),
      // Tier 2 launching in three working days: late at once, so the PM is mailed straight away.
      args: [
        { issueKey, tier: 2, launchDate: addWorkingDays(london, today, 3), pmId: 'ana', productArea, title },
      ],
    });
    track(handle);
    const status = await queryUntil(handle, releaseStatus, (s) => s.flags.late, 'the release to be late');

    expect(status.productArea).toMatch(/^Growth Bcc: everyone@northwind\.example x+$/);
    expect(status.productArea!.length).toBe(MAX_LABEL_LENGTH);
    expect(status.title).toMatch(/^Usage alerts Subject: injected y+$/);
    expect(status.title.length).toBe(MAX_TITLE_LENGTH);

    // Upserted at the end of the workflow task that planned the release.
    const indexed = await until('the product area to be indexed', async () =>
      (await handle.describe()).typedSearchAttributes.get(ProductArea),
    );
    expect(indexed).toBe(status.productArea);

    const mails = world.mails.filter((m) => m.subject.includes(issueKey));
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      for (const forbidden of ['\r', '\n', '\u0000', '\u202e']) expect(mail.subject).not.toContain(forbidden);
      expect(mail.subject).not.toContain('Bcc:');
    }
  });
});
