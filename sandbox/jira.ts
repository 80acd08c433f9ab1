/**
 * A Jira Cloud stand-in: the REST v3 subset prodops calls (issues, sub-tasks, enhanced JQL
 * search, comments, transitions, issue properties, fields, myself), with Jira's request and
 * response shapes and its `{ errorMessages, errors }` error bodies. State lives in memory and is
 * seeded from the org configuration: the release project, its workflow and statuses, the issue
 * types, the people who have Jira accounts and the configured custom fields.
 *
 * It refuses what Jira refuses (missing summary, a sub-task without a parent, a transition the
 * workflow does not offer, JQL it cannot answer), so a client bug fails here as it would there.
 * `store.updateIssue` and `store.transition` stand in for a person editing an issue in Jira: they
 * record changelog entries and notify listeners, which is what webhooks are built from.
 */
import { createHash } from 'node:crypto';
import type { OrgConfig } from '../domain/config';
import { isRealDate } from '../domain/config';
import {
  VendorError,
  noContent,
  ok,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxRouter,
} from './http';
import type { SandboxVendor } from './index';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// Type aliases rather than interfaces, so that documents pass where clients expect Record<string, unknown>.
export type AdfNode = {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
};

export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: AdfNode[];
};

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

export interface JiraStatus {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

export interface JiraIssueType {
  id: string;
  name: string;
  subtask: boolean;
  hierarchyLevel: number;
  description: string;
}

export interface JiraUser {
  accountId: string;
  accountType: 'atlassian' | 'app';
  displayName: string;
  emailAddress?: string;
  timeZone: string;
  active: boolean;
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
}

export type CustomFieldKind = 'select' | 'date' | 'text';

export interface JiraCustomField {
  id: string;
  name: string;
  kind: CustomFieldKind;
  /** Options of a select field. */
  options: { id: string; value: string }[];
}

export interface WorkflowTransition {
  id: string;
  name: string;
  /** Status ids the transition starts from; a global transition starts anywhere but its target. */
  from: string[] | 'any';
  to: string;
}

/** One field change, as Jira's changelog and webhooks carry it. */
export interface ChangelogItem {
  field: string;
  fieldtype: 'jira' | 'custom';
  fieldId: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface ChangelogEntry {
  id: string;
  authorAccountId: string;
  created: string;
  items: ChangelogItem[];
}

/** A select option as stored; rendered with its `self` URL. */
export interface SelectValue {
  id: string;
  value: string;
}

export interface StoredIssue {
  id: string;
  key: string;
  projectKey: string;
  issueTypeId: string;
  summary: string;
  description: AdfDocument | null;
  statusId: string;
  labels: string[];
  assigneeAccountId: string | null;
  reporterAccountId: string;
  duedate: string | null;
  parentKey: string | null;
  /** Custom field values by field id: a SelectValue, a YYYY-MM-DD date or text. */
  customFields: Record<string, SelectValue | string | null>;
  created: string;
  updated: string;
  statusCategoryChanged: string;
  changelog: ChangelogEntry[];
}

export interface StoredComment {
  id: string;
  issueKey: string;
  authorAccountId: string;
  body: AdfDocument;
  created: string;
  updated: string;
  properties: Map<string, JsonValue>;
}

export interface TransitionRecord {
  issueKey: string;
  transitionId: string;
  fromStatus: string;
  toStatus: string;
  at: string;
  byAccountId: string;
}

/** What a webhook would announce; listeners get one per change. */
export type JiraSandboxEvent =
  | { webhookEvent: 'jira:issue_created'; issueKey: string; timestamp: string; accountId: string }
  | {
      webhookEvent: 'jira:issue_updated';
      issueKey: string;
      timestamp: string;
      accountId: string;
      changelog: ChangelogEntry;
    }
  | {
      webhookEvent: 'comment_created';
      issueKey: string;
      timestamp: string;
      accountId: string;
      commentId: string;
    };

export interface JiraSandboxOptions {
  /** The clock for created/updated stamps; tests pin it. */
  now?: () => Date;
  /** Seed a few release issues (default true). */
  seedIssues?: boolean;
}

/** Field-level refusals, returned by Jira as 400 `{ errorMessages, errors }`. */
export class JiraFieldErrors extends Error {
  constructor(
    readonly errors: Record<string, string>,
    readonly errorMessages: string[] = [],
  ) {
    super(
      [...errorMessages, ...Object.entries(errors).map(([field, message]) => `${field}: ${message}`)].join(
        '; ',
      ),
    );
    this.name = 'JiraFieldErrors';
  }
}

export const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
export const MAX_SEARCH_RESULTS = 5000;
/** Jira hands back at most this many issues per page once fields beyond id and key are asked for. */
export const MAX_SEARCH_RESULTS_WITH_FIELDS = 100;
export const MAX_COMMENT_RESULTS = 100;
export const MAX_PROPERTY_VALUE_LENGTH = 32768;
export const MAX_PROPERTY_KEY_LENGTH = 255;
export const MAX_COMMENT_LENGTH = 32767;
export const MAX_SUMMARY_LENGTH = 255;
const MAX_TEXT_FIELD_LENGTH = 255;
const MAX_LABEL_LENGTH = 255;
const MAX_BULK_FETCH = 100;
const INVALID_PAYLOAD = 'Invalid request payload. Refer to the REST API documentation and try again.';
const NOT_ADF = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';

const jiraError = (status: number, errorMessages: string[], errors: Record<string, string> = {}) =>
  new VendorError(status, { errorMessages, errors });

function jiraDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

const SYSTEM_FIELDS_ON_CREATE = new Set([
  'project',
  'issuetype',
  'summary',
  'description',
  'parent',
  'labels',
  'assignee',
  'reporter',
  'duedate',
]);
const EDITABLE_SYSTEM_FIELDS = new Set(['summary', 'description', 'labels', 'assignee', 'duedate']);

export class JiraStore {
  readonly project: JiraProject;
  readonly statuses: readonly JiraStatus[];
  readonly issueTypes: readonly JiraIssueType[];
  readonly customFields: readonly JiraCustomField[];
  readonly workflow: readonly WorkflowTransition[];
  readonly users = new Map<string, JiraUser>();
  readonly issues = new Map<string, StoredIssue>();
  readonly comments = new Map<string, StoredComment[]>();
  readonly properties = new Map<string, Map<string, JsonValue>>();
  readonly transitionLog: TransitionRecord[] = [];

  private readonly listeners = new Set<(event: JiraSandboxEvent) => void>();
  private nextIssueId = 10000;
  private nextIssueNumber = 1;
  private nextCommentId = 10000;
  private nextChangelogId = 10000;

  constructor(
    private readonly config: OrgConfig,
    private readonly now: () => Date,
    private readonly seedIssues: boolean,
  ) {
    const jira = config.integrations.jira;
    this.project = { id: '10000', key: jira.projectKey, name: 'Releases' };
    this.statuses = [
      { id: '10000', name: 'To Do', category: 'new' },
      { id: '3', name: 'In Progress', category: 'indeterminate' },
      { id: '10001', name: jira.statuses.done, category: 'done' },
      { id: '10002', name: jira.statuses.released, category: 'done' },
      { id: '10003', name: jira.statuses.cancelled, category: 'done' },
    ];
    const names = this.statuses.map((s) => s.name.toLowerCase());
    if (new Set(names).size !== names.length) {
      throw new Error(
        `integrations.jira.statuses must name distinct statuses (got ${this.statuses.map((s) => s.name).join(', ')})`,
      );
    }
    this.issueTypes = [
      {
        id: '10001',
        name: 'Task',
        subtask: false,
        hierarchyLevel: 0,
        description: 'A small, distinct piece of work.',
      },
      {
        id: '10002',
        name: 'Story',
        subtask: false,
        hierarchyLevel: 0,
        description: "A user story, a feature from a user's view.",
      },
      {
        id: '10003',
        name: jira.subtaskIssueType,
        subtask: true,
        hierarchyLevel: -1,
        description: 'A small piece of work that is part of a larger task.',
      },
    ];
    const customFields: JiraCustomField[] = [];
    if (jira.fields.tier) {
      const base = 10100 + Number(jira.fields.tier.replace('customfield_', '')) * 10;
      customFields.push({
        id: jira.fields.tier,
        name: 'Tier',
        kind: 'select',
        options: ['1', '2', '3'].map((value, i) => ({ id: String(base + i), value })),
      });
    }
    if (jira.fields.launchDate)
      customFields.push({ id: jira.fields.launchDate, name: 'Launch date', kind: 'date', options: [] });
    if (jira.fields.productArea)
      customFields.push({ id: jira.fields.productArea, name: 'Product area', kind: 'text', options: [] });
    this.customFields = customFields;
    this.workflow = [
      { id: '11', name: 'Start progress', from: ['10000'], to: '3' },
      { id: '21', name: 'Stop progress', from: ['3'], to: '10000' },
      { id: '31', name: jira.statuses.done, from: ['10000', '3'], to: '10001' },
      { id: '41', name: 'Release', from: ['3', '10001'], to: '10002' },
      { id: '51', name: 'Cancel', from: 'any', to: '10003' },
      { id: '61', name: 'Reopen', from: ['10001', '10002', '10003'], to: '10000' },
    ];
    this.reset();
  }

  /** Back to the seeded state: users from the configuration and, unless disabled, three releases. */
  reset(): void {
    this.users.clear();
    this.issues.clear();
    this.comments.clear();
    this.properties.clear();
    this.transitionLog.length = 0;
    this.nextIssueId = 10000;
    this.nextIssueNumber = 1;
    this.nextCommentId = 10000;
    this.nextChangelogId = 10000;
    for (const person of this.config.people) {
      if (!person.jiraAccountId) continue;
      this.users.set(person.jiraAccountId, {
        accountId: person.jiraAccountId,
        accountType: 'atlassian',
        displayName: person.name,
        emailAddress: person.email,
        timeZone: this.config.calendars[person.calendar]?.timezone ?? 'UTC',
        active: true,
      });
    }
    if (this.seedIssues) this.seed();
  }

  private seed(): void {
    const jira = this.config.integrations.jira;
    const managers = this.config.people
      .filter((p) => p.role === 'product_manager' && p.jiraAccountId)
      .map((p) => p.jiraAccountId!);
    const reporter =
      this.config.people.find((p) => p.jiraAccountId)?.jiraAccountId ?? this.serviceUser().accountId;
    const seeds: { summary: string; tier: string; launchDate: string; area: string; status: string }[] = [
      {
        summary: 'Usage-based billing',
        tier: '3',
        launchDate: '2027-02-15',
        area: 'Billing',
        status: 'To Do',
      },
      {
        summary: 'Saved dashboard filters',
        tier: '2',
        launchDate: '2027-01-20',
        area: 'Insights',
        status: 'In Progress',
      },
      {
        summary: 'Dark mode for the admin console',
        tier: '1',
        launchDate: '2026-11-03',
        area: 'Platform',
        status: jira.statuses.released,
      },
    ];
    seeds.forEach((seed, i) => {
      const fields: Record<string, unknown> = {
        project: { key: this.project.key },
        issuetype: { name: 'Task' },
        summary: seed.summary,
        labels: ['release'],
        reporter: { accountId: reporter },
      };
      const assignee = managers.length > 0 ? managers[i % managers.length] : undefined;
      if (assignee) fields.assignee = { accountId: assignee };
      if (jira.fields.tier) fields[jira.fields.tier] = { value: seed.tier };
      if (jira.fields.launchDate) fields[jira.fields.launchDate] = seed.launchDate;
      if (jira.fields.productArea) fields[jira.fields.productArea] = seed.area;
      const issue = this.createIssue(fields, [], reporter, { silent: true });
      const status = this.statusByName(seed.status);
      if (status) {
        issue.statusId = status.id;
        issue.statusCategoryChanged = issue.created;
      }
    });
  }

  /** The account requests are made as when the credentials belong to nobody in the configuration. */
  serviceUser(email = 'prodops@sandbox.invalid'): JiraUser {
    const digest = createHash('sha256').update(email.toLowerCase()).digest('hex');
    const accountId = `712020:${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
    let user = this.users.get(accountId);
    if (!user) {
      user = {
        accountId,
        accountType: 'atlassian',
        displayName: email,
        emailAddress: email,
        timeZone: 'UTC',
        active: true,
      };
      this.users.set(accountId, user);
    }
    return user;
  }

  userByEmail(email: string): JiraUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.emailAddress?.toLowerCase() === wanted) return user;
    return undefined;
  }

  appUser(): JiraUser {
    const accountId = '557058:prodops-app';
    let user = this.users.get(accountId);
    if (!user) {
      user = { accountId, accountType: 'app', displayName: 'prodops', timeZone: 'UTC', active: true };
      this.users.set(accountId, user);
    }
    return user;
  }

  onEvent(listener: (event: JiraSandboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: JiraSandboxEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  // Look-ups --------------------------------------------------------------------------------

  /** By key (any case) or numeric id, as Jira resolves `{issueIdOrKey}`. */
  issue(idOrKey: string): StoredIssue | undefined {
    const byKey = this.issues.get(idOrKey.toUpperCase());
    if (byKey) return byKey;
    if (/^\d+$/.test(idOrKey))
      for (const issue of this.issues.values()) if (issue.id === idOrKey) return issue;
    return undefined;
  }

  requireIssue(idOrKey: string): StoredIssue {
    const issue = this.issue(idOrKey);
    if (!issue) throw new Error(`${idOrKey}: ${ISSUE_NOT_FOUND}`);
    return issue;
  }

  statusById(id: string): JiraStatus {
    const status = this.statuses.find((s) => s.id === id);
    if (!status) throw new Error(`status ${id} is not in the workflow`);
    return status;
  }

  statusByName(name: string): JiraStatus | undefined {
    return this.statuses.find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  issueTypeById(id: string): JiraIssueType {
    const type = this.issueTypes.find((t) => t.id === id);
    if (!type) throw new Error(`issue type ${id} does not exist`);
    return type;
  }

  subtasksOf(key: string): StoredIssue[] {
    return [...this.issues.values()]
      .filter((i) => i.parentKey === key)
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** The transitions the workflow offers from the issue's current status. */
  transitionsFor(issue: StoredIssue): WorkflowTransition[] {
    return this.workflow.filter((t) =>
      t.from === 'any' ? t.to !== issue.statusId : t.from.includes(issue.statusId),
    );
  }

  commentsOf(key: string): StoredComment[] {
    return this.comments.get(key) ?? [];
  }

  propertiesOf(key: string): Map<string, JsonValue> {
    let properties = this.properties.get(key);
    if (!properties) {
      properties = new Map();
      this.properties.set(key, properties);
    }
    return properties;
  }

  // Changes ---------------------------------------------------------------------------------

  /**
   * Creates an issue from Jira's create `fields` (`project: { key }`, `issuetype: { name }`,
   * `assignee: { accountId }`, a select as `{ value }` …). Throws JiraFieldErrors for what Jira
   * would refuse.
   */
  createIssue(
    fields: Record<string, unknown>,
    properties: { key: string; value: JsonValue }[],
    actorAccountId: string,
    options: { silent?: boolean } = {},
  ): StoredIssue {
    const errors: Record<string, string> = {};
    const project = resolveProject(this, fields.project, errors);
    const issueType = resolveIssueType(this, fields.issuetype, errors);
    const summary = checkSummary(fields.summary, errors, true);

    let parentKey: string | null = null;
    if (fields.parent !== undefined && fields.parent !== null) {
      const parent = resolveIssueRef(this, fields.parent);
      if (!parent) errors.parent = 'Could not find issue by id or key.';
      else if (
        issueType &&
        (!issueType.subtask ||
          this.issueTypeById(parent.issueTypeId).subtask ||
          (project && parent.projectKey !== project.key))
      ) {
        errors.parent = 'Given parent issue does not belong to appropriate hierarchy.';
      } else parentKey = parent.key;
    } else if (issueType?.subtask) {
      errors.issuetype = 'Issue type is a sub-task but parent issue key or id not specified.';
    }

    for (const field of Object.keys(fields)) {
      if (!SYSTEM_FIELDS_ON_CREATE.has(field) && !this.customFields.some((f) => f.id === field)) {
        errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    const editable = normaliseEditableFields(this, fields, errors);
    let reporterAccountId = actorAccountId;
    if (fields.reporter !== undefined) {
      const reporter = resolveUserRef(this, fields.reporter);
      if (reporter === undefined)
        errors.reporter = 'Specified reporter does not exist or you do not have required permissions';
      else if (reporter !== null) reporterAccountId = reporter;
    }
    const propertyProblem = checkProperties(properties);
    if (Object.keys(errors).length > 0 || propertyProblem) {
      throw new JiraFieldErrors(errors, propertyProblem ? [propertyProblem] : []);
    }

    const created = jiraDateTime(this.now());
    const issue: StoredIssue = {
      id: String(this.nextIssueId++),
      key: `${project!.key}-${this.nextIssueNumber++}`,
      projectKey: project!.key,
      issueTypeId: issueType!.id,
      summary: summary!,
      description: editable.description ?? null,
      statusId: this.statuses[0]!.id,
      labels: editable.labels ?? [],
      assigneeAccountId: editable.assignee ?? null,
      reporterAccountId,
      duedate: editable.duedate ?? null,
      parentKey,
      customFields: Object.fromEntries(this.customFields.map((f) => [f.id, editable.custom[f.id] ?? null])),
      created,
      updated: created,
      statusCategoryChanged: created,
      changelog: [],
    };
    this.issues.set(issue.key, issue);
    const stored = this.propertiesOf(issue.key);
    for (const property of properties) stored.set(property.key, property.value);
    if (!options.silent)
      this.emit({
        webhookEvent: 'jira:issue_created',
        issueKey: issue.key,
        timestamp: created,
        accountId: actorAccountId,
      });
    return issue;
  }

  /**
   * Edits fields as a person would in Jira (summary, description, labels, assignee, duedate and
   * the custom fields), in the same value shapes as the REST API. Records one changelog entry
   * with an item per changed field; returns it, or null when nothing changed.
   */
  updateIssue(
    key: string,
    fields: Record<string, unknown>,
    actorAccountId = this.defaultActor(),
  ): ChangelogEntry | null {
    const issue = this.requireIssue(key);
    const errors: Record<string, string> = {};
    for (const field of Object.keys(fields)) {
      if (!EDITABLE_SYSTEM_FIELDS.has(field) && !this.customFields.some((f) => f.id === field)) {
        errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    if ('summary' in fields) checkSummary(fields.summary, errors, true);
    const next = normaliseEditableFields(this, fields, errors);
    if (Object.keys(errors).length > 0) throw new JiraFieldErrors(errors);

    const items: ChangelogItem[] = [];
    if ('summary' in fields && fields.summary !== issue.summary) {
      items.push(systemItem('summary', null, issue.summary, null, fields.summary as string));
      issue.summary = fields.summary as string;
    }
    if ('description' in fields) {
      const before = issue.description ? adfToText(issue.description) : null;
      const after = next.description ? adfToText(next.description) : null;
      if (before !== after) items.push(systemItem('description', null, before, null, after));
      issue.description = next.description ?? null;
    }
    if (next.labels !== undefined && next.labels.join(' ') !== issue.labels.join(' ')) {
      items.push(
        systemItem('labels', null, issue.labels.join(' ') || null, null, next.labels.join(' ') || null),
      );
      issue.labels = next.labels;
    }
    if (next.assignee !== undefined && next.assignee !== issue.assigneeAccountId) {
      const name = (id: string | null) => (id ? (this.users.get(id)?.displayName ?? id) : null);
      items.push(
        systemItem(
          'assignee',
          issue.assigneeAccountId,
          name(issue.assigneeAccountId),
          next.assignee,
          name(next.assignee),
        ),
      );
      issue.assigneeAccountId = next.assignee;
    }
    if (next.duedate !== undefined && next.duedate !== issue.duedate) {
      items.push(systemItem('duedate', issue.duedate, issue.duedate, next.duedate, next.duedate));
      issue.duedate = next.duedate;
    }
    for (const field of this.customFields) {
      if (!(field.id in next.custom)) continue;
      const before = issue.customFields[field.id] ?? null;
      const after = next.custom[field.id] ?? null;
      if (customFieldString(before) === customFieldString(after)) continue;
      const id = (v: SelectValue | string | null) => (v !== null && typeof v === 'object' ? v.id : v);
      items.push({
        field: field.name,
        fieldtype: 'custom',
        fieldId: field.id,
        from: field.kind === 'text' ? null : id(before),
        fromString: customFieldString(before),
        to: field.kind === 'text' ? null : id(after),
        toString: customFieldString(after),
      });
      issue.customFields[field.id] = after;
    }
    if (items.length === 0) return null;
    return this.recordChange(issue, items, actorAccountId);
  }

  /** Moves an issue to a status by name, as a person would, if the workflow offers a transition there. */
  transition(key: string, statusName: string, actorAccountId = this.defaultActor()): ChangelogEntry {
    const issue = this.requireIssue(key);
    const target = this.statusByName(statusName);
    if (!target) throw new Error(`"${statusName}" is not a status of the ${this.project.key} workflow`);
    const transition = this.transitionsFor(issue).find((t) => t.to === target.id);
    if (!transition) {
      throw new Error(
        `${issue.key} cannot move from "${this.statusById(issue.statusId).name}" to "${target.name}": the workflow offers no such transition`,
      );
    }
    return this.applyTransition(issue, transition, actorAccountId);
  }

  applyTransition(
    issue: StoredIssue,
    transition: WorkflowTransition,
    actorAccountId: string,
  ): ChangelogEntry {
    const from = this.statusById(issue.statusId);
    const to = this.statusById(transition.to);
    issue.statusId = to.id;
    const entry = this.recordChange(
      issue,
      [systemItem('status', from.id, from.name, to.id, to.name)],
      actorAccountId,
    );
    if (from.category !== to.category) issue.statusCategoryChanged = entry.created;
    this.transitionLog.push({
      issueKey: issue.key,
      transitionId: transition.id,
      fromStatus: from.name,
      toStatus: to.name,
      at: entry.created,
      byAccountId: actorAccountId,
    });
    return entry;
  }

  addComment(
    key: string,
    body: AdfDocument,
    authorAccountId: string,
    properties: { key: string; value: JsonValue }[] = [],
  ): StoredComment {
    const issue = this.requireIssue(key);
    const created = jiraDateTime(this.now());
    const comment: StoredComment = {
      id: String(this.nextCommentId++),
      issueKey: issue.key,
      authorAccountId,
      body,
      created,
      updated: created,
      properties: new Map(properties.map((p) => [p.key, p.value])),
    };
    const list = this.comments.get(issue.key) ?? [];
    list.push(comment);
    this.comments.set(issue.key, list);
    issue.updated = created;
    this.emit({
      webhookEvent: 'comment_created',
      issueKey: issue.key,
      timestamp: created,
      accountId: authorAccountId,
      commentId: comment.id,
    });
    return comment;
  }

  private recordChange(issue: StoredIssue, items: ChangelogItem[], actorAccountId: string): ChangelogEntry {
    const created = jiraDateTime(this.now());
    const entry: ChangelogEntry = {
      id: String(this.nextChangelogId++),
      authorAccountId: actorAccountId,
      created,
      items,
    };
    issue.changelog.push(entry);
    issue.updated = created;
    this.emit({
      webhookEvent: 'jira:issue_updated',
      issueKey: issue.key,
      timestamp: created,
      accountId: actorAccountId,
      changelog: entry,
    });
    return entry;
  }

  private defaultActor(): string {
    return this.users.values().next().value?.accountId ?? this.serviceUser().accountId;
  }
}

function systemItem(
  field: string,
  from: string | null,
  fromString: string | null,
  to: string | null,
  toString: string | null,
): ChangelogItem {
  return { field, fieldtype: 'jira', fieldId: field, from, fromString, to, toString };
}

function customFieldString(value: SelectValue | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? value.value : value;
}

// ---------------------------------------------------------------------------------------------
// Field validation, in Jira's words
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveProject(
  store: JiraStore,
  value: unknown,
  errors: Record<string, string>,
): JiraProject | undefined {
  if (value === undefined || value === null) {
    errors.project = 'Specify a valid project ID or key';
    return undefined;
  }
  const ref = isRecord(value) ? value : {};
  const matches =
    (typeof ref.key === 'string' && ref.key.toUpperCase() === store.project.key) ||
    (typeof ref.id === 'string' && ref.id === store.project.id);
  if (!matches) {
    errors.project = 'Specify a valid project ID or key';
    return undefined;
  }
  return store.project;
}

function resolveIssueType(
  store: JiraStore,
  value: unknown,
  errors: Record<string, string>,
): JiraIssueType | undefined {
  if (value === undefined || value === null) {
    errors.issuetype = 'Specify an issue type';
    return undefined;
  }
  const ref = isRecord(value) ? value : {};
  const type = store.issueTypes.find(
    (t) =>
      (typeof ref.id === 'string' && t.id === ref.id) ||
      (typeof ref.name === 'string' && t.name.toLowerCase() === ref.name.toLowerCase()),
  );
  if (!type) errors.issuetype = 'The issue type selected is invalid.';
  return type;
}

function resolveIssueRef(store: JiraStore, value: unknown): StoredIssue | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.key === 'string') return store.issue(value.key);
  if (typeof value.id === 'string') return store.issue(value.id);
  return undefined;
}

/** An account id, null to unassign, or undefined when the reference names nobody. */
function resolveUserRef(store: JiraStore, value: unknown): string | null | undefined {
  if (value === null) return null;
  if (!isRecord(value) || typeof value.accountId !== 'string') return undefined;
  return store.users.has(value.accountId) ? value.accountId : undefined;
}

function checkSummary(value: unknown, errors: Record<string, string>, required: boolean): string | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) errors.summary = 'You must specify a summary of the issue.';
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.summary = 'Operation value must be a string';
    return undefined;
  }
  if (/[\r\n]/.test(value)) errors.summary = 'The summary is invalid because it contains newline characters.';
  else if (value.length > MAX_SUMMARY_LENGTH)
    errors.summary = `Summary must be less than ${MAX_SUMMARY_LENGTH} characters.`;
  return value;
}

interface EditableFields {
  description?: AdfDocument | null;
  labels?: string[];
  assignee?: string | null;
  duedate?: string | null;
  custom: Record<string, SelectValue | string | null>;
}

function normaliseEditableFields(
  store: JiraStore,
  fields: Record<string, unknown>,
  errors: Record<string, string>,
): EditableFields {
  const out: EditableFields = { custom: {} };
  if ('description' in fields) {
    const value = fields.description;
    if (value === null) out.description = null;
    else {
      const problem = adfProblem(value);
      if (problem) errors.description = NOT_ADF;
      else out.description = value as AdfDocument;
    }
  }
  if ('labels' in fields) {
    const value = fields.labels;
    if (value === null) out.labels = [];
    else if (!Array.isArray(value) || value.some((l) => typeof l !== 'string'))
      errors.labels = 'Operation value must be an array of strings';
    else {
      const labels = value as string[];
      const spaced = labels.find((l) => /\s/.test(l));
      const long = labels.find((l) => l.length > MAX_LABEL_LENGTH);
      if (labels.some((l) => l === '')) errors.labels = 'Labels cannot be empty.';
      else if (spaced !== undefined)
        errors.labels = `The label '${spaced}' contains spaces which is invalid.`;
      else if (long !== undefined)
        errors.labels = `The label '${long.slice(0, 40)}…' exceeds the maximum length for a single label of ${MAX_LABEL_LENGTH} characters.`;
      else out.labels = [...new Set(labels)];
    }
  }
  if ('assignee' in fields) {
    const assignee = resolveUserRef(store, fields.assignee);
    if (assignee === undefined)
      errors.assignee = 'Specified user does not exist or you do not have required permissions';
    else out.assignee = assignee;
  }
  if ('duedate' in fields) {
    const value = fields.duedate;
    if (value === null) out.duedate = null;
    else if (typeof value !== 'string' || !isRealDate(value))
      errors.duedate = `Error parsing date string: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
    else out.duedate = value;
  }
  for (const field of store.customFields) {
    if (!(field.id in fields)) continue;
    const value = fields[field.id];
    if (value === null) {
      out.custom[field.id] = null;
      continue;
    }
    if (field.kind === 'select') {
      const ref = isRecord(value) ? value : undefined;
      const option = field.options.find(
        (o) =>
          (typeof ref?.id === 'string' && o.id === ref.id) ||
          (typeof ref?.value === 'string' && o.value === ref.value),
      );
      if (!ref || (typeof ref.value !== 'string' && typeof ref.id !== 'string'))
        errors[field.id] = `Specify a valid 'id' or 'value' for ${field.name}`;
      else if (!option)
        errors[field.id] =
          typeof ref.id === 'string'
            ? `Option id '${ref.id}' is not valid`
            : `Option value '${String(ref.value)}' is not valid`;
      else out.custom[field.id] = { id: option.id, value: option.value };
    } else if (field.kind === 'date') {
      if (typeof value !== 'string' || !isRealDate(value))
        errors[field.id] =
          `Error parsing date string: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
      else out.custom[field.id] = value;
    } else if (typeof value !== 'string') {
      errors[field.id] = 'Operation value must be a string';
    } else if (value.length > MAX_TEXT_FIELD_LENGTH) {
      errors[field.id] =
        `The entered text is too long. It exceeds the allowed limit of ${MAX_TEXT_FIELD_LENGTH} characters.`;
    } else out.custom[field.id] = value;
  }
  return out;
}

/** Entity properties as create requests carry them; the problem in Jira's words, if any. */
function checkProperties(properties: unknown): string | undefined {
  if (!Array.isArray(properties)) return INVALID_PAYLOAD;
  const seen = new Set<string>();
  for (const property of properties) {
    if (!isRecord(property) || typeof property.key !== 'string' || property.key === '')
      return 'The property key cannot be empty.';
    if (property.key.length > MAX_PROPERTY_KEY_LENGTH)
      return `The property key cannot be longer than ${MAX_PROPERTY_KEY_LENGTH} characters.`;
    if (property.value === undefined) return `The property value for key '${property.key}' cannot be empty.`;
    if (JSON.stringify(property.value).length > MAX_PROPERTY_VALUE_LENGTH) {
      return `The property value for key '${property.key}' is too long. The maximum allowed length is ${MAX_PROPERTY_VALUE_LENGTH} characters.`;
    }
    if (seen.has(property.key)) return `The property key '${property.key}' is given more than once.`;
    seen.add(property.key);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Atlassian Document Format
// ---------------------------------------------------------------------------------------------

const ADF_BLOCKS = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'listItem',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'mediaSingle',
  'mediaGroup',
  'media',
  'expand',
  'nestedExpand',
]);
const ADF_INLINES = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);
const ADF_TOP_LEVEL = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'mediaSingle',
  'mediaGroup',
  'expand',
]);

/** Why a value is not an ADF document Jira would store, or undefined when it is one. */
export function adfProblem(value: unknown): string | undefined {
  if (!isRecord(value) || value.type !== 'doc') return 'the root must be { "type": "doc" }';
  if (value.version !== 1) return 'version must be 1';
  if (!Array.isArray(value.content)) return 'content must be an array';
  for (const node of value.content) {
    if (!isRecord(node) || typeof node.type !== 'string' || !ADF_TOP_LEVEL.has(node.type))
      return `"${isRecord(node) ? String(node.type) : typeof node}" cannot be a top-level node`;
    const problem = adfNodeProblem(node);
    if (problem) return problem;
  }
  return undefined;
}

function adfNodeProblem(node: Record<string, unknown>): string | undefined {
  const type = node.type as string;
  if (type === 'text') {
    if (typeof node.text !== 'string' || node.text.length === 0) return 'text nodes need non-empty text';
    return undefined;
  }
  if (node.content === undefined) return undefined;
  if (!Array.isArray(node.content)) return `${type}.content must be an array`;
  const allowsInline = type === 'paragraph' || type === 'heading' || type === 'codeBlock';
  for (const child of node.content) {
    if (!isRecord(child) || typeof child.type !== 'string') return `${type} has a child that is not a node`;
    const known = allowsInline ? ADF_INLINES.has(child.type) : ADF_BLOCKS.has(child.type);
    if (!known) return `"${child.type}" is not allowed inside ${type}`;
    const problem = adfNodeProblem(child);
    if (problem) return problem;
  }
  return undefined;
}

/** The text of a document: paragraphs separated by blank lines, hard breaks as newlines. */
export function adfToText(doc: AdfDocument | AdfNode): string {
  const walk = (node: AdfNode): string => {
    if (node.type === 'text') return node.text ?? '';
    if (node.type === 'hardBreak') return '\n';
    const inner = (node.content ?? []).map(walk);
    return node.type === 'doc' ? inner.join('\n\n') : inner.join('');
  };
  return walk(doc);
}

function adfLength(doc: AdfDocument): number {
  return adfToText(doc).length;
}

// ---------------------------------------------------------------------------------------------
// JQL: the subset prodops uses, refused loudly beyond it
// ---------------------------------------------------------------------------------------------

interface JqlToken {
  kind: 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma';
  text: string;
  /** 1-based character position, as Jira reports it. */
  at: number;
}

type JqlOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is empty' | 'is not empty';

interface JqlClause {
  field: string;
  operator: JqlOperator;
  values: string[];
  at: number;
}

interface JqlOrder {
  field: 'created' | 'updated' | 'key' | 'duedate';
  descending: boolean;
}

export interface JqlQuery {
  clauses: JqlClause[];
  order: JqlOrder[];
}

class JqlError extends Error {}

const jqlAt = (at: number) => `(line 1, character ${at})`;

function tokenizeJql(jql: string): JqlToken[] {
  const tokens: JqlToken[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, at });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < jql.length && jql[i] !== c) {
        if (jql[i] === '\\' && i + 1 < jql.length) i++;
        text += jql[i];
        i++;
      }
      if (i >= jql.length)
        throw new JqlError(
          `Error in the JQL Query: The quoted string '${text}' has not been completed. ${jqlAt(at)}`,
        );
      i++;
      tokens.push({ kind: 'string', text, at });
      continue;
    }
    const op = /^(!=|!~|>=|<=|=|~|>|<)/.exec(jql.slice(i));
    if (op) {
      tokens.push({ kind: 'op', text: op[0], at });
      i += op[0].length;
      continue;
    }
    const word = /^[^\s=!~<>(),"']+/.exec(jql.slice(i));
    if (!word)
      throw new JqlError(
        `Error in the JQL Query: The character '${c}' is a reserved JQL character. ${jqlAt(at)}`,
      );
    tokens.push({ kind: 'word', text: word[0], at });
    i += word[0].length;
  }
  return tokens;
}

const KNOWN_UNSUPPORTED_FIELDS = new Set([
  'summary',
  'description',
  'text',
  'comment',
  'created',
  'createddate',
  'updated',
  'updateddate',
  'priority',
  'resolution',
  'resolved',
  'reporter',
  'creator',
  'sprint',
  'fixversion',
  'affectedversion',
  'component',
  'statuscategory',
  'watcher',
  'voter',
  'filter',
  'attachments',
  'environment',
  'epic link',
  'rank',
]);

const FIELD_OPERATORS: Record<string, JqlOperator[]> = {
  project: ['=', '!=', 'in', 'not in'],
  key: ['=', '!=', 'in', 'not in'],
  parent: ['=', '!=', 'in', 'not in'],
  labels: ['=', '!=', 'in', 'not in', 'is empty', 'is not empty'],
  status: ['=', '!=', 'in', 'not in'],
  issuetype: ['=', '!=', 'in', 'not in'],
  assignee: ['=', '!=', 'in', 'not in', 'is empty', 'is not empty'],
  duedate: ['=', '!=', '<', '<=', '>', '>=', 'is empty', 'is not empty'],
};

const FIELD_ALIASES: Record<string, string> = {
  issuekey: 'key',
  id: 'key',
  type: 'issuetype',
  due: 'duedate',
};

const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);

export function parseJql(jql: string): JqlQuery {
  const tokens = tokenizeJql(jql);
  let position = 0;
  const peek = () => tokens[position];
  const keyword = (token: JqlToken | undefined, word: string) =>
    token?.kind === 'word' && token.text.toLowerCase() === word;
  const endAt = jql.length + 1;
  const unsupported = (what: string, at: number) =>
    new JqlError(
      `Error in the JQL Query: ${what} is not supported by the prodops Jira sandbox. ${jqlAt(at)}`,
    );

  const clauses: JqlClause[] = [];
  const order: JqlOrder[] = [];

  const parseValue = (field: string): string => {
    const token = tokens[position++];
    if (!token || (token.kind !== 'word' && token.kind !== 'string')) {
      throw new JqlError(
        `Error in the JQL Query: Expecting either a value, list or function but got '${token?.text ?? 'end of query'}'. ${jqlAt(token?.at ?? endAt)}`,
      );
    }
    if (token.kind === 'word' && peek()?.kind === 'lparen')
      throw unsupported(`The function '${token.text}()' in the '${field}' clause`, token.at);
    return token.text;
  };

  const parseClause = () => {
    const fieldToken = tokens[position++];
    if (!fieldToken || (fieldToken.kind !== 'word' && fieldToken.kind !== 'string')) {
      throw new JqlError(
        `Error in the JQL Query: Expecting a field name but got '${fieldToken?.text ?? 'end of query'}'. ${jqlAt(fieldToken?.at ?? endAt)}`,
      );
    }
    if (fieldToken.kind === 'word' && ['not', '('].includes(fieldToken.text.toLowerCase()))
      throw unsupported(`'${fieldToken.text}'`, fieldToken.at);
    const raw = fieldToken.text.toLowerCase();
    const field = FIELD_ALIASES[raw] ?? raw;
    if (/^issue\.property\[/.test(raw)) {
      throw unsupported(
        `Searching issue properties ('${fieldToken.text}', which Jira only indexes for apps that declare them)`,
        fieldToken.at,
      );
    }
    const allowed = FIELD_OPERATORS[field];
    if (!allowed) {
      if (KNOWN_UNSUPPORTED_FIELDS.has(raw) || /^(cf\[\d+\]|customfield_\d+)$/.test(raw))
        throw unsupported(`The field '${fieldToken.text}'`, fieldToken.at);
      throw new JqlError(
        `Field '${fieldToken.text}' does not exist or you do not have permission to view it.`,
      );
    }

    const opToken = tokens[position++];
    let operator: JqlOperator | undefined;
    let values: string[] = [];
    if (opToken?.kind === 'op' && (opToken.text === '=' || opToken.text === '!=')) {
      operator = opToken.text;
      values = [parseValue(fieldToken.text)];
    } else if (
      opToken?.kind === 'op' &&
      RANGE_OPERATORS.has(opToken.text) &&
      allowed.includes(opToken.text as JqlOperator)
    ) {
      operator = opToken.text as JqlOperator;
      values = [parseValue(fieldToken.text)];
    } else if (keyword(opToken, 'in') || (keyword(opToken, 'not') && keyword(peek(), 'in'))) {
      if (keyword(opToken, 'not')) position++;
      operator = keyword(opToken, 'not') ? 'not in' : 'in';
      if (tokens[position++]?.kind !== 'lparen')
        throw new JqlError(
          `Error in the JQL Query: Expecting '(' after '${operator.toUpperCase()}'. ${jqlAt(opToken!.at)}`,
        );
      for (;;) {
        values.push(parseValue(fieldToken.text));
        const next = tokens[position++];
        if (next?.kind === 'rparen') break;
        if (next?.kind !== 'comma')
          throw new JqlError(
            `Error in the JQL Query: Expecting ',' or ')' but got '${next?.text ?? 'end of query'}'. ${jqlAt(next?.at ?? endAt)}`,
          );
      }
    } else if (keyword(opToken, 'is')) {
      const negated = keyword(peek(), 'not');
      if (negated) position++;
      const what = tokens[position++];
      if (!keyword(what, 'empty') && !keyword(what, 'null')) {
        throw new JqlError(
          `Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got '${what?.text ?? 'end of query'}'. ${jqlAt(what?.at ?? endAt)}`,
        );
      }
      operator = negated ? 'is not empty' : 'is empty';
    } else if (opToken?.kind === 'op') {
      throw new JqlError(
        `The operator '${opToken.text}' is not supported by the '${fieldToken.text}' field.`,
      );
    } else {
      throw new JqlError(
        `Error in the JQL Query: Expecting operator but got '${opToken?.text ?? 'end of query'}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. ${jqlAt(opToken?.at ?? endAt)}`,
      );
    }
    if (!allowed.includes(operator))
      throw new JqlError(
        `The operator '${operator.toUpperCase()}' is not supported by the '${fieldToken.text}' field.`,
      );
    clauses.push({ field, operator, values, at: fieldToken.at });
  };

  const parseOrder = () => {
    position++;
    if (!keyword(tokens[position++], 'by'))
      throw new JqlError(
        `Error in the JQL Query: Expecting 'BY' after 'ORDER'. ${jqlAt(tokens[position - 1]?.at ?? endAt)}`,
      );
    for (;;) {
      const token = tokens[position++];
      if (!token || (token.kind !== 'word' && token.kind !== 'string')) {
        throw new JqlError(
          `Error in the JQL Query: Expecting a field name but got '${token?.text ?? 'end of query'}'. ${jqlAt(token?.at ?? endAt)}`,
        );
      }
      const field = token.text.toLowerCase();
      if (field !== 'created' && field !== 'updated' && field !== 'key' && field !== 'duedate')
        throw unsupported(`Ordering by '${token.text}'`, token.at);
      let descending = false;
      if (keyword(peek(), 'asc') || keyword(peek(), 'desc'))
        descending = tokens[position++]!.text.toLowerCase() === 'desc';
      order.push({ field, descending });
      if (peek()?.kind !== 'comma') break;
      position++;
    }
  };

  if (tokens.length > 0 && !keyword(peek(), 'order')) {
    parseClause();
    while (position < tokens.length && !keyword(peek(), 'order')) {
      const joiner = tokens[position]!;
      if (keyword(joiner, 'or')) throw unsupported("'OR'", joiner.at);
      if (!keyword(joiner, 'and'))
        throw new JqlError(
          `Error in the JQL Query: Expecting either 'OR' or 'AND' but got '${joiner.text}'. ${jqlAt(joiner.at)}`,
        );
      position++;
      parseClause();
    }
  }
  if (keyword(peek(), 'order')) parseOrder();
  if (position < tokens.length) {
    const extra = tokens[position]!;
    throw new JqlError(
      `Error in the JQL Query: Expecting end of query but got '${extra.text}'. ${jqlAt(extra.at)}`,
    );
  }
  return { clauses, order };
}

/** Turns a parsed query into a predicate, checking values the way Jira does (unknown status → 400). */
function compileJql(store: JiraStore, query: JqlQuery): (issue: StoredIssue) => boolean {
  const predicates = query.clauses.map((clause): ((issue: StoredIssue) => boolean) => {
    const valueError = (value: string) =>
      new JqlError(`The value '${value}' does not exist for the field '${clause.field}'.`);
    let matchers: ((issue: StoredIssue) => boolean)[];
    let has: (issue: StoredIssue) => boolean = () => true;
    switch (clause.field) {
      case 'project':
        matchers = clause.values.map((v) => {
          if (
            ![store.project.key.toLowerCase(), store.project.id, store.project.name.toLowerCase()].includes(
              v.toLowerCase(),
            )
          )
            throw valueError(v);
          return (issue) => issue.projectKey === store.project.key;
        });
        break;
      case 'key':
      case 'parent':
        matchers = clause.values.map((v) => {
          const found = store.issue(v);
          if (!found)
            throw new JqlError(`An issue with key '${v}' does not exist for field '${clause.field}'.`);
          return clause.field === 'key'
            ? (issue) => issue.key === found.key
            : (issue) => issue.parentKey === found.key;
        });
        if (clause.field === 'parent') has = (issue) => issue.parentKey !== null;
        break;
      case 'labels':
        matchers = clause.values.map(
          (v) => (issue) => issue.labels.some((l) => l.toLowerCase() === v.toLowerCase()),
        );
        has = (issue) => issue.labels.length > 0;
        break;
      case 'status':
        matchers = clause.values.map((v) => {
          const status = store.statuses.find((s) => s.name.toLowerCase() === v.toLowerCase() || s.id === v);
          if (!status) throw valueError(v);
          return (issue) => issue.statusId === status.id;
        });
        break;
      case 'issuetype':
        matchers = clause.values.map((v) => {
          const type = store.issueTypes.find((t) => t.name.toLowerCase() === v.toLowerCase() || t.id === v);
          if (!type) throw valueError(v);
          return (issue) => issue.issueTypeId === type.id;
        });
        break;
      case 'assignee':
        matchers = clause.values.map((v) => {
          if (!store.users.has(v)) throw valueError(v);
          return (issue) => issue.assigneeAccountId === v;
        });
        has = (issue) => issue.assigneeAccountId !== null;
        break;
      case 'duedate': {
        has = (issue) => issue.duedate !== null;
        const bound = clause.values[0] === undefined ? null : jqlDate(clause.values[0], clause.at);
        // Dates compare as YYYY-MM-DD strings; an issue without a due date matches no comparison, as in Jira.
        const compare: Partial<Record<JqlOperator, (due: string, b: string) => boolean>> = {
          '=': (due, b) => due === b,
          '!=': (due, b) => due !== b,
          '<': (due, b) => due < b,
          '<=': (due, b) => due <= b,
          '>': (due, b) => due > b,
          '>=': (due, b) => due >= b,
        };
        const test = compare[clause.operator];
        if (test && bound !== null) return (issue) => issue.duedate !== null && test(issue.duedate, bound);
        matchers = [];
        break;
      }
      default:
        throw new JqlError(
          `Field '${clause.field}' does not exist or you do not have permission to view it.`,
        );
    }
    const anyMatch = (issue: StoredIssue) => matchers.some((m) => m(issue));
    switch (clause.operator) {
      case '=':
      case 'in':
        return anyMatch;
      // As in Jira, a negative clause never matches an issue whose field is empty.
      case '!=':
      case 'not in':
        return (issue) => has(issue) && !anyMatch(issue);
      case 'is empty':
        return (issue) => !has(issue);
      case 'is not empty':
        return has;
      default:
        // Only date fields take a range, and they answered above.
        throw new JqlError(
          `The operator '${clause.operator}' is not supported by the '${clause.field}' field.`,
        );
    }
  });
  return (issue) => predicates.every((p) => p(issue));
}

/**
 * A JQL date value as Jira reads it for a date-only field: `yyyy-MM-dd` or `yyyy/MM/dd`. Relative
 * periods (`-5d`) and functions are valid in Jira but outside the sandbox's subset, so they are
 * refused rather than guessed at.
 */
function jqlDate(value: string, at: number): string {
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(value);
  if (match) {
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d)
      return `${match[1]}-${match[2]}-${match[3]}`;
  }
  if (/^[-+]?\d+[wdhm]/.test(value))
    throw new JqlError(
      `Error in the JQL Query: The relative date '${value}' is not supported by the prodops Jira sandbox. ${jqlAt(at)}`,
    );
  throw new JqlError(
    `Date value '${value}' for field 'duedate' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
  );
}

function compareIssues(order: JqlOrder[]): (a: StoredIssue, b: StoredIssue) => number {
  const keyNumber = (issue: StoredIssue) => Number(issue.key.slice(issue.key.lastIndexOf('-') + 1));
  const criteria: JqlOrder[] = order.length > 0 ? order : [{ field: 'created', descending: true }];
  return (a, b) => {
    for (const { field, descending } of criteria) {
      let diff: number;
      if (field === 'key') diff = a.projectKey.localeCompare(b.projectKey) || keyNumber(a) - keyNumber(b);
      else if (field === 'duedate') {
        // Issues without a due date sort last whichever the direction, as in Jira.
        if (a.duedate === b.duedate) diff = 0;
        else if (a.duedate === null) return 1;
        else if (b.duedate === null) return -1;
        else diff = a.duedate.localeCompare(b.duedate);
      } else diff = a[field].localeCompare(b[field]);
      if (diff !== 0) return descending ? -diff : diff;
    }
    const byId = Number(a.id) - Number(b.id);
    return criteria[0]?.descending ? -byId : byId;
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering in Jira's shapes
// ---------------------------------------------------------------------------------------------

interface FieldSelection {
  all: boolean;
  include: Set<string>;
  exclude: Set<string>;
}

function parseFieldSelection(values: string[]): FieldSelection {
  const selection: FieldSelection = { all: false, include: new Set(), exclude: new Set() };
  for (const value of values) {
    if (value === '*all' || value === '*navigable') selection.all = true;
    else if (value.startsWith('-')) selection.exclude.add(value.slice(1));
    else selection.include.add(value);
  }
  return selection;
}

const selects = (selection: FieldSelection, field: string) =>
  (selection.all || selection.include.has(field)) && !selection.exclude.has(field);

function listParam(req: SandboxRequest, name: string): string[] {
  return req.query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function intParam(req: SandboxRequest, name: string, fallback: number): number {
  const raw = req.query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value))
    throw jiraError(400, [`The value '${raw}' for parameter '${name}' is not a valid integer.`]);
  return value;
}

class JiraRenderer {
  constructor(
    private readonly store: JiraStore,
    readonly base: string,
  ) {}

  user(accountId: string | null): Record<string, unknown> | null {
    if (accountId === null) return null;
    const user = this.store.users.get(accountId);
    if (!user) return { accountId, accountType: 'unknown', active: false, displayName: 'Former user' };
    return {
      self: `${this.base}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
      accountId: user.accountId,
      ...(user.emailAddress ? { emailAddress: user.emailAddress } : {}),
      displayName: user.displayName,
      active: user.active,
      timeZone: user.timeZone,
      accountType: user.accountType,
    };
  }

  status(id: string): Record<string, unknown> {
    const status = this.store.statusById(id);
    const category = {
      new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
      indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
      done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
    }[status.category];
    return {
      self: `${this.base}/rest/api/3/status/${status.id}`,
      description: '',
      iconUrl: `${this.base}/images/icons/statuses/generic.png`,
      name: status.name,
      untranslatedName: status.name,
      id: status.id,
      statusCategory: { self: `${this.base}/rest/api/3/statuscategory/${category.id}`, ...category },
    };
  }

  issueType(id: string): Record<string, unknown> {
    const type = this.store.issueTypeById(id);
    return {
      self: `${this.base}/rest/api/3/issuetype/${type.id}`,
      id: type.id,
      description: type.description,
      iconUrl: `${this.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/${type.id}?size=medium`,
      name: type.name,
      subtask: type.subtask,
      hierarchyLevel: type.hierarchyLevel,
    };
  }

  project(): Record<string, unknown> {
    const p = this.store.project;
    return {
      self: `${this.base}/rest/api/3/project/${p.id}`,
      id: p.id,
      key: p.key,
      name: p.name,
      projectTypeKey: 'software',
      simplified: false,
    };
  }

  private customValue(value: SelectValue | string | null | undefined): unknown {
    if (value === null || value === undefined) return null;
    if (typeof value === 'object')
      return {
        self: `${this.base}/rest/api/3/customFieldOption/${value.id}`,
        value: value.value,
        id: value.id,
      };
    return value;
  }

  /** A linked issue as Jira nests it (parent, sub-tasks). */
  private issueLink(issue: StoredIssue): Record<string, unknown> {
    return {
      id: issue.id,
      key: issue.key,
      self: `${this.base}/rest/api/3/issue/${issue.id}`,
      fields: {
        summary: issue.summary,
        status: this.status(issue.statusId),
        priority: this.priority(),
        issuetype: this.issueType(issue.issueTypeId),
      },
    };
  }

  private priority(): Record<string, unknown> {
    return {
      self: `${this.base}/rest/api/3/priority/3`,
      iconUrl: `${this.base}/images/icons/priorities/medium.svg`,
      name: 'Medium',
      id: '3',
    };
  }

  comment(comment: StoredComment, expand: Set<string>): Record<string, unknown> {
    const issue = this.store.issue(comment.issueKey);
    return {
      self: `${this.base}/rest/api/3/issue/${issue?.id ?? comment.issueKey}/comment/${comment.id}`,
      id: comment.id,
      author: this.user(comment.authorAccountId),
      body: comment.body,
      updateAuthor: this.user(comment.authorAccountId),
      created: comment.created,
      updated: comment.updated,
      jsdPublic: true,
      ...(expand.has('renderedBody') ? { renderedBody: renderHtml(comment.body) } : {}),
      ...(expand.has('properties')
        ? { properties: [...comment.properties].map(([key, value]) => ({ key, value })) }
        : {}),
    };
  }

  changelog(issue: StoredIssue): Record<string, unknown> {
    return {
      startAt: 0,
      maxResults: issue.changelog.length,
      total: issue.changelog.length,
      histories: issue.changelog.map((entry) => ({
        id: entry.id,
        author: this.user(entry.authorAccountId),
        created: entry.created,
        items: entry.items,
      })),
    };
  }

  issue(
    issue: StoredIssue,
    fields: FieldSelection,
    options: { properties?: string[]; expand?: Set<string> } = {},
  ): Record<string, unknown> {
    const all: Record<string, () => unknown> = {
      summary: () => issue.summary,
      description: () => issue.description,
      issuetype: () => this.issueType(issue.issueTypeId),
      project: () => this.project(),
      status: () => this.status(issue.statusId),
      priority: () => this.priority(),
      labels: () => issue.labels,
      assignee: () => this.user(issue.assigneeAccountId),
      reporter: () => this.user(issue.reporterAccountId),
      creator: () => this.user(issue.reporterAccountId),
      duedate: () => issue.duedate,
      created: () => issue.created,
      updated: () => issue.updated,
      statuscategorychangedate: () => issue.statusCategoryChanged,
      subtasks: () => this.store.subtasksOf(issue.key).map((s) => this.issueLink(s)),
      comment: () => {
        const comments = this.store.commentsOf(issue.key);
        return {
          comments: comments.map((c) => this.comment(c, new Set())),
          self: `${this.base}/rest/api/3/issue/${issue.id}/comment`,
          maxResults: comments.length,
          total: comments.length,
          startAt: 0,
        };
      },
    };
    if (issue.parentKey) {
      const parent = this.store.issue(issue.parentKey);
      if (parent) all.parent = () => this.issueLink(parent);
    }
    for (const field of this.store.customFields)
      all[field.id] = () => this.customValue(issue.customFields[field.id]);

    const rendered: Record<string, unknown> = {};
    for (const [id, render] of Object.entries(all)) if (selects(fields, id)) rendered[id] = render();
    const out: Record<string, unknown> = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.base}/rest/api/3/issue/${issue.id}`,
      key: issue.key,
      fields: rendered,
    };
    if (options.properties && options.properties.length > 0) {
      const stored = this.store.properties.get(issue.key);
      out.properties = Object.fromEntries(
        options.properties.filter((k) => stored?.has(k)).map((k) => [k, stored!.get(k)]),
      );
    }
    if (options.expand?.has('changelog')) out.changelog = this.changelog(issue);
    return out;
  }
}

function renderHtml(doc: AdfDocument): string {
  const escape = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return doc.content.map((block) => `<p>${escape(adfToText(block)).replace(/\n/g, '<br/>')}</p>`).join('');
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface JiraSandbox extends SandboxVendor {
  readonly name: 'jira';
  readonly store: JiraStore;
}

/** Decodes the Authorization header; the credentials are accepted unless the token is literally `invalid`. */
function authenticate(store: JiraStore, req: SandboxRequest): JiraUser {
  const header = req.headers.authorization;
  const refuse = () => jiraError(401, ['Client must be authenticated to access this resource.']);
  if (typeof header !== 'string') throw refuse();
  const [scheme, credentials] = header.split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'basic' && credentials) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw refuse();
    const email = decoded.slice(0, colon);
    const token = decoded.slice(colon + 1);
    if (token === '' || token === 'invalid') throw refuse();
    return store.userByEmail(email) ?? store.serviceUser(email);
  }
  if (scheme?.toLowerCase() === 'bearer' && credentials && credentials !== 'invalid') return store.appUser();
  throw refuse();
}

interface SearchCursor {
  jql: string;
  offset: number;
}

function encodeCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(token: string, jql: string): number {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<SearchCursor>;
    if (
      cursor.jql === jql &&
      typeof cursor.offset === 'number' &&
      Number.isInteger(cursor.offset) &&
      cursor.offset >= 0
    )
      return cursor.offset;
  } catch {
    // Falls through to Jira's refusal below.
  }
  throw jiraError(400, ['The provided next page token is invalid or expired.']);
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw jiraError(400, [`${INVALID_PAYLOAD} '${name}' must be an array of strings.`]);
  return value as string[];
}

export function createJiraSandbox(config: OrgConfig, options: JiraSandboxOptions = {}): JiraSandbox {
  const now = options.now ?? (() => new Date());
  const store = new JiraStore(config, now, options.seedIssues ?? true);

  const baseOf = (req: SandboxRequest) => `http://${req.headers.host ?? 'sandbox.local'}`;
  const issueOr404 = (idOrKey: string) => {
    const issue = store.issue(idOrKey);
    if (!issue) throw jiraError(404, [ISSUE_NOT_FOUND]);
    return issue;
  };

  type Handler = (req: SandboxRequest, user: JiraUser) => SandboxResponse | Promise<SandboxResponse>;
  const authed =
    (handler: Handler) =>
    (req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> =>
      handler(req, authenticate(store, req));

  const search = (
    req: SandboxRequest,
    input: {
      jql: unknown;
      nextPageToken: unknown;
      maxResults: unknown;
      fields: string[] | undefined;
      properties: string[] | undefined;
      expand: string[];
    },
  ) => {
    if (typeof input.jql !== 'string' || input.jql.trim() === '') {
      throw jiraError(400, [
        'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
      ]);
    }
    const jql = input.jql;
    let query: JqlQuery;
    let matches: (issue: StoredIssue) => boolean;
    try {
      query = parseJql(jql);
      if (query.clauses.length === 0)
        throw new JqlError(
          'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.',
        );
      matches = compileJql(store, query);
    } catch (error) {
      if (error instanceof JqlError) throw jiraError(400, [error.message]);
      throw error;
    }
    const fields = input.fields ?? [];
    const onlyIdentifiers = fields.every((f) => f === 'id' || f === 'key');
    const ceiling = onlyIdentifiers ? MAX_SEARCH_RESULTS : MAX_SEARCH_RESULTS_WITH_FIELDS;
    let maxResults = 50;
    if (input.maxResults !== undefined && input.maxResults !== null) {
      if (
        typeof input.maxResults !== 'number' ||
        !Number.isInteger(input.maxResults) ||
        input.maxResults < 1
      ) {
        throw jiraError(400, ["The value of 'maxResults' must be an integer greater than 0."]);
      }
      maxResults = input.maxResults;
    }
    maxResults = Math.min(maxResults, ceiling);
    if (input.properties && input.properties.length > 5)
      throw jiraError(400, ['You can request at most 5 issue properties.']);
    const offset =
      typeof input.nextPageToken === 'string' && input.nextPageToken !== ''
        ? decodeCursor(input.nextPageToken, jql)
        : 0;

    const found = [...store.issues.values()].filter(matches).sort(compareIssues(query.order));
    const page = found.slice(offset, offset + maxResults);
    const isLast = offset + page.length >= found.length;
    const renderer = new JiraRenderer(store, baseOf(req));
    const selection = parseFieldSelection(fields);
    const expand = new Set(input.expand);
    return ok({
      issues: page.map((issue) =>
        fields.length === 0 && !input.properties?.length
          ? { id: issue.id }
          : renderer.issue(issue, selection, { properties: input.properties, expand }),
      ),
      ...(isLast ? {} : { nextPageToken: encodeCursor({ jql, offset: offset + page.length }) }),
      isLast,
    });
  };

  const register = (router: SandboxRouter) => {
    router.setErrorShape('jira', (_status, message) => ({ errorMessages: [message], errors: {} }));

    router.add(
      'jira',
      'GET',
      '/rest/api/3/myself',
      authed((req, user) =>
        ok({ ...new JiraRenderer(store, baseOf(req)).user(user.accountId), locale: 'en_GB' }),
      ),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/field',
      authed(() => {
        const system = (id: string, name: string, type: string, extra: Record<string, unknown> = {}) => ({
          id,
          key: id,
          name,
          custom: false,
          orderable: true,
          navigable: true,
          searchable: true,
          clauseNames: [id],
          schema: { type, system: id, ...extra },
        });
        return ok([
          system('summary', 'Summary', 'string'),
          system('description', 'Description', 'string'),
          system('issuetype', 'Issue Type', 'issuetype'),
          system('project', 'Project', 'project'),
          system('status', 'Status', 'status'),
          system('parent', 'Parent', 'issuelink'),
          system('labels', 'Labels', 'array', { items: 'string' }),
          system('assignee', 'Assignee', 'user'),
          system('reporter', 'Reporter', 'user'),
          system('duedate', 'Due date', 'date'),
          system('created', 'Created', 'datetime'),
          system('updated', 'Updated', 'datetime'),
          system('subtasks', 'Sub-tasks', 'array', { items: 'issuelinks' }),
          ...store.customFields.map((f) => {
            const customId = Number(f.id.replace('customfield_', ''));
            const plugin = { select: 'select', date: 'datepicker', text: 'textfield' }[f.kind];
            return {
              id: f.id,
              key: f.id,
              name: f.name,
              untranslatedName: f.name,
              custom: true,
              orderable: true,
              navigable: true,
              searchable: true,
              clauseNames: [`cf[${customId}]`, f.name],
              schema: {
                type: f.kind === 'select' ? 'option' : f.kind === 'date' ? 'date' : 'string',
                custom: `com.atlassian.jira.plugin.system.customfieldtypes:${plugin}`,
                customId,
              },
            };
          }),
        ]);
      }),
    );

    router.add(
      'jira',
      'POST',
      '/rest/api/3/issue',
      authed((req, user) => {
        const body = req.body;
        if (!isRecord(body)) throw jiraError(400, [INVALID_PAYLOAD]);
        if (body.fields !== undefined && !isRecord(body.fields)) throw jiraError(400, [INVALID_PAYLOAD]);
        if (isRecord(body.update) && Object.keys(body.update).length > 0) {
          throw jiraError(400, [
            "The prodops Jira sandbox sets fields through 'fields'; 'update' operations are not supported.",
          ]);
        }
        if (body.transition !== undefined)
          throw jiraError(400, ["The prodops Jira sandbox does not support 'transition' on create."]);
        const fields = isRecord(body.fields) ? body.fields : {};
        const properties = body.properties ?? [];
        try {
          const issue = store.createIssue(
            fields,
            properties as { key: string; value: JsonValue }[],
            user.accountId,
          );
          return ok(
            { id: issue.id, key: issue.key, self: `${baseOf(req)}/rest/api/3/issue/${issue.id}` },
            201,
          );
        } catch (error) {
          if (error instanceof JiraFieldErrors) throw jiraError(400, error.errorMessages, error.errors);
          throw error;
        }
      }),
    );

    // Registered before /issue/:issueIdOrKey routes; the methods differ, but the order keeps intent plain.
    router.add(
      'jira',
      'POST',
      '/rest/api/3/issue/bulkfetch',
      authed((req) => {
        const body = req.body;
        if (!isRecord(body)) throw jiraError(400, [INVALID_PAYLOAD]);
        const ids = stringList(body.issueIdsOrKeys, 'issueIdsOrKeys');
        if (!ids || ids.length === 0)
          throw jiraError(400, ['issueIdsOrKeys must contain at least one issue id or key.']);
        if (ids.length > MAX_BULK_FETCH)
          throw jiraError(400, [`issueIdsOrKeys can contain at most ${MAX_BULK_FETCH} issues.`]);
        const fields = stringList(body.fields, 'fields') ?? ['*navigable'];
        const properties = stringList(body.properties, 'properties');
        if (properties && properties.length > 5)
          throw jiraError(400, ['You can request at most 5 issue properties.']);
        const renderer = new JiraRenderer(store, baseOf(req));
        const selection = parseFieldSelection(fields);
        const expand = new Set(typeof body.expand === 'string' ? body.expand.split(',') : []);
        const issues = ids.map((id) => store.issue(id)).filter((i): i is StoredIssue => i !== undefined);
        return ok({
          issues: issues.map((i) => renderer.issue(i, selection, { properties, expand })),
          issueErrors: [],
        });
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const fields = listParam(req, 'fields');
        const selection = parseFieldSelection(fields.length > 0 ? fields : ['*all']);
        return ok(
          new JiraRenderer(store, baseOf(req)).issue(issue, selection, {
            properties: listParam(req, 'properties'),
            expand: new Set(listParam(req, 'expand')),
          }),
        );
      }),
    );

    const searchGet = authed((req) =>
      search(req, {
        jql: req.query.get('jql') ?? undefined,
        nextPageToken: req.query.get('nextPageToken') ?? undefined,
        maxResults: req.query.has('maxResults') ? intParam(req, 'maxResults', 50) : undefined,
        fields: listParam(req, 'fields'),
        properties: listParam(req, 'properties'),
        expand: listParam(req, 'expand'),
      }),
    );
    router.add('jira', 'GET', '/rest/api/3/search/jql', searchGet);
    router.add(
      'jira',
      'POST',
      '/rest/api/3/search/jql',
      authed((req) => {
        const body = req.body;
        if (!isRecord(body)) throw jiraError(400, [INVALID_PAYLOAD]);
        return search(req, {
          jql: body.jql,
          nextPageToken: body.nextPageToken,
          maxResults: body.maxResults,
          fields: stringList(body.fields, 'fields'),
          properties: stringList(body.properties, 'properties'),
          expand: typeof body.expand === 'string' ? body.expand.split(',') : [],
        });
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey/transitions',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const renderer = new JiraRenderer(store, baseOf(req));
        const wanted = req.query.get('transitionId');
        const transitions = store.transitionsFor(issue).filter((t) => !wanted || t.id === wanted);
        return ok({
          expand: 'transitions',
          transitions: transitions.map((t) => ({
            id: t.id,
            name: t.name,
            to: renderer.status(t.to),
            hasScreen: false,
            isGlobal: t.from === 'any',
            isInitial: false,
            isAvailable: true,
            isConditional: false,
            isLooped: false,
          })),
        });
      }),
    );

    router.add(
      'jira',
      'POST',
      '/rest/api/3/issue/:issueIdOrKey/transitions',
      authed((req, user) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const body = req.body;
        if (!isRecord(body)) throw jiraError(400, [INVALID_PAYLOAD]);
        const transition = isRecord(body.transition) ? body.transition : undefined;
        const id = transition?.id;
        if (typeof id !== 'string' || id === '') throw jiraError(400, ["Missing 'transition' identifier"]);
        if (
          (isRecord(body.fields) && Object.keys(body.fields).length > 0) ||
          (isRecord(body.update) && Object.keys(body.update).length > 0)
        ) {
          throw jiraError(400, [
            'The transitions of this workflow have no screen: fields cannot be set while transitioning.',
          ]);
        }
        const available = store.transitionsFor(issue).find((t) => t.id === id);
        if (!available) throw jiraError(400, [`Transition id '${id}' is not valid for this issue.`]);
        store.applyTransition(issue, available, user.accountId);
        return noContent();
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey/comment',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const startAt = intParam(req, 'startAt', 0);
        if (startAt < 0) throw jiraError(400, ["The value of 'startAt' must not be negative."]);
        const requested = intParam(req, 'maxResults', MAX_COMMENT_RESULTS);
        if (requested < 0) throw jiraError(400, ["The value of 'maxResults' must not be negative."]);
        const maxResults = Math.min(requested, MAX_COMMENT_RESULTS);
        const orderBy = req.query.get('orderBy') ?? 'created';
        if (!['created', '+created', '-created'].includes(orderBy))
          throw jiraError(400, [
            `Invalid orderBy value '${orderBy}'. Valid values are created, +created and -created.`,
          ]);
        const all = [...store.commentsOf(issue.key)];
        if (orderBy === '-created') all.reverse();
        const expand = new Set(listParam(req, 'expand'));
        const renderer = new JiraRenderer(store, baseOf(req));
        return ok({
          startAt,
          maxResults,
          total: all.length,
          comments: all.slice(startAt, startAt + maxResults).map((c) => renderer.comment(c, expand)),
        });
      }),
    );

    router.add(
      'jira',
      'POST',
      '/rest/api/3/issue/:issueIdOrKey/comment',
      authed((req, user) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const body = req.body;
        if (!isRecord(body)) throw jiraError(400, [INVALID_PAYLOAD]);
        if (body.body === undefined || body.body === null || body.body === '')
          throw jiraError(400, [], { comment: 'Comment body can not be empty!' });
        if (adfProblem(body.body)) throw jiraError(400, [], { comment: NOT_ADF });
        const doc = body.body as AdfDocument;
        if (doc.content.length === 0 || adfToText(doc).trim() === '')
          throw jiraError(400, [], { comment: 'Comment body can not be empty!' });
        if (adfLength(doc) > MAX_COMMENT_LENGTH) {
          throw jiraError(400, [], {
            comment: `The entered text is too long. It exceeds the allowed limit of ${MAX_COMMENT_LENGTH.toLocaleString('en')} characters.`,
          });
        }
        const properties = body.properties ?? [];
        const problem = checkProperties(properties);
        if (problem) throw jiraError(400, [problem]);
        const comment = store.addComment(
          issue.key,
          doc,
          user.accountId,
          properties as { key: string; value: JsonValue }[],
        );
        return ok(
          new JiraRenderer(store, baseOf(req)).comment(comment, new Set(listParam(req, 'expand'))),
          201,
        );
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey/comment/:id',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const comment = store.commentsOf(issue.key).find((c) => c.id === req.params.id);
        if (!comment) throw jiraError(404, [`Can not find a comment for the id: ${req.params.id}.`]);
        return ok(new JiraRenderer(store, baseOf(req)).comment(comment, new Set(listParam(req, 'expand'))));
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey/properties',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const base = baseOf(req);
        return ok({
          keys: [...(store.properties.get(issue.key)?.keys() ?? [])].map((key) => ({
            self: `${base}/rest/api/3/issue/${issue.id}/properties/${encodeURIComponent(key)}`,
            key,
          })),
        });
      }),
    );

    router.add(
      'jira',
      'GET',
      '/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const key = req.params.propertyKey!;
        const properties = store.properties.get(issue.key);
        if (!properties?.has(key)) throw jiraError(404, [`The property with key '${key}' does not exist.`]);
        return ok({ key, value: properties.get(key) });
      }),
    );

    router.add(
      'jira',
      'PUT',
      '/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const key = req.params.propertyKey!;
        if (key.length > MAX_PROPERTY_KEY_LENGTH)
          throw jiraError(400, [
            `The property key cannot be longer than ${MAX_PROPERTY_KEY_LENGTH} characters.`,
          ]);
        if (req.rawBody.length === 0) throw jiraError(400, ['The property value cannot be empty.']);
        if (req.rawBody.toString('utf8').length > MAX_PROPERTY_VALUE_LENGTH) {
          throw jiraError(400, [
            `The property value is too long. The maximum allowed length is ${MAX_PROPERTY_VALUE_LENGTH} characters.`,
          ]);
        }
        const properties = store.propertiesOf(issue.key);
        const existed = properties.has(key);
        properties.set(key, req.body as JsonValue);
        return { status: existed ? 200 : 201 };
      }),
    );

    router.add(
      'jira',
      'DELETE',
      '/rest/api/3/issue/:issueIdOrKey/properties/:propertyKey',
      authed((req) => {
        const issue = issueOr404(req.params.issueIdOrKey!);
        const key = req.params.propertyKey!;
        const properties = store.properties.get(issue.key);
        if (!properties?.delete(key))
          throw jiraError(404, [`The property with key '${key}' does not exist.`]);
        return noContent();
      }),
    );
  };

  const snapshot = (): Record<string, unknown[]> => {
    const name = (accountId: string | null) =>
      accountId ? (store.users.get(accountId)?.displayName ?? accountId) : null;
    return {
      issues: [...store.issues.values()].map((issue) => ({
        key: issue.key,
        type: store.issueTypeById(issue.issueTypeId).name,
        summary: issue.summary,
        status: store.statusById(issue.statusId).name,
        parent: issue.parentKey,
        assignee: name(issue.assigneeAccountId),
        labels: issue.labels.join(' '),
        duedate: issue.duedate,
        ...Object.fromEntries(
          store.customFields.map((f) => [f.name, customFieldString(issue.customFields[f.id])]),
        ),
        created: issue.created,
      })),
      comments: [...store.comments.values()].flat().map((c) => ({
        issue: c.issueKey,
        id: c.id,
        author: name(c.authorAccountId),
        text: adfToText(c.body),
        properties: [...c.properties.keys()].join(', '),
        created: c.created,
      })),
      properties: [...store.properties].flatMap(([issue, properties]) =>
        [...properties].map(([key, value]) => ({ issue, key, value })),
      ),
      changelog: [...store.issues.values()].flatMap((issue) =>
        issue.changelog.map((entry) => ({
          issue: issue.key,
          id: entry.id,
          created: entry.created,
          author: name(entry.authorAccountId),
          changes: entry.items
            .map((item) => `${item.field}: ${item.fromString ?? '∅'} → ${item.toString ?? '∅'}`)
            .join('; '),
        })),
      ),
    };
  };

  return { name: 'jira', store, register, snapshot, reset: () => store.reset() };
}
