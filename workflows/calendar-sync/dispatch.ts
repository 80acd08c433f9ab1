/**
 * What a calendar's changes mean for other workflows. Each rule reads the changed events,
 * updates what the sync remembers about them and returns the signals to send; the sync workflow
 * sends them. Later workflows extend the table (CALENDAR_EVENT_RULES) with rules of their own.
 *
 * Deterministic and free of I/O: it runs inside the workflow and in unit tests alike.
 */
import {
  addCalendarDays,
  compareDates,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../domain/business-calendar';
import type { SyncedEvent } from '../../activities/calendar-sync';
import {
  inviteAnswered,
  LEAVE_WORKFLOW_TYPE,
  leaveWorkflowId,
  outOfOfficeChanged,
  type DayPart,
  type InviteAnswered,
  type LeaveRequestInput,
  type OutOfOfficeChanged,
} from '../leave/messages';

export interface KnownOutOfOffice {
  /** The leave workflow it belongs to; keeps its id when the event moves to other dates. */
  workflowId: string;
  status: 'confirmed' | 'cancelled';
  from: CalendarDate;
  to: CalendarDate;
  firstDay: DayPart;
  lastDay: DayPart;
  /** Set for an instance of a recurring out-of-office event: the recurring event's id. */
  recurringEventId?: string;
}

export interface KnownInvite {
  workflowId: string;
  /** The last answer seen per attendee email. */
  answers: Record<string, string>;
  /** The event's last day, for forgetting it some time after. */
  endDate: CalendarDate | null;
}

/** What the sync remembers between listings, carried across continue-as-new. */
export interface KnownEvents {
  outOfOffice: Record<string, KnownOutOfOffice>;
  invites: Record<string, KnownInvite>;
}

export type Dispatch =
  | {
      kind: 'signalWithStart';
      workflowType: string;
      workflowId: string;
      args: unknown[];
      signal: string;
      signalArgs: unknown[];
      describe: string;
    }
  | { kind: 'signal'; workflowId: string; signal: string; args: unknown[]; describe: string };

export interface SyncContext {
  calendarId: string;
  personId: string | null;
  timeZone: string;
  /**
   * `baseline`: the first listing of the calendar (what exists is not news);
   * `incremental`: changes since the last token;
   * `resync`: a full listing after the token expired (what is missing was deleted).
   */
  mode: 'baseline' | 'incremental' | 'resync';
  today: CalendarDate;
  /** Workflow time, ms: the occurredAt of a change without an `updated` stamp. */
  now: number;
  /**
   * Answers are heard only from invites prodops made (they carry `prodopsKey`) on a calendar
   * that is no person's (the sender mailbox), organised by that calendar. Absent (false) only
   * while replaying syncs recorded before the rule.
   */
  answersFromOwnInvitesOnly?: boolean;
}

export interface CalendarEventRule {
  name: string;
  plan(events: SyncedEvent[], known: KnownEvents, ctx: SyncContext): Dispatch[];
}

/** How long a past event is remembered, so that a late change to it is still recognised. */
export const FORGET_AFTER_DAYS = 60;
export const MAX_REMEMBERED = 1_000;

export const emptyKnownEvents = (): KnownEvents => ({ outOfOffice: {}, invites: {} });

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function instantOf(
  time: { date?: string; dateTime?: string; timeZone?: string } | undefined,
  zone: string,
): number {
  if (!time?.dateTime) return Number.NaN;
  const m = DATE_TIME.exec(time.dateTime);
  if (!m) return Number.NaN;
  if (m[5]) return Date.parse(time.dateTime);
  try {
    const base = Date.parse(zonedDateTimeToInstant(m[1]!, `${m[2]}:${m[3]}`, time.timeZone ?? zone));
    return base + Number(m[4] ?? 0) * 1000;
  } catch {
    return Number.NaN;
  }
}

/**
 * The days an out-of-office event covers in the person's time zone. All-day events end on the
 * day before their exclusive end; timed ones start in the afternoon when they begin at noon or
 * later and end in the morning when they stop by 13:00.
 */
export function outOfOfficeWindow(
  event: Pick<SyncedEvent, 'start' | 'end'>,
  timeZone: string,
): { from: CalendarDate; to: CalendarDate; firstDay: DayPart; lastDay: DayPart } | null {
  const { start, end } = event;
  if (start?.date && end?.date) {
    const to = addCalendarDays(end.date, -1);
    return {
      from: start.date,
      to: compareDates(to, start.date) < 0 ? start.date : to,
      firstDay: 'full',
      lastDay: 'full',
    };
  }
  const startMs = instantOf(start, timeZone);
  const endMs = instantOf(end, timeZone);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) return null;
  try {
    const from = localDateOf(startMs, timeZone);
    const firstDay: DayPart =
      startMs >= Date.parse(zonedDateTimeToInstant(from, '12:00', timeZone)) ? 'afternoon' : 'full';
    const endDate = localDateOf(endMs, timeZone);
    let to = endDate;
    let lastDay: DayPart = 'full';
    if (endMs === Date.parse(zonedDateTimeToInstant(endDate, '00:00', timeZone))) {
      to = addCalendarDays(endDate, -1);
    } else if (endMs <= Date.parse(zonedDateTimeToInstant(endDate, '13:00', timeZone))) {
      lastDay = 'morning';
    }
    if (compareDates(to, from) < 0) to = from;
    return { from, to, firstDay, lastDay };
  } catch {
    return null;
  }
}

const occurredAt = (event: SyncedEvent, ctx: SyncContext): number => {
  const updated = event.updated ? Date.parse(event.updated) : Number.NaN;
  return Number.isFinite(updated) ? updated : ctx.now;
};

/**
 * A person's own out-of-office event starts or moves their leave request; deleting it cancels.
 * Each instance of a recurring one is a request of its own (the listing has them as single
 * events), a cancelled instance cancels its request, and a deleted series cancels every request
 * of its instances. A series this sync knew as one event, from before instances were listed,
 * hands its request to the instance on the same first day.
 */
export const outOfOfficeRule: CalendarEventRule = {
  name: 'out-of-office',
  plan(events, known, ctx) {
    const dispatches: Dispatch[] = [];
    if (!ctx.personId) return dispatches;
    const personId = ctx.personId;
    const seen = new Set<string>();
    const cancel = (eventId: string, prev: KnownOutOfOffice, at: number) => {
      prev.status = 'cancelled';
      if (ctx.mode === 'baseline') return;
      const change: OutOfOfficeChanged = {
        calendarId: ctx.calendarId,
        eventId,
        status: 'cancelled',
        from: prev.from,
        to: prev.to,
        firstDay: prev.firstDay,
        lastDay: prev.lastDay,
        occurredAt: at,
      };
      // A cancellation only reaches a running request: it never starts one.
      dispatches.push({
        kind: 'signal',
        workflowId: prev.workflowId,
        signal: outOfOfficeChanged.name,
        args: [change],
        describe: `out-of-office ${eventId} deleted: ${outOfOfficeChanged.name} to ${prev.workflowId}`,
      });
    };

    for (const event of events) {
      let prev = known.outOfOffice[event.id];
      if (event.status === 'cancelled') {
        seen.add(event.id);
        if (prev && prev.status === 'confirmed') cancel(event.id, prev, occurredAt(event, ctx));
        if (!event.recurringEventId) {
          for (const [id, instance] of Object.entries(known.outOfOffice)) {
            if (instance.recurringEventId === event.id && instance.status === 'confirmed')
              cancel(id, instance, occurredAt(event, ctx));
          }
        }
        continue;
      }
      // prodops' own out-of-office blocks are the result of a leave request, not a new one.
      if (event.eventType !== 'outOfOffice' || event.prodopsKey) continue;
      seen.add(event.id);
      const window = outOfOfficeWindow(event, ctx.timeZone);
      if (!window) continue;
      const series = event.recurringEventId;
      const asOneEvent = series !== undefined ? known.outOfOffice[series] : undefined;
      if (!prev && asOneEvent && !asOneEvent.recurringEventId && asOneEvent.from === window.from) {
        prev = asOneEvent;
        delete known.outOfOffice[series!];
        known.outOfOffice[event.id] = { ...asOneEvent, recurringEventId: series };
      }
      if (
        prev &&
        prev.status === 'confirmed' &&
        prev.from === window.from &&
        prev.to === window.to &&
        prev.firstDay === window.firstDay &&
        prev.lastDay === window.lastDay
      )
        continue;
      const workflowId = prev?.workflowId ?? leaveWorkflowId(personId, window.from);
      known.outOfOffice[event.id] = {
        workflowId,
        status: 'confirmed',
        ...window,
        ...(series !== undefined ? { recurringEventId: series } : {}),
      };
      if (ctx.mode === 'baseline') continue;
      // After a lost sync token everything reappears: only leave still ahead is news.
      if (ctx.mode === 'resync' && !prev && compareDates(window.to, ctx.today) < 0) continue;
      const request: LeaveRequestInput = {
        personId,
        ...window,
        ...(event.summary ? { reason: event.summary.slice(0, 500) } : {}),
        source: 'calendar',
        outOfOfficeEvent: { calendarId: ctx.calendarId, eventId: event.id },
      };
      const change: OutOfOfficeChanged = {
        calendarId: ctx.calendarId,
        eventId: event.id,
        status: 'confirmed',
        ...window,
        occurredAt: occurredAt(event, ctx),
      };
      dispatches.push({
        kind: 'signalWithStart',
        workflowType: LEAVE_WORKFLOW_TYPE,
        workflowId,
        args: [request],
        signal: outOfOfficeChanged.name,
        signalArgs: [change],
        describe: `out-of-office ${event.id} ${prev ? 'changed' : 'created'} (${window.from} to ${window.to}): ${outOfOfficeChanged.name} to ${workflowId}`,
      });
    }
    if (ctx.mode === 'resync') {
      for (const [eventId, prev] of Object.entries(known.outOfOffice)) {
        if (!seen.has(eventId) && prev.status === 'confirmed') cancel(eventId, prev, ctx.now);
      }
    }
    return dispatches;
  },
};

const ANSWERS = new Set<InviteAnswered['response']>(['accepted', 'declined', 'tentative', 'needsAction']);

/**
 * An invite prodops sent: made by prodops (its key), on the sender mailbox's calendar (no
 * person's), organised there. Anyone can put `prodopsWorkflowId` on an event of their own.
 */
function isOwnInvite(event: SyncedEvent, ctx: SyncContext): boolean {
  if (!ctx.answersFromOwnInvitesOnly) return true;
  if (ctx.personId !== null || !event.prodopsKey) return false;
  return event.organizer === ctx.calendarId.toLowerCase();
}

/** An attendee's answer to an invite prodops sent reaches the workflow named on the event. */
export const inviteAnswerRule: CalendarEventRule = {
  name: 'invite-answers',
  plan(events, known, ctx) {
    const dispatches: Dispatch[] = [];
    const seen = new Set<string>();
    for (const event of events) {
      seen.add(event.id);
      if (event.status === 'cancelled' || !event.prodopsWorkflowId || !isOwnInvite(event, ctx)) {
        delete known.invites[event.id];
        continue;
      }
      const entry: KnownInvite = known.invites[event.id] ?? {
        workflowId: event.prodopsWorkflowId,
        answers: {},
        endDate: null,
      };
      entry.workflowId = event.prodopsWorkflowId;
      const end = event.end?.date ?? (event.end?.dateTime ? event.end.dateTime.slice(0, 10) : null);
      entry.endDate = end;
      for (const attendee of event.attendees ?? []) {
        if (attendee.organizer) continue;
        const email = attendee.email.toLowerCase();
        const response = attendee.responseStatus as InviteAnswered['response'];
        if (!ANSWERS.has(response)) continue;
        if ((entry.answers[email] ?? 'needsAction') === response) continue;
        entry.answers[email] = response;
        const answer: InviteAnswered = {
          calendarId: ctx.calendarId,
          eventId: event.id,
          attendeeEmail: email,
          response,
          occurredAt: occurredAt(event, ctx),
        };
        dispatches.push({
          kind: 'signal',
          workflowId: entry.workflowId,
          signal: inviteAnswered.name,
          args: [answer],
          describe: `${email} ${response} ${event.id}: ${inviteAnswered.name} to ${entry.workflowId}`,
        });
      }
      known.invites[event.id] = entry;
    }
    if (ctx.mode === 'resync') {
      for (const eventId of Object.keys(known.invites)) if (!seen.has(eventId)) delete known.invites[eventId];
    }
    return dispatches;
  },
};

/** Extend here: every rule sees every listing, in this order. */
export const CALENDAR_EVENT_RULES: readonly CalendarEventRule[] = [outOfOfficeRule, inviteAnswerRule];

/** Runs every rule over a listing, then forgets what ended long ago. */
export function planDispatches(
  events: SyncedEvent[],
  known: KnownEvents,
  ctx: SyncContext,
  rules: readonly CalendarEventRule[] = CALENDAR_EVENT_RULES,
): Dispatch[] {
  const dispatches = rules.flatMap((rule) => rule.plan(events, known, ctx));
  forget(known, ctx.today);
  return dispatches;
}

function forget(known: KnownEvents, today: CalendarDate): void {
  const horizon = addCalendarDays(today, -FORGET_AFTER_DAYS);
  for (const [id, entry] of Object.entries(known.outOfOffice))
    if (compareDates(entry.to, horizon) < 0) delete known.outOfOffice[id];
  for (const [id, entry] of Object.entries(known.invites))
    if (entry.endDate !== null && compareDates(entry.endDate, horizon) < 0) delete known.invites[id];
  const overflow = Object.entries(known.outOfOffice).sort(([, a], [, b]) => compareDates(a.to, b.to));
  while (overflow.length > MAX_REMEMBERED) delete known.outOfOffice[overflow.shift()![0]];
  const invites = Object.keys(known.invites);
  for (const id of invites.slice(0, Math.max(0, invites.length - MAX_REMEMBERED))) delete known.invites[id];
}
