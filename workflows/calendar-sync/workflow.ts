/**
 * One long-lived workflow per watched calendar (`calendar-sync:<calendarId>`).
 *
 * - Keeps a push channel open: opens one, and opens the next about a day before it expires
 *   (Google's channels last a week by default), then stops the old one.
 * - Syncs on every push, and on a timer as a backstop, since push delivery is not guaranteed.
 *   The sync token lives in workflow state; when Google answers 410 the activity lists the
 *   whole calendar and the dispatcher treats what vanished as deleted.
 * - Hands each change to the rules in dispatch.ts, which decide which workflows hear of it.
 * - Continues as new before its history grows large, carrying its state.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { CalendarActivities } from '../../activities/calendar';
import type { CalendarSyncActivities } from '../../activities/calendar-sync';
import type { DispatchActivities } from '../../activities/dispatch';
import { localDateOf } from '../../domain/business-calendar';
import { activityTaskQueue } from '../../domain/task-queues';
import { attempt, historyIsLong, isRepeat, note } from '../entity-loop';
import { emptyKnownEvents, planDispatches, type Dispatch, type KnownEvents } from './dispatch';
import {
  calendarChanged,
  calendarSyncStatus,
  DEFAULT_CHANNEL_TTL_SECONDS,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_RENEW_BEFORE_SECONDS,
  stopCalendarSync,
  type CalendarChannel,
  type CalendarSyncInput,
  type CalendarSyncStatus,
} from './messages';

/** Patch: invite answers are dispatched only from events the watched calendar organises. */
export const INVITE_ANSWERS_FROM_OWN_EVENTS = 'calendar-sync-invite-answers-from-own-events';

/** A sync with a dispatch or two costs about a dozen events; this is a few days of polling. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 1_000;
/** After a failed watch, try again this much later (polling covers the gap). */
const WATCH_RETRY_MS = 60 * 60 * 1000;
const DELIVERIES_KEPT = 200;
const LOG_LIMIT = 30;

export interface CalendarSyncState {
  syncToken: string | null;
  channel: CalendarChannel | null;
  /** The address channels are opened at; the input's until a watch request moves it. */
  address: string | null;
  /** The number of the last watch key used. */
  generation: number;
  watchRetryAt: number;
  /** A sync is due (a push arrived, or one was asked for). */
  pending: boolean;
  renewRequested: boolean;
  nextPollAt: number;
  known: KnownEvents;
  deliveries: string[];
  syncs: number;
  fullResyncs: number;
  dispatched: number;
  lastSyncAt: number | null;
  log: { at: string; message: string }[];
}

function initialState(input: CalendarSyncInput): CalendarSyncState {
  return {
    syncToken: null,
    channel: null,
    address: input.address,
    generation: 0,
    watchRetryAt: 0,
    pending: true,
    renewRequested: false,
    nextPollAt: 0,
    known: emptyKnownEvents(),
    deliveries: [],
    syncs: 0,
    fullResyncs: 0,
    dispatched: 0,
    lastSyncAt: null,
    log: [],
  };
}

type GoogleSync = CalendarSyncActivities & Pick<CalendarActivities, 'stopChannel'>;

/** One sync workflow's state and what it calls, for the steps below. */
interface SyncRun {
  input: CalendarSyncInput;
  state: CalendarSyncState;
  /** The workflow's task queue: core activities, and the leave workflows it starts. */
  base: string;
  google: ActivityInterfaceFor<GoogleSync>;
  core: ActivityInterfaceFor<DispatchActivities>;
  ttlSeconds: number;
  renewBeforeMs: number;
  note: (message: string) => void;
}

function statusOf({ input, state }: SyncRun): CalendarSyncStatus {
  return {
    calendarId: input.calendarId,
    personId: input.personId,
    channel: state.channel ? { ...state.channel } : null,
    hasSyncToken: state.syncToken !== null,
    syncs: state.syncs,
    fullResyncs: state.fullResyncs,
    lastSyncAt: state.lastSyncAt === null ? null : new Date(state.lastSyncAt).toISOString(),
    dispatched: state.dispatched,
    following: {
      outOfOffice: Object.values(state.known.outOfOffice).filter((e) => e.status === 'confirmed').length,
      invites: Object.keys(state.known.invites).length,
    },
    log: [...state.log],
  };
}

function failureText(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

async function stopOldChannel(run: SyncRun, channel: CalendarChannel): Promise<void> {
  await attempt(
    () =>
      run.google.stopChannel({
        channelId: channel.channelId,
        resourceId: channel.resourceId,
        actAs: run.input.actAs,
      }),
    // It expires on its own; meanwhile its notifications only cause an extra sync.
    (cause) => run.note(`could not stop channel ${channel.channelId}: ${cause}`),
  );
}

/** Renew a day early, or halfway through a channel that Google gave a shorter life. */
const renewAt = (run: SyncRun, channel: CalendarChannel): number =>
  channel.expiration - Math.min(run.renewBeforeMs, (channel.expiration - channel.openedAt) / 2);

function channelDue(run: SyncRun, now: number): boolean {
  const { state } = run;
  if (state.address === null || now < state.watchRetryAt) return false;
  if (state.renewRequested || !state.channel) return true;
  return renewAt(run, state.channel) <= now;
}

/** When the loop must look at the channel again (or poll), whatever arrives meanwhile. */
function nextWakeAt(run: SyncRun): number {
  const { state } = run;
  return Math.min(
    state.nextPollAt,
    state.address === null
      ? Number.POSITIVE_INFINITY
      : state.channel && !state.renewRequested
        ? Math.max(renewAt(run, state.channel), state.watchRetryAt)
        : state.watchRetryAt,
  );
}

async function renewChannel(run: SyncRun): Promise<void> {
  const { input, state } = run;
  const address = state.address;
  if (address === null) return;
  const generation = state.generation + 1;
  const opened = await attempt(
    () =>
      run.google.watchCalendarChannel({
        idempotencyKey: `calendar-sync:${input.calendarId}:channel:${generation}`,
        calendarId: input.calendarId,
        address,
        ttlSeconds: run.ttlSeconds,
        // In the channel's id and token: the trigger refuses notifications once it has passed.
        expiresAtSeconds: Math.floor(Date.now() / 1000) + run.ttlSeconds,
        actAs: input.actAs,
      }),
    (cause) => {
      state.watchRetryAt = Date.now() + WATCH_RETRY_MS;
      run.note(`could not open a channel (polling meanwhile): ${cause}`);
    },
  );
  if (!opened) return;
  const old = state.channel;
  state.generation = generation;
  state.renewRequested = false;
  state.channel = { ...opened, address, generation, openedAt: Date.now() };
  run.note(`channel ${opened.channelId} open until ${new Date(opened.expiration).toISOString()}`);
  if (old && old.channelId !== opened.channelId) await stopOldChannel(run, old);
}

async function send(run: SyncRun, dispatch: Dispatch): Promise<void> {
  try {
    if (dispatch.kind === 'signalWithStart') {
      await run.core.signalWithStartWorkflow({
        workflowType: dispatch.workflowType,
        workflowId: dispatch.workflowId,
        taskQueue: run.base,
        args: dispatch.args,
        signal: dispatch.signal,
        signalArgs: dispatch.signalArgs,
      });
    } else {
      await getExternalWorkflowHandle(dispatch.workflowId).signal(dispatch.signal, ...dispatch.args);
    }
    run.state.dispatched++;
    run.note(dispatch.describe);
  } catch (error) {
    // A finished target, or one that never existed: the change has nobody left to tell.
    run.note(`not delivered: ${dispatch.describe} (${failureText(error)})`);
  }
}

async function sync(run: SyncRun): Promise<void> {
  const { input, state } = run;
  const listing = await attempt(
    () =>
      run.google.listCalendarChanges({
        calendarId: input.calendarId,
        ...(state.syncToken !== null ? { syncToken: state.syncToken } : {}),
        actAs: input.actAs,
      }),
    (cause) => run.note(`sync failed, next try at the next push or poll: ${cause}`),
  );
  if (!listing) return;
  const mode = state.syncToken === null ? 'baseline' : listing.fullResync ? 'resync' : 'incremental';
  const now = Date.now();
  const dispatches = planDispatches(listing.events, state.known, {
    calendarId: input.calendarId,
    personId: input.personId,
    timeZone: input.timeZone,
    mode,
    today: localDateOf(now, input.timeZone),
    now,
    // Answers count only on prodops' own invites, on the calendar that organises them: a
    // look-alike event on anyone else's calendar names a workflow but is not heard.
    answersFromOwnInvitesOnly: patched(INVITE_ANSWERS_FROM_OWN_EVENTS),
  });
  state.syncToken = listing.nextSyncToken;
  state.syncs++;
  state.lastSyncAt = now;
  if (mode === 'resync') {
    state.fullResyncs++;
    run.note(`sync token expired: listed all ${listing.scanned} events again`);
  } else if (mode === 'baseline') {
    run.note(`first sync: ${listing.scanned} events taken as they are`);
  }
  for (const dispatch of dispatches) await send(run, dispatch);
}

export async function calendarSyncWorkflow(
  input: CalendarSyncInput,
  carried?: CalendarSyncState,
): Promise<CalendarSyncStatus> {
  const base = workflowInfo().taskQueue;
  const state: CalendarSyncState = carried ?? initialState(input);
  const run: SyncRun = {
    input,
    state,
    base,
    google: proxyActivities<GoogleSync>({
      taskQueue: activityTaskQueue(base, 'google'),
      startToCloseTimeout: '2 minutes',
      scheduleToCloseTimeout: '30 minutes',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
    }),
    core: proxyActivities<DispatchActivities>({
      taskQueue: base,
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: '1 day',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
    }),
    ttlSeconds: input.channelTtlSeconds ?? DEFAULT_CHANNEL_TTL_SECONDS,
    renewBeforeMs: (input.renewBeforeSeconds ?? DEFAULT_RENEW_BEFORE_SECONDS) * 1000,
    note: (message) => note(state, message, { calendarId: input.calendarId }, LOG_LIMIT),
  };
  const pollMs = (input.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000;
  /** Why the workflow was asked to stop; set by a signal handler. */
  const control: { stopping: string | null } = { stopping: null };

  setHandler(calendarSyncStatus, () => statusOf(run));
  setHandler(calendarChanged, (change) => {
    if (isRepeat(state, change.deliveryId, DELIVERIES_KEPT)) return;
    // A sync message only confirms that a channel is live: nothing changed.
    if (change.resourceState === 'sync') return;
    if (change.address !== undefined && change.address !== state.address) {
      state.address = change.address;
      state.renewRequested = true;
    }
    if (change.renewChannel) {
      state.renewRequested = true;
      state.watchRetryAt = 0;
    }
    state.pending = true;
  });
  setHandler(stopCalendarSync, ({ reason }) => {
    control.stopping = reason ?? 'asked to stop';
  });

  // Its own loop rather than the shared one: a sync is due on a push or a poll, not a deadline list.
  for (;;) {
    if (control.stopping !== null) {
      if (state.channel) await stopOldChannel(run, state.channel);
      state.channel = null;
      run.note(`stopped: ${control.stopping}`);
      break;
    }
    if (channelDue(run, Date.now())) await renewChannel(run);
    if (state.pending || Date.now() >= state.nextPollAt) {
      state.pending = false;
      await sync(run);
      state.nextPollAt = Date.now() + pollMs;
      continue;
    }
    if (historyIsLong(HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW)) {
      await condition(allHandlersFinished);
      if (!state.pending && control.stopping === null)
        await continueAsNew<typeof calendarSyncWorkflow>(input, state);
      continue;
    }
    await condition(
      () => state.pending || control.stopping !== null,
      Math.max(nextWakeAt(run) - Date.now(), 1),
    );
  }
  await condition(allHandlersFinished);
  return statusOf(run);
}
