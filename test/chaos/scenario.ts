/**
 * The work the fault cases run on the dev server with the real activities against the sandbox:
 * a Tier 3 release taken to its go decision (readiness sub-tasks, plan comment, bundle and
 * release-log pages, readiness-check and retro events, the bundle published, both teams ready),
 * and a leave request taken from its out-of-office event to a confirmed booking (invites
 * accepted, the tracker row, the buddy's covering event, the hand-over and confirmation mail).
 * Every workflow it starts is handed to `track`; `settle` waits until none of them has work in
 * flight, so that the sandbox's audit then sees everything they will ever make.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { OrgConfig } from '../../domain/config';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  type CalendarDate,
} from '../../domain/business-calendar';
import { resolveAllCalendars, resolveBusinessCalendar } from '../../domain/holidays';
import type { Sandbox } from '../../sandbox/index';
import type { SandboxAudit } from '../../sandbox/audit';
import {
  inviteAnswered,
  leaveCoordinatorId,
  leaveStatus,
  leaveWorkflowId,
} from '../../workflows/leave/messages';
import {
  confirmReadiness,
  decideGoNoGo,
  publishBundle,
  releaseStatus,
  releaseWorkflowId,
  type ReleaseStatus,
} from '../../workflows/release/messages';
import { releaseWorkflow } from '../../workflows/release/workflow';
import { loadExampleConfig } from '../helpers/config';
import { signAs, withOperators } from '../helpers/operators';
import { startLeaveFromOutOfOffice } from '../helpers/leave-from-calendar';

const example = loadExampleConfig();
/** No blackout weeks (the leave would be refused for them), and rate limits that do not slow a test. */
export const operators = withOperators({
  ...example,
  leave: { ...example.leave, blackouts: [] },
  integrations: { ...example.integrations, rateLimits: { notion: 50, jira: 50, google: 50 } },
});
export const chaosConfig: OrgConfig = operators.config;

export const RELEASE_KEY = 'REL-1';
export const LEAVE_PERSON = 'gita';
const SENDER = chaosConfig.integrations.google.sender!;
const person = (id: string) => chaosConfig.people.find((p) => p.id === id)!;

/**
 * A Monday three weeks or more ahead; it and the next day are working days everywhere, outside
 * the example's blackout weeks (a worker run on the example file itself still sees them).
 */
export function quietMonday(): CalendarDate {
  const year = new Date().getUTCFullYear();
  const calendars = Object.values(resolveAllCalendars(chaosConfig, { from: year, to: year + 2 }));
  const blackedOut = (d: CalendarDate) => example.leave.blackouts.some((b) => b.from <= d && d <= b.to);
  let monday = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 21);
  for (;;) {
    const days = [0, 1].map((n) => addCalendarDays(monday, n));
    const quiet = (d: CalendarDate) => !blackedOut(d) && calendars.every((c) => isWorkingDay(c, d));
    if (weekdayOf(monday) === 'mon' && days.every(quiet)) return monday;
    monday = addCalendarDays(monday, 1);
  }
}

/**
 * Queries until `predicate` holds. A query that fails (no worker polling while one is being
 * replaced) is asked again: the crash case queries across the gap.
 */
async function queryUntil<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T>,
  predicate: (answer: T) => boolean,
  what: string,
  { attempts, intervalMs }: { attempts: number; intervalMs: number },
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const answer = await handle.query(query);
      if (predicate(answer)) return answer;
      last = answer;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `${what}: not reached; last answer ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}

export interface ScenarioRun {
  client: Client;
  taskQueue: string;
  sandbox: Sandbox;
  track: (...handles: WorkflowHandle[]) => void;
  /** How long to wait for each step; longer under a storm, whose retries back off. */
  patienceMs?: number;
}

/** Starts the release (as `start` does when a Jira trigger fires) and waits for its first artifacts. */
export async function startRelease(run: ScenarioRun): Promise<WorkflowHandle<typeof releaseWorkflow>> {
  const cal = resolveBusinessCalendar(chaosConfig, 'london', {
    from: new Date().getUTCFullYear() - 1,
    to: new Date().getUTCFullYear() + 2,
  });
  const launch = addWorkingDays(cal, localDateOf(Date.now(), cal.timezone), 15);
  const handle = await run.client.workflow.start(releaseWorkflow, {
    taskQueue: run.taskQueue,
    workflowId: releaseWorkflowId(RELEASE_KEY),
    args: [
      {
        issueKey: RELEASE_KEY,
        tier: 3,
        launchDate: launch,
        pmId: 'ana',
        title: 'Usage-based billing',
        productArea: 'Billing',
      },
    ],
  });
  run.track(handle);
  return handle;
}

const releaseMade = (s: ReleaseStatus) =>
  ['plan-comment', 'support-readiness', 'sales-readiness', 'bundle', 'release-log', 'day-14-retro'].every(
    (id) => s.steps.find((x) => x.id === id)?.ref !== undefined,
  );

/** Takes the release to its go decision through signed commands, as the command line sends them. */
export async function driveRelease(run: ScenarioRun, handle: WorkflowHandle): Promise<void> {
  const attempts = Math.ceil((run.patienceMs ?? 30_000) / 100);
  await queryUntil(handle, releaseStatus, releaseMade, 'the release artifacts', {
    attempts,
    intervalMs: 100,
  });
  const signed = async <T extends object>(update: UpdateDefinition<ReleaseStatus, [T]>, command: T) =>
    handle.executeUpdate(update, {
      args: [
        signAs(
          operators.keys,
          (command as { by?: string }).by ?? 'priya',
          handle.workflowId,
          update,
          command,
          Date.now(),
        ),
      ],
    });
  await signed(publishBundle, {});
  await signed(confirmReadiness, { team: 'support', by: 'maya' });
  await signed(confirmReadiness, { team: 'sales', by: 'nora' });
  await signed(decideGoNoGo, { by: 'ana', decision: 'go' });
}

/** The leave, from gita's out-of-office event to both invites accepted and the booking made. */
export async function driveLeave(run: ScenarioRun): Promise<WorkflowHandle> {
  const attempts = Math.ceil((run.patienceMs ?? 30_000) / 100);
  const gita = person(LEAVE_PERSON);
  const first = quietMonday();
  const workflowId = leaveWorkflowId(LEAVE_PERSON, first);
  const google = run.sandbox.google.store;
  run.track(run.client.workflow.getHandle(leaveCoordinatorId(gita.team)));
  const { handle } = await startLeaveFromOutOfOffice({
    client: run.client,
    taskQueue: run.taskQueue,
    google,
    person: { id: LEAVE_PERSON, email: gita.email },
    first,
  });
  run.track(handle);
  await queryUntil(
    handle,
    leaveStatus,
    (s) => s.phase === 'awaiting-confirmation' && s.trackerPageId !== null,
    'the invites',
    { attempts, intervalMs: 100 },
  );
  const invites = google
    .events(SENDER)
    .filter(
      (e) =>
        (e.extendedProperties as { private: Record<string, string> }).private.prodopsWorkflowId ===
          workflowId && e.status === 'confirmed',
    ) as { id: string; attendees: { email: string }[] }[];
  for (const who of [person('hugo'), person('hana')]) {
    const invite = invites.find((e) => e.attendees.some((a) => a.email === who.email));
    if (!invite) throw new Error(`no invite for ${who.id} among ${invites.length}`);
    const answered = google.respondToEvent(SENDER, invite.id, who.email, 'accepted') as { updated: string };
    await handle.signal(inviteAnswered, {
      calendarId: SENDER,
      eventId: invite.id,
      attendeeEmail: who.email,
      response: 'accepted',
      occurredAt: Date.parse(answered.updated),
    });
  }
  await queryUntil(
    handle,
    leaveStatus,
    (s) => s.phase === 'confirmed' && s.notices.some((n) => n.kind === 'handover'),
    'the booking',
    { attempts, intervalMs: 100 },
  );
  return handle;
}

/** Runs the release and the leave side by side. */
export async function runScenario(run: ScenarioRun): Promise<void> {
  const release = await startRelease(run);
  await Promise.all([driveRelease(run, release), driveLeave(run)]);
}

/**
 * Waits until no tracked workflow has an activity or a workflow task in flight, three looks in a
 * row, so that whatever they were doing when the scenario ended has reached the vendors.
 */
export async function settle(handles: WorkflowHandle[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let quiet = 0; quiet < 3;) {
    if (Date.now() > deadline) throw new Error('the workflows did not settle');
    let busy = false;
    for (const handle of handles) {
      const described = await handle.describe().catch(() => null);
      if (described?.status.name !== 'RUNNING') continue;
      if ((described.raw.pendingActivities ?? []).length > 0 || described.raw.pendingWorkflowTask)
        busy = true;
    }
    quiet = busy ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The audit as `vendor kind key × count` lines, for comparing one run with another. */
export function artifactLines(audit: SandboxAudit): string[] {
  return audit.artifacts.map((a) => `${a.vendor} ${a.kind} ${a.key} ×${a.count}`).sort();
}
