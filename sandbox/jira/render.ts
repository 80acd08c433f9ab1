/**
 * Jira's response shapes: issues with their selected fields, users, statuses, issue types,
 * comments and changelogs, each with the `self` URLs Jira gives them, and the field catalogue.
 */
import { adfToHtml } from './adf';
import type { SelectValue, StoredComment, StoredIssue } from './model';
import type { JiraStore } from './store';

export interface FieldSelection {
  all: boolean;
  include: Set<string>;
  exclude: Set<string>;
}

/** `fields` as Jira reads them: `*all`/`*navigable`, names to include, `-name` to leave out. */
export function parseFieldSelection(values: string[]): FieldSelection {
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

const STATUS_CATEGORIES = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

export class JiraRenderer {
  constructor(
    private readonly store: JiraStore,
    readonly base: string,
  ) {}

  private api(path: string): string {
    return `${this.base}/rest/api/3/${path}`;
  }

  user(accountId: string | null): Record<string, unknown> | null {
    if (accountId === null) return null;
    const user = this.store.users.get(accountId);
    if (!user) return { accountId, accountType: 'unknown', active: false, displayName: 'Former user' };
    return {
      self: this.api(`user?accountId=${encodeURIComponent(user.accountId)}`),
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
    const category = STATUS_CATEGORIES[status.category];
    return {
      self: this.api(`status/${status.id}`),
      description: '',
      iconUrl: `${this.base}/images/icons/statuses/generic.png`,
      name: status.name,
      untranslatedName: status.name,
      id: status.id,
      statusCategory: { self: this.api(`statuscategory/${category.id}`), ...category },
    };
  }

  issueType(id: string): Record<string, unknown> {
    const type = this.store.issueTypeById(id);
    return {
      self: this.api(`issuetype/${type.id}`),
      id: type.id,
      description: type.description,
      iconUrl: `${this.base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/${type.id}?size=medium`,
      name: type.name,
      subtask: type.subtask,
      hierarchyLevel: type.hierarchyLevel,
    };
  }

  project(key: string = this.store.project.key): Record<string, unknown> {
    const p = this.store.projects.find((x) => x.key === key) ?? this.store.project;
    return {
      self: this.api(`project/${p.id}`),
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
      return { self: this.api(`customFieldOption/${value.id}`), value: value.value, id: value.id };
    return value;
  }

  /** A linked issue as Jira nests it (parent, sub-tasks). */
  private issueLink(issue: StoredIssue): Record<string, unknown> {
    return {
      id: issue.id,
      key: issue.key,
      self: this.api(`issue/${issue.id}`),
      fields: {
        summary: issue.summary,
        status: this.status(issue.statusId),
        priority: this.priority(),
        issuetype: this.issueType(issue.issueTypeId),
      },
    };
  }

  resolution(id: string | null): Record<string, unknown> | null {
    const resolution = id ? this.store.resolutionById(id) : undefined;
    if (!resolution) return null;
    return {
      self: this.api(`resolution/${resolution.id}`),
      id: resolution.id,
      description: resolution.description,
      name: resolution.name,
    };
  }

  linkType(id: string): Record<string, unknown> {
    const type = this.store.linkTypes.find((t) => t.id === id)!;
    return {
      id: type.id,
      name: type.name,
      inward: type.inward,
      outward: type.outward,
      self: this.api(`issueLinkType/${type.id}`),
    };
  }

  /** An issue's links as seen from it: the other issue under `inwardIssue` or `outwardIssue`. */
  private issueLinks(issue: StoredIssue): Record<string, unknown>[] {
    return this.store.linksOf(issue.key).flatMap((link) => {
      const outward = link.inwardKey === issue.key;
      const other = this.store.issue(outward ? link.outwardKey : link.inwardKey);
      if (!other) return [];
      return [
        {
          id: link.id,
          self: this.api(`issueLink/${link.id}`),
          type: this.linkType(link.typeId),
          [outward ? 'outwardIssue' : 'inwardIssue']: this.issueLink(other),
        },
      ];
    });
  }

  private priority(): Record<string, unknown> {
    return {
      self: this.api('priority/3'),
      iconUrl: `${this.base}/images/icons/priorities/medium.svg`,
      name: 'Medium',
      id: '3',
    };
  }

  comment(comment: StoredComment, expand: Set<string>): Record<string, unknown> {
    const issue = this.store.issue(comment.issueKey);
    return {
      self: this.api(`issue/${issue?.id ?? comment.issueKey}/comment/${comment.id}`),
      id: comment.id,
      author: this.user(comment.authorAccountId),
      body: comment.body,
      updateAuthor: this.user(comment.authorAccountId),
      created: comment.created,
      updated: comment.updated,
      jsdPublic: true,
      ...(expand.has('renderedBody') ? { renderedBody: adfToHtml(comment.body) } : {}),
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
      project: () => this.project(issue.projectKey),
      status: () => this.status(issue.statusId),
      resolution: () => this.resolution(issue.resolutionId),
      issuelinks: () => this.issueLinks(issue),
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
          self: this.api(`issue/${issue.id}/comment`),
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
      self: this.api(`issue/${issue.id}`),
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

/** The system fields prodops reads, as `GET /field` lists them: id, name, schema type (and item type). */
const SYSTEM_FIELDS: [id: string, name: string, type: string, items?: string][] = [
  ['summary', 'Summary', 'string'],
  ['description', 'Description', 'string'],
  ['issuetype', 'Issue Type', 'issuetype'],
  ['project', 'Project', 'project'],
  ['status', 'Status', 'status'],
  ['resolution', 'Resolution', 'resolution'],
  ['issuelinks', 'Linked Issues', 'array', 'issuelinks'],
  ['parent', 'Parent', 'issuelink'],
  ['labels', 'Labels', 'array', 'string'],
  ['assignee', 'Assignee', 'user'],
  ['reporter', 'Reporter', 'user'],
  ['duedate', 'Due date', 'date'],
  ['created', 'Created', 'datetime'],
  ['updated', 'Updated', 'datetime'],
  ['subtasks', 'Sub-tasks', 'array', 'issuelinks'],
];

/** `GET /field`: the system fields prodops reads and the configured custom fields. */
export function fieldCatalogue(store: JiraStore): Record<string, unknown>[] {
  return [
    ...SYSTEM_FIELDS.map(([id, name, type, items]) => ({
      id,
      key: id,
      name,
      custom: false,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: [id],
      schema: { type, system: id, ...(items ? { items } : {}) },
    })),
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
  ];
}
