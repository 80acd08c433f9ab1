/** The shared argument parsers: each refusal is a usage error (exit 2) naming the flag and the value. */
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from '../../cli/errors';
import {
  nonEmpty,
  parseCalendarName,
  parseChoice,
  parseDate,
  parseIssueKey,
  parseLeaveRequestId,
  parsePerson,
  parsePort,
  parseSeconds,
  parseTeam,
  parseTier,
} from '../../cli/parse';
import { loadExampleConfig } from '../helpers/config';

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_USAGE);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('argument parsers', () => {
  const config = loadExampleConfig();

  it('dates exist and are written YYYY-MM-DD', () => {
    expect(parseDate('2028-02-29', '--from')).toBe('2028-02-29');
    expect(refusal(() => parseDate('2027-02-29', '--from'))).toBe(
      '--from must be a date that exists, written YYYY-MM-DD, got "2027-02-29"',
    );
    expect(refusal(() => parseDate('1/3/2027', '--to'))).toMatch(/^--to must be a date/);
  });

  it('ports, seconds and tiers', () => {
    expect(parsePort('8787', '--port')).toBe(8787);
    for (const bad of ['0', '65536', '80.5', 'http'])
      expect(refusal(() => parsePort(bad, '--ui-port'))).toBe(
        `--ui-port must be a port number, got "${bad}"`,
      );
    expect(parseSeconds('2.5', '--wait')).toBe(2.5);
    expect(refusal(() => parseSeconds('-1', '--wait'))).toBe('--wait must be a number of seconds, got "-1"');
    expect(refusal(() => parseSeconds(' ', '--wait'))).toMatch(/^--wait must be a number of seconds/);
    expect([parseTier('1'), parseTier('Tier 2'), parseTier(' 3 ')]).toEqual([1, 2, 3]);
    expect(refusal(() => parseTier('4', '--tier'))).toBe('--tier must be 1, 2 or 3, got "4"');
  });

  it('choices list what is allowed', () => {
    expect(parseChoice('sales', '--team', ['support', 'sales'])).toBe('sales');
    expect(refusal(() => parseChoice('legal', '--team', ['support', 'sales']))).toBe(
      '--team must be support or sales, got "legal"',
    );
    expect(refusal(() => parseChoice('x', '--part', ['full', 'morning', 'afternoon']))).toBe(
      '--part must be full, morning or afternoon, got "x"',
    );
  });

  it('Jira issue keys are written as Jira writes them', () => {
    expect(parseIssueKey(' REL-12 ')).toBe('REL-12');
    expect(refusal(() => parseIssueKey('rel-12'))).toBe(
      '<KEY> must be a Jira issue key such as REL-123, got "rel-12"',
    );
    expect(refusal(() => parseIssueKey('REL-0', '--key', 'REL-9'))).toBe(
      '--key must be a Jira issue key such as REL-9, got "REL-0"',
    );
  });

  it('people, teams and calendars must be in the configuration', () => {
    expect(parsePerson(config, 'ana', '--pm').id).toBe('ana');
    expect(refusal(() => parsePerson(config, 'zed', '--by'))).toBe(
      '--by "zed" is not a person in the configuration',
    );
    expect(parseTeam(config, config.teams[0]!.id).id).toBe(config.teams[0]!.id);
    expect(refusal(() => parseTeam(config, 'nope'))).toMatch(
      /^--team "nope" is not a team in the configuration \(it has .+\)$/,
    );
    expect(parseCalendarName(config, 'london')).toBe('london');
    expect(refusal(() => parseCalendarName(config, 'mars'))).toMatch(/^--calendar "mars" is not a calendar/);
  });

  it('leave requests are named by workflow id or person and date', () => {
    const expected = { workflowId: 'leave:gita:2027-03-01', personId: 'gita', from: '2027-03-01' };
    for (const raw of ['leave:gita:2027-03-01', 'gita:2027-03-01', 'gita+2027-03-01'])
      expect(parseLeaveRequestId(config, raw)).toEqual(expected);
    expect(refusal(() => parseLeaveRequestId(config, 'gita-2027-03-01'))).toMatch(
      /^"gita-2027-03-01" does not name a leave request/,
    );
    expect(refusal(() => parseLeaveRequestId(config, 'zed+2027-03-01'))).toBe(
      'the request’s person "zed" is not a person in the configuration',
    );
    expect(refusal(() => parseLeaveRequestId(config, 'gita+2027-02-30'))).toMatch(
      /^the request’s date must be/,
    );
  });

  it('empty text is refused, absent text is not', () => {
    expect(nonEmpty(undefined, '--note')).toBeUndefined();
    expect(nonEmpty('  why  ', '--note')).toBe('why');
    expect(refusal(() => nonEmpty('  ', '--reason'))).toBe('--reason must not be empty');
  });
});
