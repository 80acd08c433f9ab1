/**
 * A freelancer engagement end to end with the real activities, through the real client
 * libraries, against the sandbox APIs, with the trigger gateway in front: from the intake page
 * someone adds in Notion (a signed page.created event) to the closed tracker row. Every team's
 * task is moved to Done in its own Jira project and the signed webhook carries it back; time
 * skips over the weeks in between. The run's history is the one the replay test replays and
 * the actions bench counts: PRODOPS_RECORD_HISTORY=onboarding writes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { calendarEventId } from '../../../contracts/node/idempotency';
import {
  addWorkingDays,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import type { Sandbox } from '../../../sandbox/index';
import {
  registerSimulationRoutes,
  simulateFreelancerIntake,
  simulateJiraStatus,
} from '../../../sandbox/simulate/simulation';
import { jiraDelivery, notionDelivery, sendVendorRequest } from '../../../sandbox/simulate/vendor-events';
import type { Gateway } from '../../../triggers/gateway';
import type { notionEventWorkflow } from '../../../workflows/notion-event/workflow';
import {
  letEnd,
  onboardingStatus,
  onboardingWorkflowId,
  type OnboardingStatus,
} from '../../../workflows/onboarding/messages';
import { loadExampleConfig } from '../../helpers/config';
import { signAs, withOperators } from '../../helpers/operators';
import { eventually } from '../../helpers/eventually';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import { SECRETS } from '../../triggers/fixtures';

/** Every person an operator with their own key; commands are signed by whoever gives them. */
const operators = withOperators(loadExampleConfig());
const config = operators.config;
const FIRST_WEEK = config.integrations.notion.dataSources.firstWeekPages!;
const SENDER = config.integrations.google.sender!;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let gateway: Gateway;

beforeAll(async () => {
  stack = await startStack({
    config,
    sandbox: true,
    workers: 'sandbox',
    gateway: true,
    rateLimits: { jira: 100, notion: 100, google: 100 },
  });
  ({ env, sandbox, gateway } = stack);
  registerSimulationRoutes(sandbox);
});
afterAll(() => stack?.stop());

const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => eventually(probe, what);

async function skipTo(date: CalendarDate, time: string): Promise<void> {
  const target = Date.parse(zonedDateTimeToInstant(date, time, 'Europe/London'));
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

describe('onboarding end to end', () => {
  it('goes from the Notion intake page to the closed tracker row', async () => {
    const cal = resolveBusinessCalendar(config, 'london', {
      from: new Date().getUTCFullYear() - 1,
      to: new Date().getUTCFullYear() + 2,
    });
    const today = localDateOf(await env.currentTimeMs(), cal.timezone);
    const start = addWorkingDays(cal, today, 20);
    const end = addWorkingDays(cal, start, 45);
    const notion = sandbox.notion.store;
    const jira = sandbox.jira.store;

    // Ana adds the intake page in Notion; the subscription delivers page.created, signed.
    const created = await simulateFreelancerIntake(sandbox.url, config, {
      name: 'Jo Park',
      email: 'jo.park@studio.example',
      role: 'product_designer',
      team: 'growth',
      manager: 'ana',
      country: 'GB',
      start,
      end,
      tools: ['figma', 'jira'],
    });
    const pageId = created.entity.id;
    expect(created.authors).toEqual([{ id: notion.userIdFor('ana'), type: 'person' }]);
    const intake = await sendVendorRequest(gateway.url, notionDelivery(created, SECRETS.notion[0]!));
    expect(intake.status).toBe(200);

    const routed = env.client.workflow.getHandle(`notion-event:${created.id}`);
    expect(await routed.result()).toMatchObject({ route: 'freelancers', outcome: 'signalled' });
    await recordHistory(
      routed,
      'notion-event',
      'freelancer-intake',
      'a freelancer intake page starts its onboarding by signal-with-start',
    );
    const workflowId = onboardingWorkflowId('jo.park');
    const handle = env.client.workflow.getHandle(workflowId);
    const statusWhere = (test: (s: OnboardingStatus) => boolean, what: string) =>
      until(what, async () => {
        const s = await handle.query(onboardingStatus);
        return test(s) ? s : undefined;
      });
    const tasksOf = (s: OnboardingStatus, kind: string) =>
      s.tasks.filter((t) => t.kind === kind || t.id === kind);
    /** The task's owner moves it to Done in Jira; the signed webhook reaches the engagement. */
    const moveToDone = async (issueKey: string, as: string) => {
      for (const payload of await simulateJiraStatus(sandbox.url, config, {
        key: issueKey,
        status: 'Done',
        as,
      }))
        expect((await sendVendorRequest(gateway.url, jiraDelivery(payload, SECRETS.jira[0]!))).status).toBe(
          200,
        );
    };

    let s = await statusWhere(
      (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
      'the contract tasks',
    );
    const plan = s.plan!;
    expect(s.phase).toBe('contract');
    await until('the row taken in', async () =>
      (notion.page(pageId)?.properties.Status as { status?: { name: string } }).status?.name === 'Onboarding'
        ? true
        : undefined,
    );
    for (const t of s.tasks) await moveToDone(t.issueKey!, t.owner === 'finance' ? 'felix' : 'lucia');
    s = await statusWhere((x) => tasksOf(x, 'access-approval')[0]?.issueKey != null, 'the security task');
    expect(s.tasks.filter((t) => t.kind !== 'access-approval').every((t) => t.doneBy?.via === 'jira')).toBe(
      true,
    );
    await moveToDone(tasksOf(s, 'access-approval')[0]!.issueKey!, 'sofia');
    s = await statusWhere(
      (x) => tasksOf(x, 'provision').filter((t) => t.issueKey).length === 2,
      'the IT tasks',
    );
    for (const t of tasksOf(s, 'provision')) await moveToDone(t.issueKey!, 'kai');
    await statusWhere((x) => x.phase === 'day-one', 'day one');

    await skipTo(plan.buddyDue, '12:00');
    await statusWhere(
      (x) => x.events.review !== null && x.firstWeekPageUrl !== null,
      'the day-one artifacts',
    );
    await skipTo(plan.welcomeSession, '12:00');
    await statusWhere((x) => x.phase === 'ramp-up', 'ramp-up');
    await skipTo(plan.extensionDecisionDue!, '12:00');
    await statusWhere((x) => x.phase === 'offboarding', 'offboarding');
    await handle.executeUpdate(letEnd, {
      args: [
        signAs(
          operators.keys,
          'ana',
          handle.workflowId,
          letEnd,
          { by: 'ana', via: 'cli' as const },
          await env.currentTimeMs(),
        ),
      ],
    });
    s = await statusWhere(
      (x) =>
        tasksOf(x, 'revoke').filter((t) => t.issueKey).length === 2 &&
        tasksOf(x, 'final-invoice')[0]?.issueKey != null,
      'the offboarding tasks',
    );
    await skipTo(plan.accessRevokedBy!, '11:00');
    for (const t of tasksOf(s, 'revoke')) await moveToDone(t.issueKey!, 'kai');
    await moveToDone(tasksOf(s, 'final-invoice')[0]!.issueKey!, 'felix');
    const result = (await handle.result()) as OnboardingStatus;
    await recordHistory(
      handle,
      'onboarding',
      'e2e-notion-to-closed-checked',
      'a whole engagement from the Notion intake page to the closed row, against the sandbox, each task done read back from Jira and every command and event checked',
    );

    expect(result.phase).toBe('closed');
    expect(result.flags).toEqual({ startAtRisk: false, revocationOverdue: false, integrationError: false });
    expect(result.decisions.map((d) => [d.what, d.by, d.via])).toEqual([['let-end', 'ana', 'cli']]);

    // The intake page is the tracker row, closed; the first-week page exists once.
    expect((notion.page(pageId)!.properties.Status as { status: { name: string } }).status.name).toBe(
      'Closed',
    );
    const firstWeek = notion.pages(FIRST_WEEK);
    expect(firstWeek).toHaveLength(1);
    expect(notion.blockTexts(firstWeek[0]!.id).join('\n')).toContain('Ben Adeyemi is the onboarding buddy');

    // Nine tasks, each in its team's project, assigned to its lead, dated from the plan, each once.
    const issues = [...jira.issues.values()].filter((i) => i.labels.includes(`prodops-wf:${workflowId}`));
    expect(issues.map((i) => [i.projectKey, i.summary.split(':')[0]]).sort()).toEqual(
      [
        ['FIN', 'Approve the final invoice'],
        ['FIN', 'Vendor record and purchase order'],
        ['IT', 'Provision Figma'],
        ['IT', 'Provision Jira'],
        ['IT', 'Revoke Figma'],
        ['IT', 'Revoke Jira'],
        ['LEGAL', 'Contract and NDA'],
        ['LEGAL', 'IR35 status determination (GB)'],
        ['SEC', 'Approve the access scope'],
      ].sort(),
    );
    const lead = (id: string) => config.people.find((p) => p.id === id)!.jiraAccountId;
    expect(issues.find((i) => i.summary.startsWith('Contract'))).toMatchObject({
      assigneeAccountId: lead('lucia'),
      duedate: plan.contractDue,
    });
    expect(issues.find((i) => i.summary.startsWith('Revoke Figma'))).toMatchObject({
      assigneeAccountId: lead('kai'),
      duedate: plan.accessRevokedBy,
    });
    expect(issues.every((i) => jira.statusById(i.statusId).name === 'Done')).toBe(true);

    // The welcome session, check-in and review, once each on the sender's calendar.
    const google = sandbox.google.store;
    const event = (kind: string) =>
      google.event(SENDER, calendarEventId(`onboarding:jo.park:${start}:${kind}`)) as
        { status: string; summary: string; attendees: { email: string }[] } | undefined;
    expect(event('welcome')).toMatchObject({ status: 'confirmed', summary: 'Welcome session: Jo Park' });
    expect(event('checkIn')).toMatchObject({ status: 'confirmed' });
    expect(event('review')).toMatchObject({ status: 'confirmed' });
    expect(
      event('welcome')!
        .attendees.map((a) => a.email)
        .sort(),
    ).toEqual(['ana@northwind.example', 'ben@northwind.example', 'jo.park@studio.example']);

    const mails = google
      .messages(SENDER)
      .map((m) => m.subject)
      .sort();
    expect(mails).toEqual([
      'Welcome, Jo Park: your first week',
      `[prodops] Jo Park's contract ends on ${end}: extend or let it end?`,
    ]);
  });

  it('refuses a bad intake on the page itself, starts nothing, and ignores edits made by an integration', async () => {
    const notion = sandbox.notion.store;
    const cal = resolveBusinessCalendar(config, 'london', {
      from: new Date().getUTCFullYear(),
      to: new Date().getUTCFullYear() + 1,
    });
    const start = addWorkingDays(cal, localDateOf(await env.currentTimeMs(), cal.timezone), 20);
    const bad = await simulateFreelancerIntake(sandbox.url, config, {
      name: 'Sam Lee',
      email: 'sam.lee@studio.example',
      team: 'design',
      manager: 'ana',
      country: 'GB',
      start,
      end: addWorkingDays(cal, start, 20),
      tools: ['figma', 'photoshop'],
    });
    const send = async (event: typeof bad) => {
      expect((await sendVendorRequest(gateway.url, notionDelivery(event, SECRETS.notion[0]!))).status).toBe(
        200,
      );
      return env.client.workflow.getHandle<typeof notionEventWorkflow>(`notion-event:${event.id}`).result();
    };
    expect(await send(bad)).toMatchObject({ route: 'freelancers', outcome: 'ignored' });
    const note = (
      notion.page(bad.entity.id)!.properties.Note as { rich_text: { plain_text: string }[] }
    ).rich_text
      .map((t) => t.plain_text)
      .join('');
    expect(note).toMatch(/^Not started: team: "design" is not a team .*; tools: "photoshop" is not a tool/);
    const described = await env.client.workflow
      .getHandle(onboardingWorkflowId('sam.lee'))
      .describe()
      .catch(() => null);
    expect(described).toBeNull();
    // prodops' own write to the row comes back as an event authored by the integration: ignored.
    const echo = {
      ...bad,
      id: crypto.randomUUID(),
      type: 'page.properties_updated',
      authors: [{ id: 'bot-1', type: 'bot' as const }],
    };
    expect(await send(echo)).toMatchObject({
      outcome: 'ignored',
      detail: 'an edit made by an integration, not a person',
    });
  });
});
