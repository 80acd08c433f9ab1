import { describe, expect, it } from 'vitest';
import { ConfigError, parseOrgConfig, summarise } from '../../domain/config';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';

/** Parses a variant of the example and returns its problems as `path: message` lines. */
function problemsOf(text: string): string[] {
  try {
    parseOrgConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

const example = exampleConfigText();
const replaced = (from: string, to: string) => {
  expect(example).toContain(from);
  return example.replace(from, to);
};

describe('org configuration', () => {
  it('accepts the shipped example and fills defaults', () => {
    const config = loadExampleConfig();
    expect(summarise(config)).toBe('26 people in 9 teams (11 roles), 3 calendars');
    expect(config.releases.leadTimeWorkingDays).toEqual({ tier2: 5, tier3: 10 });
    expect(config.calendars['tel-aviv']!.weekend).toEqual(['fri', 'sat']);
    expect(config.integrations.rateLimits).toEqual({ notion: 3, jira: 10, google: 10 });
  });

  it('defaults lead times and leave timings when the sections are absent', () => {
    const minimal = `
calendars: { london: { timezone: Europe/London, weekend: [sat, sun] } }
teams: [{ id: t, name: Team }]
people: [{ id: a, name: A, email: a@x.example, role: pm, team: t, calendar: london }]
`;
    const config = parseOrgConfig(minimal);
    expect(config.releases.leadTimeWorkingDays).toEqual({ tier2: 5, tier3: 10 });
    expect(config.releases.readinessCheck.workingDaysBeforeLaunch).toBe(2);
    expect(config.leave.expireAfterWorkingDays).toBe(5);
    expect(config.temporal.taskQueue).toBe('prodops');
  });

  const mistakes: [string, string, string][] = [
    [
      'a manager who does not exist',
      replaced('manager: hana, calendar: london, buddy: ben', 'manager: kim, calendar: london, buddy: ben'),
      'people[5].manager: "kim" is not a person',
    ],
    [
      'a person who manages themselves',
      replaced(
        'id: tom, name: Tom Becker, email: tom@northwind.example, role: product_ops, team: product-ops, manager: priya',
        'id: tom, name: Tom Becker, email: tom@northwind.example, role: product_ops, team: product-ops, manager: tom',
      ),
      'people[2].manager: a person cannot manage themselves',
    ],
    [
      'a cycle in the management chain',
      replaced(
        'id: hana, name: Hana Okafor, email: hana@northwind.example, role: head_of_product, team: product-ops,',
        'id: hana, name: Hana Okafor, email: hana@northwind.example, role: head_of_product, team: product-ops, manager: priya,',
      ),
      'the management chain loops',
    ],
    [
      'a duplicate person id',
      replaced('{ id: sam, name: Sam Rivera', '{ id: maya, name: Sam Rivera'),
      'people[18].id: "maya" is used by another person',
    ],
    [
      'an invalid email',
      replaced('email: ben@northwind.example', 'email: ben-at-northwind'),
      'people[6].email: is not a valid email address',
    ],
    [
      'an unknown time zone',
      replaced('timezone: America/New_York', 'timezone: America/Gotham'),
      'calendars.new-york.timezone: "America/Gotham" is not an IANA time zone',
    ],
    [
      'a person on a calendar that does not exist',
      replaced(
        'role: product_manager, team: platform, manager: hana, calendar: tel-aviv',
        'role: product_manager, team: platform, manager: hana, calendar: mars',
      ),
      'people[10].calendar: "mars" is not a calendar',
    ],
    [
      'a person in a team that does not exist',
      replaced(
        'role: eng_lead, team: growth, manager: hana, calendar: london',
        'role: eng_lead, team: mobile, manager: hana, calendar: london',
      ),
      'people[13].team: "mobile" is not a team',
    ],
    [
      'a buddy of another role',
      replaced('calendar: london, buddy: ben,', 'calendar: london, buddy: ivan,'),
      'people[5].buddy: "ivan" is a eng_lead, not a product_manager',
    ],
    [
      'a holiday that does not exist',
      replaced('- 2026-12-29', '- 2026-02-30'),
      'calendars.london.holidays[1]: is not a date that exists',
    ],
    [
      'an unknown weekday',
      replaced('weekend: [fri, sat]', 'weekend: [fri, saturday]'),
      'calendars.tel-aviv.weekend[1]: must be one of',
    ],
    [
      'a typo in a field name',
      replaced('escalationContacts: [hana, priya]', 'escalationContact: [hana, priya]'),
      'releases.escalationContact: is not a known field',
    ],
    [
      'an escalation contact who does not exist',
      replaced('escalationContacts: [hana, priya]', 'escalationContacts: [hana, zed]'),
      'releases.escalationContacts[1]: "zed" is not a person',
    ],
    [
      'a minimum the team cannot meet',
      replaced('minimumOnDuty: { product_manager: 1 }', 'minimumOnDuty: { product_manager: 3 }'),
      'teams[3].minimumOnDuty.product_manager: needs 3 product_manager on duty but the team has 2',
    ],
    [
      'a blackout that ends before it starts',
      replaced('{ from: 2026-12-07, to: 2026-12-11', '{ from: 2026-12-11, to: 2026-12-07'),
      'leave.blackouts[0].to: ends (2026-12-07) before it starts (2026-12-11)',
    ],
    [
      'a secret in the file',
      replaced('    projectKey: REL', '    projectKey: REL\n    apiToken: abc123'),
      'integrations.jira.apiToken: secrets do not belong in the configuration file',
    ],
    [
      'tier 3 with less lead time than tier 2',
      replaced('leadTimeWorkingDays: { tier2: 5, tier3: 10 }', 'leadTimeWorkingDays: { tier2: 5, tier3: 3 }'),
      'releases.leadTimeWorkingDays.tier3: tier3 must need at least as much lead time as tier2',
    ],
    [
      'a status with an empty resolution',
      replaced(
        `resolutions: { Done: Done, Released: Done, Cancelled: "Won't Do" }`,
        'resolutions: { Done: "" }',
      ),
      'integrations.jira.resolutions.Done: must name a resolution, such as Done',
    ],
    [
      'a weekend covering the whole week',
      replaced('weekend: [fri, sat]', 'weekend: [sun, mon, tue, wed, thu, fri, sat]'),
      'calendars.tel-aviv.weekend: must leave at least one working day in the week',
    ],
  ];

  it.each(mistakes)('reports %s with its path', (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(
      problems.some((p) => p.includes(expected)),
      `expected "${expected}" among:\n${problems.join('\n')}`,
    ).toBe(true);
  });

  it('reports every problem at once, each with a line number', () => {
    const text = replaced(
      'manager: hana, calendar: london, buddy: ben',
      'manager: kim, calendar: mars, buddy: ben',
    );
    let error: ConfigError | undefined;
    try {
      parseOrgConfig(text);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.path).sort()).toEqual(['people[5].calendar', 'people[5].manager']);
    const line = text.split('\n').findIndex((l) => l.includes('manager: kim')) + 1;
    expect(error!.problems.every((p) => p.line === line)).toBe(true);
  });

  it('reports YAML syntax errors with their line', () => {
    const error = (() => {
      try {
        parseOrgConfig('calendars:\n  london: [unclosed\nteams: []\n');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems[0]!.message).toMatch(/^YAML syntax/);
    expect(error!.problems[0]!.line).toBeGreaterThan(0);
  });

  it('refuses a document that is not a mapping', () => {
    expect(problemsOf('- just\n- a list\n')).toEqual([
      ': must be a YAML mapping with calendars, teams and people',
    ]);
  });
});

describe('operators and URLs in the configuration', () => {
  const key = 'ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
  const withOperators = (yaml: string) => `${example}\noperators:\n${yaml}\n`;

  it('takes operators with a public key or an OS user, Product Ops by default', () => {
    const config = parseOrgConfig(
      withOperators(
        `  - { id: priya, publicKey: '${key}', actsFor: [product-ops, manager] }\n  - { id: tom, osUser: tom }`,
      ),
    );
    expect(config.operators).toEqual([
      { id: 'priya', publicKey: key, actsFor: ['product-ops', 'manager'] },
      { id: 'tom', osUser: 'tom', actsFor: ['product-ops'] },
    ]);
  });

  it('refuses an operator who is nobody, twice listed, sharing a key, with no proof or a made-up grant', () => {
    expect(
      problemsOf(
        withOperators(
          [
            `  - { id: kim, publicKey: '${key}' }`,
            `  - { id: priya, publicKey: '${key}' }`,
            `  - { id: priya, osUser: priya }`,
            '  - { id: tom }',
            `  - { id: lena, publicKey: 'ed25519:short' }`,
            `  - { id: omar, osUser: omar, actsFor: [everything] }`,
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'operators[3]: must name exactly one of publicKey (signed commands) or osUser (an unsigned claim)',
      'operators[4].publicKey: must be an Ed25519 public key written ed25519:<base64url>, as `prodops operator keygen` prints it',
      'operators[5].actsFor[0]: must be one of product-ops, pm, head-of-product, support, sales, buddy, manager, requester, subscription-owner',
    ]);
    expect(
      problemsOf(
        withOperators(
          [
            `  - { id: kim, publicKey: '${key}' }`,
            `  - { id: priya, publicKey: '${key}' }`,
            '  - { id: priya, osUser: priya }',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'operators[0].id: "kim" is not a person',
      "operators[1].publicKey: is also operators[0]'s: each operator proves themselves with their own",
      'operators[2].id: "priya" is listed as an operator twice',
    ]);
  });

  it('refuses credentials inside a URL, and plain http to anything but this machine', () => {
    const at = (url: string) =>
      problemsOf(replaced('# baseUrl: https://northwind.atlassian.net', `baseUrl: ${url}`));
    expect(at('https://northwind.atlassian.net')).toEqual([]);
    expect(at('http://127.0.0.1:8789')).toEqual([]);
    expect(at('http://localhost:8789')).toEqual([]);
    expect(at('https://admin:hunter2@northwind.atlassian.net')).toEqual([
      'integrations.jira.baseUrl: must not carry credentials (user:password@): set them as environment variables',
    ]);
    expect(at('http://northwind.atlassian.net')).toEqual([
      'integrations.jira.baseUrl: must use https:// (plain http:// only for this machine: localhost, 127.0.0.1, ::1)',
    ]);
    expect(at('ftp://northwind.example')).toEqual([
      'integrations.jira.baseUrl: must use https:// (plain http:// only for this machine: localhost, 127.0.0.1, ::1)',
    ]);
  });
});
