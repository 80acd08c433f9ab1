/**
 * The sandbox's own count of what prodops made, grouped by the idempotency key prodops stamps on
 * every artifact, so that a run under faults can show that nothing was made twice and nothing
 * is missing, from the vendors' side rather than from prodops' own account of itself.
 *
 * Where each key lives (as activities/ stamps it):
 *   - Jira issue and comment: the `prodops.idempotency` property, `{ key }` (an issue's label is
 *     only a hash of the key; the property decides, as it does for the activities);
 *   - Notion page: the `prodops key` rich text property;
 *   - Calendar event: the `prodopsKey` private extended property (the event id is derived from
 *     the key, but an invite's id also depends on the worker's secret, so the id alone would hide
 *     a twin made under another secret);
 *   - mail: the `prodopsref…` token at the foot of the body, in the sender's SENT copy (Gmail may
 *     replace the Message-ID; it never rewrites the body).
 *
 * Everything is counted, closed Jira twins and cancelled events included: a twin closed as a
 * duplicate is still a second issue somebody may see. Pages in Notion's trash are not counted
 * (trashing is Notion's delete), nor are the stored exceptions of a recurring event (they belong
 * to their series).
 *
 * "Unkeyed" counts artifacts with no key that prodops' own credentials made: Jira issues and
 * comments by an account that is nobody's in the configuration (the sandbox gives API
 * credentials of no configured person a service account), Notion pages by the integration's bot,
 * events created by the sender mailbox and mail in the sender's SENT. People simulated in the
 * sandbox act under their own accounts and are not counted.
 */
import type { OrgConfig } from '../domain/config';
import type { JiraStore } from './jira';
import type { NotionStore } from './notion/store';
import { plainText } from './notion/rich-text';
import { CALENDAR_KEY_PROPERTY, JIRA_KEY_PROPERTY, NOTION_KEY_PROPERTY } from '../contracts/stamps';
import { MAIL_TOKEN_PATTERN } from '../contracts/node/idempotency';
import type { GoogleStore } from './google/store';

export type AuditVendor = 'jira' | 'notion' | 'google';
export type AuditKind = 'issue' | 'comment' | 'page' | 'event' | 'mail';

export interface AuditArtifact {
  vendor: AuditVendor;
  kind: AuditKind;
  /** The idempotency key as prodops stamped it (for mail: the body token derived from it). */
  key: string;
  count: number;
  /** The vendor's ids: an issue key, a comment id, a page id, `calendarId/eventId`, a Gmail id. */
  ids: string[];
}

export interface SandboxAudit {
  artifacts: AuditArtifact[];
  /** Sum over keys of count − 1. */
  duplicates: number;
  /** Artifacts without a prodops key, made with prodops' credentials. */
  unkeyed: number;
}

export interface AuditSources {
  config: OrgConfig;
  jira: JiraStore;
  notion: NotionStore;
  google: GoogleStore;
}

export function auditSandbox({ config, jira, notion, google }: AuditSources): SandboxAudit {
  const groups = new Map<string, AuditArtifact>();
  let unkeyed = 0;
  const record = (vendor: AuditVendor, kind: AuditKind, key: string | undefined, id: string) => {
    if (key === undefined) return;
    const group = `${vendor}\n${kind}\n${key}`;
    let artifact = groups.get(group);
    if (!artifact) {
      artifact = { vendor, kind, key, count: 0, ids: [] };
      groups.set(group, artifact);
    }
    artifact.count += 1;
    artifact.ids.push(id);
  };

  const people = new Set(config.people.flatMap((p) => (p.jiraAccountId ? [p.jiraAccountId] : [])));
  const byProdops = (accountId: string) => !people.has(accountId);
  for (const issue of jira.issues.values()) {
    const key = jiraKeyOf(jira.properties.get(issue.key)?.get(JIRA_KEY_PROPERTY));
    if (key === undefined && byProdops(issue.reporterAccountId)) unkeyed += 1;
    record('jira', 'issue', key, issue.key);
  }
  for (const comments of jira.comments.values()) {
    for (const comment of comments) {
      const key = jiraKeyOf(comment.properties.get(JIRA_KEY_PROPERTY));
      if (key === undefined && byProdops(comment.authorAccountId)) unkeyed += 1;
      record('jira', 'comment', key, comment.id);
    }
  }

  for (const page of notion.pagesById.values()) {
    if (page.inTrash) continue;
    const value = page.properties[NOTION_KEY_PROPERTY];
    const key = value ? plainText(value) || undefined : undefined;
    if (key === undefined && page.createdBy === notion.botId) unkeyed += 1;
    record('notion', 'page', key, page.id);
  }

  const sender = google.sender;
  for (const event of google.storedEvents()) {
    if (event.recurringEventId !== undefined) continue;
    const key = event.extendedProperties.private[CALENDAR_KEY_PROPERTY] || undefined;
    if (key === undefined && sender !== undefined && event.creator.email.toLowerCase() === sender)
      unkeyed += 1;
    record('google', 'event', key, `${event.calendarId}/${event.id}`);
  }
  for (const message of google.messages()) {
    if (!message.labelIds.includes('SENT')) continue;
    const key = MAIL_TOKEN_PATTERN.exec(`${message.text ?? ''}\n${message.html ?? ''}`)?.[0];
    if (key === undefined && message.mailbox === sender) unkeyed += 1;
    record('google', 'mail', key, message.id);
  }

  const artifacts = [...groups.values()].sort(
    (a, b) => a.vendor.localeCompare(b.vendor) || a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key),
  );
  const duplicates = artifacts.reduce((sum, a) => sum + a.count - 1, 0);
  return { artifacts, duplicates, unkeyed };
}

function jiraKeyOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const key = (value as Record<string, unknown>).key;
  return typeof key === 'string' && key !== '' ? key : undefined;
}
