/**
 * The Jira function: an admin webhook (`jira:issue_created`, `jira:issue_updated`,
 * `jira:issue_deleted`) becomes signals to the release workflow `release:<KEY>`.
 *
 * - the tier or launch-date field set or changed on a release issue: `tierChanged` /
 *   `launchMoved`, signal-with-start, so the first such change starts the release;
 * - the issue moved to the released or cancelled status: `released` / `releaseCancelled`;
 * - a Support or Sales readiness sub-task moved to done: `readinessConfirmed`, by the person whose
 *   Jira account made the change;
 * - a task of a freelancer's onboarding (in whichever team's project: it carries the label
 *   `workflowLabel(onboarding:<id>)`) moved to done: `taskDone` to that engagement, with the Jira
 *   account that moved it.
 *
 * Jira retries for about half an hour, so deliveries come late, twice and out of order: each
 * signal carries Jira's `timestamp` as `occurredAt` (the workflow ignores an event older than
 * what it has applied) and the webhook identifier as `deliveryId` (it ignores a repeat).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import {
  readinessSubtaskKey,
  releaseTombstoneId,
  releaseWorkflowId,
  workflowIdOfLabel,
  type ReadinessTeam,
} from '../contracts/ids';
import { hasControlCharacters, MAX_LABEL_LENGTH, oneLine } from '../domain/commands';
import { jiraLabel } from '../contracts/node/idempotency';
import { localDateOf } from '../domain/business-calendar';
import type { OrgConfig, PersonConfig } from '../domain/config';
import { isRealDate } from '../domain/values';
import type { Tier } from '../domain/release-plan';
import {
  launchMoved,
  readinessConfirmed,
  releaseCancelled,
  released,
  tierChanged,
  type ReleaseInput,
} from '../workflows/release/messages';
import { taskDone } from '../workflows/onboarding/messages';
import { RecentlyWithoutTombstone, type RecentDeliveries } from './dedup';
import {
  accepted,
  eventAgeProblem,
  failure,
  header,
  HttpError,
  ignored,
  parseJson,
  requireJsonContentType,
  requirePost,
  requireSize,
  validate,
  type TriggerHandler,
  type TriggerRequest,
} from './http';
import { verifyBodySignature } from './verify';
import type { DispatchOutcome, WorkflowPort } from './workflows';

/** The release workflow's registered type name (the exported function's name). */
export const RELEASE_WORKFLOW_TYPE = 'releaseWorkflow';

export const JIRA_SIGNATURE_HEADER = 'x-hub-signature';
export const JIRA_DELIVERY_HEADER = 'x-atlassian-webhook-identifier';

const AccountRef = z.looseObject({ accountId: z.string().min(1).max(128) }).nullish();

const ChangelogItem = z.looseObject({
  field: z.string().max(255).nullish(),
  fieldId: z.string().max(255).nullish(),
  from: z.string().max(65_536).nullish(),
  fromString: z.string().max(65_536).nullish(),
  to: z.string().max(65_536).nullish(),
  toString: z.string().max(65_536).nullish(),
});
type ChangelogItem = z.infer<typeof ChangelogItem>;

const IssueKey = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/, 'must be an issue key such as REL-12');

const IssueFields = z.looseObject({
  summary: z.string().max(65_536).nullish(),
  project: z.looseObject({ key: z.string().max(100) }).nullish(),
  issuetype: z.looseObject({ name: z.string().max(255).nullish(), subtask: z.boolean().nullish() }).nullish(),
  parent: z.looseObject({ key: IssueKey }).nullish(),
  status: z.looseObject({ name: z.string().max(255) }).nullish(),
  labels: z.array(z.string().max(255)).max(1000).nullish(),
  assignee: AccountRef,
  reporter: AccountRef,
});

export const JiraWebhook = z.looseObject({
  timestamp: z
    .number()
    .int('must be milliseconds since the epoch')
    .positive('must be milliseconds since the epoch')
    .max(8_640_000_000_000_000, 'is not a time'),
  webhookEvent: z.string().min(1).max(200),
  user: AccountRef,
  issue: z
    .looseObject({
      id: z.string().max(100).nullish(),
      key: IssueKey,
      fields: IssueFields.nullish(),
    })
    .nullish(),
  changelog: z
    .looseObject({
      id: z.union([z.string().max(100), z.number()]).nullish(),
      items: z.array(ChangelogItem).max(1000).nullish(),
    })
    .nullish(),
});
export type JiraWebhook = z.infer<typeof JiraWebhook>;

const ISSUE_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted']);

/** One signal the event leads to; `start` is set where the signal may start the release. */
export interface PlannedSignal {
  workflowId: string;
  signal: string;
  payload: Record<string, unknown>;
  start?: ReleaseInput;
}

export interface JiraPlan {
  signals: PlannedSignal[];
  /** Why parts of the event lead nowhere, in words for the webhook log. */
  ignored: string[];
}

/** "2", 2, "Tier 2" or a select option `{ value: "Tier 2" }`; null when empty, undefined when unreadable. */
export function parseTier(value: unknown): Tier | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  const raw = typeof value === 'object' && !Array.isArray(value) && 'value' in value ? value.value : value;
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const match = /^\s*(?:tier\s*)?([123])\s*$/i.exec(String(raw));
  return match ? (Number(match[1]) as Tier) : undefined;
}

/** A date field's value: YYYY-MM-DD, possibly followed by a time; null when empty. */
export function parseLaunchDate(value: unknown): string | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') return undefined;
  const date = value.slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && isRealDate(date) ? date : undefined;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (value && typeof value === 'object' && 'value' in value) {
    const inner = value.value;
    return typeof inner === 'string' ? inner.trim() || undefined : undefined;
  }
  return undefined;
}

const sameName = (a: string | null | undefined, b: string) =>
  typeof a === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

function personByAccount(config: OrgConfig, accountId: string | undefined): PersonConfig | undefined {
  return accountId === undefined ? undefined : config.people.find((p) => p.jiraAccountId === accountId);
}

/** Decides what an authentic, well-formed webhook means for the releases. Pure. */
export function planJiraEvent(event: JiraWebhook, config: OrgConfig, deliveryId: string): JiraPlan {
  const plan: JiraPlan = { signals: [], ignored: [] };
  if (!ISSUE_EVENTS.has(event.webhookEvent)) {
    plan.ignored.push(`${event.webhookEvent} events start nothing`);
    return plan;
  }
  const issue = event.issue;
  if (!issue) throw new HttpError(400, `issue: is required for ${event.webhookEvent}`);
  const jira = config.integrations.jira;
  const fields = issue.fields ?? {};
  const custom = fields as Record<string, unknown>;
  const owner = (fields.labels ?? []).map(workflowIdOfLabel).find((id) => id !== undefined);
  if (owner) return planWorkflowTask(event, config, deliveryId, owner);
  const project = fields.project?.key ?? issue.key.slice(0, issue.key.lastIndexOf('-'));
  if (project !== jira.projectKey) {
    plan.ignored.push(`${issue.key} is not in the ${jira.projectKey} project`);
    return plan;
  }
  const occurredAt = event.timestamp;
  const signalId = (name: string) => `jira:${deliveryId}:${name}`;
  const items: ChangelogItem[] = event.changelog?.items ?? [];
  // An issue under an epic has a parent too: only the issue type says what a sub-task is.
  const isSubtask = fields.issuetype?.subtask ?? Boolean(fields.parent?.key);

  const statusItem = items.find((i) => sameName(i.fieldId ?? i.field, 'status'));
  const newStatus = statusItem ? (statusItem.toString ?? undefined) : undefined;

  if (isSubtask) {
    const parentKey = fields.parent?.key;
    if (!statusItem) {
      plan.ignored.push(`${issue.key} is a sub-task and its status did not change`);
    } else if (!parentKey) {
      plan.ignored.push(`${issue.key} is a sub-task without a parent in the webhook`);
    } else if (!sameName(newStatus, jira.statuses.done)) {
      plan.ignored.push(
        `${issue.key} moved to "${newStatus ?? 'an unknown status'}", not ${jira.statuses.done}`,
      );
    } else {
      const team = readinessTeam(parentKey, fields.labels ?? [], fields.summary ?? '');
      const by = personByAccount(config, event.user?.accountId ?? undefined);
      if (!team) plan.ignored.push(`${issue.key} is not a Support or Sales readiness sub-task`);
      else if (!by)
        plan.ignored.push(
          `${issue.key} was moved to ${jira.statuses.done} by Jira account ${event.user?.accountId ?? '(none)'}, who is nobody in the configuration`,
        );
      else
        plan.signals.push({
          workflowId: releaseWorkflowId(parentKey),
          signal: readinessConfirmed.name,
          payload: { team, by: by.id, occurredAt, deliveryId: signalId(readinessConfirmed.name) },
        });
    }
    return plan;
  }

  if (event.webhookEvent === 'jira:issue_deleted') {
    plan.signals.push({
      workflowId: releaseWorkflowId(issue.key),
      signal: releaseCancelled.name,
      payload: {
        reason: 'the Jira issue was deleted',
        occurredAt,
        deliveryId: signalId(releaseCancelled.name),
      },
    });
    return plan;
  }

  const created = event.webhookEvent === 'jira:issue_created';
  const tierField = jira.fields.tier;
  const launchField = jira.fields.launchDate;
  const itemFor = (fieldId: string | undefined) =>
    fieldId === undefined ? undefined : items.find((i) => i.fieldId === fieldId);
  const tierItem = itemFor(tierField);
  const launchItem = itemFor(launchField);

  let tier = tierField ? parseTier(custom[tierField]) : null;
  let launchDate = launchField ? parseLaunchDate(custom[launchField]) : null;
  // The changelog tells what this event set; the issue in the payload may already be newer.
  if (tierItem) tier = parseTier(tierItem.toString ?? tierItem.to) ?? tier;
  if (launchItem)
    launchDate = parseLaunchDate(launchItem.to) ?? parseLaunchDate(launchItem.toString) ?? launchDate;

  const changes: PlannedSignal[] = [];
  if (created || tierItem) {
    if (tier === undefined) {
      const raw = tierItem ? (tierItem.toString ?? tierItem.to) : custom[tierField!];
      plan.ignored.push(`tier ${JSON.stringify(raw)} is not 1, 2 or 3`);
    } else if (tier !== null) {
      changes.push({
        workflowId: releaseWorkflowId(issue.key),
        signal: tierChanged.name,
        payload: { tier, occurredAt, deliveryId: signalId(tierChanged.name) },
      });
    } else if (tierItem) {
      plan.ignored.push('the tier was cleared: a release keeps its last tier');
    }
  }
  if (created || launchItem) {
    if (launchDate === undefined) {
      plan.ignored.push('the launch date is not a date written YYYY-MM-DD');
    } else if (launchDate !== null) {
      changes.push({
        workflowId: releaseWorkflowId(issue.key),
        signal: launchMoved.name,
        payload: { launchDate, occurredAt, deliveryId: signalId(launchMoved.name) },
      });
    } else if (launchItem) {
      plan.ignored.push('the launch date was cleared: a release keeps its last launch date');
    }
  }

  if (changes.length > 0) {
    const finishedStatus = [jira.statuses.released, jira.statuses.cancelled].find((s) =>
      sameName(fields.status?.name, s),
    );
    const assignee = personByAccount(config, fields.assignee?.accountId);
    const pm = assignee ?? personByAccount(config, fields.reporter?.accountId);
    const snapshotTier = tierField ? (parseTier(custom[tierField]) ?? tier) : tier;
    const snapshotLaunch = launchField ? (parseLaunchDate(custom[launchField]) ?? launchDate) : launchDate;
    let start: ReleaseInput | undefined;
    if (finishedStatus) {
      plan.ignored.push(`${issue.key} is ${finishedStatus}: a change reaches its release but starts none`);
    } else if (!pm) {
      plan.ignored.push(
        `nobody in the configuration has the Jira account of the assignee (${fields.assignee?.accountId ?? 'none'}) or the reporter (${fields.reporter?.accountId ?? 'none'}): no release starts`,
      );
    } else if (!snapshotTier || !snapshotLaunch) {
      plan.ignored.push(
        `${issue.key} has no ${snapshotTier ? 'launch date' : 'tier'} yet: no release starts`,
      );
    } else {
      const area = jira.fields.productArea ? textOf(custom[jira.fields.productArea]) : undefined;
      // It becomes a search attribute, a Notion select and part of mail subjects: one short line.
      const productArea =
        area !== undefined && (area.length > MAX_LABEL_LENGTH || hasControlCharacters(area))
          ? undefined
          : area;
      if (area !== undefined && productArea === undefined)
        plan.ignored.push(
          `the product area is not one line of at most ${MAX_LABEL_LENGTH} characters: the release starts without one`,
        );
      const title = oneLine(fields.summary ?? undefined, 255);
      start = {
        issueKey: issue.key,
        tier: snapshotTier,
        launchDate: snapshotLaunch,
        pmId: pm.id,
        ...(productArea ? { productArea } : {}),
        ...(title ? { title } : {}),
      };
    }
    for (const change of changes) plan.signals.push(start ? { ...change, start } : change);
  }

  if (statusItem) {
    if (sameName(newStatus, jira.statuses.released)) {
      const pm = personByAccount(config, fields.assignee?.accountId ?? undefined);
      const zone = pm ? config.calendars[pm.calendar]?.timezone : undefined;
      plan.signals.push({
        workflowId: releaseWorkflowId(issue.key),
        signal: released.name,
        payload: {
          ...(zone ? { releasedOn: localDateOf(occurredAt, zone) } : {}),
          occurredAt,
          deliveryId: signalId(released.name),
        },
      });
    } else if (sameName(newStatus, jira.statuses.cancelled)) {
      const who = personByAccount(config, event.user?.accountId ?? undefined);
      plan.signals.push({
        workflowId: releaseWorkflowId(issue.key),
        signal: releaseCancelled.name,
        payload: {
          reason: `moved to ${jira.statuses.cancelled} in Jira${who ? ` by ${who.name}` : ''}`,
          occurredAt,
          deliveryId: signalId(releaseCancelled.name),
        },
      });
    }
  }
  if (plan.signals.length === 0 && plan.ignored.length === 0)
    plan.ignored.push(`nothing prodops follows changed on ${issue.key}`);
  return plan;
}

/**
 * A task a workflow made and labelled with its id: its move to done is the dependency met. Only
 * onboarding labels its tasks so far; a label naming any other workflow routes nowhere.
 */
function planWorkflowTask(
  event: JiraWebhook,
  config: OrgConfig,
  deliveryId: string,
  workflowId: string,
): JiraPlan {
  const plan: JiraPlan = { signals: [], ignored: [] };
  const issueKey = event.issue!.key;
  if (!workflowId.startsWith('onboarding:')) {
    plan.ignored.push(`${issueKey} belongs to ${workflowId}, which follows no Jira task`);
    return plan;
  }
  const done = config.integrations.jira.statuses.done;
  const status = (event.changelog?.items ?? []).find((i) => sameName(i.fieldId ?? i.field, 'status'));
  if (event.webhookEvent !== 'jira:issue_updated' || !status) {
    plan.ignored.push(`${issueKey} is a task of ${workflowId}: only its move to ${done} is followed`);
    return plan;
  }
  if (!sameName(status.toString, done)) {
    plan.ignored.push(`${issueKey} moved to "${status.toString ?? 'an unknown status'}", not ${done}`);
    return plan;
  }
  const accountId = event.user?.accountId ?? undefined;
  const person = personByAccount(config, accountId);
  plan.signals.push({
    workflowId,
    signal: taskDone.name,
    payload: {
      issueKey,
      ...(person ? { personId: person.id } : {}),
      ...(accountId ? { jiraAccountId: accountId } : {}),
      occurredAt: event.timestamp,
      deliveryId: `jira:${deliveryId}:${taskDone.name}`,
    },
  });
  return plan;
}

function readinessTeam(parentKey: string, labels: string[], summary: string): ReadinessTeam | null {
  // The label is what the release workflow put there; the summary is a person's fallback.
  if (labels.includes(jiraLabel(readinessSubtaskKey(parentKey, 'support')))) return 'support';
  if (labels.includes(jiraLabel(readinessSubtaskKey(parentKey, 'sales')))) return 'sales';
  if (/^\s*support readiness\b/i.test(summary)) return 'support';
  if (/^\s*sales readiness\b/i.test(summary)) return 'sales';
  return null;
}

/** Runs the planned signals; the answer lists what each one did. */
export async function dispatchPlan(
  plan: { signals: PlannedSignal[]; ignored: string[] },
  workflows: WorkflowPort,
  workflowType: string,
  withoutTombstone?: RecentlyWithoutTombstone,
): Promise<{
  results: { workflowId: string; signal: string; outcome: DispatchOutcome }[];
  ignored: string[];
}> {
  const results: { workflowId: string; signal: string; outcome: DispatchOutcome }[] = [];
  const notes = [...plan.ignored];
  const tombstoned = new Map<string, boolean>();
  for (const planned of plan.signals) {
    if (planned.start) {
      // A release that ended leaves a tombstone: however late or replayed, an event does not start
      // it again (after its own history has left retention, rejectIfClosed no longer can).
      const key = planned.start.issueKey;
      if (!tombstoned.has(key))
        tombstoned.set(key, !withoutTombstone?.has(key) && (await workflows.exists(releaseTombstoneId(key))));
      if (!tombstoned.get(key)) withoutTombstone?.remember(key);
      if (tombstoned.get(key)) {
        notes.push(`release:${key} has ended (${releaseTombstoneId(key)}): ${planned.signal} starts nothing`);
        delete planned.start;
      }
    }
    const outcome = planned.start
      ? await workflows.signalWithStart({
          workflowType,
          workflowId: planned.workflowId,
          args: [planned.start],
          signal: planned.signal,
          signalArgs: [planned.payload],
          rejectIfClosed: true,
        })
      : await workflows.signal({
          workflowId: planned.workflowId,
          signal: planned.signal,
          args: [planned.payload],
        });
    results.push({ workflowId: planned.workflowId, signal: planned.signal, outcome });
    if (outcome === 'not-found')
      notes.push(`${planned.workflowId} is not running: ${planned.signal} went nowhere`);
    if (outcome === 'closed')
      notes.push(`${planned.workflowId} has finished: ${planned.signal} went nowhere`);
  }
  return { results, ignored: notes };
}

export interface JiraTriggerDeps {
  config: OrgConfig;
  secrets: readonly string[];
  workflows: WorkflowPort;
  recent?: RecentDeliveries;
  /** The clock event ages are judged by (tests set it). */
  now?: () => number;
  /** Releases recently found without a tombstone; a new one per handler by default. */
  withoutTombstone?: RecentlyWithoutTombstone;
}

export function deliveryIdOf(req: TriggerRequest, body: Buffer): string {
  const given = header(req, JIRA_DELIVERY_HEADER)?.trim();
  if (given && given.length <= 200) return given;
  // Without Jira's identifier a byte-identical redelivery is still recognised.
  return `sha256-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
}

export function createJiraHandler(deps: JiraTriggerDeps): TriggerHandler {
  const withoutTombstone = deps.withoutTombstone ?? new RecentlyWithoutTombstone();
  return async (req) => {
    requirePost(req);
    const body = requireSize(req);
    if (!verifyBodySignature(header(req, JIRA_SIGNATURE_HEADER), body, deps.secrets))
      return failure(401, 'missing or invalid X-Hub-Signature');
    requireJsonContentType(req);
    const event = validate(JiraWebhook, parseJson(body), 'Jira webhook');
    const deliveryId = deliveryIdOf(req, body);
    const stale = eventAgeProblem(
      event.timestamp,
      (deps.now ?? Date.now)(),
      deps.config.integrations.jira.maxEventAgeMinutes,
    );
    if (stale) return ignored(stale, { delivery: deliveryId });
    const earlier = deps.recent?.get(`jira:${deliveryId}`);
    if (earlier) return accepted({ ...earlier, duplicate: true });
    const plan = planJiraEvent(event, deps.config, deliveryId);
    if (plan.signals.length === 0) return ignored(plan.ignored.join('; '), { delivery: deliveryId });
    const { results, ignored: notes } = await dispatchPlan(
      plan,
      deps.workflows,
      RELEASE_WORKFLOW_TYPE,
      withoutTombstone,
    );
    const answer: Record<string, unknown> = {
      delivery: deliveryId,
      results,
      ...(notes.length > 0 ? { ignored: notes.join('; ') } : {}),
    };
    deps.recent?.remember(`jira:${deliveryId}`, answer);
    return accepted(answer);
  };
}
