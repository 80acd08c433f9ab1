/**
 * The REST v3 routes prodops calls: myself, fields, issues (create, get, edit, delete, bulk
 * fetch), enhanced JQL search, transitions and their screens, issue links, comments and issue
 * properties, each authenticated as Jira does.
 *
 * Comment properties come only with `POST /comment/list?expand=properties`, which Jira documents;
 * the issue's comment listing expands `renderedBody` alone, as its documentation says.
 */
import {
  isRecord,
  noContent,
  ok,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxRouter,
} from '../http';
import { adfProblem, adfToText, type AdfDocument } from './adf';
import { checkProperties } from './fields';
import { INVALID_PAYLOAD, NOT_ADF, PROPERTY_KEY_TOO_LONG, jiraError } from './errors';
import {
  ISSUE_NOT_FOUND,
  JiraFieldErrors,
  MAX_COMMENT_LENGTH,
  MAX_COMMENT_RESULTS,
  MAX_PROPERTY_KEY_LENGTH,
  MAX_PROPERTY_VALUE_LENGTH,
  type JiraUser,
  type JsonValue,
  type StoredIssue,
} from './model';
import { JiraRenderer, fieldCatalogue, parseFieldSelection } from './render';
import { checkRequestedProperties, search } from './search';
import type { JiraStore } from './store';

const MAX_BULK_FETCH = 100;
const MAX_COMMENT_LIST = 1000;

/** What an issue's comment routes expand: `renderedBody`, nothing else (properties are not promised there). */
function commentExpand(req: SandboxRequest): Set<string> {
  return new Set(listParam(req, 'expand').filter((e) => e === 'renderedBody'));
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

/** A repeatable, comma-separated query parameter (`fields=a,b&fields=c`). */
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

/** A list of strings in a JSON body, or undefined when absent. */
function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw jiraError(400, [`${INVALID_PAYLOAD} '${name}' must be an array of strings.`]);
  return value as string[];
}

/** The JSON object body, or Jira's refusal of anything else. */
function bodyOf(req: SandboxRequest): Record<string, unknown> {
  if (!isRecord(req.body)) throw jiraError(400, [INVALID_PAYLOAD]);
  return req.body;
}

const nonEmpty = (value: unknown) => isRecord(value) && Object.keys(value).length > 0;

type Handler<Args extends unknown[]> = (...args: Args) => SandboxResponse;

export function registerJiraRoutes(router: SandboxRouter, store: JiraStore): void {
  router.setErrorShape('jira', (_status, message) => ({ errorMessages: [message], errors: {} }));

  const rendererFor = (req: SandboxRequest) =>
    new JiraRenderer(store, `http://${req.headers.host ?? 'sandbox.local'}`);
  const route = (method: string, path: string, handler: Handler<[SandboxRequest, JiraUser]>) =>
    router.add('jira', method, `/rest/api/3${path}`, (req) => handler(req, authenticate(store, req)));
  /** A route under `/issue/:issueIdOrKey`, answered 404 as Jira does when the issue is unknown. */
  const issueRoute = (
    method: string,
    path: string,
    handler: Handler<[SandboxRequest, StoredIssue, JiraUser]>,
  ) =>
    route(method, `/issue/:issueIdOrKey${path}`, (req, user) => {
      const issue = store.issue(req.params.issueIdOrKey!);
      if (!issue) throw jiraError(404, [ISSUE_NOT_FOUND]);
      return handler(req, issue, user);
    });

  route('GET', '/myself', (req, user) => ok({ ...rendererFor(req).user(user.accountId), locale: 'en_GB' }));

  route('GET', '/field', () => ok(fieldCatalogue(store)));

  route('POST', '/issue', (req, user) => {
    const body = bodyOf(req);
    if (body.fields !== undefined && !isRecord(body.fields)) throw jiraError(400, [INVALID_PAYLOAD]);
    if (nonEmpty(body.update)) {
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
        { id: issue.id, key: issue.key, self: `${rendererFor(req).base}/rest/api/3/issue/${issue.id}` },
        201,
      );
    } catch (error) {
      if (error instanceof JiraFieldErrors) throw jiraError(400, error.errorMessages, error.errors);
      throw error;
    }
  });

  // Registered before /issue/:issueIdOrKey routes; the methods differ, but the order keeps intent plain.
  route('POST', '/issue/bulkfetch', (req) => {
    const body = bodyOf(req);
    const ids = stringList(body.issueIdsOrKeys, 'issueIdsOrKeys');
    if (!ids || ids.length === 0)
      throw jiraError(400, ['issueIdsOrKeys must contain at least one issue id or key.']);
    if (ids.length > MAX_BULK_FETCH)
      throw jiraError(400, [`issueIdsOrKeys can contain at most ${MAX_BULK_FETCH} issues.`]);
    const fields = stringList(body.fields, 'fields') ?? ['*navigable'];
    const properties = stringList(body.properties, 'properties');
    checkRequestedProperties(properties);
    const renderer = rendererFor(req);
    const selection = parseFieldSelection(fields);
    const expand = new Set(typeof body.expand === 'string' ? body.expand.split(',') : []);
    const issues = ids.map((id) => store.issue(id)).filter((i): i is StoredIssue => i !== undefined);
    return ok({
      issues: issues.map((i) => renderer.issue(i, selection, { properties, expand })),
      issueErrors: [],
    });
  });

  issueRoute('GET', '', (req, issue) => {
    const fields = listParam(req, 'fields');
    const selection = parseFieldSelection(fields.length > 0 ? fields : ['*all']);
    return ok(
      rendererFor(req).issue(issue, selection, {
        properties: listParam(req, 'properties'),
        expand: new Set(listParam(req, 'expand')),
      }),
    );
  });

  // Editing an issue: Jira answers 204 with no body; `update` operations are not supported here.
  issueRoute('PUT', '', (req, issue, user) => {
    const body = bodyOf(req);
    if (nonEmpty(body.update))
      throw jiraError(400, [
        "The prodops Jira sandbox sets fields through 'fields'; 'update' operations are not supported.",
      ]);
    if (!isRecord(body.fields)) throw jiraError(400, [INVALID_PAYLOAD]);
    try {
      store.updateIssue(issue.key, body.fields, user.accountId);
    } catch (error) {
      if (error instanceof JiraFieldErrors) throw jiraError(400, error.errorMessages, error.errors);
      throw error;
    }
    return noContent();
  });

  issueRoute('DELETE', '', (req, issue) => {
    const subtasks = store.subtasksOf(issue.key);
    if (subtasks.length > 0 && req.query.get('deleteSubtasks') !== 'true')
      throw jiraError(400, [
        `The issue has subtasks. To delete it, set the 'deleteSubtasks' parameter to 'true'.`,
      ]);
    for (const subtask of subtasks) store.deleteIssue(subtask.key);
    store.deleteIssue(issue.key);
    return noContent();
  });

  route('GET', '/search/jql', (req) =>
    search(store, rendererFor(req), {
      jql: req.query.get('jql') ?? undefined,
      nextPageToken: req.query.get('nextPageToken') ?? undefined,
      maxResults: req.query.has('maxResults') ? intParam(req, 'maxResults', 50) : undefined,
      fields: listParam(req, 'fields'),
      properties: listParam(req, 'properties'),
      expand: listParam(req, 'expand'),
    }),
  );
  route('POST', '/search/jql', (req) => {
    const body = bodyOf(req);
    return search(store, rendererFor(req), {
      jql: body.jql,
      nextPageToken: body.nextPageToken,
      maxResults: body.maxResults,
      fields: stringList(body.fields, 'fields'),
      properties: stringList(body.properties, 'properties'),
      expand: typeof body.expand === 'string' ? body.expand.split(',') : [],
    });
  });

  issueRoute('GET', '/transitions', (req, issue) => {
    const renderer = rendererFor(req);
    const wanted = req.query.get('transitionId');
    const withFields = listParam(req, 'expand').includes('transitions.fields');
    const transitions = store.transitionsFor(issue).filter((t) => !wanted || t.id === wanted);
    return ok({
      expand: 'transitions',
      transitions: transitions.map((t) => ({
        id: t.id,
        name: t.name,
        to: renderer.status(t.to),
        hasScreen: t.screen !== undefined,
        isGlobal: t.from === 'any',
        isInitial: false,
        isAvailable: true,
        isConditional: false,
        isLooped: false,
        // The screen's fields only when asked for, as Jira does.
        ...(withFields
          ? {
              fields: t.screen
                ? {
                    resolution: {
                      required: t.screen.resolution.required,
                      schema: { type: 'resolution', system: 'resolution' },
                      name: 'Resolution',
                      key: 'resolution',
                      hasDefaultValue: false,
                      operations: ['set'],
                      allowedValues: store.resolutions.map((r) => renderer.resolution(r.id)),
                    },
                  }
                : {},
            }
          : {}),
      })),
    });
  });

  issueRoute('POST', '/transitions', (req, issue, user) => {
    const body = bodyOf(req);
    const transition = isRecord(body.transition) ? body.transition : undefined;
    const id = transition?.id;
    if (typeof id !== 'string' || id === '') throw jiraError(400, ["Missing 'transition' identifier"]);
    if (nonEmpty(body.update)) {
      throw jiraError(400, [
        "The prodops Jira sandbox sets transition fields through 'fields'; 'update' operations are not supported.",
      ]);
    }
    const available = store.transitionsFor(issue).find((t) => t.id === id);
    if (!available) throw jiraError(400, [`Transition id '${id}' is not valid for this issue.`]);
    const fields = isRecord(body.fields) ? body.fields : {};
    const errors: Record<string, string> = {};
    for (const field of Object.keys(fields)) {
      if (field !== 'resolution' || !available.screen)
        errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
    }
    let resolutionId: string | undefined;
    if (available.screen && Object.keys(errors).length === 0) {
      const value = fields.resolution;
      if (value === undefined || value === null) {
        if (available.screen.resolution.required) errors.resolution = 'Resolution is required.';
      } else {
        const ref = isRecord(value) ? value : {};
        const found =
          typeof ref.id === 'string'
            ? store.resolutionById(ref.id)
            : typeof ref.name === 'string'
              ? store.resolutionByName(ref.name)
              : undefined;
        if (!found) errors.resolution = `Specify a valid resolution (got ${JSON.stringify(value)}).`;
        resolutionId = found?.id;
      }
    }
    if (Object.keys(errors).length > 0) throw jiraError(400, [], errors);
    store.applyTransition(issue, available, user.accountId, resolutionId);
    return noContent();
  });

  route('GET', '/issueLinkType', (req) => {
    const renderer = rendererFor(req);
    return ok({ issueLinkTypes: store.linkTypes.map((t) => renderer.linkType(t.id)) });
  });

  route('POST', '/issueLink', (req) => {
    const body = bodyOf(req);
    const type = isRecord(body.type) ? body.type : {};
    const linkType =
      typeof type.id === 'string'
        ? store.linkTypes.find((t) => t.id === type.id)
        : typeof type.name === 'string'
          ? store.linkTypeByName(type.name)
          : undefined;
    if (!linkType)
      throw jiraError(404, [`No issue link type with name '${String(type.name ?? type.id)}' found.`]);
    const end = (value: unknown) => {
      const ref = isRecord(value) ? value : {};
      const idOrKey = typeof ref.key === 'string' ? ref.key : typeof ref.id === 'string' ? ref.id : undefined;
      const found = idOrKey ? store.issue(idOrKey) : undefined;
      if (!found) throw jiraError(404, [ISSUE_NOT_FOUND]);
      return found;
    };
    const inward = end(body.inwardIssue);
    const outward = end(body.outwardIssue);
    if (inward.key === outward.key) throw jiraError(400, ['You cannot link an issue to itself.']);
    store.linkIssues(linkType, inward.key, outward.key);
    return { status: 201 };
  });

  route('POST', '/comment/list', (req) => {
    const body = bodyOf(req);
    const ids = body.ids;
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.some((id) => typeof id !== 'number' || !Number.isInteger(id))
    )
      throw jiraError(400, ["'ids' must be a list of comment ids."]);
    if (ids.length > MAX_COMMENT_LIST)
      throw jiraError(400, [`The number of comment ids must not exceed ${MAX_COMMENT_LIST}.`]);
    const wanted = new Set((ids as number[]).map(String));
    const expand = new Set(listParam(req, 'expand'));
    const renderer = rendererFor(req);
    const comments = [...store.comments.values()]
      .flat()
      .filter((c) => wanted.has(c.id))
      .sort((a, b) => Number(a.id) - Number(b.id));
    return ok({
      startAt: 0,
      maxResults: MAX_COMMENT_LIST,
      total: comments.length,
      isLast: true,
      values: comments.map((c) => renderer.comment(c, expand)),
    });
  });

  issueRoute('GET', '/comment', (req, issue) => {
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
    const expand = commentExpand(req);
    const renderer = rendererFor(req);
    return ok({
      startAt,
      maxResults,
      total: all.length,
      comments: all.slice(startAt, startAt + maxResults).map((c) => renderer.comment(c, expand)),
    });
  });

  issueRoute('POST', '/comment', (req, issue, user) => {
    const body = bodyOf(req);
    const empty = () => jiraError(400, [], { comment: 'Comment body can not be empty!' });
    if (body.body === undefined || body.body === null || body.body === '') throw empty();
    if (adfProblem(body.body)) throw jiraError(400, [], { comment: NOT_ADF });
    const doc = body.body as AdfDocument;
    const text = adfToText(doc);
    if (doc.content.length === 0 || text.trim() === '') throw empty();
    if (text.length > MAX_COMMENT_LENGTH) {
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
    return ok(rendererFor(req).comment(comment, commentExpand(req)), 201);
  });

  issueRoute('GET', '/comment/:id', (req, issue) => {
    const comment = store.commentsOf(issue.key).find((c) => c.id === req.params.id);
    if (!comment) throw jiraError(404, [`Can not find a comment for the id: ${req.params.id}.`]);
    return ok(rendererFor(req).comment(comment, commentExpand(req)));
  });

  issueRoute('GET', '/properties', (req, issue) => {
    const base = rendererFor(req).base;
    return ok({
      keys: [...(store.properties.get(issue.key)?.keys() ?? [])].map((key) => ({
        self: `${base}/rest/api/3/issue/${issue.id}/properties/${encodeURIComponent(key)}`,
        key,
      })),
    });
  });

  const missingProperty = (key: string) => jiraError(404, [`The property with key '${key}' does not exist.`]);

  issueRoute('GET', '/properties/:propertyKey', (req, issue) => {
    const key = req.params.propertyKey!;
    const properties = store.properties.get(issue.key);
    if (!properties?.has(key)) throw missingProperty(key);
    return ok({ key, value: properties.get(key) });
  });

  issueRoute('PUT', '/properties/:propertyKey', (req, issue) => {
    const key = req.params.propertyKey!;
    if (key.length > MAX_PROPERTY_KEY_LENGTH) throw jiraError(400, [PROPERTY_KEY_TOO_LONG]);
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
  });

  issueRoute('DELETE', '/properties/:propertyKey', (req, issue) => {
    const key = req.params.propertyKey!;
    if (!store.properties.get(issue.key)?.delete(key)) throw missingProperty(key);
    return noContent();
  });
}
