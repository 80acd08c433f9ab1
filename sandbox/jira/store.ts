/**
 * The Jira stand-in's state and the changes behind its routes. `updateIssue` and `transition`
 * also stand in for a person editing an issue in Jira: they record changelog entries and notify
 * listeners, which is what webhooks are built from.
 */
import { refill, savedNumber } from '../persist';
import { createHash } from 'node:crypto';
import type { OrgConfig } from '../../domain/config';
import { adfToText, type AdfDocument } from './adf';
import {
  EDITABLE_SYSTEM_FIELDS,
  SYSTEM_FIELDS_ON_CREATE,
  applyFieldEdits,
  checkProperties,
  checkSummary,
  customFieldString,
  normaliseEditableFields,
  refuseUnknownFields,
  resolveIssueRef,
  resolveIssueType,
  resolveProject,
  resolveUserRef,
  systemItem,
} from './fields';
import {
  ISSUE_NOT_FOUND,
  JiraFieldErrors,
  type ChangelogEntry,
  type ChangelogItem,
  type IssueLinkType,
  type JiraResolution,
  type StoredIssueLink,
  type JiraCustomField,
  type JiraIssueType,
  type JiraProject,
  type JiraSandboxEvent,
  type JiraStatus,
  type JiraUser,
  type JsonValue,
  type StoredComment,
  type StoredIssue,
  type TransitionRecord,
  type WorkflowTransition,
} from './model';
import { jiraSetupFor, seedReleases } from './seed';

function jiraDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

export class JiraStore {
  /** The release project. */
  readonly project: JiraProject;
  /** Every project, the release project first; all share one workflow. */
  readonly projects: readonly JiraProject[];
  readonly statuses: readonly JiraStatus[];
  readonly issueTypes: readonly JiraIssueType[];
  readonly customFields: readonly JiraCustomField[];
  readonly workflow: readonly WorkflowTransition[];
  readonly resolutions: readonly JiraResolution[];
  readonly linkTypes: readonly IssueLinkType[];
  readonly links: StoredIssueLink[] = [];
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
  private nextLinkId = 10000;
  /** How long a new issue stays out of search results; tests change it. */
  indexLagMs: number;

  constructor(
    private readonly config: OrgConfig,
    private readonly now: () => Date,
    private readonly seedIssues: boolean,
    options: { indexLagMs?: number; resolutionScreens?: boolean } = {},
  ) {
    const setup = jiraSetupFor(config, options);
    this.project = setup.project;
    this.projects = setup.projects;
    this.statuses = setup.statuses;
    this.issueTypes = setup.issueTypes;
    this.customFields = setup.customFields;
    this.workflow = setup.workflow;
    this.resolutions = setup.resolutions;
    this.linkTypes = setup.linkTypes;
    this.indexLagMs = options.indexLagMs ?? 0;
    this.reset();
  }

  /** The clock, epoch ms. */
  nowMs(): number {
    return this.now().getTime();
  }

  /** Whether search sees an issue yet. */
  indexed(issue: StoredIssue): boolean {
    return issue.indexedAt <= this.nowMs();
  }

  /** Back to the seeded state: users from the configuration and, unless disabled, three releases. */
  /** Everything a restart must keep (the project's setup comes from the configuration). */
  exportState(): Record<string, unknown> {
    return {
      users: this.users,
      issues: this.issues,
      comments: this.comments,
      properties: this.properties,
      transitionLog: this.transitionLog,
      nextIssueId: this.nextIssueId,
      nextIssueNumber: this.nextIssueNumber,
      nextCommentId: this.nextCommentId,
      nextChangelogId: this.nextChangelogId,
    };
  }

  importState(state: Record<string, unknown>): void {
    refill(this.users, state.users);
    refill(this.issues, state.issues);
    refill(this.comments, state.comments);
    refill(this.properties, state.properties);
    refill(this.transitionLog, state.transitionLog);
    this.nextIssueId = savedNumber(state, 'nextIssueId');
    this.nextIssueNumber = savedNumber(state, 'nextIssueNumber');
    this.nextCommentId = savedNumber(state, 'nextCommentId');
    this.nextChangelogId = savedNumber(state, 'nextChangelogId');
  }

  reset(): void {
    for (const collection of [this.users, this.issues, this.comments, this.properties]) collection.clear();
    this.transitionLog.length = 0;
    this.links.length = 0;
    this.nextLinkId = 10000;
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
    const reporter =
      this.config.people.find((p) => p.jiraAccountId)?.jiraAccountId ?? this.serviceUser().accountId;
    for (const release of seedReleases(this.config, this.project, reporter)) {
      const issue = this.createIssue(release.fields, [], reporter, { silent: true });
      issue.indexedAt = 0;
      const status = this.statusByName(release.status);
      if (status) {
        issue.statusId = status.id;
        issue.statusCategoryChanged = issue.created;
        if (status.category === 'done') issue.resolutionId = this.resolutionByName('Done')?.id ?? null;
      }
    }
  }

  /** The account requests are made as when the credentials belong to nobody in the configuration. */
  serviceUser(email = 'prodops@sandbox.invalid'): JiraUser {
    const digest = createHash('sha256').update(email.toLowerCase()).digest('hex');
    const accountId = `712020:${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
    return this.userFor(accountId, () => ({
      accountId,
      accountType: 'atlassian',
      displayName: email,
      emailAddress: email,
      timeZone: 'UTC',
      active: true,
    }));
  }

  userByEmail(email: string): JiraUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.emailAddress?.toLowerCase() === wanted) return user;
    return undefined;
  }

  appUser(): JiraUser {
    const accountId = '557058:prodops-app';
    return this.userFor(accountId, () => ({
      accountId,
      accountType: 'app',
      displayName: 'prodops',
      timeZone: 'UTC',
      active: true,
    }));
  }

  private userFor(accountId: string, create: () => JiraUser): JiraUser {
    let user = this.users.get(accountId);
    if (!user) {
      user = create();
      this.users.set(accountId, user);
    }
    return user;
  }

  /** A person's display name, their account id when unknown, null for nobody. */
  displayNameOf(accountId: string | null): string | null {
    return accountId ? (this.users.get(accountId)?.displayName ?? accountId) : null;
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

  resolutionByName(name: string): JiraResolution | undefined {
    return this.resolutions.find((r) => r.name.toLowerCase() === name.toLowerCase());
  }

  resolutionById(id: string): JiraResolution | undefined {
    return this.resolutions.find((r) => r.id === id);
  }

  linkTypeByName(name: string): IssueLinkType | undefined {
    return this.linkTypes.find((t) => t.name.toLowerCase() === name.toLowerCase());
  }

  /** The links of an issue, either end. */
  linksOf(key: string): StoredIssueLink[] {
    return this.links.filter((l) => l.inwardKey === key || l.outwardKey === key);
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

    refuseUnknownFields(this, fields, SYSTEM_FIELDS_ON_CREATE, errors);
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
      resolutionId: null,
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
      indexedAt: this.nowMs() + this.indexLagMs,
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
    refuseUnknownFields(this, fields, EDITABLE_SYSTEM_FIELDS, errors);
    if ('summary' in fields) checkSummary(fields.summary, errors, true);
    const next = normaliseEditableFields(this, fields, errors);
    if (Object.keys(errors).length > 0) throw new JiraFieldErrors(errors);
    const items = applyFieldEdits(this, issue, fields, next);
    if (items.length === 0) return null;
    return this.recordChange(issue, items, actorAccountId);
  }

  /**
   * Moves an issue to a status by name, as a person would, if the workflow offers a transition
   * there; a screen that asks for a resolution gets `resolution`, or Done.
   */
  transition(
    key: string,
    statusName: string,
    actorAccountId = this.defaultActor(),
    resolution = 'Done',
  ): ChangelogEntry {
    const issue = this.requireIssue(key);
    const target = this.statusByName(statusName);
    if (!target) throw new Error(`"${statusName}" is not a status of the ${this.project.key} workflow`);
    const transition = this.transitionsFor(issue).find((t) => t.to === target.id);
    if (!transition) {
      throw new Error(
        `${issue.key} cannot move from "${this.statusById(issue.statusId).name}" to "${target.name}": the workflow offers no such transition`,
      );
    }
    const chosen = transition.screen ? this.resolutionByName(resolution) : undefined;
    if (transition.screen && !chosen) throw new Error(`"${resolution}" is not a resolution`);
    return this.applyTransition(issue, transition, actorAccountId, chosen?.id);
  }

  /**
   * Applies a transition the workflow offers. A transition into a status that is not done clears
   * the resolution; one with a resolution screen sets the one given (checked by the caller).
   */
  applyTransition(
    issue: StoredIssue,
    transition: WorkflowTransition,
    actorAccountId: string,
    resolutionId?: string,
  ): ChangelogEntry {
    const from = this.statusById(issue.statusId);
    const to = this.statusById(transition.to);
    issue.statusId = to.id;
    const items = [systemItem('status', from.id, from.name, to.id, to.name)];
    const nextResolution = to.category === 'done' ? (resolutionId ?? issue.resolutionId) : null;
    if (nextResolution !== issue.resolutionId) {
      const name = (id: string | null) => (id ? (this.resolutionById(id)?.name ?? null) : null);
      items.push(
        systemItem(
          'resolution',
          issue.resolutionId,
          name(issue.resolutionId),
          nextResolution,
          name(nextResolution),
        ),
      );
      issue.resolutionId = nextResolution;
    }
    const entry = this.recordChange(issue, items, actorAccountId);
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

  /** Removes an issue with its comments, properties and links (its sub-tasks are the caller's to remove first). */
  deleteIssue(key: string): void {
    this.issues.delete(key);
    this.comments.delete(key);
    this.properties.delete(key);
    for (let i = this.links.length - 1; i >= 0; i--) {
      const link = this.links[i]!;
      if (link.inwardKey === key || link.outwardKey === key) this.links.splice(i, 1);
    }
  }

  /** Links two issues: `inwardKey <outward description> outwardKey`; an existing link is kept as it is. */
  linkIssues(type: IssueLinkType, inwardKey: string, outwardKey: string): StoredIssueLink {
    const existing = this.links.find(
      (l) => l.typeId === type.id && l.inwardKey === inwardKey && l.outwardKey === outwardKey,
    );
    if (existing) return existing;
    const link: StoredIssueLink = { id: String(this.nextLinkId++), typeId: type.id, inwardKey, outwardKey };
    this.links.push(link);
    for (const key of [inwardKey, outwardKey]) this.requireIssue(key).updated = jiraDateTime(this.now());
    return link;
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

  /** The issues, comments, properties and changelog as the sandbox page lists them. */
  snapshot(): Record<string, unknown[]> {
    const name = (accountId: string | null) => this.displayNameOf(accountId);
    return {
      issues: [...this.issues.values()].map((issue) => ({
        key: issue.key,
        type: this.issueTypeById(issue.issueTypeId).name,
        summary: issue.summary,
        status: this.statusById(issue.statusId).name,
        resolution: issue.resolutionId ? (this.resolutionById(issue.resolutionId)?.name ?? null) : null,
        parent: issue.parentKey,
        assignee: name(issue.assigneeAccountId),
        labels: issue.labels.join(' '),
        duedate: issue.duedate,
        ...Object.fromEntries(
          this.customFields.map((f) => [f.name, customFieldString(issue.customFields[f.id])]),
        ),
        created: issue.created,
      })),
      comments: [...this.comments.values()].flat().map((c) => ({
        issue: c.issueKey,
        id: c.id,
        author: name(c.authorAccountId),
        text: adfToText(c.body),
        properties: [...c.properties.keys()].join(', '),
        created: c.created,
      })),
      links: this.links.map((l) => ({
        id: l.id,
        link: `${l.inwardKey} ${this.linkTypes.find((t) => t.id === l.typeId)?.outward ?? '?'} ${l.outwardKey}`,
      })),
      properties: [...this.properties].flatMap(([issue, properties]) =>
        [...properties].map(([key, value]) => ({ issue, key, value })),
      ),
      changelog: [...this.issues.values()].flatMap((issue) =>
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
  }
}
