/**
 * A subscription as people describe it (a row of the Notion data source `subscriptions`, or the
 * options of `prodops renewal add`), checked field by field. Every problem names its field, so
 * each channel can say it in its own words: the CLI names its flag, Notion its property.
 *
 * Pure and free of heavy imports: workflow code, the CLI and activities share it.
 */
import { isValidDate, type CalendarDate } from './business-calendar';
import type { OrgConfig } from './config';
import {
  CycleError,
  cycleLengthDays,
  cycleMonths,
  dayOfMonth,
  parseCycle,
  type CycleSpec,
} from './renewal-plan';

export const DECISIONS = ['renew', 'renegotiate', 'downsize', 'cancel'] as const;
export type Decision = (typeof DECISIONS)[number];

export function isDecision(value: unknown): value is Decision {
  return typeof value === 'string' && (DECISIONS as readonly string[]).includes(value);
}

/** A validated subscription. */
export interface SubscriptionFields {
  tool: string;
  vendor: string | null;
  /** A person id of the configuration. */
  ownerId: string;
  /** A team id; the owner's team when not given. */
  team: string;
  category: string | null;
  costPerCycle: number;
  currency: string;
  cycle: CycleSpec;
  renewalDate: CalendarDate;
  noticeDays: number;
  autoRenews: boolean;
  seats: number | null;
  seatsInUse: number | null;
}

export type SubscriptionField = keyof SubscriptionFields;

/**
 * The fields as given, before any check: strings from the command line, simple values from a
 * Notion page. `owner` is a person id or an email (Notion people are read as their email).
 */
export interface RawSubscription {
  tool?: unknown;
  vendor?: unknown;
  owner?: unknown;
  team?: unknown;
  category?: unknown;
  costPerCycle?: unknown;
  currency?: unknown;
  cycle?: unknown;
  renewalDate?: unknown;
  noticeDays?: unknown;
  autoRenews?: unknown;
  seats?: unknown;
  seatsInUse?: unknown;
}

export type RawField = keyof RawSubscription;

export interface FieldProblem {
  field: RawField | 'decision' | 'until';
  message: string;
}

/** The property of the Notion data source that holds each field. */
export const NOTION_PROPERTIES = {
  tool: 'Name',
  vendor: 'Vendor',
  owner: 'Owner',
  team: 'Team',
  category: 'Category',
  costPerCycle: 'Cost per cycle',
  currency: 'Currency',
  cycle: 'Cycle',
  renewalDate: 'Renewal date',
  noticeDays: 'Notice period (days)',
  autoRenews: 'Auto-renews',
  seats: 'Seats',
  seatsInUse: 'Seats in use',
  decision: 'Decision',
  until: 'Snooze until',
} as const satisfies Record<FieldProblem['field'], string>;

/** Properties prodops writes back; people do not edit them. */
export const NOTION_WRITTEN_PROPERTIES = {
  noticeDeadline: 'Notice deadline',
  status: 'Status',
  annualCost: 'Annual cost',
  problems: 'Problems',
} as const;

/** The Decision property's options, by decision. */
export const NOTION_DECISIONS: Record<Decision | 'undecided', string> = {
  undecided: 'Undecided',
  renew: 'Renew',
  renegotiate: 'Renegotiate',
  downsize: 'Downsize',
  cancel: 'Cancel',
};

/** Reads the Decision property: null for an empty cell, 'undecided', a decision, or undefined if unknown. */
export function readDecision(value: unknown): Decision | 'undecided' | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === 'undecided') return 'undecided';
  return isDecision(lower) ? lower : undefined;
}

const shown = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.length === 0 ? null : value.join(', ');
  return null;
}

function number(value: unknown): number | null | 'invalid' {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : 'invalid';
  if (typeof value === 'string') {
    const trimmed = value.trim().replace(/[,_\s]/g, '');
    if (trimmed === '') return null;
    if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return 'invalid';
    return Number(trimmed);
  }
  return 'invalid';
}

function bool(value: unknown): boolean | null | 'invalid' {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (['yes', 'true', 'y', '1'].includes(lower)) return true;
    if (['no', 'false', 'n', '0'].includes(lower)) return false;
  }
  return 'invalid';
}

/** What the configuration says about people, teams and currencies, for the checks that need it. */
export interface SubscriptionDirectory {
  people: { id: string; email: string; team: string }[];
  teams: string[];
  baseCurrency: string;
  currencies: string[];
}

/** The directory of a configuration. */
export function subscriptionDirectory(config: OrgConfig): SubscriptionDirectory {
  return {
    people: config.people.map((p) => ({ id: p.id, email: p.email, team: p.team })),
    teams: config.teams.map((t) => t.id),
    baseCurrency: config.renewals.baseCurrency,
    currencies: Object.keys(config.renewals.fxRates),
  };
}

export type SubscriptionCheck =
  { ok: true; fields: SubscriptionFields } | { ok: false; problems: FieldProblem[] };

/**
 * Checks every field and reports every problem at once. Without a directory, only the shape is
 * checked and the owner is kept as given; with one, the owner must be a person (by id or email),
 * the team a team, and the currency the base currency or one with a fixed rate.
 */
export function checkSubscription(
  raw: RawSubscription,
  directory?: SubscriptionDirectory,
): SubscriptionCheck {
  const problems: FieldProblem[] = [];
  const problem = (field: RawField, message: string) => problems.push({ field, message });

  const tool = text(raw.tool);
  if (tool === null) problem('tool', 'is required: the name of the tool');
  else if (tool.length > 200) problem('tool', 'must be at most 200 characters');

  const ownerText = text(raw.owner);
  let ownerId = ownerText ?? '';
  let ownerTeam: string | undefined;
  if (ownerText === null) problem('owner', 'is required: the person who decides on the renewal');
  else if (directory) {
    const lower = ownerText.toLowerCase();
    const found = directory.people.find((p) => p.id === ownerText || p.email.toLowerCase() === lower);
    if (!found) problem('owner', `${shown(ownerText)} is not a person in the configuration`);
    else {
      ownerId = found.id;
      ownerTeam = found.team;
    }
  }

  let team = text(raw.team);
  if (team !== null && directory && !directory.teams.includes(team)) {
    const byName = directory.teams.find((t) => t.toLowerCase() === team!.toLowerCase());
    if (byName) team = byName;
    else
      problem(
        'team',
        `${shown(team)} is not a team in the configuration (it has ${directory.teams.join(', ')})`,
      );
  }

  const cost = number(raw.costPerCycle);
  if (cost === null) problem('costPerCycle', 'is required: what one cycle costs');
  else if (cost === 'invalid') problem('costPerCycle', `${shown(raw.costPerCycle)} is not a number`);
  else if (cost < 0) problem('costPerCycle', `${cost} is negative`);

  const currencyText = text(raw.currency);
  const currency = currencyText?.toUpperCase() ?? null;
  if (currency === null) problem('currency', 'is required: an ISO 4217 code such as EUR');
  else if (!/^[A-Z]{3}$/.test(currency))
    problem('currency', `${shown(currencyText)} is not an ISO 4217 currency code such as EUR`);
  else if (directory && currency !== directory.baseCurrency && !directory.currencies.includes(currency))
    problem(
      'currency',
      `${currency} is an unknown currency: renewals.fxRates has no rate for it (known: ${[directory.baseCurrency, ...directory.currencies].join(', ')})`,
    );

  let cycle: CycleSpec | null = null;
  const cycleText = text(raw.cycle);
  if (cycleText === null) problem('cycle', 'is required: monthly, quarterly, annual or every N months (Nm)');
  else {
    try {
      cycle = parseCycle(cycleText);
    } catch (error) {
      if (!(error instanceof CycleError)) throw error;
      problem('cycle', error.message);
    }
  }

  const renewalText = text(raw.renewalDate);
  const renewalDate = renewalText?.slice(0, 10) ?? null;
  if (renewalDate === null) problem('renewalDate', 'is required: the next renewal date, YYYY-MM-DD');
  else if (!isValidDate(renewalDate))
    problem('renewalDate', `${shown(renewalText)} is not a date written YYYY-MM-DD`);

  const notice = number(raw.noticeDays);
  if (notice === null) problem('noticeDays', 'is required: the notice period in calendar days (0 for none)');
  else if (notice === 'invalid' || !Number.isInteger(notice))
    problem('noticeDays', `${shown(raw.noticeDays)} is not a whole number of days`);
  else if (notice < 0) problem('noticeDays', `${notice} is negative`);
  else if (cycle && renewalDate && isValidDate(renewalDate)) {
    const length = cycleLengthDays(renewalDate, cycleMonths(cycle), dayOfMonth(renewalDate));
    if (notice > length)
      problem(
        'noticeDays',
        `${notice} days is longer than the cycle (${length} days up to ${renewalDate}): the notice would fall in the cycle before`,
      );
  }

  const autoRenews = bool(raw.autoRenews);
  if (autoRenews === 'invalid') problem('autoRenews', `${shown(raw.autoRenews)} is not yes or no`);

  const seats = number(raw.seats);
  if (seats === 'invalid' || (typeof seats === 'number' && (!Number.isInteger(seats) || seats < 0)))
    problem('seats', `${shown(raw.seats)} is not a whole number of seats`);
  const inUse = number(raw.seatsInUse);
  if (inUse === 'invalid' || (typeof inUse === 'number' && (!Number.isInteger(inUse) || inUse < 0)))
    problem('seatsInUse', `${shown(raw.seatsInUse)} is not a whole number of seats`);

  if (!team && ownerTeam) team = ownerTeam;
  if (!team && directory && ownerText !== null && !problems.some((p) => p.field === 'owner'))
    problem('team', 'is required');

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    fields: {
      tool: tool!,
      vendor: text(raw.vendor),
      ownerId,
      team: team ?? '',
      category: text(raw.category),
      costPerCycle: cost as number,
      currency: currency!,
      cycle: cycle!,
      renewalDate: renewalDate!,
      noticeDays: notice as number,
      // A contract that says nothing about it renews itself: the cautious reading for a deadline.
      autoRenews: autoRenews === null ? true : (autoRenews as boolean),
      seats: seats as number | null,
      seatsInUse: inUse as number | null,
    },
  };
}

export function describeProblems(
  problems: FieldProblem[],
  label: (field: FieldProblem['field']) => string,
): string {
  return problems.map((p) => `${label(p.field)} ${p.message}`).join('; ');
}

/** Seats in use against seats, as a whole percentage; null when either is unknown. */
export function utilisationPercent(fields: Pick<SubscriptionFields, 'seats' | 'seatsInUse'>): number | null {
  if (fields.seats === null || fields.seatsInUse === null || fields.seats === 0) return null;
  return Math.round((fields.seatsInUse / fields.seats) * 100);
}
