/**
 * What a freelancer intake must hold before an engagement starts, checked the same way for the
 * CLI, the Notion intake page and the workflow itself: every problem at once, each naming its
 * field, so bad input is refused clearly and nothing is half-started.
 */
import { compareDates, isValidDate, type BusinessCalendar, type CalendarDate } from './business-calendar';
import type { OrgConfig, PersonConfig } from './config';
import { startDateProblem } from './onboarding-plan';

export interface IntakeFields {
  freelancerId: string;
  name: string;
  email: string;
  role: string;
  team: string;
  /** A person id or email. */
  manager: string;
  country: string;
  startDate: string;
  endDate: string;
  tools: string[];
  calendar?: string;
  dayRate?: { amount: number; currency: string };
}

export interface IntakeProblem {
  field: string;
  message: string;
}

const FREELANCER_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ROLE = /^[a-z0-9][a-z0-9._-]*$/;
const EMAIL = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

/** The configured person a manager reference names (an id, or an email in any case). */
export function findPerson(config: OrgConfig, ref: string): PersonConfig | undefined {
  const wanted = ref.trim().toLowerCase();
  return config.people.find((p) => p.id === ref.trim() || p.email.toLowerCase() === wanted);
}

/** The calendar the engagement counts on: the one named, else the hiring manager's. */
export function intakeCalendarName(
  config: OrgConfig,
  input: Pick<IntakeFields, 'calendar' | 'manager'>,
): string | null {
  if (input.calendar !== undefined)
    return Object.hasOwn(config.calendars, input.calendar) ? input.calendar : null;
  return findPerson(config, input.manager)?.calendar ?? null;
}

/** A freelancer id from an email: its local part, lower-cased, reduced to the characters ids allow. */
export function freelancerIdFromEmail(email: string): string {
  const local = email.split('@')[0] ?? '';
  return local
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
}

/**
 * Every problem of an intake. `cal` is the engagement's calendar resolved with its holidays
 * (null when the calendar itself is the problem); `today` is today on it.
 */
export function intakeProblems(
  config: OrgConfig,
  input: IntakeFields,
  cal: BusinessCalendar | null,
  today: CalendarDate,
): IntakeProblem[] {
  const problems: IntakeProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

  if (!FREELANCER_ID.test(text(input.freelancerId)))
    add(
      'freelancerId',
      `"${String(input.freelancerId)}" must be lower-case letters, digits, ".", "_" or "-"`,
    );
  if (text(input.name) === '') add('name', 'is required');
  if (!EMAIL.test(text(input.email))) add('email', `"${String(input.email)}" is not an email address`);
  if (!ROLE.test(text(input.role)))
    add('role', `"${String(input.role)}" must be a role id such as product_designer`);
  if (!config.teams.some((t) => t.id === input.team))
    add('team', `"${String(input.team)}" is not a team (${config.teams.map((t) => t.id).join(', ')})`);
  const manager = typeof input.manager === 'string' ? findPerson(config, input.manager) : undefined;
  if (!manager) add('manager', `"${String(input.manager)}" is not a person in the configuration`);
  else if (manager.email.toLowerCase() === text(input.email).toLowerCase())
    add('manager', `${manager.id} is the freelancer: a freelancer cannot be their own hiring manager`);
  if (!/^[A-Z]{2}$/.test(text(input.country)))
    add('country', `"${String(input.country)}" must be an ISO 3166-1 alpha-2 code such as GB`);
  if (input.calendar !== undefined && !Object.hasOwn(config.calendars, input.calendar))
    add('calendar', `"${input.calendar}" is not a calendar (${Object.keys(config.calendars).join(', ')})`);

  const startValid = isValidDate(input.startDate);
  if (!startValid) add('startDate', `"${String(input.startDate)}" is not a date written YYYY-MM-DD`);
  else if (cal) {
    const problem = startDateProblem(cal, input.startDate);
    if (problem) add('startDate', problem);
    else if (compareDates(input.startDate, today) < 0)
      add('startDate', `${input.startDate} is in the past (today is ${today})`);
  }
  if (!isValidDate(input.endDate))
    add('endDate', `"${String(input.endDate)}" is not a date written YYYY-MM-DD`);
  else if (startValid && compareDates(input.endDate, input.startDate) < 0)
    add('endDate', `${input.endDate} is before the start date ${input.startDate}`);

  const tools = config.onboarding?.tools ?? [];
  if (!Array.isArray(input.tools)) add('tools', 'must be a list of tool ids');
  else {
    const unknown = input.tools.filter((t) => !tools.some((known) => known.id === t));
    if (unknown.length > 0)
      add(
        'tools',
        `${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a tool' : 'are not tools'} of onboarding.tools (${tools.map((t) => t.id).join(', ')})`,
      );
  }
  if (input.dayRate !== undefined) {
    const { amount, currency } = input.dayRate;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
      add('dayRate', 'must be an amount above zero');
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      add('dayRate', `currency "${String(currency)}" must be an ISO 4217 code such as GBP`);
  }
  if (!config.onboarding) add('onboarding', 'the configuration has no onboarding section');
  return problems;
}

export function formatIntakeProblems(problems: IntakeProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
