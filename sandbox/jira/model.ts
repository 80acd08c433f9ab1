/**
 * The Jira stand-in's records and limits: what the store keeps, what listeners hear, and the
 * limits Jira enforces. Everything here is public, exported as is by the vendor's index.
 */
import type { AdfDocument } from './adf';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

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
  /** The transition's screen: the fields it shows, and whether each must be filled in. */
  screen?: { resolution: { required: boolean } };
}

export interface JiraResolution {
  id: string;
  name: string;
  description: string;
}

export interface IssueLinkType {
  id: string;
  name: string;
  inward: string;
  outward: string;
}

/** A link between two issues: `inwardKey <outward description> outwardKey` (A duplicates B). */
export interface StoredIssueLink {
  id: string;
  typeId: string;
  inwardKey: string;
  outwardKey: string;
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
  /** The resolution's id, set by a transition screen and cleared on reopening. */
  resolutionId: string | null;
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
  /** When search sees the issue (epoch ms): Jira's index trails writes. */
  indexedAt: number;
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
  /**
   * How long a new issue stays out of `/search/jql` results (default 0). Jira's search index is
   * not read-after-write consistent: an issue can be missing from search for seconds, at times
   * minutes, after its create answered; reads by key or id see it at once.
   */
  indexLagMs?: number;
  /**
   * Whether the transitions into done statuses show a screen that requires a resolution
   * (default true), as many company-managed workflows do.
   */
  resolutionScreens?: boolean;
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
