/**
 * Jira Cloud activities over jira.js 6 (REST v3): read issues, search with the enhanced
 * `/search/jql` endpoint, create issues and sub-tasks, comment, transition and keep issue
 * properties.
 *
 * Creates are idempotent. Every issue made for an idempotency key carries the label
 * `jiraLabel(key)` and the issue property `prodops.idempotency` = `{ key }`, both set in the
 * create request itself; every comment carries the same property. A retry looks first:
 *   - a sub-task among its parent's `subtasks` (read by id, strongly consistent), then the
 *     candidates' properties through bulk fetch (also by id);
 *   - a top-level issue by JQL on the label. Jira's search index trails writes by seconds, at
 *     times minutes, so this is the one look-up that is eventually consistent: a retry (which may
 *     follow a create whose answer was lost) keeps looking for a bounded time before creating.
 *     Should a twin be made all the same, the first look-up that sees both keeps the first made
 *     and closes the other as its duplicate. The property, not the label, decides: a clone
 *     copies labels.
 *   - a comment among the issue's comments (paginated), its properties read through
 *     `POST /comment/list`, the one place Jira documents them.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createCloudClient, type SchemaMismatchBehavior } from 'jira.js';
import { isRealDate, type OrgConfig } from '../domain/config';
import {
  ErrorTypes,
  callIntegration,
  invalidInput,
  runBatch,
  type BatchOutcome,
  type OperationContext,
} from './errors';
import { workflowLabel } from '../contracts/ids';
import { jiraLabel } from '../contracts/node/idempotency';
import { JIRA_KEY_PROPERTY } from '../contracts/stamps';

export type { BatchOutcome };

export type JiraClient = ReturnType<typeof createCloudClient>;
export type JiraIntegrationConfig = OrgConfig['integrations']['jira'];
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JiraClientOptions {
  /** `https://<site>.atlassian.net`, or the sandbox URL. */
  host: string;
  /** With `apiToken`: basic auth (PRODOPS_JIRA_EMAIL / PRODOPS_JIRA_API_TOKEN). */
  email?: string;
  /** Without `email`: sent as a bearer token (OAuth 2.0 access token). */
  apiToken?: string;
  /** What jira.js does when a response does not match its schema; tests set 'throw'. */
  onSchemaMismatch?: SchemaMismatchBehavior;
}

export function createJiraClient(options: JiraClientOptions): JiraClient {
  const auth =
    options.email && options.apiToken
      ? ({ type: 'basic', email: options.email, apiToken: options.apiToken } as const)
      : options.apiToken
        ? ({ type: 'bearer', token: options.apiToken } as const)
        : undefined;
  return createCloudClient({
    host: options.host,
    ...(auth ? { auth } : {}),
    // One attempt per call: Temporal's retry policy (and Retry-After via nextRetryDelay) governs retries.
    retry: { maxAttempts: 1 },
    onSchemaMismatch: options.onSchemaMismatch ?? 'warn',
  });
}

export interface JiraActivityDeps {
  client: JiraClient;
  jira: JiraIntegrationConfig;
  /** The attempt of the running activity; by default Temporal's, and 1 outside an activity. */
  attempt?: () => number;
  /**
   * How long a retried create keeps looking in search before it creates (search trails writes),
   * and how often it looks. Defaults: 40 s every 4 s, inside the one-minute activity timeout.
   */
  searchSettle?: { waitMs: number; pollMs: number };
  /**
   * How long the running attempt has left before its start-to-close timeout, in ms; by default
   * Temporal's, and unbounded outside an activity. The wait in search stops in time to create.
   */
  timeLeftMs?: () => number;
  /** Waits between looks; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Where a problem that does not fail the call is reported; by default the activity's log. */
  warn?: (message: string) => void;
}

export const DEFAULT_SEARCH_SETTLE = { waitMs: 40_000, pollMs: 4_000 };
/**
 * What a retried create keeps of its attempt for the last look, the create and closing twins:
 * against a slow Jira, waiting out the full settle would end in a timeout, and the next attempt
 * would wait again rather than create.
 */
export const CREATE_RESERVE_MS = 15_000;

/** The running activity's attempt number, or 1 when not called as an activity (tests, tools). */
function temporalAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * The running attempt's time before its start-to-close timeout, counted from when it was
 * scheduled (a little less than it really has); unbounded when not called as an activity.
 */
function temporalTimeLeftMs(): number {
  try {
    const { startToCloseTimeoutMs, currentAttemptScheduledTimestampMs } = Context.current().info;
    return currentAttemptScheduledTimestampMs + startToCloseTimeoutMs - Date.now();
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function temporalWarn(message: string): void {
  try {
    Context.current().log.warn(message);
  } catch {
    console.warn(message);
  }
}

/** An issue as workflows see it. */
export interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  /** The status name, for example "In Progress". */
  status: string;
  /** Jira's status category: new, indeterminate or done. */
  statusCategory: string | null;
  issueType: string;
  parentKey: string | null;
  labels: string[];
  assigneeAccountId: string | null;
  /** YYYY-MM-DD. */
  duedate: string | null;
  /** The values of the requested extra fields, by field id, as Jira returns them (null when empty). */
  fields: Record<string, JsonValue>;
  subtasks: { key: string; status: string }[];
}

export interface GetIssueInput {
  issueKey: string;
  /** Extra field ids to return, for example the configured tier custom field. */
  fields?: string[];
}

export interface SearchIssuesInput {
  jql: string;
  fields?: string[];
  /** The most issues to return across all pages (default 1000, at most 5000). */
  maxResults?: number;
}

export interface SearchIssuesResult {
  issues: JiraIssue[];
  /** True when more issues matched than maxResults allowed. */
  truncated: boolean;
}

export interface CreateIssueInput {
  idempotencyKey: string;
  /** Defaults to the configured project. */
  projectKey?: string;
  /**
   * Defaults to Task, or to the configured sub-task type when `parentKey` is given (a sub-task
   * must be of that type).
   */
  issueType?: string;
  summary: string;
  /** Plain text; paragraphs separated by blank lines. */
  description?: string;
  parentKey?: string;
  labels?: string[];
  assigneeAccountId?: string;
  /** YYYY-MM-DD. */
  duedate?: string;
  /** Further fields by id, in Jira's value shapes (a select as `{ value: "2" }`, a date as YYYY-MM-DD). */
  fields?: Record<string, JsonValue>;
  /**
   * The workflow the issue belongs to: labelled `workflowLabel(workflowId)`, so that the Jira
   * function can route the issue's webhooks to it whichever project it is in.
   */
  workflowId?: string;
}

export interface CreateIssueResult {
  key: string;
  id: string;
  /** False when an earlier attempt had already made it. */
  created: boolean;
  /**
   * Twins of the issue found in search and closed as its duplicates: made by attempts that could
   * not yet see the first one in Jira's search, which trails writes.
   */
  duplicatesClosed?: string[];
}

export interface AddCommentInput {
  idempotencyKey: string;
  issueKey: string;
  /** Plain text; paragraphs separated by blank lines, single newlines kept as line breaks. */
  body: string;
}

export interface AddCommentResult {
  id: string;
  created: boolean;
}

export interface TransitionIssueInput {
  issueKey: string;
  /** The target status name (case-insensitive). */
  toStatus: string;
  /**
   * The resolution to set when the transition's screen has one; by default the one
   * `integrations.jira.resolutions` names for the target status.
   */
  resolution?: string;
}

export interface TransitionIssueResult {
  /** False when the issue was already in that status (including after an earlier attempt). */
  transitioned: boolean;
  status: string;
}

export interface UpdateIssueInput {
  issueKey: string;
  /** YYYY-MM-DD, or null to clear it. */
  duedate?: string | null;
  /** A Jira account id, or null to unassign. */
  assigneeAccountId?: string | null;
}

export interface GetIssuePropertyInput {
  issueKey: string;
  propertyKey: string;
}

export interface GetIssuePropertyResult {
  found: boolean;
  value: JsonValue | null;
}

export interface SetIssuePropertyInput {
  issueKey: string;
  propertyKey: string;
  value: JsonValue;
}

export interface SetIssuePropertyResult {
  issueKey: string;
  propertyKey: string;
}

const ISSUE_KEY = /^[A-Z][A-Z0-9_]+-\d+$/;
const PROJECT_KEY = /^[A-Z][A-Z0-9_]+$/;
const FIELD_ID = /^(?:[a-z][A-Za-z0-9_]*|customfield_\d+)$/;
// Property keys go into the URL path unencoded by jira.js, so only URL-safe characters are accepted.
const PROPERTY_KEY = /^[A-Za-z0-9_.-]{1,255}$/;
const MAX_IDEMPOTENCY_KEY = 500;
const MAX_SUMMARY = 255;
const MAX_COMMENT = 32767;
const MAX_PROPERTY_VALUE = 32768;
const MAX_LABEL = 255;
const SEARCH_PAGE = 100;
const COMMENT_PAGE = 100;
const BULK_FETCH_LIMIT = 100;
const DEFAULT_SEARCH_LIMIT = 1000;
const MAX_SEARCH_LIMIT = 5000;
/** Fields createIssue sets from its own inputs; `fields` may not set them a second way. */
const MANAGED_FIELDS = new Set([
  'project',
  'issuetype',
  'summary',
  'description',
  'parent',
  'labels',
  'assignee',
  'duedate',
]);
const ISSUE_VIEW_FIELDS = [
  'summary',
  'status',
  'issuetype',
  'parent',
  'labels',
  'assignee',
  'duedate',
  'subtasks',
];

// Type aliases rather than interfaces: jira.js wants the document assignable to Record<string, unknown>.
export type AdfNode = {
  type: string;
  text?: string;
  content?: AdfNode[];
};

export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: AdfNode[];
};

/**
 * Plain text as an Atlassian Document: a paragraph per block of text between blank lines, line
 * breaks inside a block as hard breaks. Whitespace-only blocks are dropped (ADF allows no empty
 * text nodes).
 */
export function plainTextToAdf(text: string): AdfDocument {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => block.replace(/^\n+|\n+$/g, ''))
    .filter((block) => block.trim() !== '');
  return {
    type: 'doc',
    version: 1,
    content: blocks.map((block) => ({
      type: 'paragraph',
      content: block
        .split('\n')
        .flatMap((line, i): AdfNode[] => [
          ...(i > 0 ? [{ type: 'hardBreak' }] : []),
          ...(line ? [{ type: 'text', text: line }] : []),
        ]),
    })),
  };
}

function jiraCall<T>(ctx: OperationContext, call: () => Promise<T>): Promise<T> {
  return callIntegration(ctx, call);
}

type FoundIssue = NonNullable<
  Awaited<ReturnType<JiraClient['issueSearch']['searchAndReconsileIssuesUsingJql']>>['issues']
>[number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** Jira's issue JSON, reduced to what workflows use. */
export function toJiraIssue(
  issue: { id?: string; key?: string; fields?: Record<string, unknown> },
  extraFields: readonly string[] = [],
): JiraIssue {
  const fields = issue.fields ?? {};
  const status = isRecord(fields.status) ? fields.status : {};
  const category = isRecord(status.statusCategory) ? status.statusCategory : {};
  const parent = isRecord(fields.parent) ? fields.parent : undefined;
  const assignee = isRecord(fields.assignee) ? fields.assignee : undefined;
  const subtasks = Array.isArray(fields.subtasks) ? fields.subtasks.filter(isRecord) : [];
  return {
    id: issue.id ?? '',
    key: issue.key ?? '',
    summary: stringOr(fields.summary, ''),
    status: stringOr(status.name, ''),
    statusCategory: stringOr(category.key, null),
    issueType: isRecord(fields.issuetype) ? stringOr(fields.issuetype.name, '') : '',
    parentKey: parent ? stringOr(parent.key, null) : null,
    labels: Array.isArray(fields.labels)
      ? fields.labels.filter((l): l is string => typeof l === 'string')
      : [],
    assigneeAccountId: assignee ? stringOr(assignee.accountId, null) : null,
    duedate: stringOr(fields.duedate, null),
    fields: Object.fromEntries(extraFields.map((id) => [id, (fields[id] ?? null) as JsonValue])),
    subtasks: subtasks.map((s) => {
      const subtaskFields = isRecord(s.fields) ? s.fields : {};
      const subtaskStatus = isRecord(subtaskFields.status) ? subtaskFields.status : {};
      return { key: stringOr(s.key, ''), status: stringOr(subtaskStatus.name, '') };
    }),
  };
}

function idempotencyKeyOf(properties: unknown): string | undefined {
  const marker = isRecord(properties) ? properties[JIRA_KEY_PROPERTY] : undefined;
  return isRecord(marker) && typeof marker.key === 'string' ? marker.key : undefined;
}

/** The original a twin was closed as a duplicate of, recorded on the twin's marker. */
function duplicateOfMarker(properties: unknown): string | undefined {
  const marker = isRecord(properties) ? properties[JIRA_KEY_PROPERTY] : undefined;
  return isRecord(marker) && typeof marker.duplicateOf === 'string' ? marker.duplicateOf : undefined;
}

/** An issue made for an idempotency key, as a look-up found it. */
interface MadeIssue {
  key: string;
  id: string;
  /** Set once it was closed as a twin. */
  duplicateOf?: string;
}

/**
 * The issue that stands for a key: the first made (lowest id) of those not closed as twins, and
 * the later ones still open, which are twins to close.
 */
function originalAndTwins(made: MadeIssue[]): { original?: MadeIssue; twins: MadeIssue[] } {
  const open = made.filter((m) => !m.duplicateOf).sort((a, b) => Number(a.id) - Number(b.id));
  return { original: open[0], twins: open.slice(1) };
}

function madeIssue(
  issue: { key?: string; id?: string; properties?: unknown },
  idempotencyKey: string,
): MadeIssue[] {
  if (!issue.key || !issue.id || idempotencyKeyOf(issue.properties) !== idempotencyKey) return [];
  const duplicateOf = duplicateOfMarker(issue.properties);
  return [{ key: issue.key, id: issue.id, ...(duplicateOf ? { duplicateOf } : {}) }];
}

interface ScreenField {
  required?: boolean;
  hasDefaultValue?: boolean;
  name?: string;
  allowedValues?: unknown[];
}

/** The configured resolution for a status, its name matched without regard to case. */
export function configuredResolution(jira: JiraIntegrationConfig, status: string): string | undefined {
  const wanted = status.trim().toLowerCase();
  return Object.entries(jira.resolutions ?? {}).find(([name]) => name.trim().toLowerCase() === wanted)?.[1];
}

/**
 * What to fill in on a transition's screen: the resolution (the input's, or the configured one
 * for the target status) when the screen has that field. A required field prodops cannot fill
 * fails for good, naming the field and where to configure it, instead of Jira's bare 400.
 */
function screenFields(
  ctx: OperationContext,
  jira: JiraIntegrationConfig,
  input: TransitionIssueInput,
  transition: { name?: string; to?: { name?: string }; fields?: Record<string, unknown> },
): Record<string, JsonValue> {
  const status = transition.to?.name ?? input.toStatus;
  const about = `jira transitionIssue [${input.issueKey}]: the "${transition.name ?? status}" transition to "${status}"`;
  const refuse = (message: string) =>
    ApplicationFailure.create({
      type: ErrorTypes.invalidInput,
      message: `${about} ${message}`,
      nonRetryable: true,
    });
  const out: Record<string, JsonValue> = {};
  for (const [id, raw] of Object.entries(transition.fields ?? {})) {
    const field = (isRecord(raw) ? raw : {}) as ScreenField;
    const mandatory = field.required === true && field.hasDefaultValue !== true;
    if (id === 'resolution') {
      const allowed = (field.allowedValues ?? [])
        .map((v) => (isRecord(v) && typeof v.name === 'string' ? v.name : undefined))
        .filter((n): n is string => n !== undefined);
      const source =
        input.resolution !== undefined ? 'resolution' : `integrations.jira.resolutions.${status}`;
      const chosen = input.resolution ?? configuredResolution(jira, status);
      if (chosen === undefined) {
        if (mandatory)
          throw refuse(
            `requires a resolution: set integrations.jira.resolutions.${status} to one of ${allowed.map((a) => `"${a}"`).join(', ') || 'the resolutions of the site'}`,
          );
        continue;
      }
      const match = allowed.find((a) => a.toLowerCase() === chosen.trim().toLowerCase());
      if (allowed.length > 0 && match === undefined)
        throw refuse(
          `offers no resolution "${chosen}" (${source}); it offers ${allowed.map((a) => `"${a}"`).join(', ')}`,
        );
      out.resolution = { name: match ?? chosen.trim() };
    } else if (mandatory) {
      throw refuse(
        `requires ${field.name ?? id} (${id}) on its screen, which prodops does not fill in: take it off the screen or give it a default value`,
      );
    }
  }
  return out;
}

function quoteJql(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function createJiraActivities(deps: JiraActivityDeps) {
  const { client, jira } = deps;
  const attempt = deps.attempt ?? temporalAttempt;
  const settle = deps.searchSettle ?? DEFAULT_SEARCH_SETTLE;
  const timeLeftMs = deps.timeLeftMs ?? temporalTimeLeftMs;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const warn = deps.warn ?? temporalWarn;

  const checkIssueKey = (ctx: OperationContext, issueKey: unknown, what = 'issueKey') => {
    if (typeof issueKey !== 'string' || !ISSUE_KEY.test(issueKey)) {
      throw invalidInput(
        ctx,
        `${what} must be an issue key such as ${jira.projectKey}-123 (got ${JSON.stringify(issueKey)})`,
      );
    }
  };
  const checkIdempotencyKey = (ctx: OperationContext, key: unknown) => {
    if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY) {
      throw invalidInput(
        ctx,
        `idempotencyKey must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY} characters`,
      );
    }
  };
  const checkFieldIds = (ctx: OperationContext, fields: unknown): string[] => {
    if (fields === undefined) return [];
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || !FIELD_ID.test(f))) {
      throw invalidInput(
        ctx,
        `fields must be field ids such as "duedate" or "customfield_10050" (got ${JSON.stringify(fields)})`,
      );
    }
    return [...new Set(fields as string[])];
  };
  const checkPropertyKey = (ctx: OperationContext, propertyKey: unknown) => {
    if (typeof propertyKey !== 'string' || !PROPERTY_KEY.test(propertyKey)) {
      throw invalidInput(
        ctx,
        `propertyKey must be 1–255 letters, digits, ".", "_" or "-" (got ${JSON.stringify(propertyKey)})`,
      );
    }
  };

  /** Every page of a search, up to `limit` issues. */
  async function search(
    ctx: OperationContext,
    jql: string,
    fields: string[],
    limit: number,
    properties: string[] = [],
  ) {
    const issues: FoundIssue[] = [];
    let nextPageToken: string | undefined;
    for (;;) {
      const page = await jiraCall(ctx, () =>
        client.issueSearch.searchAndReconsileIssuesUsingJql({
          jql,
          fields,
          ...(properties.length > 0 ? { properties } : {}),
          maxResults: Math.min(SEARCH_PAGE, limit - issues.length + 1),
          ...(nextPageToken ? { nextPageToken } : {}),
        }),
      );
      issues.push(...(page.issues ?? []));
      nextPageToken = page.nextPageToken ?? undefined;
      // One issue past the limit is asked for, so that going past it tells truncation from an exact fit.
      if (page.isLast === true || !nextPageToken || issues.length > limit) break;
    }
    return { issues: issues.slice(0, limit), truncated: issues.length > limit };
  }

  /** The sub-task of `parentKey` made for `idempotencyKey`, read by id rather than searched. */
  async function findSubtask(
    ctx: OperationContext,
    parentKey: string,
    idempotencyKey: string,
  ): Promise<MadeIssue[]> {
    const parent = await jiraCall(ctx, () =>
      client.issues.getIssue({ issueIdOrKey: parentKey, fields: ['subtasks'] }),
    );
    const candidates = (Array.isArray(parent.fields?.subtasks) ? parent.fields.subtasks : [])
      .filter(isRecord)
      .map((s) => s.key)
      .filter((k): k is string => typeof k === 'string');
    const made: MadeIssue[] = [];
    for (let start = 0; start < candidates.length; start += BULK_FETCH_LIMIT) {
      const batch = candidates.slice(start, start + BULK_FETCH_LIMIT);
      const fetched = await jiraCall(ctx, () =>
        client.issues.bulkFetchIssues({
          issueIdsOrKeys: batch,
          fields: ['labels'],
          properties: [JIRA_KEY_PROPERTY],
        }),
      );
      made.push(...(fetched.issues ?? []).flatMap((issue) => madeIssue(issue, idempotencyKey)));
    }
    return made;
  }

  /** Issues made for the key, by JQL on the label (the property decides: a clone copies labels). */
  async function findTopLevel(
    ctx: OperationContext,
    projectKey: string,
    idempotencyKey: string,
  ): Promise<MadeIssue[]> {
    const jql = `project = ${quoteJql(projectKey)} AND labels = ${quoteJql(jiraLabel(idempotencyKey))} ORDER BY created ASC`;
    const { issues } = await search(ctx, jql, ['labels'], MAX_SEARCH_LIMIT, [JIRA_KEY_PROPERTY]);
    return issues.flatMap((issue) => madeIssue(issue, idempotencyKey));
  }

  /**
   * Closes a twin as a duplicate of the original, leaving the original as it was: a Duplicate link
   * (the twin duplicates the original), a note on the twin, a move to a done status with the
   * Duplicate resolution where the screen offers it, and the twin's marker pointing at the
   * original so that later look-ups pass over it. A transient failure fails the call (Temporal
   * retries it and the look-up finds the same pair); a permanent one is reported and the rest done.
   */
  async function closeTwin(
    ctx: OperationContext,
    idempotencyKey: string,
    original: MadeIssue,
    twin: MadeIssue,
  ): Promise<void> {
    const attemptStep = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (failure) {
        if (failure instanceof ApplicationFailure && !failure.nonRetryable) throw failure;
        warn(
          `jira createIssue [${idempotencyKey}]: could not ${what} while closing ${twin.key} as a duplicate of ${original.key}: ${failure instanceof Error ? failure.message : String(failure)}`,
        );
      }
    };
    await attemptStep('link the twin to the original', () =>
      jiraCall({ ...ctx, operation: 'createIssue (link duplicate)' }, () =>
        client.issueLinks.linkIssues({
          type: { name: 'Duplicate' },
          inwardIssue: { key: twin.key },
          outwardIssue: { key: original.key },
        }),
      ),
    );
    await attemptStep('note why on the twin', () =>
      activities.addComment({
        idempotencyKey: `duplicate-of:${original.key}:${twin.key}`,
        issueKey: twin.key,
        body: `${twin.key} was created a second time for the same request while Jira's search had not yet caught up with the first, ${original.key}. ${original.key} is the one prodops follows; this one is closed as its duplicate.`,
      }),
    );
    await attemptStep('close the twin', () => closeAsDuplicate(ctx, twin.key));
    await attemptStep('mark the twin', () =>
      activities.setIssueProperty({
        issueKey: twin.key,
        propertyKey: JIRA_KEY_PROPERTY,
        value: { key: idempotencyKey, duplicateOf: original.key },
      }),
    );
  }

  /** Moves an issue to a done status (the configured done or cancelled one first), resolved as Duplicate where offered. */
  async function closeAsDuplicate(ctx: OperationContext, issueKey: string): Promise<void> {
    const issue = await jiraCall(ctx, () =>
      client.issues.getIssue({ issueIdOrKey: issueKey, fields: ['status'] }),
    );
    if (toJiraIssue(issue).statusCategory === 'done') return;
    const { transitions = [] } = await jiraCall(ctx, () =>
      client.issues.getTransitions({ issueIdOrKey: issueKey, expand: 'transitions.fields' }),
    );
    const done = transitions.filter((t) => t.to?.statusCategory?.key === 'done' && t.id);
    const named = (name: string) => done.find((t) => t.to?.name?.toLowerCase() === name.toLowerCase());
    const pick = named(jira.statuses.done) ?? named(jira.statuses.cancelled) ?? done[0];
    if (!pick?.id) throw invalidInput(ctx, `${issueKey} has no transition to a done status`);
    const resolution =
      isRecord(pick.fields) && isRecord(pick.fields.resolution) ? pick.fields.resolution : {};
    const offersDuplicate = (Array.isArray(resolution.allowedValues) ? resolution.allowedValues : []).some(
      (v) => isRecord(v) && v.name === 'Duplicate',
    );
    const status = pick.to?.name ?? jira.statuses.done;
    const fields = screenFields(
      ctx,
      jira,
      { issueKey, toStatus: status, ...(offersDuplicate ? { resolution: 'Duplicate' } : {}) },
      pick,
    );
    const transitionId = pick.id;
    await jiraCall(ctx, () =>
      client.issues.doTransition({
        issueIdOrKey: issueKey,
        transition: { id: transitionId },
        ...(Object.keys(fields).length > 0 ? { fields } : {}),
      }),
    );
  }

  const activities = {
    async getIssue(input: GetIssueInput): Promise<JiraIssue> {
      const ctx: OperationContext = { system: 'jira', operation: 'getIssue', key: input.issueKey };
      checkIssueKey(ctx, input.issueKey);
      const extra = checkFieldIds(ctx, input.fields);
      const issue = await jiraCall(ctx, () =>
        client.issues.getIssue({
          issueIdOrKey: input.issueKey,
          fields: [...new Set([...ISSUE_VIEW_FIELDS, ...extra])],
        }),
      );
      return toJiraIssue(issue, extra);
    },

    /**
     * An issue's status and who last moved it to `toStatus`, from its changelog: what a workflow
     * checks a webhook against before a confirmation counts (the event only says where to look).
     */
    async readStatusChange(input: {
      issueKey: string;
      toStatus: string;
    }): Promise<{ status: string; movedBy: string | null; movedAt: number | null }> {
      const ctx: OperationContext = { system: 'jira', operation: 'getIssue', key: input.issueKey };
      checkIssueKey(ctx, input.issueKey);
      const issue = await jiraCall(ctx, () =>
        client.issues.getIssue({ issueIdOrKey: input.issueKey, fields: ['status'], expand: 'changelog' }),
      );
      const wanted = input.toStatus.trim().toLowerCase();
      const histories = (issue.changelog?.histories ?? []) as {
        author?: { accountId?: string };
        created?: string;
        items?: { field?: string; fieldId?: string; toString?: string | null }[];
      }[];
      let movedBy: string | null = null;
      let movedAt: number | null = null;
      for (const history of histories) {
        const moved = (history.items ?? []).some(
          (item) =>
            (item.fieldId ?? item.field ?? '').toLowerCase() === 'status' &&
            (item.toString ?? '').trim().toLowerCase() === wanted,
        );
        const at = history.created ? Date.parse(history.created) : Number.NaN;
        if (moved && (movedAt === null || (Number.isFinite(at) && at >= movedAt))) {
          movedBy = history.author?.accountId ?? null;
          movedAt = Number.isFinite(at) ? at : movedAt;
        }
      }
      return { status: toJiraIssue(issue).status, movedBy, movedAt };
    },

    async searchIssues(input: SearchIssuesInput): Promise<SearchIssuesResult> {
      const ctx: OperationContext = { system: 'jira', operation: 'searchIssues', key: input.jql };
      if (typeof input.jql !== 'string' || input.jql.trim() === '')
        throw invalidInput(ctx, 'jql must not be empty');
      const extra = checkFieldIds(ctx, input.fields);
      const limit = input.maxResults ?? DEFAULT_SEARCH_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
        throw invalidInput(ctx, `maxResults must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
      const { issues, truncated } = await search(
        ctx,
        input.jql,
        [...new Set([...ISSUE_VIEW_FIELDS, ...extra])],
        limit,
      );
      return { issues: issues.map((issue) => toJiraIssue(issue, extra)), truncated };
    },

    async createIssue(input: CreateIssueInput): Promise<CreateIssueResult> {
      const ctx: OperationContext = { system: 'jira', operation: 'createIssue', key: input.idempotencyKey };
      checkIdempotencyKey(ctx, input.idempotencyKey);
      if (input.parentKey !== undefined) checkIssueKey(ctx, input.parentKey, 'parentKey');
      // A sub-task lives in its parent's project, whichever project that is.
      const parentProject = input.parentKey?.slice(0, input.parentKey.lastIndexOf('-'));
      const projectKey = input.projectKey ?? parentProject ?? jira.projectKey;
      if (!PROJECT_KEY.test(projectKey))
        throw invalidInput(
          ctx,
          `projectKey must be a project key such as REL (got ${JSON.stringify(projectKey)})`,
        );
      if (input.parentKey !== undefined) {
        if (parentProject !== projectKey)
          throw invalidInput(
            ctx,
            `a sub-task lives in its parent's project, but ${input.parentKey} is not in ${projectKey}`,
          );
        if (input.issueType !== undefined && input.issueType !== jira.subtaskIssueType) {
          throw invalidInput(
            ctx,
            `an issue with a parent is created as the configured sub-task type "${jira.subtaskIssueType}", not "${input.issueType}"`,
          );
        }
      }
      const issueType = input.parentKey !== undefined ? jira.subtaskIssueType : (input.issueType ?? 'Task');
      if (typeof input.summary !== 'string' || input.summary.trim() === '')
        throw invalidInput(ctx, 'summary must not be empty');
      if (input.summary.length > MAX_SUMMARY || /[\r\n]/.test(input.summary))
        throw invalidInput(ctx, `summary must be one line of at most ${MAX_SUMMARY} characters`);
      const labels = input.labels ?? [];
      const badLabel = labels.find(
        (l) => typeof l !== 'string' || l === '' || /\s/.test(l) || l.length > MAX_LABEL,
      );
      if (badLabel !== undefined)
        throw invalidInput(
          ctx,
          `labels must be non-empty and without spaces (got ${JSON.stringify(badLabel)})`,
        );
      if (input.duedate !== undefined && !isRealDate(input.duedate))
        throw invalidInput(
          ctx,
          `duedate must be a date written YYYY-MM-DD (got ${JSON.stringify(input.duedate)})`,
        );
      if (
        input.assigneeAccountId !== undefined &&
        (typeof input.assigneeAccountId !== 'string' ||
          input.assigneeAccountId === '' ||
          input.assigneeAccountId.length > 128)
      ) {
        throw invalidInput(ctx, 'assigneeAccountId must be a Jira account id');
      }
      if (
        input.workflowId !== undefined &&
        (typeof input.workflowId !== 'string' || input.workflowId === '' || /\s/.test(input.workflowId))
      )
        throw invalidInput(ctx, 'workflowId must be a workflow id without spaces');
      const extra = input.fields ?? {};
      for (const field of Object.keys(extra)) {
        if (!FIELD_ID.test(field)) throw invalidInput(ctx, `fields has "${field}", which is not a field id`);
        if (MANAGED_FIELDS.has(field))
          throw invalidInput(ctx, `fields must not set "${field}": it has an input of its own`);
      }
      const description = input.description !== undefined ? plainTextToAdf(input.description) : undefined;

      const look = () =>
        input.parentKey
          ? findSubtask(ctx, input.parentKey, input.idempotencyKey)
          : findTopLevel(ctx, projectKey, input.idempotencyKey);
      let made = originalAndTwins(await look());
      // A retry may follow a create whose answer was lost; search trails writes by seconds, at
      // times minutes, so it keeps looking for a while before it makes the issue a second time.
      // (A sub-task is read through its parent, which is consistent at once.)
      if (!made.original && !input.parentKey && attempt() > 1) {
        for (
          let waited = 0;
          !made.original && waited < settle.waitMs && timeLeftMs() - settle.pollMs > CREATE_RESERVE_MS;
          waited += settle.pollMs
        ) {
          await sleep(settle.pollMs);
          made = originalAndTwins(await look());
        }
      }
      if (made.original) {
        const original = made.original;
        for (const twin of made.twins) await closeTwin(ctx, input.idempotencyKey, original, twin);
        return {
          key: original.key,
          id: original.id,
          created: false,
          ...(made.twins.length > 0 ? { duplicatesClosed: made.twins.map((t) => t.key) } : {}),
        };
      }

      const created = await jiraCall(ctx, () =>
        client.issues.createIssue({
          fields: {
            ...extra,
            project: { key: projectKey },
            issuetype: { name: issueType },
            summary: input.summary,
            ...(description && description.content.length > 0 ? { description } : {}),
            ...(input.parentKey ? { parent: { key: input.parentKey } } : {}),
            labels: [
              ...new Set([
                ...labels,
                jiraLabel(input.idempotencyKey),
                ...(input.workflowId !== undefined ? [workflowLabel(input.workflowId)] : []),
              ]),
            ],
            ...(input.assigneeAccountId ? { assignee: { accountId: input.assigneeAccountId } } : {}),
            ...(input.duedate ? { duedate: input.duedate } : {}),
          },
          properties: [{ key: JIRA_KEY_PROPERTY, value: { key: input.idempotencyKey } }],
        }),
      );
      return { key: created.key, id: created.id, created: true };
    },

    async addComment(input: AddCommentInput): Promise<AddCommentResult> {
      const ctx: OperationContext = { system: 'jira', operation: 'addComment', key: input.idempotencyKey };
      checkIdempotencyKey(ctx, input.idempotencyKey);
      checkIssueKey(ctx, input.issueKey);
      if (typeof input.body !== 'string' || input.body.trim() === '')
        throw invalidInput(ctx, 'body must not be empty');
      if (input.body.length > MAX_COMMENT)
        throw invalidInput(ctx, `body must be at most ${MAX_COMMENT} characters`);

      // Oldest first, so that comments added while paging append behind the cursor instead of
      // shifting it. Jira documents comment properties only on POST /comment/list, so each page
      // of ids is read again there with its properties.
      for (let startAt = 0; ;) {
        const page = await jiraCall(ctx, () =>
          client.issueComments.getComments({
            issueIdOrKey: input.issueKey,
            startAt,
            maxResults: COMMENT_PAGE,
            orderBy: 'created',
          }),
        );
        const comments = page.comments ?? [];
        const ids = comments.map((c) => Number(c.id)).filter((id) => Number.isInteger(id));
        if (ids.length > 0) {
          const withProperties = await jiraCall({ ...ctx, operation: 'addComment (comment/list)' }, () =>
            client.issueComments.getCommentsByIds({ ids, expand: 'properties' }),
          );
          const match = (withProperties.values ?? []).find((c) =>
            c.properties?.some(
              (p) => p.key === JIRA_KEY_PROPERTY && isRecord(p.value) && p.value.key === input.idempotencyKey,
            ),
          );
          if (match?.id) return { id: match.id, created: false };
        }
        startAt += comments.length;
        if (comments.length === 0 || startAt >= (page.total ?? 0)) break;
      }

      const created = await jiraCall(ctx, () =>
        client.issueComments.addComment({
          issueIdOrKey: input.issueKey,
          body: plainTextToAdf(input.body),
          properties: [{ key: JIRA_KEY_PROPERTY, value: { key: input.idempotencyKey } }],
        }),
      );
      if (!created.id)
        throw ApplicationFailure.create({
          type: ErrorTypes.unknown,
          message: `jira addComment [${input.idempotencyKey}]: Jira answered without a comment id`,
        });
      return { id: created.id, created: true };
    },

    async transitionIssue(input: TransitionIssueInput): Promise<TransitionIssueResult> {
      const ctx: OperationContext = { system: 'jira', operation: 'transitionIssue', key: input.issueKey };
      checkIssueKey(ctx, input.issueKey);
      if (typeof input.toStatus !== 'string' || input.toStatus.trim() === '')
        throw invalidInput(ctx, 'toStatus must name a status');
      const wanted = input.toStatus.trim().toLowerCase();
      const currentStatus = async () => {
        const issue = await jiraCall(ctx, () =>
          client.issues.getIssue({ issueIdOrKey: input.issueKey, fields: ['status'] }),
        );
        return toJiraIssue(issue).status;
      };

      const before = await currentStatus();
      if (before.toLowerCase() === wanted) return { transitioned: false, status: before };
      // With the fields of each transition's screen: a required one left empty makes Jira refuse the move.
      const { transitions = [] } = await jiraCall(ctx, () =>
        client.issues.getTransitions({ issueIdOrKey: input.issueKey, expand: 'transitions.fields' }),
      );
      const transition = transitions.find((t) => t.to?.name?.toLowerCase() === wanted);
      if (!transition?.id) {
        const available =
          transitions.map((t) => `"${t.name ?? t.id}" → ${t.to?.name ?? '?'}`).join(', ') || 'none';
        throw ApplicationFailure.create({
          type: ErrorTypes.conflict,
          message: `jira transitionIssue [${input.issueKey}]: no transition leads from "${before}" to "${input.toStatus}"; available: ${available}`,
          nonRetryable: true,
          details: [
            {
              system: 'jira',
              operation: 'transitionIssue',
              key: input.issueKey,
              from: before,
              available: transitions.map((t) => t.to?.name ?? ''),
            },
          ],
        });
      }
      const transitionId = transition.id;
      const fields = screenFields(ctx, jira, input, transition);
      try {
        await jiraCall(ctx, () =>
          client.issues.doTransition({
            issueIdOrKey: input.issueKey,
            transition: { id: transitionId },
            ...(Object.keys(fields).length > 0 ? { fields } : {}),
          }),
        );
      } catch (failure) {
        // Someone may have moved the issue between our look and our move; if it is where we wanted it, that is success.
        if (failure instanceof ApplicationFailure && failure.type === ErrorTypes.badRequest) {
          const now = await currentStatus();
          if (now.toLowerCase() === wanted) return { transitioned: false, status: now };
        }
        throw failure;
      }
      return { transitioned: true, status: transition.to?.name ?? input.toStatus };
    },

    async getIssueProperty(input: GetIssuePropertyInput): Promise<GetIssuePropertyResult> {
      const ctx: OperationContext = {
        system: 'jira',
        operation: 'getIssueProperty',
        key: `${input.issueKey}/${input.propertyKey}`,
      };
      checkIssueKey(ctx, input.issueKey);
      checkPropertyKey(ctx, input.propertyKey);
      // Read through the issue: a missing property is simply absent, while a missing issue stays a 404.
      const issue = await jiraCall(ctx, () =>
        client.issues.getIssue({
          issueIdOrKey: input.issueKey,
          fields: ['summary'],
          properties: [input.propertyKey],
        }),
      );
      const properties = issue.properties ?? {};
      if (!Object.hasOwn(properties, input.propertyKey)) return { found: false, value: null };
      return { found: true, value: (properties[input.propertyKey] ?? null) as JsonValue };
    },

    async setIssueProperty(input: SetIssuePropertyInput): Promise<SetIssuePropertyResult> {
      const ctx: OperationContext = {
        system: 'jira',
        operation: 'setIssueProperty',
        key: `${input.issueKey}/${input.propertyKey}`,
      };
      checkIssueKey(ctx, input.issueKey);
      checkPropertyKey(ctx, input.propertyKey);
      const serialised = input.value === undefined ? undefined : JSON.stringify(input.value);
      if (serialised === undefined) throw invalidInput(ctx, 'value must be a JSON value');
      if (serialised.length > MAX_PROPERTY_VALUE)
        throw invalidInput(
          ctx,
          `value must serialise to at most ${MAX_PROPERTY_VALUE} characters (got ${serialised.length})`,
        );
      await jiraCall(ctx, () =>
        client.issueProperties.setIssueProperty({
          issueIdOrKey: input.issueKey,
          propertyKey: input.propertyKey,
          // Jira stores any JSON value; jira.js types the body as an object only.
          body: input.value as Record<string, unknown>,
        }),
      );
      return { issueKey: input.issueKey, propertyKey: input.propertyKey };
    },

    /** Sets the due date and/or the assignee; setting what the issue already has changes nothing. */
    async updateIssue(input: UpdateIssueInput): Promise<{ issueKey: string; changed: boolean }> {
      const ctx: OperationContext = { system: 'jira', operation: 'updateIssue', key: input.issueKey };
      checkIssueKey(ctx, input.issueKey);
      const fields: Record<string, unknown> = {};
      if (input.duedate !== undefined) {
        if (input.duedate !== null && !isRealDate(input.duedate))
          throw invalidInput(
            ctx,
            `duedate must be a date written YYYY-MM-DD or null (got ${JSON.stringify(input.duedate)})`,
          );
        fields.duedate = input.duedate;
      }
      if (input.assigneeAccountId !== undefined)
        fields.assignee = input.assigneeAccountId === null ? null : { accountId: input.assigneeAccountId };
      if (Object.keys(fields).length === 0)
        throw invalidInput(ctx, 'nothing to update: give duedate or assigneeAccountId');
      const current = await jiraCall(ctx, () =>
        client.issues.getIssue({ issueIdOrKey: input.issueKey, fields: ['duedate', 'assignee'] }),
      );
      const now = toJiraIssue(current);
      const same =
        (input.duedate === undefined || now.duedate === input.duedate) &&
        (input.assigneeAccountId === undefined || now.assigneeAccountId === input.assigneeAccountId);
      if (same) return { issueKey: input.issueKey, changed: false };
      await jiraCall(ctx, () =>
        client.issues.editIssue({ issueIdOrKey: input.issueKey, fields, notifyUsers: true }),
      );
      return { issueKey: input.issueKey, changed: true };
    },
  };

  const batch = <I, O>(operation: string, items: readonly I[], run: (item: I) => Promise<O>) =>
    runBatch({ system: 'jira', operation }, items, run);

  return {
    ...activities,
    /** Creates several issues, each idempotently (one action for a gate's tasks). */
    async createIssues(input: {
      issues: CreateIssueInput[];
    }): Promise<{ results: BatchOutcome<CreateIssueResult>[] }> {
      return { results: await batch('createIssues', input.issues, (i) => activities.createIssue(i)) };
    },
    async updateIssues(input: {
      updates: UpdateIssueInput[];
    }): Promise<{ results: BatchOutcome<{ issueKey: string; changed: boolean }>[] }> {
      return { results: await batch('updateIssues', input.updates, (u) => activities.updateIssue(u)) };
    },
    async transitionIssues(input: {
      transitions: TransitionIssueInput[];
    }): Promise<{ results: BatchOutcome<TransitionIssueResult>[] }> {
      return {
        results: await batch('transitionIssues', input.transitions, (t) => activities.transitionIssue(t)),
      };
    },
    async addComments(input: {
      comments: AddCommentInput[];
    }): Promise<{ results: BatchOutcome<AddCommentResult>[] }> {
      return { results: await batch('addComments', input.comments, (c) => activities.addComment(c)) };
    },
  };
}

export type JiraActivities = ReturnType<typeof createJiraActivities>;
