/**
 * The week's time-driven steps, at instants on the rituals' calendar: the reminder, the deadline
 * that closes collection, publication (or its retry), and the end of the week's watch for late
 * contributions, when next week's opens.
 */
import { markSent, wasSent, type Deadline } from '../entity-loop';
import { closeCollection, instant, type WeeklyUpdateState } from './state';
import { ensureMailed, openCollection, publish, sendReminders, type WeeklyEffects } from './reconcile';

/** How long after next week's opening this week still waits for next week to take its hand-over. */
export const HAND_OVER_GRACE_MS = 2 * 60 * 60_000;

export function weeklyDeadlines(state: WeeklyUpdateState, fx: WeeklyEffects): Deadline[] {
  const context = state.context;
  if (!context || state.phase === 'finished') return [];
  const { dates } = context;
  const list: Deadline[] = [];
  const reminders = `weekly-update:${state.week}:reminders`;
  // Started ahead of time (a test, or a command), the week waits for its opening.
  if (state.phase === 'opening')
    return [{ at: instant(dates.opensAt), run: () => openCollection(state, fx) }];
  if (state.phase === 'collecting' && !wasSent(state, reminders))
    list.push({ at: instant(dates.reminderAt), run: () => sendReminders(state, fx) });
  if (state.phase === 'collecting')
    list.push({
      at: instant(dates.deadlineAt),
      run: async () => {
        // Reminders that never went (a worker down over the reminder time) are not sent late.
        markSent(state, reminders);
        const missing = closeCollection(state);
        fx.note(
          `collection closed${missing.length ? `; missing so far: ${missing.join(', ')}` : ': everyone is ready'}`,
        );
      },
    });
  if (!state.published) {
    const at = Math.max(instant(dates.publishAt), state.retryPublicationAt ?? 0);
    list.push({ at, run: () => publish(state, fx, 'schedule') });
  } else if (!state.published.mailed && state.retryPublicationAt !== null) {
    list.push({ at: state.retryPublicationAt, run: () => ensureMailed(state, fx) });
  }
  list.push({
    at: instant(context.nextOpensAt) + HAND_OVER_GRACE_MS,
    run: async () => {
      if (!state.published)
        fx.note(`the week ended unpublished: ${state.publicationProblem ?? 'no publication'}`);
      state.phase = 'finished';
    },
  });
  return list;
}
