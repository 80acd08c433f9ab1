/**
 * Simulated people for the local stack: what `prodops simulate` does before it sends a webhook.
 *
 * A person's edit happens in the sandbox first (the issue changes, the bundle is published, the
 * out-of-office event is created), then the delivery is built from the sandbox's own rendering
 * of it, signed, and sent to the gateway: the functions meet exactly what Jira and Notion would
 * send. Google Calendar needs no help: the sandbox pushes to watch channels by itself.
 *
 * Server side, `registerSimulationRoutes` adds control routes to a running sandbox for the edits
 * its vendor APIs do not offer (editing issue fields as a person, creating an issue under a
 * chosen key). Client side, the `simulate*` functions drive them over HTTP from another process.
 */
import { randomUUID } from 'node:crypto';
import { readinessSubtaskKey, type ReadinessTeam } from '../../contracts/ids';
import { jiraLabel } from '../../contracts/node/idempotency';
import { addCalendarDays, isValidDate } from '../../domain/business-calendar';
import type { OrgConfig, PersonConfig } from '../../domain/config';
import type { Sandbox } from '../index';
import { VendorError, ok } from '../http';
import type { ChangelogEntry, StoredIssue } from '../jira';
import type { JiraChangelogItem, JiraWebhookPayload, NotionEventPayload } from './vendor-events';
import { notionPageEvent } from './vendor-events';

export class SimulationError extends Error {}

const ISSUE_KEY = /^([A-Z][A-Z0-9_]{0,49})-([1-9]\d{0,9})$/;

// ---- Server side: control routes on a running sandbox ---------------------------------------

interface JiraChange {
  event: 'jira:issue_created' | 'jira:issue_updated';
  key: string;
  /** Jira's time of the change, ms. */
  at: number;
  actorAccountId: string;
  changelog: ChangelogEntry | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const jiraTime = (stamp: string) => Date.parse(stamp);

export function registerSimulationRoutes(sandbox: Sandbox): void {
  const store = sandbox.jira.store;

  /**
   * Creates the issue under exactly this key: Jira numbers issues itself, so the numbers before
   * it are taken and given back (as if those issues had been deleted), which Jira keys allow.
   */
  const createWithKey = (key: string, fields: Record<string, unknown>, actor: string): StoredIssue => {
    const match = ISSUE_KEY.exec(key);
    if (!match || match[1] !== store.project.key)
      throw new VendorError(400, { error: `${key} is not a key of the ${store.project.key} project` });
    const wanted = Number(match[2]);
    const create = () =>
      store.createIssue(
        { ...fields, project: { key: store.project.key }, issuetype: fields.issuetype ?? { name: 'Task' } },
        [],
        actor,
        { silent: true },
      );
    let issue = create();
    const skipped: string[] = [];
    while (Number(issue.key.split('-')[1]) < wanted) {
      skipped.push(issue.key);
      if (skipped.length > 1_000) {
        for (const placeholder of skipped) store.issues.delete(placeholder);
        throw new VendorError(400, {
          error: `${key} is more than 1000 issues ahead of the sandbox's numbering`,
        });
      }
      issue = create();
    }
    for (const placeholder of skipped) store.issues.delete(placeholder);
    if (issue.key !== key) {
      store.issues.delete(issue.key);
      throw new VendorError(409, {
        error: `${key} was used before in the sandbox and is gone: leave out the key to create a new issue`,
      });
    }
    return issue;
  };

  sandbox.router.add('sandbox', 'POST', '/_sandbox/simulate/jira/issue', (req) => {
    const body = isRecord(req.body) ? req.body : {};
    const fields = isRecord(body.fields) ? body.fields : {};
    const actor =
      typeof body.actorAccountId === 'string' ? body.actorAccountId : store.serviceUser().accountId;
    const key = typeof body.key === 'string' ? body.key.toUpperCase() : undefined;
    try {
      const existing = key ? store.issue(key) : undefined;
      let change: JiraChange;
      if (existing) {
        const entry = store.updateIssue(existing.key, fields, actor);
        change = {
          event: 'jira:issue_updated',
          key: existing.key,
          at: entry ? jiraTime(entry.created) : Date.now(),
          actorAccountId: actor,
          changelog: entry,
        };
      } else {
        // Jira insists on a summary; a person creating a release from the command line may not give one.
        const withSummary = { summary: `Release ${key ?? 'from prodops simulate'}`, ...fields };
        const issue = key
          ? createWithKey(key, withSummary, actor)
          : store.createIssue(
              { ...withSummary, project: { key: store.project.key }, issuetype: { name: 'Task' } },
              [],
              actor,
              { silent: true },
            );
        change = {
          event: 'jira:issue_created',
          key: issue.key,
          at: jiraTime(issue.created),
          actorAccountId: actor,
          changelog: null,
        };
      }
      return ok(change);
    } catch (error) {
      if (error instanceof VendorError) throw error;
      throw new VendorError(400, { error: error instanceof Error ? error.message : String(error) });
    }
  });

  sandbox.router.add('sandbox', 'POST', '/_sandbox/simulate/jira/transition', (req) => {
    const body = isRecord(req.body) ? req.body : {};
    const key = typeof body.key === 'string' ? body.key : '';
    const status = typeof body.status === 'string' ? body.status : '';
    const actor =
      typeof body.actorAccountId === 'string' ? body.actorAccountId : store.serviceUser().accountId;
    const issue = store.issue(key);
    if (!issue) throw new VendorError(404, { error: `${key || '(no key)'} is not in the sandbox` });
    const target = store.statusByName(status);
    if (!target)
      throw new VendorError(400, {
        error: `"${status}" is not a status of the ${store.project.key} workflow (${store.statuses.map((s) => s.name).join(', ')})`,
      });
    // A person walks the workflow: through In Progress when there is no direct transition.
    const changes: JiraChange[] = [];
    for (let step = 0; step < 3 && issue.statusId !== target.id; step++) {
      const offered = store.transitionsFor(issue);
      const next =
        offered.find((t) => t.to === target.id) ??
        offered.find((t) => store.statusById(t.to).category === 'indeterminate');
      if (!next) break;
      // The screen a done status asks for is filled in as a person would: resolution Done.
      const resolution = next.screen ? store.resolutionByName('Done')?.id : undefined;
      const entry = store.applyTransition(issue, next, actor, resolution);
      changes.push({
        event: 'jira:issue_updated',
        key: issue.key,
        at: jiraTime(entry.created),
        actorAccountId: actor,
        changelog: entry,
      });
    }
    if (issue.statusId !== target.id)
      throw new VendorError(409, {
        error: `${issue.key} cannot move from "${store.statusById(issue.statusId).name}" to "${target.name}" in the sandbox workflow`,
      });
    return ok({ changes });
  });
}

// ---- Client side ----------------------------------------------------------------------------

const trimSlash = (url: string) => url.replace(/\/+$/, '');

async function call<T>(url: string, init: RequestInit & { expect?: number[] } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new SimulationError(
      `cannot reach ${new URL(url).origin} (${error instanceof Error ? error.message : String(error)}): is prodops start running?`,
    );
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const found = isRecord(parsed)
      ? (parsed.error ?? parsed.message ?? (parsed.errorMessages as string[] | undefined)?.join('; '))
      : undefined;
    const detail = typeof found === 'string' ? found : text;
    throw new SimulationError(
      `${init.method ?? 'GET'} ${new URL(url).pathname}: HTTP ${response.status} ${detail.slice(0, 300)}`,
    );
  }
  return parsed as T;
}

/** Whether a sandbox answers at the URL. */
export async function sandboxRunning(sandboxUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${trimSlash(sandboxUrl)}/_sandbox/state`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function personOf(config: OrgConfig, id: string, what: string): PersonConfig {
  const person = config.people.find((p) => p.id === id);
  if (!person) throw new SimulationError(`${what} "${id}" is not a person in the configuration`);
  return person;
}

function jiraUser(person: PersonConfig | undefined, accountId: string): JiraWebhookPayload['user'] {
  return {
    accountId,
    displayName: person?.name ?? accountId,
    accountType: 'atlassian',
    ...(person ? { emailAddress: person.email, active: true } : {}),
  };
}

const jiraAuth = (email: string) => `Basic ${Buffer.from(`${email}:sandbox`).toString('base64')}`;

/** The issue as the sandbox renders it (every field), for the webhook body. */
async function renderedIssue(sandboxUrl: string, key: string): Promise<JiraWebhookPayload['issue']> {
  const issue = await call<{ id: string; key: string; self: string; fields: Record<string, unknown> }>(
    `${trimSlash(sandboxUrl)}/rest/api/3/issue/${encodeURIComponent(key)}`,
    { headers: { authorization: jiraAuth('prodops@sandbox.invalid'), accept: 'application/json' } },
  );
  return { id: issue.id, key: issue.key, self: issue.self, fields: issue.fields };
}

async function webhookFor(
  sandboxUrl: string,
  config: OrgConfig,
  change: JiraChange,
): Promise<JiraWebhookPayload> {
  const actor = config.people.find((p) => p.jiraAccountId === change.actorAccountId);
  return {
    timestamp: change.at,
    webhookEvent: change.event,
    issue_event_type_name: change.event === 'jira:issue_created' ? 'issue_created' : 'issue_generic',
    user: jiraUser(actor, change.actorAccountId),
    issue: await renderedIssue(sandboxUrl, change.key),
    ...(change.changelog ? { changelog: { id: change.changelog.id, items: change.changelog.items } } : {}),
  };
}

export interface JiraIssueChange {
  key?: string;
  tier?: 1 | 2 | 3;
  launch?: string;
  /** The PM: a person id, who becomes the assignee. */
  pm?: string;
  title?: string;
  area?: string;
  /** Who makes the change (a person id); the PM when absent. */
  as?: string;
}

function issueFields(config: OrgConfig, change: JiraIssueChange): Record<string, unknown> {
  const fields = config.integrations.jira.fields;
  const out: Record<string, unknown> = {};
  if (change.title !== undefined) out.summary = change.title;
  if (change.pm !== undefined) {
    const pm = personOf(config, change.pm, '--pm');
    if (!pm.jiraAccountId)
      throw new SimulationError(`--pm ${pm.id} has no jiraAccountId in the configuration`);
    out.assignee = { accountId: pm.jiraAccountId };
  }
  if (change.tier !== undefined) {
    if (!fields.tier) throw new SimulationError('integrations.jira.fields.tier is not configured');
    out[fields.tier] = { value: String(change.tier) };
  }
  if (change.launch !== undefined) {
    if (!fields.launchDate)
      throw new SimulationError('integrations.jira.fields.launchDate is not configured');
    if (!isValidDate(change.launch))
      throw new SimulationError(
        `--launch must be a date written YYYY-MM-DD, got ${JSON.stringify(change.launch)}`,
      );
    out[fields.launchDate] = change.launch;
  }
  if (change.area !== undefined && fields.productArea) out[fields.productArea] = change.area;
  return out;
}

/** Creates or edits a release issue in the sandbox as a person; returns the webhook Jira would send. */
export async function simulateJiraIssue(
  sandboxUrl: string,
  config: OrgConfig,
  change: JiraIssueChange,
): Promise<JiraWebhookPayload | null> {
  const fields = issueFields(config, change);
  const actorId = change.as ?? change.pm;
  const actor = actorId ? personOf(config, actorId, '--as') : undefined;
  const result = await call<JiraChange>(`${trimSlash(sandboxUrl)}/_sandbox/simulate/jira/issue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...(change.key ? { key: change.key } : {}),
      fields,
      ...(actor?.jiraAccountId ? { actorAccountId: actor.jiraAccountId } : {}),
    }),
  });
  if (result.event === 'jira:issue_updated' && result.changelog === null) return null;
  return webhookFor(sandboxUrl, config, result);
}

/** Moves an issue to a status in the sandbox as a person; one webhook per transition taken. */
export async function simulateJiraStatus(
  sandboxUrl: string,
  config: OrgConfig,
  options: { key: string; status: string; as?: string },
): Promise<JiraWebhookPayload[]> {
  const actor = options.as ? personOf(config, options.as, '--as') : undefined;
  const result = await call<{ changes: JiraChange[] }>(
    `${trimSlash(sandboxUrl)}/_sandbox/simulate/jira/transition`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        key: options.key,
        status: options.status,
        ...(actor?.jiraAccountId ? { actorAccountId: actor.jiraAccountId } : {}),
      }),
    },
  );
  const payloads: JiraWebhookPayload[] = [];
  for (const change of result.changes) payloads.push(await webhookFor(sandboxUrl, config, change));
  return payloads;
}

/** The key of the readiness sub-task the release workflow created for a team. */
export async function findReadinessSubtask(
  sandboxUrl: string,
  releaseKey: string,
  team: ReadinessTeam,
): Promise<string | null> {
  const label = jiraLabel(readinessSubtaskKey(releaseKey, team));
  const found = await call<{ issues: { key: string }[] }>(
    `${trimSlash(sandboxUrl)}/rest/api/3/search/jql?jql=${encodeURIComponent(`labels = "${label}"`)}&fields=summary`,
    { headers: { authorization: jiraAuth('prodops@sandbox.invalid'), accept: 'application/json' } },
  );
  return found.issues[0]?.key ?? null;
}

/** A webhook for an issue prodops cannot see in a sandbox (a live Jira): built from the options alone. */
export function syntheticJiraIssue(
  config: OrgConfig,
  change: JiraIssueChange & { key: string },
): JiraWebhookPayload {
  const fields = issueFields(config, change);
  const actor = change.as ?? change.pm;
  const person = actor ? personOf(config, actor, '--as') : undefined;
  const accountId = person?.jiraAccountId ?? '712020:prodops-simulate';
  const items: JiraChangelogItem[] = Object.entries(fields)
    .filter(([id]) => id.startsWith('customfield_'))
    .map(([id, value]) => {
      const text = isRecord(value) ? String(value.value) : String(value);
      return {
        field: id,
        fieldtype: 'custom',
        fieldId: id,
        from: null,
        fromString: null,
        to: text,
        toString: text,
      };
    });
  return {
    timestamp: Date.now(),
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: jiraUser(person, accountId),
    issue: {
      id: '0',
      key: change.key,
      fields: {
        summary: change.title ?? change.key,
        project: { key: config.integrations.jira.projectKey },
        issuetype: { name: 'Task', subtask: false },
        ...fields,
      },
    },
    changelog: { id: randomUUID(), items },
  };
}

const notionHeaders = {
  authorization: 'Bearer sandbox',
  'notion-version': '2025-09-03',
  'content-type': 'application/json',
};

/**
 * Sets the release's enablement bundle to Published in the sandbox, waiting for the release
 * workflow to have made it; returns the event Notion would deliver.
 */
export async function simulateNotionPublish(
  sandboxUrl: string,
  config: OrgConfig,
  options: { key: string; waitMs?: number; pollMs?: number },
): Promise<NotionEventPayload> {
  const dataSourceId = config.integrations.notion.dataSources.enablementBundles;
  if (!dataSourceId)
    throw new SimulationError('integrations.notion.dataSources.enablementBundles is not configured');
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  let page: { id: string; parent: { database_id?: string; data_source_id?: string } } | undefined;
  for (;;) {
    const found = await call<{
      results: { id: string; parent: { database_id?: string; data_source_id?: string } }[];
    }>(`${trimSlash(sandboxUrl)}/v1/data_sources/${dataSourceId}/query`, {
      method: 'POST',
      headers: notionHeaders,
      body: JSON.stringify({ filter: { property: 'Release', rich_text: { equals: options.key } } }),
    });
    page = found.results[0];
    if (page || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
  if (!page)
    throw new SimulationError(
      `no enablement bundle for ${options.key} in the sandbox: only Tier 2 and 3 releases have one, made by the release workflow`,
    );
  const statusPropertyId = 'Status';
  await call(`${trimSlash(sandboxUrl)}/v1/pages/${page.id}`, {
    method: 'PATCH',
    headers: notionHeaders,
    body: JSON.stringify({ properties: { Status: { status: { name: 'Published' } } } }),
  });
  return notionPageEvent({
    type: 'page.properties_updated',
    pageId: page.id,
    parent: {
      id: page.parent.database_id ?? dataSourceId,
      type: 'database',
      data_source_id: page.parent.data_source_id ?? dataSourceId,
    },
    updatedProperties: [statusPropertyId],
  });
}

export interface FreelancerIntake {
  name: string;
  email: string;
  team: string;
  /** The hiring manager, a person id. */
  manager: string;
  country: string;
  start: string;
  end: string;
  tools: string[];
  role?: string;
  /** Who adds the page (a person id); the manager by default. */
  as?: string;
}

/**
 * Adds a freelancer intake page to the sandbox's freelancers data source, as a person filling in
 * the row would; returns the page.created event Notion would deliver, authored by that person.
 */
export async function simulateFreelancerIntake(
  sandboxUrl: string,
  config: OrgConfig,
  intake: FreelancerIntake,
): Promise<NotionEventPayload> {
  const dataSourceId = config.integrations.notion.dataSources.freelancers;
  if (!dataSourceId)
    throw new SimulationError('integrations.notion.dataSources.freelancers is not configured');
  const manager = personOf(config, intake.manager, '--manager');
  const author = personOf(config, intake.as ?? intake.manager, '--as');
  const { results: users } = await call<{ results: { id: string; person?: { email?: string } }[] }>(
    `${trimSlash(sandboxUrl)}/v1/users`,
    { headers: notionHeaders },
  );
  const userOf = (person: PersonConfig) => {
    const user = users.find((u) => u.person?.email?.toLowerCase() === person.email.toLowerCase());
    if (!user) throw new SimulationError(`${person.id} is not a user of the sandbox's Notion workspace`);
    return user.id;
  };
  const select = (name: string) => ({ select: { name } });
  const page = await call<{ id: string; parent: { database_id?: string } }>(
    `${trimSlash(sandboxUrl)}/v1/pages`,
    {
      method: 'POST',
      headers: notionHeaders,
      body: JSON.stringify({
        parent: { type: 'data_source_id', data_source_id: dataSourceId },
        properties: {
          Name: { title: [{ text: { content: intake.name } }] },
          Email: { email: intake.email },
          Role: select(intake.role ?? 'freelancer'),
          Team: select(intake.team),
          'Hiring manager': { people: [{ id: userOf(manager) }] },
          Country: select(intake.country),
          'Start date': { date: { start: intake.start } },
          'Contract end': { date: { start: intake.end } },
          Tools: { multi_select: intake.tools.map((name) => ({ name })) },
        },
      }),
    },
  );
  return notionPageEvent({
    type: 'page.created',
    pageId: page.id,
    parent: { id: page.parent.database_id ?? dataSourceId, type: 'database' },
    authorId: userOf(author),
  });
}

/** Creates an out-of-office event on a person's calendar in the sandbox, which pushes to its channels. */
export async function simulateOutOfOffice(
  sandboxUrl: string,
  config: OrgConfig,
  options: { person: string; from: string; to: string; summary?: string },
): Promise<{ calendarId: string; eventId: string }> {
  const person = personOf(config, options.person, '--person');
  for (const [flag, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const)
    if (!isValidDate(value))
      throw new SimulationError(`${flag} must be a date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  if (options.to < options.from)
    throw new SimulationError(`--to (${options.to}) is before --from (${options.from})`);
  const timeZone = config.calendars[person.calendar]?.timezone ?? 'UTC';
  const calendarId = person.email.toLowerCase();
  const event = await call<{ id: string }>(
    `${trimSlash(sandboxUrl)}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`,
    {
      method: 'POST',
      headers: { authorization: `Bearer sandbox-${calendarId}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        summary: options.summary ?? 'Out of office',
        eventType: 'outOfOffice',
        start: { dateTime: `${options.from}T00:00:00`, timeZone },
        end: { dateTime: `${addCalendarDays(options.to, 1)}T00:00:00`, timeZone },
        outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
      }),
    },
  );
  return { calendarId, eventId: event.id };
}
