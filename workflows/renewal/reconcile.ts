/**
 * What must exist for a subscription, against what has been made, given an effects object: the
 * Notion row (prodops writes only the cells that differ from what it last read or wrote), the
 * deadline event on the owner's calendar, the procurement task in Jira for a cancel, renegotiate
 * or downsize, the export reminder for a cancel, the search attributes and memo, and the budget
 * pages of the years whose figures this subscription changed.
 */
import { subscriptionPageKey } from '../../contracts/renewals';
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  type CalendarDate,
} from '../../domain/business-calendar';
import { budgetLines, type BudgetFacts, type FxTable } from '../../domain/budget';
import { deadlineEvent, exportReminder, procurementTask } from '../../domain/renewal-content';
import { describeCycle } from '../../domain/renewal-plan';
import {
  NOTION_DECISIONS,
  NOTION_PROPERTIES,
  NOTION_WRITTEN_PROPERTIES,
  type Decision,
  type FieldProblem,
} from '../../domain/subscription';
import type { Clock, NoticeEffects } from './deadlines';
import { noticeKey } from './deadlines';
import type { BudgetFactsChanged, PersonRef, SubscriptionMemo, WrittenProperties } from './messages';
import { ended, type RenewalState } from './state';
import { budgetFacts, describe, indexOf, memoOf, perYearCents, type RenewalIndex } from './views';

export type PropertyInput =
  | { title: string }
  | { rich_text: string }
  | { select: string | null }
  | { date: { start: string } | null }
  | { number: number | null }
  | { checkbox: boolean }
  | { people_emails: string[] };

export interface RenewalEffects extends NoticeEffects {
  /** Updates the row `pageId`, or creates it under `key` when there is none yet. */
  writePage(input: {
    pageId: string | null;
    key: string;
    dataSourceId: string;
    properties: Record<string, PropertyInput>;
  }): Promise<{ id: string } | undefined>;
  upsertEvent(input: {
    key: string;
    calendarId: string;
    summary: string;
    description: string;
    start: string;
    end: string;
    timeZone: string;
  }): Promise<{ id: string } | undefined>;
  deleteEvent(input: { key: string; calendarId: string }): Promise<boolean>;
  createIssue(input: {
    key: string;
    projectKey: string;
    summary: string;
    description: string;
    assignee: PersonRef | null;
    duedate: CalendarDate;
  }): Promise<{ key: string } | undefined>;
  retireIssue(input: { issueKey: string; toStatus: string }): Promise<boolean>;
  signalBudget(year: number, change: BudgetFactsChanged): Promise<boolean>;
  index(index: RenewalIndex | null, memo: SubscriptionMemo | null): void;
}

export const pageKey = (s: RenewalState): string => subscriptionPageKey(s.subscriptionId);

export function cycleLabel(cycle: string): string {
  if (cycle === 'monthly') return 'Monthly';
  if (cycle === 'quarterly') return 'Quarterly';
  if (cycle === 'annual') return 'Annual';
  return describeCycle(cycle as `${number}m`).replace(/^every/, 'Every');
}

const STATUS_LABEL: Record<RenewalState['lifecycle'], string> = {
  pending: 'Invalid',
  invalid: 'Invalid',
  active: 'Active',
  missed: 'Missed',
  cancelled: 'Cancelled',
  lapsed: 'Lapsed',
};

export function problemsText(problems: FieldProblem[]): string {
  return problems.map((p) => `${NOTION_PROPERTIES[p.field]}: ${p.message}`).join('; ');
}

/** The cells of the subscription's row as they should be, in the form compared with what was read. */
export function desiredRow(s: RenewalState): Record<string, PropertyInput> {
  const status = { [NOTION_WRITTEN_PROPERTIES.status]: { select: STATUS_LABEL[s.lifecycle] } };
  const problems = { [NOTION_WRITTEN_PROPERTIES.problems]: { rich_text: problemsText(s.problems) } };
  const f = s.fields;
  const c = s.cycle;
  if (!f || !c || !s.context) return { ...status, ...problems };
  const perYear = perYearCents(s);
  const decision = c.decision && c.decision.decision !== 'undecided' ? c.decision.decision : 'undecided';
  const P = NOTION_PROPERTIES;
  return {
    [P.tool]: { title: f.tool },
    [P.vendor]: { rich_text: f.vendor ?? '' },
    [P.owner]: { people_emails: [s.context.owner.email] },
    [P.team]: { select: f.team },
    [P.category]: { select: f.category },
    [P.costPerCycle]: { number: f.costPerCycle },
    [P.currency]: { select: f.currency },
    [P.cycle]: { select: cycleLabel(f.cycle) },
    [P.renewalDate]: { date: { start: c.renewalDate } },
    [P.noticeDays]: { number: f.noticeDays },
    [P.autoRenews]: { checkbox: f.autoRenews },
    [P.seats]: { number: f.seats },
    [P.seatsInUse]: { number: f.seatsInUse },
    [P.decision]: { select: NOTION_DECISIONS[decision] },
    [NOTION_WRITTEN_PROPERTIES.noticeDeadline]: { date: c.plan ? { start: c.plan.noticeDeadline } : null },
    [NOTION_WRITTEN_PROPERTIES.annualCost]: { number: perYear === null ? null : perYear / 100 },
    ...status,
    ...problems,
  };
}

/** A cell's value as compared: the same for what is read from Notion and what is written. */
export function comparable(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return value === '' ? null : value;
  const v = value as Record<string, unknown>;
  if ('title' in v) return comparable(v.title);
  if ('rich_text' in v) return comparable(v.rich_text);
  if ('select' in v) return comparable(v.select);
  if ('number' in v) return v.number;
  if ('checkbox' in v) return v.checkbox;
  if ('date' in v) return v.date === null ? null : (v.date as { start: string }).start.slice(0, 10);
  if ('people_emails' in v)
    return (v.people_emails as string[])
      .map((e) => e.toLowerCase())
      .sort()
      .join(',');
  return JSON.stringify(value);
}

/** What a Notion event says the row holds, by property name, in comparable form. */
export function rowAsRead(
  fields: Record<string, unknown>,
  decision: string | null,
  written: WrittenProperties,
): Record<string, unknown> {
  const P = NOTION_PROPERTIES;
  const out: Record<string, unknown> = {};
  for (const [field, property] of Object.entries(P)) {
    if (field === 'decision' || field === 'until') continue;
    const value = fields[field];
    out[property] =
      field === 'owner' && typeof value === 'string'
        ? value.toLowerCase()
        : field === 'renewalDate' && typeof value === 'string'
          ? value.slice(0, 10)
          : comparable(value);
  }
  out[P.decision] = comparable(decision);
  const W = NOTION_WRITTEN_PROPERTIES;
  out[W.noticeDeadline] = comparable(written.noticeDeadline);
  out[W.status] = comparable(written.status);
  out[W.annualCost] = comparable(written.annualCost);
  out[W.problems] = comparable(written.problems);
  return out;
}

async function reconcilePage(s: RenewalState, effects: RenewalEffects): Promise<void> {
  const dataSourceId = s.context?.notion.subscriptions;
  if (!dataSourceId) return;
  if (!s.notionPageId && !s.fields) return;
  const desired = desiredRow(s);
  const creating = s.notionPageId === null;
  const properties = creating
    ? desired
    : Object.fromEntries(
        Object.entries(desired).filter(
          ([name, value]) => comparable(value) !== (s.applied.page[name] ?? null),
        ),
      );
  if (Object.keys(properties).length === 0) return;
  const page = await effects.writePage({ pageId: s.notionPageId, key: pageKey(s), dataSourceId, properties });
  if (!page) return;
  s.notionPageId = page.id;
  for (const [name, value] of Object.entries(properties)) s.applied.page[name] = comparable(value);
}

/** Keeps one event of the cycle on `wanted` (or none when null), moving it when the owner changes. */
async function reconcileEvent(
  s: RenewalState,
  effects: RenewalEffects,
  which: 'deadlineEvent' | 'exportEvent',
  wanted: { date: CalendarDate; start: string; end: string; summary: string; description: string } | null,
): Promise<boolean> {
  const c = s.cycle!;
  const ctx = s.context!;
  const key = noticeKey(s, which === 'deadlineEvent' ? 'deadline' : 'export');
  const applied = s.applied[which];
  const current = applied && applied.cycle === c.number ? applied : null;
  if (current && wanted && current.date === wanted.date && current.calendarId === ctx.owner.email)
    return false;
  if (current && (wanted === null || current.calendarId !== ctx.owner.email)) {
    if (!(await effects.deleteEvent({ key: current.key, calendarId: current.calendarId }))) return false;
    s.applied[which] = null;
  }
  if (!wanted) return false;
  const event = await effects.upsertEvent({
    key,
    calendarId: ctx.owner.email,
    summary: wanted.summary,
    description: wanted.description,
    start: wanted.start,
    end: wanted.end,
    timeZone: ctx.calendar.timezone,
  });
  if (!event) return false;
  const made = { cycle: c.number, date: wanted.date, key, calendarId: ctx.owner.email, id: event.id };
  if (which === 'deadlineEvent') s.applied.deadlineEvent = made;
  else s.applied.exportEvent = { ...made, for: c.renewalDate };
  return true;
}

async function reconcileDeadlineEvent(s: RenewalState, effects: RenewalEffects, clock: Clock): Promise<void> {
  const c = s.cycle!;
  const date = !ended(s) && c.plan !== null && c.missed === 'no' ? c.plan.noticeDeadline : null;
  const text = date ? deadlineEvent(describe(s, clock.today)) : null;
  const moved = await reconcileEvent(
    s,
    effects,
    'deadlineEvent',
    date && text ? { date, start: date, end: addCalendarDays(date, 1), ...text } : null,
  );
  if (moved) effects.note(`deadline event on ${date}`);
}

async function reconcileTask(s: RenewalState, effects: RenewalEffects, clock: Clock): Promise<void> {
  const c = s.cycle!;
  const ctx = s.context!;
  const decision = c.decision?.decision;
  const wanted: Exclude<Decision, 'renew'> | null =
    !ended(s) && (decision === 'cancel' || decision === 'renegotiate' || decision === 'downsize')
      ? decision
      : null;
  const applied = s.applied.task;
  if (applied && applied.cycle === c.number && applied.decision === wanted) return;
  if (applied && applied.cycle === c.number) {
    // The decision changed: the task for the old one is closed, not left to mislead.
    if (!(await effects.retireIssue({ issueKey: applied.issueKey, toStatus: ctx.jira.cancelledStatus })))
      return;
    effects.note(`retired ${applied.issueKey}: the decision is no longer ${applied.decision}`);
    s.applied.task = null;
  }
  if (wanted === null || !c.plan || !c.decision) return;
  const text = procurementTask(describe(s, clock.today), wanted, c.decision.by, c.decision.late);
  const due = compareDates(c.plan.noticeDeadline, clock.today) >= 0 ? c.plan.noticeDeadline : clock.today;
  const key = noticeKey(s, `task-${wanted}`);
  const issue = await effects.createIssue({
    key,
    projectKey: ctx.jira.projectKey,
    summary: text.summary,
    description: text.description,
    assignee: ctx.procurement,
    duedate: due,
  });
  if (!issue) return;
  s.applied.task = { cycle: c.number, decision: wanted, key, issueKey: issue.key };
  effects.note(
    `${issue.key} for ${ctx.procurement?.name ?? 'procurement (no renewals.procurementContact configured)'}: ${wanted}, due ${due}`,
  );
}

function plusMinutes(time: string, minutes: number): string {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const total = Math.min(h * 60 + m + minutes, 23 * 60 + 59);
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

async function reconcileExportEvent(s: RenewalState, effects: RenewalEffects, clock: Clock): Promise<void> {
  const c = s.cycle!;
  const ctx = s.context!;
  const cancelling = !ended(s) && c.decision?.decision === 'cancel';
  const applied = s.applied.exportEvent;
  // Planned once per renewal date: a reminder that had to fall on the day of a late decision stays there.
  if (cancelling && applied && applied.cycle === c.number && applied.for === c.renewalDate) return;
  let wanted = null;
  if (cancelling) {
    const planned = addWorkingDays(ctx.calendar, c.renewalDate, -ctx.rules.exportReminderWorkingDays);
    const date = compareDates(planned, clock.today) >= 0 ? planned : clock.today;
    const time = ctx.rules.noticeTime;
    wanted = {
      date,
      start: `${date}T${time}:00`,
      end: `${date}T${plusMinutes(time, 30)}:00`,
      ...exportReminder(describe(s, clock.today)),
    };
  }
  if ((await reconcileEvent(s, effects, 'exportEvent', wanted)) && wanted)
    effects.note(`export reminder on ${wanted.date} for ${ctx.owner.name}`);
}

/** A subscription's lines of one year as the budget page shows them. */
function linesPrint(facts: BudgetFacts | null, year: number, fx: FxTable): string {
  if (!facts) return '[]';
  return JSON.stringify(
    budgetLines(facts, year, fx).map((l) => [
      l.date,
      l.tool,
      l.vendor,
      l.team,
      l.amount,
      l.currency,
      l.counted,
    ]),
  );
}

/**
 * Tells the budget workflow of each year (this one and the next) whose lines of this
 * subscription changed since the facts it was last sent. A renewal that happens as planned
 * changes no line (the renewal ahead becomes a cycle paid, on the same day, at the same price),
 * and the pages read every subscription's facts when they refresh, so a new year coming into
 * view needs no message either.
 */
async function reconcileBudget(s: RenewalState, effects: RenewalEffects, clock: Clock): Promise<void> {
  const facts = budgetFacts(s);
  if (!facts || !s.context) return;
  const before = s.applied.budgetFacts;
  if (before && JSON.stringify(before) === JSON.stringify(facts)) return;
  const year = Number(clock.today.slice(0, 4));
  const fx = s.context.fx;
  let told = true;
  for (const y of [year, year + 1]) {
    if (linesPrint(before, y, fx) === linesPrint(facts, y, fx)) continue;
    told =
      (await effects.signalBudget(y, { subscriptionId: s.subscriptionId, facts, at: clock.now })) && told;
  }
  if (told) s.applied.budgetFacts = facts;
}

export function reconcileIndex(s: RenewalState, effects: RenewalEffects): void {
  const index = indexOf(s);
  const memo = memoOf(s);
  const indexPrint = JSON.stringify(index);
  const memoPrint = JSON.stringify(memo);
  effects.index(indexPrint === s.applied.index ? null : index, memoPrint === s.applied.memo ? null : memo);
  s.applied.index = indexPrint;
  s.applied.memo = memoPrint;
}

/** Brings Notion, the calendar, Jira, the index and the budget pages in line with the state. */
export async function reconcile(s: RenewalState, effects: RenewalEffects, clock: Clock): Promise<void> {
  await reconcilePage(s, effects);
  if (s.fields && s.cycle && s.context) {
    await reconcileDeadlineEvent(s, effects, clock);
    await reconcileTask(s, effects, clock);
    await reconcileExportEvent(s, effects, clock);
    await reconcileBudget(s, effects, clock);
  }
  reconcileIndex(s, effects);
}
