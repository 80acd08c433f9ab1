/**
 * Enhanced JQL search (`/rest/api/3/search/jql`): a bounded query, pages of at most 5,000 ids or
 * 100 issues with fields, and an opaque `nextPageToken` tied to the query it came from. Like
 * Jira's, the index is eventually consistent: a new issue is found only once the store's index
 * lag has passed.
 */
import { ok, type SandboxResponse } from '../http';
import { JqlError, compareIssues, compileJql, parseJql, type JqlQuery } from './jql';
import { UNBOUNDED_JQL, jiraError } from './errors';
import { MAX_SEARCH_RESULTS, MAX_SEARCH_RESULTS_WITH_FIELDS, type StoredIssue } from './model';
import { parseFieldSelection, type JiraRenderer } from './render';
import type { JiraStore } from './store';

export interface SearchInput {
  jql: unknown;
  nextPageToken: unknown;
  maxResults: unknown;
  fields: string[] | undefined;
  properties: string[] | undefined;
  expand: string[];
}

/** Issue properties one search or bulk fetch may ask for. */
const MAX_REQUESTED_PROPERTIES = 5;

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

/** Jira's limit on the issue properties one request may ask for. */
export function checkRequestedProperties(properties: string[] | undefined): void {
  if (properties && properties.length > MAX_REQUESTED_PROPERTIES)
    throw jiraError(400, [`You can request at most ${MAX_REQUESTED_PROPERTIES} issue properties.`]);
}

function compile(
  store: JiraStore,
  jql: string,
): { query: JqlQuery; matches: (issue: StoredIssue) => boolean } {
  try {
    const query = parseJql(jql);
    if (query.clauses.length === 0) throw new JqlError(UNBOUNDED_JQL);
    return { query, matches: compileJql(store, query) };
  } catch (error) {
    if (error instanceof JqlError) throw jiraError(400, [error.message]);
    throw error;
  }
}

function pageSize(maxResults: unknown, ceiling: number): number {
  let size = 50;
  if (maxResults !== undefined && maxResults !== null) {
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1) {
      throw jiraError(400, ["The value of 'maxResults' must be an integer greater than 0."]);
    }
    size = maxResults;
  }
  return Math.min(size, ceiling);
}

export function search(store: JiraStore, renderer: JiraRenderer, input: SearchInput): SandboxResponse {
  if (typeof input.jql !== 'string' || input.jql.trim() === '') throw jiraError(400, [UNBOUNDED_JQL]);
  const jql = input.jql;
  const { query, matches } = compile(store, jql);
  const fields = input.fields ?? [];
  const onlyIdentifiers = fields.every((f) => f === 'id' || f === 'key');
  const maxResults = pageSize(
    input.maxResults,
    onlyIdentifiers ? MAX_SEARCH_RESULTS : MAX_SEARCH_RESULTS_WITH_FIELDS,
  );
  checkRequestedProperties(input.properties);
  const offset =
    typeof input.nextPageToken === 'string' && input.nextPageToken !== ''
      ? decodeCursor(input.nextPageToken, jql)
      : 0;

  // The index trails writes: an issue created moments ago may not be found yet.
  const found = [...store.issues.values()]
    .filter((issue) => store.indexed(issue) && matches(issue))
    .sort(compareIssues(query.order));
  const page = found.slice(offset, offset + maxResults);
  const isLast = offset + page.length >= found.length;
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
}
