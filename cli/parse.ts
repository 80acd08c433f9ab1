/**
 * Argument parsers shared by the commands. Each one names the flag and the problem in a usage
 * error (exit 2), so that bad input is refused before anything connects or changes.
 */
import { leaveWorkflowId } from '../contracts/ids';
import { hasControlCharacters, MAX_LABEL_LENGTH, MAX_NOTE_LENGTH } from '../domain/commands';
import { isValidDate, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig, PersonConfig, TeamConfig } from '../domain/config';
import type { Tier } from '../domain/release-plan';
import { CliError } from './errors';

/** A calendar date that exists, written YYYY-MM-DD. */
export function parseDate(value: string, flag: string): CalendarDate {
  if (!isValidDate(value))
    throw CliError.usage(
      `${flag} must be a date that exists, written YYYY-MM-DD, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** The date when the flag was given, else undefined. */
export function parseOptionalDate(value: string | undefined, flag: string): CalendarDate | undefined {
  return value === undefined ? undefined : parseDate(value, flag);
}

export function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw CliError.usage(`${flag} must be a port number, got "${value}"`);
  return port;
}

/** An address to listen on: an IPv4 or IPv6 address, or a host name. */
export function parseHost(value: string, flag = '--host'): string {
  const host = value.trim();
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(host))
    throw CliError.usage(`${flag} must be an address such as 127.0.0.1 or 0.0.0.0, got "${value}"`);
  return host;
}

/** A number of seconds, zero or more. */
export function parseSeconds(value: string, flag: string): number {
  const seconds = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw CliError.usage(`${flag} must be a number of seconds, got "${value}"`);
  return seconds;
}

/** `1`, `2` or `3` (also written `tier 3`). */
export function parseTier(value: string, flag = '--tier'): Tier {
  const match = /^(?:tier\s*)?([123])$/i.exec(value.trim());
  if (!match) throw CliError.usage(`${flag} must be 1, 2 or 3, got "${value}"`);
  return Number(match[1]) as Tier;
}

/** One of a fixed set of words, for example `--team support|sales`. */
export function parseChoice<const T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  const listed =
    choices.length === 1 ? choices[0]! : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)!}`;
  throw CliError.usage(`${flag} must be ${listed}, got "${value}"`);
}

const JIRA_ISSUE_KEY = /^[A-Z][A-Z0-9_]*-[1-9]\d*$/;

/** A Jira issue key such as REL-123, as Jira writes it (upper case). */
export function parseIssueKey(value: string, flag = '<KEY>', example = 'REL-123'): string {
  const key = value.trim();
  if (!JIRA_ISSUE_KEY.test(key))
    throw CliError.usage(`${flag} must be a Jira issue key such as ${example}, got "${value}"`);
  return key;
}

/** Trimmed text, or undefined when the flag was not given; an empty value is a mistake. */
export function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') throw CliError.usage(`${flag} must not be empty`);
  return trimmed;
}

/**
 * One line of text that ends up in a search attribute, a Notion select or a mail subject (a
 * product area, a title): no newline or other control character, at most `max` characters.
 */
export function parseLine(
  value: string | undefined,
  flag: string,
  max = MAX_LABEL_LENGTH,
): string | undefined {
  const text = nonEmpty(value, flag);
  if (text === undefined) return undefined;
  if (hasControlCharacters(text)) throw CliError.usage(`${flag} must be one line without control characters`);
  if (text.length > max)
    throw CliError.usage(`${flag} must be at most ${max} characters, got ${text.length}`);
  return text;
}

/** Free text for a note or a reason: newlines allowed, other control characters not. */
export function parseNote(
  value: string | undefined,
  flag: string,
  max = MAX_NOTE_LENGTH,
): string | undefined {
  const text = nonEmpty(value, flag);
  if (text === undefined) return undefined;
  if (hasControlCharacters(text, true)) throw CliError.usage(`${flag} must not contain control characters`);
  if (text.length > max)
    throw CliError.usage(`${flag} must be at most ${max} characters, got ${text.length}`);
  return text;
}

export function parsePerson(config: OrgConfig, id: string, flag: string): PersonConfig {
  const found = config.people.find((p) => p.id === id);
  if (!found) throw CliError.usage(`${flag} "${id}" is not a person in the configuration`);
  return found;
}

export function parseTeam(config: OrgConfig, id: string, flag = '--team'): TeamConfig {
  const found = config.teams.find((t) => t.id === id);
  if (!found)
    throw CliError.usage(
      `${flag} "${id}" is not a team in the configuration (it has ${config.teams.map((t) => t.id).join(', ')})`,
    );
  return found;
}

export function parseCalendarName(config: OrgConfig, name: string, flag = '--calendar'): string {
  if (!Object.hasOwn(config.calendars, name))
    throw CliError.usage(
      `${flag} "${name}" is not a calendar in the configuration (it has ${Object.keys(config.calendars).join(', ')})`,
    );
  return name;
}

/** `leave:ana:2027-03-01`, `ana:2027-03-01` or `ana+2027-03-01`, for a person of the configuration. */
export function parseLeaveRequestId(
  config: OrgConfig,
  raw: string,
): { workflowId: string; personId: string; from: CalendarDate } {
  const match = /^(?:leave:)?([^:+\s]+)[:+](\d{4}-\d{2}-\d{2})$/.exec(raw.trim());
  if (!match)
    throw CliError.usage(
      `"${raw}" does not name a leave request: write leave:<person>:<date> or <person>+<date>`,
    );
  const [, personId, from] = match as unknown as [string, string, string];
  parsePerson(config, personId, 'the request’s person');
  parseDate(from, 'the request’s date');
  return { workflowId: leaveWorkflowId(personId, from), personId, from };
}
