/** Jira's error body (`{ errorMessages, errors }`) and the refusals several routes share. */
import { VendorError } from '../http';
import { MAX_PROPERTY_KEY_LENGTH } from './model';

export const INVALID_PAYLOAD = 'Invalid request payload. Refer to the REST API documentation and try again.';
export const NOT_ADF = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
export const PROPERTY_KEY_TOO_LONG = `The property key cannot be longer than ${MAX_PROPERTY_KEY_LENGTH} characters.`;
export const UNBOUNDED_JQL =
  'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

export const jiraError = (status: number, errorMessages: string[], errors: Record<string, string> = {}) =>
  new VendorError(status, { errorMessages, errors });
