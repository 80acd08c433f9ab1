/**
 * What the fault-injection run counts once a fault is over: workflows lost or stuck, artifacts
 * duplicated or missing, notices sent twice. Workflows are judged by the server (describe) and
 * by their own status queries; artifacts by the sandbox's records.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sandbox } from '../../sandbox/index';
import { leaveStatus } from '../../workflows/leave/messages';
import { onboardingStatus } from '../../workflows/onboarding/messages';
import { releaseStatus } from '../../workflows/release/messages';
import { renewalStatus } from '../../workflows/renewal/messages';
import { sandboxAudit } from '../../test/helpers/sandbox';
import type { Tracked } from './mix';

/** Runs `work` over `items`, `lanes` at a time. */
async function inLanes<T, R>(items: T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

interface Progress {
  busy: boolean;
  /** What it waits on, for the report of a stuck workflow. */
  waiting: string;
  /** Changes whenever the workflow moves: events added, activity attempts, task attempts. */
  fingerprint: string;
  status: string;
}

async function progressOf(client: Client, workflowId: string): Promise<Progress | null> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    const raw = described.raw;
    const pending = raw.pendingActivities ?? [];
    const task = raw.pendingWorkflowTask;
    const waiting = [
      ...pending.map(
        (a) =>
          `${a.activityType?.name ?? 'activity'} attempt ${a.attempt ?? 1}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`,
      ),
      ...(task ? [`workflow task attempt ${task.attempt ?? 1}`] : []),
    ].join('; ');
    return {
      busy: described.status.name === 'RUNNING' && (pending.length > 0 || !!task),
      waiting,
      fingerprint: [
        described.runId,
        described.historyLength,
        ...pending.map((a) => `${a.activityId}:${a.attempt}:${String(a.lastStartedTime?.seconds ?? '')}`),
        task ? `task:${task.attempt}` : '',
      ].join('|'),
      status: described.status.name,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

async function runningWorkflows(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
    ids.push(execution.workflowId);
  return ids;
}

/**
 * Waits until every workflow is idle (no workflow task, no activity in flight), or until none
 * has moved for `stallMs`, or `capMs` has passed. The workflows still busy then are stuck.
 */
export async function settle(
  client: Client,
  tracked: Tracked[],
  options: { stallMs: number; capMs: number; pollMs?: number },
): Promise<string[]> {
  const started = Date.now();
  const seen = new Map<string, string>();
  let lastMove = Date.now();
  let idleRounds = 0;
  for (;;) {
    // The acknowledged workflows, and every other one running: the routes that start them (a
    // Notion event's), the coordinators they call.
    const ids = new Set(tracked.map((t) => t.workflowId));
    for (const id of await runningWorkflows(client).catch(() => [])) ids.add(id);
    const states = await inLanes([...ids], 8, async (id) => ({
      id,
      progress: await progressOf(client, id).catch(() => undefined),
    }));
    const busy: string[] = [];
    for (const { id, progress } of states) {
      // The server did not answer (restarting): not idle, not moved.
      if (progress === undefined) {
        busy.push(id);
        continue;
      }
      if (progress === null) continue;
      if (seen.get(id) !== progress.fingerprint) {
        seen.set(id, progress.fingerprint);
        lastMove = Date.now();
      }
      if (progress.busy) busy.push(`${id}: ${progress.waiting}`);
    }
    idleRounds = busy.length === 0 ? idleRounds + 1 : 0;
    if (idleRounds >= 2) return [];
    if (Date.now() - lastMove >= options.stallMs || Date.now() - started >= options.capMs) return busy;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 2_000));
  }
}

/** Acknowledged workflows the server does not have, or that ended in failure. */
export async function lostWorkflows(client: Client, tracked: Tracked[]): Promise<string[]> {
  const lost = await inLanes(tracked, 8, async (t) => {
    const progress = await progressOf(client, t.workflowId);
    if (progress === null) return `${t.workflowId} (not found)`;
    if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(progress.status))
      return `${t.workflowId} (${progress.status})`;
    return null;
  });
  return lost.filter((l): l is string => l !== null);
}

interface SandboxRecords {
  jiraKeys: Set<string>;
  /** Comment ids, which a plan comment's step refers to. */
  jiraComments: Set<string>;
  notionPages: Set<string>;
  /** Event ids that stand (not cancelled), by `calendarId/id` and by id alone. */
  events: Set<string>;
}

function recordsOf(sandbox: Sandbox): SandboxRecords {
  const snapshot = sandbox.snapshot() as Record<string, Record<string, Record<string, unknown>[]>>;
  const jiraKeys = new Set((snapshot.jira?.issues ?? []).map((i) => String(i.key)));
  const jiraComments = new Set<string>();
  for (const comments of sandbox.jira.store.comments.values())
    for (const comment of comments) jiraComments.add(comment.id);
  const notionPages = new Set(
    (snapshot.notion?.pages ?? []).filter((p) => !p.inTrash).map((p) => String(p.id).replace(/-/g, '')),
  );
  const events = new Set<string>();
  for (const e of snapshot.google?.events ?? []) {
    if (e.status === 'cancelled') continue;
    events.add(String(e.id));
    events.add(`${String(e.calendarId).toLowerCase()}/${String(e.id)}`);
  }
  return { jiraKeys, jiraComments, notionPages, events };
}

const isJiraKey = (ref: string) => /^[A-Z][A-Z0-9]*-\d+$/.test(ref);
const pageId = (ref: string) => ref.replace(/-/g, '');

/** What the workflows' own status queries say exists, and the sandbox lacks. */
export async function missingArtifacts(
  client: Client,
  sandbox: Sandbox,
  tracked: Tracked[],
): Promise<string[]> {
  const records = recordsOf(sandbox);
  const exists = (ref: string) =>
    isJiraKey(ref)
      ? records.jiraKeys.has(ref)
      : records.jiraComments.has(ref) || records.notionPages.has(pageId(ref)) || records.events.has(ref);
  const missing = await inLanes(tracked, 6, async (t): Promise<string[]> => {
    const handle = client.workflow.getHandle(t.workflowId);
    const out: string[] = [];
    const expect = (
      what: string,
      ref: string | null | undefined,
      check: (ref: string) => boolean = exists,
    ) => {
      if (ref && !check(ref)) out.push(`${t.workflowId}: ${what} ${ref}`);
    };
    try {
      if (t.kind === 'release') {
        const status = await handle.query(releaseStatus);
        for (const step of status.steps)
          if (step.status === 'pending' || step.status === 'done') expect(step.id, step.ref);
      } else if (t.kind === 'leave') {
        const status = await handle.query(leaveStatus);
        for (const event of status.events)
          if (event.status === 'live')
            expect(event.kind, event.eventId, () =>
              records.events.has(`${event.calendarId.toLowerCase()}/${event.eventId}`),
            );
        expect('tracker row', status.trackerPageId, (ref) => records.notionPages.has(pageId(ref)));
      } else if (t.kind === 'onboarding') {
        const status = await handle.query(onboardingStatus);
        for (const task of status.tasks) expect(task.id, task.issueKey, (ref) => records.jiraKeys.has(ref));
        expect('tracker row', status.trackerPageId, (ref) => records.notionPages.has(pageId(ref)));
      } else {
        const status = await handle.query(renewalStatus);
        expect('row', status.notionPageId, (ref) => records.notionPages.has(pageId(ref)));
        expect('deadline event', status.artifacts.deadlineEvent);
        expect('Jira task', status.artifacts.jiraTask, (ref) => records.jiraKeys.has(ref));
      }
    } catch (error) {
      out.push(`${t.workflowId}: its status could not be read (${(error as Error).message})`);
    }
    return out;
  });
  return missing.flat();
}

/** Keys the sandbox holds more than once: artifacts, and notices (mails and comments). */
export interface Doubles {
  artifacts: Set<string>;
  notices: Set<string>;
  /** Artifacts made with prodops' credentials but no key: nothing could tell a twin of one. */
  unkeyed: number;
}

export async function doublesIn(sandboxUrl: string): Promise<Doubles> {
  const audit = await sandboxAudit(sandboxUrl);
  const artifacts = new Set<string>();
  const notices = new Set<string>();
  for (const a of audit.artifacts) {
    if (a.count <= 1) continue;
    const id = `${a.vendor} ${a.kind} ${a.key} ×${a.count}`;
    if (a.kind === 'mail' || a.kind === 'comment') notices.add(id);
    else artifacts.add(id);
  }
  return { artifacts, notices, unkeyed: audit.unkeyed };
}
