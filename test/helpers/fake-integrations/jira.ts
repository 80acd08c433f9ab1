/**
 * Jira in memory: issues (seeded as a person made them, or created by prodops under an
 * idempotency key), comments, issue properties, the configured workflow of statuses and the
 * small part of JQL prodops writes. The activity object satisfies the real `JiraActivities`.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  createJiraActivities,
  type JiraActivities,
  type JiraClient,
  type JiraIssue,
  type JsonValue,
} from '../../../activities/jira';
import { ErrorTypes, runBatch, type OperationContext } from '../../../activities/errors';
import { workflowLabel } from '../../../contracts/ids';
import { jiraLabel } from '../../../contracts/node/idempotency';
import type { OrgConfig } from '../../../domain/config';
import type { CallLog } from './log';
import { asTheRealActivity, clientAtTheDoor, vendorAnswered } from './vendor';

export interface FakeIssue {
  key: string;
  id: string;
  projectKey: string;
  issueType: string;
  summary: string;
  description?: string;
  status: string;
  parentKey?: string;
  assigneeAccountId?: string;
  /** YYYY-MM-DD. */
  duedate?: string;
  /** Every due date it was given, the first when made (or seeded), then each change. */
  dueHistory: (string | null)[];
  labels: string[];
  /** Further fields by id, as written. */
  fields: Record<string, JsonValue>;
  /** The key prodops created it under; absent on an issue a person made. */
  idempotencyKey?: string;
  properties: Record<string, JsonValue>;
  /** The status changes, as the issue's changelog shows them (`by`: a Jira account; null for prodops). */
  changelog: { to: string; by: string | null; at: number }[];
}

export interface FakeComment {
  id: string;
  issueKey: string;
  body: string;
  idempotencyKey: string;
}

/** An issue as a person makes it in Jira: everything but the summary may be left out. */
export interface SeededIssue {
  key?: string;
  summary: string;
  status?: string;
  issueType?: string;
  parentKey?: string;
  assigneeAccountId?: string;
  duedate?: string;
  labels?: string[];
  fields?: Record<string, JsonValue>;
}

interface Transition {
  name: string;
  /** Status names it starts from; 'any' starts anywhere but its target. */
  from: string[] | 'any';
  to: string;
}

const ISSUE_NOT_FOUND = 'Issue does not exist or you do not have permission to see it.';
/** The issue fields a JQL clause or a `fields` list may name, read off an issue. */
const STANDARD_FIELDS: Record<string, (issue: FakeIssue) => string | string[] | null> = {
  summary: (i) => i.summary,
  duedate: (i) => i.duedate ?? null,
  labels: (i) => i.labels,
  status: (i) => i.status,
  assignee: (i) => i.assigneeAccountId ?? null,
  issuetype: (i) => i.issueType,
  parent: (i) => i.parentKey ?? null,
  project: (i) => i.projectKey,
};

export class FakeJira {
  readonly issues = new Map<string, FakeIssue>();
  readonly comments: FakeComment[] = [];
  private nextId = 10_000;
  private nextCommentId = 1;
  private readonly jira: OrgConfig['integrations']['jira'];
  /** The configured project's statuses and workflow, as the sandbox seeds them. */
  private readonly statuses: { name: string; category: 'new' | 'indeterminate' | 'done' }[];
  private readonly workflow: Transition[];
  private readonly teamProjects: string[];

  constructor(config: OrgConfig) {
    this.jira = config.integrations.jira;
    this.teamProjects = config.teams.flatMap((t) => (t.jiraProjectKey ? [t.jiraProjectKey] : []));
    const { done, released, cancelled } = this.jira.statuses;
    this.statuses = [
      { name: 'To Do', category: 'new' },
      { name: 'In Progress', category: 'indeterminate' },
      { name: done, category: 'done' },
      { name: released, category: 'done' },
      { name: cancelled, category: 'done' },
    ];
    this.workflow = [
      { name: 'Start progress', from: ['To Do'], to: 'In Progress' },
      { name: 'Stop progress', from: ['In Progress'], to: 'To Do' },
      { name: done, from: ['To Do', 'In Progress'], to: done },
      { name: 'Release', from: ['In Progress', done], to: released },
      { name: 'Cancel', from: 'any', to: cancelled },
      { name: 'Reopen', from: [done, released, cancelled], to: 'To Do' },
    ];
  }

  /** An issue a person made; its key is the next of its project unless given. */
  seedIssue(seed: SeededIssue): FakeIssue {
    if (seed.parentKey && !this.issues.has(seed.parentKey))
      throw new Error(`the fake Jira has no issue ${seed.parentKey} to be the parent`);
    return this.add(seed);
  }

  private add(seed: SeededIssue, made?: { idempotencyKey: string; description?: string }): FakeIssue {
    const projectKey = seed.key ? seed.key.slice(0, seed.key.lastIndexOf('-')) : this.jira.projectKey;
    const key = seed.key ?? this.nextKey(projectKey);
    if (this.issues.has(key)) throw new Error(`the fake Jira already has ${key}`);
    const issue: FakeIssue = {
      key,
      id: String(this.nextId++),
      projectKey,
      issueType: seed.issueType ?? (seed.parentKey ? this.jira.subtaskIssueType : 'Task'),
      summary: seed.summary,
      status: seed.status ?? 'To Do',
      labels: [...(seed.labels ?? [])],
      fields: { ...(seed.fields ?? {}) },
      dueHistory: [seed.duedate ?? null],
      properties: {},
      changelog: [],
      ...(seed.parentKey ? { parentKey: seed.parentKey } : {}),
      ...(seed.assigneeAccountId ? { assigneeAccountId: seed.assigneeAccountId } : {}),
      ...(seed.duedate ? { duedate: seed.duedate } : {}),
      ...made,
    };
    this.issues.set(key, issue);
    return issue;
  }

  /** A person (a Jira account, when the test names one) moves the issue, by whatever path their board allows. */
  setIssueStatus(key: string, status: string, by: string | null = null): void {
    const issue = this.issues.get(key);
    if (!issue) throw new Error(`the fake Jira has no issue ${key}`);
    issue.status = status;
    issue.changelog.push({ to: status, by, at: Date.now() });
  }

  /** The issues prodops created (under an idempotency key), by key. */
  made(): Map<string, FakeIssue & { idempotencyKey: string }> {
    const made = new Map<string, FakeIssue & { idempotencyKey: string }>();
    for (const issue of this.issues.values())
      if (issue.idempotencyKey !== undefined)
        made.set(issue.key, issue as FakeIssue & { idempotencyKey: string });
    return made;
  }

  activities(log: CallLog): JiraActivities {
    const real = createJiraActivities({ client: clientAtTheDoor<JiraClient>(), jira: this.jira });
    const about = (operation: string, key: string): OperationContext => ({ system: 'jira', operation, key });
    const propertyCtx = (operation: string, input: { issueKey: string; propertyKey: string }) =>
      about(operation, `${input.issueKey}/${input.propertyKey}`);
    const existing = (ctx: OperationContext, key: string): FakeIssue => {
      const issue = this.issues.get(key);
      if (!issue) throw vendorAnswered(ctx, 404, ISSUE_NOT_FOUND);
      return issue;
    };

    type Batched = 'createIssues' | 'updateIssues' | 'transitionIssues' | 'addComments';
    const single = {
      getIssue: async (input) => {
        const ctx = about('getIssue', input.issueKey);
        await asTheRealActivity(() => real.getIssue(input));
        return this.view(existing(ctx, input.issueKey), input.fields);
      },

      readStatusChange: async (input) => {
        const ctx = about('getIssue', input.issueKey);
        await asTheRealActivity(() => real.readStatusChange(input));
        const issue = existing(ctx, input.issueKey);
        const wanted = input.toStatus.trim().toLowerCase();
        const last = issue.changelog.filter((c) => c.to.trim().toLowerCase() === wanted).at(-1);
        return { status: issue.status, movedBy: last?.by ?? null, movedAt: last?.at ?? null };
      },

      searchIssues: async (input) => {
        const ctx = about('searchIssues', input.jql);
        await asTheRealActivity(() => real.searchIssues(input));
        const limit = input.maxResults ?? 1000;
        const found = this.search(ctx, input.jql);
        return {
          issues: found.slice(0, limit).map((issue) => this.view(issue, input.fields)),
          truncated: found.length > limit,
        };
      },

      createIssue: async (input) => {
        const ctx = about('createIssue', input.idempotencyKey);
        await asTheRealActivity(() => real.createIssue(input));
        const parent = input.parentKey === undefined ? undefined : existing(ctx, input.parentKey);
        const projectKey = parent?.projectKey ?? input.projectKey ?? this.jira.projectKey;
        const made = [...this.issues.values()].find(
          (i) =>
            i.idempotencyKey === input.idempotencyKey &&
            (parent ? i.parentKey === parent.key : i.projectKey === projectKey),
        );
        if (made) return { key: made.key, id: made.id, created: false };
        if (parent?.parentKey)
          throw vendorAnswered(ctx, 400, `${parent.key} is a sub-task: a sub-task cannot have sub-tasks`);
        if (!this.projects().has(projectKey))
          throw vendorAnswered(ctx, 400, `project: valid project is required (no project ${projectKey})`);
        const issueType = parent ? this.jira.subtaskIssueType : (input.issueType ?? 'Task');
        if (!['Task', 'Story', this.jira.subtaskIssueType].includes(issueType))
          throw vendorAnswered(ctx, 400, `issuetype: "${issueType}" is not an issue type of ${projectKey}`);
        const issue = this.add(
          {
            key: this.nextKey(projectKey),
            summary: input.summary,
            issueType,
            labels: [
              ...new Set([
                ...(input.labels ?? []),
                jiraLabel(input.idempotencyKey),
                ...(input.workflowId !== undefined ? [workflowLabel(input.workflowId)] : []),
              ]),
            ],
            fields: input.fields ?? {},
            ...(parent ? { parentKey: parent.key } : {}),
            ...(input.assigneeAccountId ? { assigneeAccountId: input.assigneeAccountId } : {}),
            ...(input.duedate ? { duedate: input.duedate } : {}),
          },
          {
            idempotencyKey: input.idempotencyKey,
            ...(input.description !== undefined ? { description: input.description } : {}),
          },
        );
        return { key: issue.key, id: issue.id, created: true };
      },

      addComment: async (input) => {
        const ctx = about('addComment', input.idempotencyKey);
        await asTheRealActivity(() => real.addComment(input));
        const issue = existing(ctx, input.issueKey);
        const made = this.comments.find(
          (c) => c.issueKey === issue.key && c.idempotencyKey === input.idempotencyKey,
        );
        if (made) return { id: made.id, created: false };
        const id = String(this.nextCommentId++);
        this.comments.push({
          id,
          issueKey: issue.key,
          body: input.body,
          idempotencyKey: input.idempotencyKey,
        });
        return { id, created: true };
      },

      transitionIssue: async (input) => {
        const ctx = about('transitionIssue', input.issueKey);
        await asTheRealActivity(() => real.transitionIssue(input));
        const issue = existing(ctx, input.issueKey);
        const wanted = input.toStatus.trim().toLowerCase();
        if (issue.status.toLowerCase() === wanted) return { transitioned: false, status: issue.status };
        const offered = this.workflow.filter((t) =>
          t.from === 'any' ? t.to !== issue.status : t.from.includes(issue.status),
        );
        const transition = offered.find((t) => t.to.toLowerCase() === wanted);
        if (!transition) {
          const available = offered.map((t) => `"${t.name}" → ${t.to}`).join(', ') || 'none';
          throw ApplicationFailure.create({
            type: ErrorTypes.conflict,
            message: `jira transitionIssue [${input.issueKey}]: no transition leads from "${issue.status}" to "${input.toStatus}"; available: ${available}`,
            nonRetryable: true,
            details: [
              {
                system: 'jira',
                operation: 'transitionIssue',
                key: input.issueKey,
                from: issue.status,
                available: offered.map((t) => t.to),
              },
            ],
          });
        }
        issue.status = transition.to;
        issue.changelog.push({ to: transition.to, by: null, at: Date.now() });
        return { transitioned: true, status: transition.to };
      },

      getIssueProperty: async (input) => {
        await asTheRealActivity(() => real.getIssueProperty(input));
        const issue = existing(propertyCtx('getIssueProperty', input), input.issueKey);
        if (!Object.hasOwn(issue.properties, input.propertyKey)) return { found: false, value: null };
        return { found: true, value: issue.properties[input.propertyKey] ?? null };
      },

      setIssueProperty: async (input) => {
        await asTheRealActivity(() => real.setIssueProperty(input));
        const issue = existing(propertyCtx('setIssueProperty', input), input.issueKey);
        issue.properties[input.propertyKey] = structuredClone(input.value);
        return { issueKey: input.issueKey, propertyKey: input.propertyKey };
      },

      updateIssue: async (input) => {
        await asTheRealActivity(() => real.updateIssue(input));
        const issue = existing(about('updateIssue', input.issueKey), input.issueKey);
        const same =
          (input.duedate === undefined || (issue.duedate ?? null) === input.duedate) &&
          (input.assigneeAccountId === undefined ||
            (issue.assigneeAccountId ?? null) === input.assigneeAccountId);
        if (same) return { issueKey: issue.key, changed: false };
        if (input.duedate !== undefined) {
          if (input.duedate === null) delete issue.duedate;
          else issue.duedate = input.duedate;
          issue.dueHistory.push(input.duedate);
        }
        if (input.assigneeAccountId !== undefined) {
          if (input.assigneeAccountId === null) delete issue.assigneeAccountId;
          else issue.assigneeAccountId = input.assigneeAccountId;
        }
        return { issueKey: issue.key, changed: true };
      },
    } satisfies Omit<JiraActivities, Batched>;

    // As the real activity: one call for many items, each settled on its own, a refusal of one
    // answered in its place and anything retryable failing the whole batch.
    const batch = <I, O>(operation: string, items: readonly I[], run: (item: I) => Promise<O>) =>
      runBatch({ system: 'jira', operation }, items, run);
    return log.wrap('jira', {
      ...single,
      createIssues: async (input) => ({
        results: await batch('createIssues', input.issues, single.createIssue),
      }),
      updateIssues: async (input) => ({
        results: await batch('updateIssues', input.updates, single.updateIssue),
      }),
      transitionIssues: async (input) => ({
        results: await batch('transitionIssues', input.transitions, single.transitionIssue),
      }),
      addComments: async (input) => ({
        results: await batch('addComments', input.comments, single.addComment),
      }),
    } satisfies JiraActivities);
  }

  /** The instance's projects: the configured one, each team's own, and any a seeded issue is in. */
  private projects(): Set<string> {
    return new Set([
      this.jira.projectKey,
      ...this.teamProjects,
      ...[...this.issues.values()].map((i) => i.projectKey),
    ]);
  }

  private nextKey(projectKey: string): string {
    const numbers = [...this.issues.values()]
      .filter((i) => i.projectKey === projectKey)
      .map((i) => Number(i.key.slice(projectKey.length + 1)));
    return `${projectKey}-${Math.max(0, ...numbers) + 1}`;
  }

  /** The issue as the activity returns it (activities/jira.ts `toJiraIssue`). */
  private view(issue: FakeIssue, extraFields: string[] = []): JiraIssue {
    const status = this.statuses.find((s) => s.name.toLowerCase() === issue.status.toLowerCase());
    return {
      id: issue.id,
      key: issue.key,
      summary: issue.summary,
      status: issue.status,
      statusCategory: status?.category ?? null,
      issueType: issue.issueType,
      parentKey: issue.parentKey ?? null,
      labels: [...issue.labels],
      assigneeAccountId: issue.assigneeAccountId ?? null,
      duedate: issue.duedate ?? null,
      fields: Object.fromEntries(
        extraFields.map((id) => [id, STANDARD_FIELDS[id]?.(issue) ?? issue.fields[id] ?? null]),
      ),
      subtasks: [...this.issues.values()]
        .filter((i) => i.parentKey === issue.key)
        .map((i) => ({ key: i.key, status: i.status })),
    };
  }

  /** The value a JQL clause compares: one value, or several (labels; a category's name and key). */
  private jqlValue(issue: FakeIssue, field: string): string | string[] | null {
    if (field === 'key' || field === 'issuekey') return issue.key;
    if (field === 'statuscategory') {
      const category = this.statuses.find(
        (s) => s.name.toLowerCase() === issue.status.toLowerCase(),
      )?.category;
      const names = { new: 'To Do', indeterminate: 'In Progress', done: 'Done' };
      return category ? [category, names[category]] : null;
    }
    return STANDARD_FIELDS[field]?.(issue) ?? null;
  }

  private search(ctx: OperationContext, jql: string): FakeIssue[] {
    const query = parseJql(
      jql,
      (issue, field) => this.jqlValue(issue, field),
      (problem) => vendorAnswered(ctx, 400, `Error in the JQL Query: ${problem}`),
    );
    const created = [...this.issues.values()];
    const sortValue = (issue: FakeIssue, field: string): string | number | null => {
      if (field === 'created') return created.indexOf(issue);
      if (field === 'key') return Number(issue.key.slice(issue.key.lastIndexOf('-') + 1));
      const value = this.jqlValue(issue, field);
      return Array.isArray(value) ? value.join(',') : value;
    };
    return created
      .filter((issue) => query.clauses.every((clause) => clause(issue)))
      .sort((a, b) => {
        for (const { field, descending } of query.orderBy) {
          const [x, y] = [sortValue(a, field), sortValue(b, field)];
          if (x === y) continue;
          // Jira puts empty values last whichever the direction.
          if (x === null) return 1;
          if (y === null) return -1;
          return (x < y ? -1 : 1) * (descending ? -1 : 1);
        }
        return 0;
      });
  }
}

// ------------------------------------------------------------------ JQL

interface JqlQuery {
  clauses: ((issue: FakeIssue) => boolean)[];
  orderBy: { field: string; descending: boolean }[];
}

const FIELDS = new Set([
  'project',
  'key',
  'issuekey',
  'parent',
  'labels',
  'assignee',
  'status',
  'statuscategory',
  'duedate',
  'issuetype',
  'summary',
]);

/**
 * The JQL prodops writes: clauses joined by AND (`=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `in`,
 * `not in`, `is empty`, `is not empty`) and an ORDER BY. Anything else is refused as Jira
 * refuses a query it cannot parse, rather than answered wrongly.
 */
function parseJql(
  jql: string,
  fieldValue: (issue: FakeIssue, field: string) => string | string[] | null,
  refuse: (problem: string) => Error,
): JqlQuery {
  const tokens = jql.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|!=|>=|<=|[=<>~(),]|[^\s=<>~!(),"']+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at]?.toLowerCase();
  const next = (): string => {
    const token = tokens[at++];
    if (token === undefined) throw refuse(`the query ends too soon: ${jql}`);
    return token;
  };
  const value = (token: string): string =>
    /^["']/.test(token) ? token.slice(1, -1).replace(/\\(.)/g, '$1') : token;
  const query: JqlQuery = { clauses: [], orderBy: [] };

  while (at < tokens.length && peek() !== 'order') {
    if (query.clauses.length > 0) {
      const joiner = next();
      if (joiner.toLowerCase() !== 'and')
        throw refuse(`the fake Jira joins clauses with AND only, not "${joiner}"`);
    }
    const field = next().toLowerCase();
    if (!FIELDS.has(field)) throw refuse(`field "${field}" is not one the fake Jira can search`);
    let operator = next().toLowerCase();
    if (operator === 'not' && peek() === 'in') operator = `not ${next().toLowerCase()}`;
    if (operator === 'is' && peek() === 'not') operator = `is ${next().toLowerCase()}`;
    const read = (issue: FakeIssue) => fieldValue(issue, field);
    const matches = (have: string | string[] | null, wanted: string): boolean => {
      const equal = (v: string) => v.toLowerCase() === wanted.toLowerCase();
      return Array.isArray(have) ? have.some(equal) : have !== null && equal(have);
    };
    if (operator === 'in' || operator === 'not in') {
      if (next() !== '(') throw refuse(`"${operator}" takes a list in parentheses`);
      const list: string[] = [];
      for (let token = next(); token !== ')'; token = next()) if (token !== ',') list.push(value(token));
      const negate = operator === 'not in';
      query.clauses.push((issue) => list.some((v) => matches(read(issue), v)) !== negate);
    } else if (operator === 'is' || operator === 'is not') {
      const empty = next().toLowerCase();
      if (empty !== 'empty' && empty !== 'null') throw refuse(`"${operator}" takes EMPTY or NULL`);
      const negate = operator === 'is not';
      query.clauses.push((issue) => {
        const have = read(issue);
        return (have === null || (Array.isArray(have) && have.length === 0)) !== negate;
      });
    } else if (['=', '!=', '<', '<=', '>', '>=', '~'].includes(operator)) {
      const wanted = value(next());
      query.clauses.push((issue) => {
        const have = read(issue);
        if (operator === '=') return matches(have, wanted);
        if (operator === '!=') return !matches(have, wanted);
        if (have === null || Array.isArray(have)) return false;
        if (operator === '~') return have.toLowerCase().includes(wanted.toLowerCase());
        const c = have < wanted ? -1 : have > wanted ? 1 : 0;
        return operator === '<' ? c < 0 : operator === '<=' ? c <= 0 : operator === '>' ? c > 0 : c >= 0;
      });
    } else {
      throw refuse(`operator "${operator}" is not one the fake Jira understands`);
    }
  }
  if (peek() === 'order') {
    next();
    if (next().toLowerCase() !== 'by') throw refuse('ORDER must be followed by BY');
    for (;;) {
      const field = next().toLowerCase();
      const direction = peek();
      const descending = direction === 'desc';
      if (direction === 'asc' || direction === 'desc') next();
      query.orderBy.push({ field, descending });
      if (peek() !== ',') break;
      next();
    }
  }
  if (at < tokens.length) throw refuse(`unexpected "${tokens[at]}"`);
  return query;
}
