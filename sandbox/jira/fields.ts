/**
 * Issue fields as the REST API takes them (`project: { key }`, `assignee: { accountId }`, a select
 * as `{ value }` …), checked in Jira's words, and the changelog items an edit records.
 */
import { isRealDate } from '../../domain/config';
import { isRecord } from '../http';
import { adfProblem, adfToText, type AdfDocument } from './adf';
import { INVALID_PAYLOAD, NOT_ADF, PROPERTY_KEY_TOO_LONG } from './errors';
import {
  MAX_PROPERTY_KEY_LENGTH,
  MAX_PROPERTY_VALUE_LENGTH,
  MAX_SUMMARY_LENGTH,
  type ChangelogItem,
  type JiraCustomField,
  type JiraIssueType,
  type JiraProject,
  type SelectValue,
  type StoredIssue,
} from './model';
import type { JiraStore } from './store';

const MAX_TEXT_FIELD_LENGTH = 255;
const MAX_LABEL_LENGTH = 255;

export const SYSTEM_FIELDS_ON_CREATE = new Set([
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
export const EDITABLE_SYSTEM_FIELDS = new Set(['summary', 'description', 'labels', 'assignee', 'duedate']);

type FieldErrors = Record<string, string>;

/** Fields neither on the screen (`allowed`) nor configured custom fields, refused one by one. */
export function refuseUnknownFields(
  store: JiraStore,
  fields: Record<string, unknown>,
  allowed: Set<string>,
  errors: FieldErrors,
): void {
  for (const field of Object.keys(fields)) {
    if (!allowed.has(field) && !store.customFields.some((f) => f.id === field)) {
      errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
    }
  }
}

/** A `{ id }`/`{ key }`/`{ name }` reference resolved by `find`, or the field's error recorded. */
function resolveReference<T>(
  value: unknown,
  field: string,
  messages: { missing: string; invalid: string },
  find: (ref: Record<string, unknown>) => T | undefined,
  errors: FieldErrors,
): T | undefined {
  if (value === undefined || value === null) {
    errors[field] = messages.missing;
    return undefined;
  }
  const found = find(isRecord(value) ? value : {});
  if (!found) errors[field] = messages.invalid;
  return found;
}

export function resolveProject(
  store: JiraStore,
  value: unknown,
  errors: FieldErrors,
): JiraProject | undefined {
  const message = 'Specify a valid project ID or key';
  return resolveReference(
    value,
    'project',
    { missing: message, invalid: message },
    (ref) =>
      store.projects.find(
        (p) =>
          (typeof ref.key === 'string' && ref.key.toUpperCase() === p.key) ||
          (typeof ref.id === 'string' && ref.id === p.id),
      ),
    errors,
  );
}

export function resolveIssueType(
  store: JiraStore,
  value: unknown,
  errors: FieldErrors,
): JiraIssueType | undefined {
  return resolveReference(
    value,
    'issuetype',
    { missing: 'Specify an issue type', invalid: 'The issue type selected is invalid.' },
    (ref) =>
      store.issueTypes.find(
        (t) =>
          (typeof ref.id === 'string' && t.id === ref.id) ||
          (typeof ref.name === 'string' && t.name.toLowerCase() === ref.name.toLowerCase()),
      ),
    errors,
  );
}

export function resolveIssueRef(store: JiraStore, value: unknown): StoredIssue | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.key === 'string') return store.issue(value.key);
  if (typeof value.id === 'string') return store.issue(value.id);
  return undefined;
}

/** An account id, null to unassign, or undefined when the reference names nobody. */
export function resolveUserRef(store: JiraStore, value: unknown): string | null | undefined {
  if (value === null) return null;
  if (!isRecord(value) || typeof value.accountId !== 'string') return undefined;
  return store.users.has(value.accountId) ? value.accountId : undefined;
}

/** The summary when it is one Jira takes; a missing one is an error only when `required`. */
export function checkSummary(value: unknown, errors: FieldErrors, required: boolean): string | undefined {
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

export interface EditableFields {
  description?: AdfDocument | null;
  labels?: string[];
  assignee?: string | null;
  duedate?: string | null;
  custom: Record<string, SelectValue | string | null>;
}

/** A YYYY-MM-DD date, or Jira's parse error for the field. */
function checkDate(value: unknown, field: string, errors: FieldErrors): string | undefined {
  if (typeof value === 'string' && isRealDate(value)) return value;
  errors[field] = `Error parsing date string: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  return undefined;
}

function checkLabels(value: unknown, errors: FieldErrors): string[] | undefined {
  if (value === null) return [];
  if (!Array.isArray(value) || value.some((l) => typeof l !== 'string')) {
    errors.labels = 'Operation value must be an array of strings';
    return undefined;
  }
  const labels = value as string[];
  const spaced = labels.find((l) => /\s/.test(l));
  const long = labels.find((l) => l.length > MAX_LABEL_LENGTH);
  if (labels.some((l) => l === '')) errors.labels = 'Labels cannot be empty.';
  else if (spaced !== undefined) errors.labels = `The label '${spaced}' contains spaces which is invalid.`;
  else if (long !== undefined)
    errors.labels = `The label '${long.slice(0, 40)}…' exceeds the maximum length for a single label of ${MAX_LABEL_LENGTH} characters.`;
  else return [...new Set(labels)];
  return undefined;
}

function checkCustomValue(
  field: JiraCustomField,
  value: unknown,
  errors: FieldErrors,
): SelectValue | string | undefined {
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
    else return { id: option.id, value: option.value };
    return undefined;
  }
  if (field.kind === 'date') return checkDate(value, field.id, errors);
  if (typeof value !== 'string') errors[field.id] = 'Operation value must be a string';
  else if (value.length > MAX_TEXT_FIELD_LENGTH)
    errors[field.id] =
      `The entered text is too long. It exceeds the allowed limit of ${MAX_TEXT_FIELD_LENGTH} characters.`;
  else return value;
  return undefined;
}

/** The editable fields present in `fields`, normalised; problems go to `errors`. */
export function normaliseEditableFields(
  store: JiraStore,
  fields: Record<string, unknown>,
  errors: FieldErrors,
): EditableFields {
  const out: EditableFields = { custom: {} };
  if ('description' in fields) {
    const value = fields.description;
    if (value === null) out.description = null;
    else if (adfProblem(value)) errors.description = NOT_ADF;
    else out.description = value as AdfDocument;
  }
  if ('labels' in fields) {
    const labels = checkLabels(fields.labels, errors);
    if (labels) out.labels = labels;
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
    else {
      const date = checkDate(value, 'duedate', errors);
      if (date !== undefined) out.duedate = date;
    }
  }
  for (const field of store.customFields) {
    if (!(field.id in fields)) continue;
    const value = fields[field.id];
    if (value === null) {
      out.custom[field.id] = null;
      continue;
    }
    const checked = checkCustomValue(field, value, errors);
    if (checked !== undefined) out.custom[field.id] = checked;
  }
  return out;
}

/** Entity properties as create requests carry them; the problem in Jira's words, if any. */
export function checkProperties(properties: unknown): string | undefined {
  if (!Array.isArray(properties)) return INVALID_PAYLOAD;
  const seen = new Set<string>();
  for (const property of properties) {
    if (!isRecord(property) || typeof property.key !== 'string' || property.key === '')
      return 'The property key cannot be empty.';
    if (property.key.length > MAX_PROPERTY_KEY_LENGTH) return PROPERTY_KEY_TOO_LONG;
    if (property.value === undefined) return `The property value for key '${property.key}' cannot be empty.`;
    if (JSON.stringify(property.value).length > MAX_PROPERTY_VALUE_LENGTH) {
      return `The property value for key '${property.key}' is too long. The maximum allowed length is ${MAX_PROPERTY_VALUE_LENGTH} characters.`;
    }
    if (seen.has(property.key)) return `The property key '${property.key}' is given more than once.`;
    seen.add(property.key);
  }
  return undefined;
}

export function systemItem(
  field: string,
  from: string | null,
  fromString: string | null,
  to: string | null,
  toString: string | null,
): ChangelogItem {
  return { field, fieldtype: 'jira', fieldId: field, from, fromString, to, toString };
}

export function customFieldString(value: SelectValue | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? value.value : value;
}

/**
 * Applies checked edits to an issue and returns a changelog item per field whose value changed,
 * in the order Jira lists them (system fields, then custom fields).
 */
export function applyFieldEdits(
  store: JiraStore,
  issue: StoredIssue,
  fields: Record<string, unknown>,
  next: EditableFields,
): ChangelogItem[] {
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
    const name = (id: string | null) => store.displayNameOf(id);
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
  for (const field of store.customFields) {
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
  return items;
}
