/**
 * Where prodops writes an artifact's idempotency key at each vendor: the activities stamp it
 * there and look it up on a retry, so that a create whose answer was lost is found instead of
 * made twice; the Notion routes read it back from the rows they are told about; the sandbox
 * keeps the same fields and its audit counts what prodops made by them (sandbox/audit.ts).
 */

/** The Jira issue and comment property whose value is `{ key }`. */
export const JIRA_KEY_PROPERTY = 'prodops.idempotency';

/** The rich-text property of a Notion row that holds the key. */
export const NOTION_KEY_PROPERTY = 'prodops key';

/** The private extended property that ties a Calendar event to the key that created it. */
export const CALENDAR_KEY_PROPERTY = 'prodopsKey';
