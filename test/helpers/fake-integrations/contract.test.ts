/**
 * The fakes keep the real activities' contract: each case runs once against the real activities
 * over the sandbox APIs and once against the fakes, and expects the same of both. Idempotency
 * keys (the same key twice is the same resource), refusals of bad input, what only the vendor
 * can refuse (no such issue, page or event) and how each failure is classified.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarActivities } from '../../../activities/calendar';
import { ErrorTypes } from '../../../activities/errors';
import type { GmailActivities } from '../../../activities/gmail';
import type { JiraActivities } from '../../../activities/jira';
import type { NotionActivities } from '../../../activities/notion';
import { workflowLabel } from '../../../contracts/ids';
import { jiraLabel } from '../../../contracts/node/idempotency';
import { addCalendarDays, localDateOf, zonedDateTimeToInstant } from '../../../domain/business-calendar';
import { startSandbox, type Sandbox } from '../../../sandbox/index';
import { secretsAsEnv } from '../../../triggers/secrets';
import { buildActivities } from '../../../workers/integrations';
import { SECRETS } from '../../triggers/fixtures';
import { loadExampleConfig } from '../config';
import { FakeIntegrations } from './index';

const config = loadExampleConfig();
const ANA = config.people.find((p) => p.id === 'ana')!;
const SENDER = config.integrations.google.sender!;
const RELEASE_LOG = config.integrations.notion.dataSources.releaseLog!;
const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;
/** A week ahead, away from anything seeded. */
const DAY = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 7);
/** Epoch ms of a time on DAY in London. */
const at = (time: string) => Date.parse(zonedDateTimeToInstant(DAY, time, 'Europe/London'));

interface Subject {
  jira: JiraActivities;
  notion: NotionActivities;
  calendar: CalendarActivities;
  gmail: GmailActivities;
  /** An issue a person made in Jira; its key. */
  seedIssue(issue: { summary: string; assigneeAccountId?: string; duedate?: string }): string;
  /** An attendee answers an invite on the organiser's calendar. */
  respond(calendarId: string, eventId: string, email: string, response: 'accepted' | 'declined'): void;
  close(): Promise<void>;
}

const subjects: Record<'sandbox' | 'fake', () => Promise<Subject>> = {
  async sandbox() {
    const sandbox: Sandbox = await startSandbox({ config });
    const built = buildActivities({
      config: () => config,
      sandboxUrl: sandbox.url,
      env: secretsAsEnv(SECRETS),
    });
    return {
      ...built.bySystem,
      calendar: built.bySystem.google,
      gmail: built.bySystem.google,
      seedIssue: (issue) =>
        sandbox.jira.store.createIssue(
          {
            project: { key: config.integrations.jira.projectKey },
            issuetype: { name: 'Task' },
            summary: issue.summary,
            ...(issue.assigneeAccountId ? { assignee: { accountId: issue.assigneeAccountId } } : {}),
            ...(issue.duedate ? { duedate: issue.duedate } : {}),
          },
          [],
          ANA.jiraAccountId!,
        ).key,
      respond: (calendarId, eventId, email, response) =>
        void sandbox.google.store.respondToEvent(calendarId, eventId, email, response),
      close: () => sandbox.close(),
    };
  },
  async fake() {
    const fakes = new FakeIntegrations(config);
    const { bySystem } = fakes.activities();
    return {
      ...bySystem,
      calendar: bySystem.google,
      gmail: bySystem.google,
      seedIssue: (issue) => fakes.jira.seedIssue(issue).key,
      respond: (calendarId, eventId, email, response) =>
        void fakes.calendar.respond(calendarId, eventId, email, response),
      close: async () => {},
    };
  },
};

async function failureOf(
  promise: Promise<unknown>,
): Promise<{ type: string | undefined; nonRetryable: boolean }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  return { type: failure.type ?? undefined, nonRetryable: failure.nonRetryable === true };
}

const permanent = (type: string) => ({ type, nonRetryable: true });
let serial = 0;
/** A key no other case uses, in either subject. */
const fresh = (what: string) => `contract:${what}:${serial++}:${Date.now()}`;

describe.each(['sandbox', 'fake'] as const)('%s', (name) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await subjects[name]();
  });
  afterAll(() => subject?.close());

  describe('Jira', () => {
    it('makes one sub-task per key, under the parent, in the configured type, labelled', async () => {
      const parent = subject.seedIssue({ summary: 'Saved filters' });
      const key = fresh('subtask');
      const input = { idempotencyKey: key, parentKey: parent, summary: 'Support readiness' };
      const first = await subject.jira.createIssue(input);
      const again = await subject.jira.createIssue(input);
      expect([first.created, again.created]).toEqual([true, false]);
      expect(again.key).toBe(first.key);
      const made = await subject.jira.getIssue({ issueKey: first.key });
      expect(made).toMatchObject({
        parentKey: parent,
        status: 'To Do',
        statusCategory: 'new',
        issueType: config.integrations.jira.subtaskIssueType,
      });
      expect(made.labels).toContain(jiraLabel(key));
      expect((await subject.jira.getIssue({ issueKey: parent })).subtasks).toEqual([
        { key: first.key, status: 'To Do' },
      ]);
    });

    it('refuses what Jira would refuse, permanently', async () => {
      expect(
        await failureOf(
          subject.jira.createIssue({
            idempotencyKey: fresh('missing'),
            parentKey: 'REL-99999',
            summary: 'x',
          }),
        ),
      ).toEqual(permanent(ErrorTypes.notFound));
      expect(
        await failureOf(
          subject.jira.createIssue({ idempotencyKey: fresh('two-lines'), summary: 'one\ntwo' }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
      expect(await failureOf(subject.jira.getIssue({ issueKey: 'REL-99999' }))).toEqual(
        permanent(ErrorTypes.notFound),
      );
      expect(await failureOf(subject.jira.getIssue({ issueKey: 'not a key' }))).toEqual(
        permanent(ErrorTypes.invalidInput),
      );
      expect(
        await failureOf(
          subject.jira.addComment({ idempotencyKey: fresh('c'), issueKey: 'REL-99999', body: 'x' }),
        ),
      ).toEqual(permanent(ErrorTypes.notFound));
    });

    it('comments once per key', async () => {
      const issueKey = subject.seedIssue({ summary: 'Usage-based billing' });
      const input = { idempotencyKey: fresh('comment'), issueKey, body: 'The plan:\n\nlaunch on Monday' };
      const first = await subject.jira.addComment(input);
      const again = await subject.jira.addComment(input);
      expect([first.created, again.created]).toEqual([true, false]);
      expect(again.id).toBe(first.id);
    });

    it('moves an issue along the workflow, once, and refuses a move it does not offer', async () => {
      const issueKey = subject.seedIssue({ summary: 'Dark mode' });
      const cancelled = config.integrations.jira.statuses.cancelled;
      expect(await subject.jira.transitionIssue({ issueKey, toStatus: cancelled.toUpperCase() })).toEqual({
        transitioned: true,
        status: cancelled,
      });
      expect(await subject.jira.transitionIssue({ issueKey, toStatus: cancelled })).toEqual({
        transitioned: false,
        status: cancelled,
      });
      expect(
        await failureOf(
          subject.jira.transitionIssue({ issueKey, toStatus: config.integrations.jira.statuses.released }),
        ),
      ).toEqual(permanent(ErrorTypes.conflict));
    });

    it('finds issues by assignee and due date, in order', async () => {
      const assigneeAccountId = config.people.find((p) => p.id === 'gita')!.jiraAccountId!;
      const due = (n: number) => addCalendarDays(DAY, n);
      const later = subject.seedIssue({ summary: 'Later', assigneeAccountId, duedate: due(2) });
      const sooner = subject.seedIssue({ summary: 'Sooner', assigneeAccountId, duedate: due(1) });
      subject.seedIssue({ summary: 'Too late', assigneeAccountId, duedate: due(30) });
      const found = await subject.jira.searchIssues({
        jql: `assignee = "${assigneeAccountId}" AND duedate >= "${due(0)}" AND duedate <= "${due(3)}" ORDER BY duedate ASC`,
      });
      expect(found.issues.map((i) => [i.key, i.duedate])).toEqual([
        [sooner, due(1)],
        [later, due(2)],
      ]);
      expect(found.truncated).toBe(false);
    });

    it('creates, re-dates, moves and comments in batches, each item settled on its own', async () => {
      const legal = config.teams.find((t) => t.id === 'legal')!.jiraProjectKey!;
      const made = {
        idempotencyKey: fresh('batch'),
        projectKey: legal,
        summary: 'Contract and NDA',
        duedate: DAY,
        workflowId: 'onboarding:contract-test',
      };
      const created = await subject.jira.createIssues({
        issues: [made, { ...made, idempotencyKey: fresh('batch'), projectKey: 'NOPE' }, made],
      });
      expect(created.results.map((r) => (r.ok ? r.value.created : r.type))).toEqual([
        true,
        ErrorTypes.badRequest,
        false,
      ]);
      const issueKey = (created.results[0] as { ok: true; value: { key: string } }).value.key;
      expect(issueKey.startsWith(`${legal}-`)).toBe(true);
      expect((await subject.jira.getIssue({ issueKey })).labels).toEqual(
        expect.arrayContaining([jiraLabel(made.idempotencyKey), workflowLabel(made.workflowId)]),
      );

      const later = addCalendarDays(DAY, 3);
      const updated = await subject.jira.updateIssues({
        updates: [
          { issueKey, duedate: later },
          { issueKey, duedate: later },
        ],
      });
      expect(updated.results).toEqual([
        { ok: true, value: { issueKey, changed: true } },
        { ok: true, value: { issueKey, changed: false } },
      ]);
      expect((await subject.jira.getIssue({ issueKey })).duedate).toBe(later);
      expect(await failureOf(subject.jira.updateIssue({ issueKey }))).toEqual(
        permanent(ErrorTypes.invalidInput),
      );

      const cancelled = config.integrations.jira.statuses.cancelled;
      const moved = await subject.jira.transitionIssues({
        transitions: [
          { issueKey, toStatus: cancelled },
          { issueKey, toStatus: config.integrations.jira.statuses.released },
        ],
      });
      expect(moved.results.map((r) => (r.ok ? r.value.transitioned : r.type))).toEqual([
        true,
        ErrorTypes.conflict,
      ]);
      const comment = { idempotencyKey: fresh('batch-comment'), issueKey, body: 'Due tomorrow.' };
      const comments = await subject.jira.addComments({ comments: [comment, comment] });
      expect(comments.results.map((r) => r.ok && r.value.created)).toEqual([true, false]);
    });

    it('keeps issue properties', async () => {
      const issueKey = subject.seedIssue({ summary: 'Properties' });
      expect(await subject.jira.getIssueProperty({ issueKey, propertyKey: 'prodops.test' })).toEqual({
        found: false,
        value: null,
      });
      await subject.jira.setIssueProperty({ issueKey, propertyKey: 'prodops.test', value: { n: 1 } });
      expect(await subject.jira.getIssueProperty({ issueKey, propertyKey: 'prodops.test' })).toEqual({
        found: true,
        value: { n: 1 },
      });
    });
  });

  describe('Notion', () => {
    it('makes one row per key and brings it up to date', async () => {
      const key = fresh('row');
      const input = {
        idempotencyKey: key,
        dataSourceId: RELEASE_LOG,
        properties: { Name: { title: 'Usage-based billing' }, Status: { select: 'Planned' } },
      };
      const first = await subject.notion.upsertPage(input);
      const again = await subject.notion.upsertPage({ ...input, properties: { Status: { select: 'Late' } } });
      expect([first.created, again.created]).toEqual([true, false]);
      expect(again.id).toBe(first.id);
      const page = await subject.notion.getPage({ pageId: first.id });
      expect(page.properties).toMatchObject({
        Name: 'Usage-based billing',
        Status: 'Late',
        'prodops key': key,
      });
      expect(page.inTrash).toBe(false);
      const { rows } = await subject.notion.queryDataSource({
        dataSourceId: RELEASE_LOG,
        filter: { property: 'prodops key', rich_text: { equals: key } },
      });
      expect(rows.map((r) => r.id)).toEqual([first.id]);
    });

    it('appends content once, however often it is asked', async () => {
      const { id } = await subject.notion.upsertPage({
        idempotencyKey: fresh('bundle'),
        dataSourceId: BUNDLES,
        properties: { Name: { title: 'Bundle' }, Status: { status: 'Draft' } },
        content: [{ type: 'heading_2', text: 'Support' }],
      });
      const content = [
        { type: 'heading_2' as const, text: 'Rollback and mitigation' },
        { type: 'paragraph' as const, text: 'Flip the flag off.' },
      ];
      const input = { idempotencyKey: fresh('append'), pageId: id, content };
      expect(await subject.notion.appendContent(input)).toEqual({ appended: 2, alreadyPresent: 0 });
      expect(await subject.notion.appendContent(input)).toEqual({ appended: 0, alreadyPresent: 2 });
    });

    it('refuses what Notion would refuse, permanently', async () => {
      expect(
        await failureOf(
          subject.notion.upsertPage({
            idempotencyKey: fresh('bad'),
            dataSourceId: 'release-log',
            properties: {},
          }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
      expect(
        await failureOf(
          subject.notion.updatePage({
            pageId: '0f0f0f0f-0000-4000-8000-000000000000',
            properties: { Status: { select: 'Late' } },
          }),
        ),
      ).toEqual(permanent(ErrorTypes.notFound));
      expect(
        await failureOf(
          subject.notion.upsertPage({
            idempotencyKey: fresh('key'),
            dataSourceId: RELEASE_LOG,
            properties: { 'prodops key': { rich_text: 'mine' } },
          }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
    });

    it('lists every person of the organisation as a workspace user', async () => {
      const { users } = await subject.notion.listUsers();
      const emails = users.filter((u) => u.type === 'person').map((u) => u.email);
      expect(emails).toEqual(expect.arrayContaining(config.people.map((p) => p.email)));
    });

    it('says whether the listing carries emails', async () => {
      expect((await subject.notion.listUsers()).emailsWithheld).toBe(false);
    });
  });

  describe('Calendar', () => {
    const event = (key: string, summary = 'Launch Readiness Check') => ({
      idempotencyKey: key,
      calendarId: ANA.email,
      summary,
      start: `${DAY}T10:00`,
      end: `${DAY}T10:30`,
      timeZone: 'Europe/London',
      attendees: [{ email: 'Maya@northwind.example' }],
    });

    it('makes one event per key, changes it only when asked for something new', async () => {
      const key = fresh('event');
      const first = await subject.calendar.upsertEvent(event(key));
      const same = await subject.calendar.upsertEvent(event(key));
      const moved = await subject.calendar.upsertEvent(event(key, 'Launch Readiness Check (moved)'));
      expect([first, same, moved].map((r) => [r.created, r.updated])).toEqual([
        [true, false],
        [false, false],
        [false, true],
      ]);
      expect(new Set([first.id, same.id, moved.id]).size).toBe(1);
      const { event: read } = await subject.calendar.getEvent({ calendarId: ANA.email, idempotencyKey: key });
      expect(read).toMatchObject({
        id: first.id,
        status: 'confirmed',
        summary: 'Launch Readiness Check (moved)',
        attendees: [{ email: 'maya@northwind.example', responseStatus: 'needsAction' }],
        extendedProperties: { private: { prodopsKey: key } },
      });
      expect(Date.parse(read!.start!.dateTime!)).toBe(at('10:00'));
    });

    it('deletes once, and the same key restores the event', async () => {
      const key = fresh('deleted');
      await subject.calendar.upsertEvent(event(key));
      const ref = { calendarId: ANA.email, idempotencyKey: key };
      expect(await subject.calendar.deleteEvent(ref)).toEqual({ deleted: true });
      expect(await subject.calendar.deleteEvent(ref)).toEqual({ deleted: false });
      expect(
        await subject.calendar.deleteEvent({ calendarId: ANA.email, idempotencyKey: fresh('never') }),
      ).toEqual({
        deleted: false,
      });
      const restored = await subject.calendar.upsertEvent(event(key));
      expect([restored.created, restored.updated]).toEqual([false, true]);
      expect((await subject.calendar.getEvent(ref)).event?.status).toBe('confirmed');
    });

    it('makes and deletes several events in one call, each by its key', async () => {
      const [one, two] = [fresh('batch-event'), fresh('batch-event')];
      const made = await subject.calendar.upsertEvents({ events: [event(one), event(two), event(one)] });
      expect(made.results.map((r) => r.ok && [r.value.created, r.value.updated])).toEqual([
        [true, false],
        [true, false],
        [false, false],
      ]);
      const gone = await subject.calendar.deleteEvents({
        events: [
          { calendarId: ANA.email, idempotencyKey: one },
          { calendarId: ANA.email, idempotencyKey: one },
        ],
      });
      expect(gone.results).toEqual([
        { ok: true, value: { deleted: true } },
        { ok: true, value: { deleted: false } },
      ]);
      const { event: kept } = await subject.calendar.getEvent({ calendarId: ANA.email, idempotencyKey: two });
      expect(kept?.status).toBe('confirmed');
    });

    it('keeps the answers of attendees who stay when the attendees change', async () => {
      const key = fresh('answered');
      const { id } = await subject.calendar.upsertEvent(event(key));
      subject.respond(ANA.email, id, 'maya@northwind.example', 'accepted');
      const patched = await subject.calendar.patchEvent({
        calendarId: ANA.email,
        idempotencyKey: key,
        attendees: [{ email: 'maya@northwind.example' }, { email: 'nora@northwind.example' }],
      });
      expect(patched.attendees.map((a) => [a.email, a.responseStatus])).toEqual([
        ['maya@northwind.example', 'accepted'],
        ['nora@northwind.example', 'needsAction'],
      ]);
      expect(
        await failureOf(
          subject.calendar.patchEvent({ calendarId: ANA.email, idempotencyKey: fresh('none'), summary: 'x' }),
        ),
      ).toEqual(permanent(ErrorTypes.notFound));
    });

    it('refuses what Calendar would refuse, permanently', async () => {
      expect(
        await failureOf(
          subject.calendar.upsertEvent({ ...event(fresh('bad')), attendees: [{ email: 'not an address' }] }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
      const key = fresh('typed');
      await subject.calendar.upsertEvent(event(key));
      expect(
        await failureOf(
          subject.calendar.upsertEvent({ ...event(key), attendees: [], eventType: 'outOfOffice' }),
        ),
      ).toEqual(permanent(ErrorTypes.conflict));
    });

    it('makes an out-of-office block over times, and refuses one over whole days', async () => {
      const key = fresh('away');
      const away = { ...event(key, 'Away'), attendees: [], eventType: 'outOfOffice' as const };
      const made = await subject.calendar.upsertEvent(away);
      expect(made.created).toBe(true);
      expect((await subject.calendar.upsertEvent(away)).created).toBe(false);
      expect(
        await failureOf(
          subject.calendar.upsertEvent({ ...away, idempotencyKey: fresh('whole'), start: DAY, end: DAY }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
      expect(
        await failureOf(
          subject.calendar.upsertEvent({
            ...event(fresh('meeting')),
            outOfOffice: { autoDeclineMode: 'declineNone' },
          }),
        ),
      ).toEqual(permanent(ErrorTypes.invalidInput));
    });

    it('lists a single event as its own only instance, within the window', async () => {
      const key = fresh('single');
      const { id } = await subject.calendar.upsertEvent(event(key));
      const all = await subject.calendar.listInstances({ calendarId: ANA.email, eventId: id });
      expect([all.found, all.events.map((e) => e.id)]).toEqual([true, [id]]);
      const later = await subject.calendar.listInstances({
        calendarId: ANA.email,
        eventId: id,
        timeMin: new Date(at('11:00')).toISOString(),
      });
      expect([later.found, later.events]).toEqual([true, []]);
      await subject.calendar.deleteEvent({ calendarId: ANA.email, idempotencyKey: key });
      const deleted = await subject.calendar.listInstances({ calendarId: ANA.email, eventId: id });
      expect([deleted.found, deleted.events]).toEqual([true, []]);
      const unknown = await subject.calendar.listInstances({
        calendarId: ANA.email,
        eventId: 'nosucheventatall0000',
      });
      expect([unknown.found, unknown.events]).toEqual([false, []]);
    });

    it('counts an opaque event as busy, within the window asked about', async () => {
      const key = fresh('busy');
      await subject.calendar.upsertEvent({ ...event(key), start: `${DAY}T13:00`, end: `${DAY}T15:00` });
      const [from, to] = [new Date(at('14:00')).toISOString(), new Date(at('18:00')).toISOString()];
      const { calendars } = await subject.calendar.freeBusy({
        timeMin: from,
        timeMax: to,
        calendars: [ANA.email],
      });
      expect(calendars[ANA.email]!.busy.map((b) => [Date.parse(b.start), Date.parse(b.end)])).toContainEqual([
        Date.parse(from),
        Date.parse(from) + 3600_000,
      ]);
    });

    it('lists what changed since a sync token, deletions included', async () => {
      const { nextSyncToken } = await subject.calendar.listChanges({ calendarId: ANA.email });
      const kept = await subject.calendar.upsertEvent(event(fresh('kept')));
      const gone = fresh('gone');
      const removed = await subject.calendar.upsertEvent(event(gone));
      await subject.calendar.deleteEvent({ calendarId: ANA.email, idempotencyKey: gone });
      const changes = await subject.calendar.listChanges({ calendarId: ANA.email, syncToken: nextSyncToken });
      expect(changes.fullResync).toBe(false);
      const byId = new Map(changes.events.map((e) => [e.id, e.status]));
      expect([byId.get(kept.id), byId.get(removed.id)]).toEqual(['confirmed', 'cancelled']);
      const full = await subject.calendar.listChanges({ calendarId: ANA.email });
      expect(full.fullResync).toBe(true);
      expect(full.events.map((e) => e.id)).toContain(kept.id);
      expect(full.events.map((e) => e.id)).not.toContain(removed.id);
    });
  });

  describe('Gmail', () => {
    const mail = (key: string) => ({
      idempotencyKey: key,
      from: SENDER,
      to: [ANA.email],
      subject: '[prodops] Day-3 check-in',
      text: 'How is it going?',
      html: '<p>How is it going?</p>',
    });

    it('sends one mail per key, with the Message-ID the key gives', async () => {
      const key = fresh('mail');
      const first = await subject.gmail.sendMail(mail(key));
      const again = await subject.gmail.sendMail(mail(key));
      expect([first.sent, again.sent]).toEqual([true, false]);
      expect(again.messageId).toBe(first.messageId);
      expect(again.id).toBe(first.id);
    });

    it('refuses an address that is none, permanently', async () => {
      expect(await failureOf(subject.gmail.sendMail({ ...mail(fresh('bad')), to: ['ana'] }))).toEqual(
        permanent(ErrorTypes.invalidInput),
      );
    });
  });
});

describe('the fakes, beyond the contract', () => {
  it('fail a call as the vendor would, classified as the real activity classifies it', async () => {
    const fakes = new FakeIntegrations(config);
    const { jira } = fakes.activities().bySystem;
    const parentKey = fakes.jira.seedIssue({ summary: 'Saved filters' }).key;
    const input = { idempotencyKey: fresh('outage'), parentKey, summary: 'Sales readiness' };
    fakes.log.failNext((call) => call.name === 'createIssue', { status: 503, retryAfterSeconds: 30 });
    const outage = await jira.createIssue(input).then(
      () => undefined,
      (e: unknown) => e as ApplicationFailure,
    );
    expect(outage).toMatchObject({ type: ErrorTypes.unavailable, nonRetryable: false });
    expect(outage?.nextRetryDelay).toBe('30s');
    expect((await jira.createIssue(input)).created).toBe(true);
    expect(fakes.log.calls).toEqual([
      `jira.createIssue ${input.idempotencyKey}`,
      `jira.createIssue ${input.idempotencyKey}`,
    ]);
  });

  it('keep a call in flight until released', async () => {
    const fakes = new FakeIntegrations(config);
    const { google } = fakes.activities().bySystem;
    const held = fakes.log.hold((call) => call.name === 'sendMail');
    let sent = false;
    const sending = google
      .sendMail({
        idempotencyKey: fresh('held'),
        from: SENDER,
        to: [ANA.email],
        subject: 's',
        text: 't',
        html: 'h',
      })
      .then(() => (sent = true));
    await held.reached;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([sent, fakes.gmail.mails.length]).toEqual([false, 0]);
    held.release();
    await sending;
    expect(fakes.gmail.mailsTo(ANA.email)).toHaveLength(1);
  });
});
