/**
 * One workflow per release (`release:<JIRA-KEY>`), from planning through the Day-14 retro.
 *
 * The workflow keeps the desired state of the release (tier, launch date, phase; state.ts) and a
 * record of what it has already made in Jira, Notion and Google Calendar. After every change and
 * every deadline (deadlines.ts) it reconciles the two (reconcile.ts): a moved launch patches the
 * same calendar events, a tier change adds or retires steps, a cancellation retires everything.
 * This module only wires the messages to the transitions and hands the rest to the shared loop.
 */
import { activitiesFor, localActivitiesFor } from '../activity-options';
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createGmailActivities } from '../../activities/gmail';
import type { createCoreActivities } from '../../activities/core';
import type { createTombstoneActivities } from '../../activities/tombstones';
import { MAX_LABEL_LENGTH, oneLine, parseCommand } from '../../domain/commands';
import type { OperatorAuth, OperatorGrant } from '../../domain/operators';
import {
  authenticateOperator,
  precheckOperator,
  scopeOf,
  takesUnsignedCommands,
  UNSIGNED_REFUSAL,
} from '../operator-identity';
import type { CalendarDate } from '../../domain/business-calendar';
import { AWARENESS_PROPERTIES, awarenessOf, noticeHtml, type Notice } from '../../domain/release-content';
import { attempt, isRepeat, runEntityLoop, sendOnce, Wake } from '../entity-loop';
import {
  answerAwareness,
  bundlePublished,
  checkInEdited,
  cancelRelease,
  changeTier,
  confirmReadiness,
  decideGoNoGo,
  includedInWeeklyUpdate,
  launchMoved,
  markReleased,
  moveLaunch,
  publishBundle,
  readinessConfirmed,
  releaseCancelled,
  released,
  releaseStatus,
  releaseWorkflowId,
  tierChanged,
  RELEASE_UPDATES,
  ReleaseRefusals,
  type BundlePublishedEvent,
  type CheckInEditedEvent,
  type LaunchMovedEvent,
  type PersonRef,
  type ReadinessConfirmedEvent,
  type ReleasedEvent,
  type ReleaseInput,
  type ReleaseStatus,
  type StepId,
} from './messages';
import {
  acceptMove,
  acceptReleased,
  applyAwareness,
  applyBundlePublished,
  applyCancel,
  applyConfirmation,
  applyFirstPlan,
  applyGoNoGo,
  applyIncludedInWeeklyUpdate,
  applyMove,
  applyReleased,
  applyTier,
  awarenessTeam,
  circumstancesOf,
  initialState,
  isFinished,
  noteFor,
  refuseNotionAwareness,
  refuseOperator,
  ReleaseSchemas,
  sameNotionId,
  status,
  validateAwareness,
  validateCancel,
  validateConfirmation,
  validateGoNoGo,
  validateMove,
  validatePublish,
  validateReleased,
  validateTier,
  type Asked,
  type ReleaseWorkflowState,
} from './state';
import {
  reconcile,
  type Calendar,
  type Jira,
  type Notion,
  type ReleaseEffects,
  type ReleaseRun,
} from './reconcile';
import { releaseDeadlines } from './deadlines';

export type { ReleaseWorkflowState } from './state';

/** Continue-as-new well before Temporal's limits (50k events / 50 MB); a re-plan costs ~10 events. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 1_000;

type Gmail = ReturnType<typeof createGmailActivities>;
type Core = ReturnType<typeof createCoreActivities> & ReturnType<typeof createTombstoneActivities>;

/** Patch: a readiness confirmation from Jira counts as the sub-task's changelog shows it. */
export const READINESS_AT_SOURCE_PATCH = 'release-readiness-read-at-source';
/** Patch: a publication from Notion counts only for this release's bundle page, as Notion shows it. */
export const BUNDLE_AT_SOURCE_PATCH = 'release-bundle-read-at-source';
/** Patch: a finished release leaves a tombstone. */
export const TOMBSTONE_PATCH = 'release-tombstone';
/** Patch: the release's context is loaded by a local activity, not an activity task. */
export const LOCAL_CONTEXT_PATCH = 'release-context-local';

/**
 * The input with its free text made safe: the product area becomes a search attribute and a
 * Notion select, the title a mail subject and a page title; whoever started the release (a Jira
 * webhook, a command) wrote them.
 */
function boundedInput(input: ReleaseInput): ReleaseInput {
  const { productArea, title, ...rest } = input;
  const area = oneLine(productArea, MAX_LABEL_LENGTH);
  const name = oneLine(title, MAX_TITLE_LENGTH);
  return { ...rest, ...(area ? { productArea: area } : {}), ...(name ? { title: name } : {}) };
}

/** A release's title: one line, this long at most. */
export const MAX_TITLE_LENGTH = 255;

export async function releaseWorkflow(
  rawInput: ReleaseInput,
  carried?: ReleaseWorkflowState,
): Promise<ReleaseStatus> {
  const input = boundedInput(rawInput);
  const core = activitiesFor<Core>(null);
  const state: ReleaseWorkflowState = carried ?? initialState(input);
  const wake = new Wake();
  const run = startRun(input, state);

  const localCore = localActivitiesFor<Core>();
  /**
   * The PM's configuration, read from the worker's own: a local activity, which saves every new
   * release an activity task and a workflow task. Runs that loaded it as an activity replay so.
   */
  const loadContext: Core['loadReleaseContext'] = (request) =>
    patched(LOCAL_CONTEXT_PATCH) ? localCore.loadReleaseContext(request) : core.loadReleaseContext(request);

  /** Loads the PM's configuration, again when a date falls outside the years its calendar holds. */
  async function ensureContext(forDate: CalendarDate): Promise<void> {
    const year = Number(forDate.slice(0, 4));
    const loaded = state.context;
    if (loaded && year >= loaded.calendarYears.from && year + 1 <= loaded.calendarYears.to) return;
    const currentYear = new Date(Date.now()).getUTCFullYear();
    state.context = await loadContext({
      pmId: input.pmId,
      years: { from: Math.min(currentYear, year) - 1, to: Math.max(currentYear, year) + 1 },
    });
  }

  /** The configuration again: who a vendor account is, when the context predates that map. */
  async function reloadContext(): Promise<void> {
    const years = state.context?.calendarYears;
    const currentYear = new Date(Date.now()).getUTCFullYear();
    state.context = await loadContext({
      pmId: input.pmId,
      years: years ?? { from: currentYear - 1, to: currentYear + 1 },
    });
  }

  setHandlers(input, state, wake, ensureContext, { core, run, reloadContext });

  if (!state.context) await ensureContext(state.launchDate);
  if (!state.plan) applyFirstPlan(state, circumstancesOf(state, input, Date.now()));

  await runEntityLoop({
    wake,
    async advance() {
      if (wake.take()) {
        await reconcile(run);
        if (wake.pending) return 'again';
      }
      return isFinished(state) ? 'finished' : 'idle';
    },
    deadlines: () => releaseDeadlines(run),
    continueAsNew: () =>
      continueAsNew<typeof releaseWorkflow>(
        { ...input, tier: state.tier, launchDate: state.launchDate },
        state,
      ),
    eventsBeforeContinueAsNew: HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW,
  });
  if ((state.phase === 'cancelled' || state.phase === 'done') && patched(TOMBSTONE_PATCH)) {
    const phase = state.phase;
    // So that a late or replayed Jira event does not start it again once its history is gone.
    await attempt(
      () =>
        core.recordReleaseTombstone({
          issueKey: input.issueKey,
          phase,
          closedAt: new Date(Date.now()).toISOString(),
        }),
      (cause) => noteFor(state, input, `could not leave the release's tombstone: ${cause}`),
    );
  }
  return status(state, input, Date.now());
}

/** The activity proxies and the journal-keeping around them that reconciling works through. */
function startRun(input: ReleaseInput, state: ReleaseWorkflowState): ReleaseRun {
  const gmail = activitiesFor<Gmail>('google');

  /** An integration call failed for good: the release says so and the step names the cause. */
  const failed = (id: StepId | null, failure: string): void => {
    noteFor(state, input, failure);
    state.flags.integrationError = true;
    const s = id && state.steps.find((x) => x.id === id);
    if (s) s.detail = failure;
  };
  const attemptStep: ReleaseEffects['attempt'] = (id, what, action) =>
    attempt(action, (cause) => failed(id, `could not ${what}: ${cause}`));
  const mail = (key: string, to: PersonRef[], notice: Notice) => {
    const recipients = [...new Set(to.map((p) => p.email))];
    if (recipients.length === 0) return Promise.resolve(undefined);
    return attemptStep(null, `send "${notice.subject}"`, () =>
      gmail.sendMail({
        idempotencyKey: key,
        from: circumstancesOf(state, input, Date.now()).context.sender,
        to: recipients,
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
  };

  return {
    input,
    state,
    indexed: null,
    effects: {
      jira: activitiesFor<Jira>('jira'),
      notion: activitiesFor<Notion>('notion'),
      calendar: activitiesFor<Calendar>('google'),
      attempt: attemptStep,
      notify: (key, to, notice) => sendOnce(state, key, () => mail(key, to, notice)),
      note: (message) => noteFor(state, input, message),
      upsertSearchAttributes,
    },
  };
}

interface Sources {
  core: ReturnType<typeof activitiesFor<Core>>;
  run: ReleaseRun;
  reloadContext: () => Promise<void>;
}

/**
 * Signals apply what happened in a tool (a repeated delivery is a no-op, a malformed one is
 * ignored); a confirmation from a tool counts only as the tool itself shows it, read again.
 * Updates are a person's commands, signed by an operator: validated first, then the operator's
 * grant checked, answered with the new status. Anything that needs the PM's calendar waits until
 * the first plan is made; a cancellation never waits.
 */
function setHandlers(
  input: ReleaseInput,
  state: ReleaseWorkflowState,
  wake: Wake,
  ensureContext: (forDate: CalendarDate) => Promise<void>,
  sources: Sources,
): void {
  const at = () => circumstancesOf(state, input, Date.now());
  const whenReady = () => condition(() => state.context !== null && state.plan !== null);
  const changed = (yes: boolean): void => {
    if (yes) wake.set();
  };
  const current = () => status(state, input, Date.now());
  const { effects } = sources.run;

  async function move(event: LaunchMovedEvent): Promise<void> {
    if (!acceptMove(state, event, { input })) return;
    await ensureContext(event.launchDate);
    changed(applyMove(state, event, at()));
  }
  async function release(event: ReleasedEvent): Promise<void> {
    const on = acceptReleased(state, event, at());
    if (on === null) return;
    await ensureContext(on);
    changed(applyReleased(state, on, at()));
  }

  /** A signal's payload, or null (noted) when it does not have the event's shape. */
  function shaped<K extends keyof typeof ReleaseSchemas, T>(kind: K, name: string, payload: T): T | null {
    const parsed = parseCommand(ReleaseSchemas[kind](Date.now()), payload, name);
    if (parsed.ok) return payload;
    noteFor(state, input, `ignored a ${name} event: ${parsed.problem}`);
    return null;
  }

  /**
   * Who Jira says moved this release's own readiness sub-task to done: a person allowed to
   * confirm, or null (noted). The webhook only says where to look.
   */
  async function readinessFromJira(event: ReadinessConfirmedEvent): Promise<string | null> {
    const subtask = state.applied.subtasks[event.team];
    const ignore = (why: string): null => {
      noteFor(state, input, `ignored a ${event.team} readiness confirmation from Jira: ${why}`);
      return null;
    };
    if (!subtask) return ignore('this release has no readiness sub-task for that team');
    const done = at().context.jira.doneStatus;
    const read = await effects.attempt(null, `read ${subtask} in Jira`, () =>
      effects.jira.readStatusChange({ issueKey: subtask, toStatus: done }),
    );
    if (!read) return null;
    if (read.status.toLowerCase() !== done.toLowerCase())
      return ignore(`${subtask} is "${read.status}" in Jira, not ${done}`);
    if (!state.context!.accounts) await sources.reloadContext();
    const by = read.movedBy ? state.context!.accounts?.jira[read.movedBy] : undefined;
    if (!by)
      return ignore(
        `${subtask} was moved to ${done} by Jira account ${read.movedBy ?? '(unknown)'}, who is nobody in the configuration`,
      );
    return by;
  }

  /** Whether Notion shows this release's own bundle page published; who published it, if known. */
  async function bundleFromNotion(event: BundlePublishedEvent): Promise<{ by: string | undefined } | null> {
    const pageId = state.applied.bundlePageId;
    const ignore = (why: string): null => {
      noteFor(state, input, `ignored a bundle publication from Notion: ${why}`);
      return null;
    };
    if (!pageId || !sameNotionId(event.pageId, pageId))
      return ignore(
        `it names page ${event.pageId ?? '(none)'}, not the bundle this release made (${pageId ?? 'none yet'})`,
      );
    const page = await effects.attempt('bundle', 'read the bundle page in Notion', () =>
      effects.notion.getPage({ pageId }),
    );
    if (!page) return null;
    if (page.inTrash || page.properties.Status !== 'Published')
      return ignore(
        `Notion shows the bundle ${page.inTrash ? 'in the trash' : `as ${JSON.stringify(page.properties.Status ?? null)}`}`,
      );
    if (!state.context!.accounts) await sources.reloadContext();
    const editor = page.lastEditedBy?.replace(/-/g, '').toLowerCase();
    return { by: editor ? state.context!.accounts?.notion[editor] : undefined };
  }

  /**
   * An edit of this release's Day-3 check-in page: the answer of the one person who made it, as
   * the page shows it now, in their own team's property. Anyone else is refused, on record.
   */
  async function awarenessFromNotion(event: CheckInEditedEvent): Promise<void> {
    const pageId = state.applied.checkInPageId;
    if (!pageId || !sameNotionId(event.pageId, pageId))
      return noteFor(
        state,
        input,
        `ignored a check-in edit from Notion: it names page ${event.pageId}, not this release's check-in (${pageId ?? 'none yet'})`,
      );
    const personOf = (): string | null => {
      const [author] = event.authors;
      if (event.authors.length !== 1 || author === undefined) return null;
      return state.context!.accounts?.notion[author.replace(/-/g, '').toLowerCase()] ?? null;
    };
    let by = personOf();
    // The context may predate the author's notionUserId: read the configuration again once.
    if (by === null && event.authors.length === 1) {
      await sources.reloadContext();
      by = personOf();
    }
    const refusal = refuseNotionAwareness(state, input, event.authors, by);
    if (refusal !== null || by === null)
      return noteFor(state, input, `refused an awareness answer from Notion: ${refusal}`);
    const team = awarenessTeam(state, by)!;
    const page = await effects.attempt(null, 'read the Day-3 check-in page in Notion', () =>
      effects.notion.getPage({ pageId }),
    );
    if (!page) return;
    const property = AWARENESS_PROPERTIES[team];
    const aware = awarenessOf(page.properties[property]);
    const ignore = (why: string) =>
      noteFor(state, input, `ignored ${by}'s check-in edit from Notion: ${why}`);
    if (page.inTrash) return ignore('Notion shows the check-in page in the trash');
    // Notion keeps no editor per property: the value counts as theirs only while the page's last
    // change is still theirs. Someone's edit since is that person's own event to answer for.
    if (!sameNotionId(page.lastEditedBy, event.authors[0]))
      return ignore(
        `Notion shows the page changed since by ${page.lastEditedBy ?? 'someone else'}: what it holds now is not known to be ${by}'s`,
      );
    if (aware === null)
      return ignore(
        `${property} is ${JSON.stringify(page.properties[property] ?? null)}, not Yes or No (an earlier answer stands)`,
      );
    const earlier = (state.awareness ?? []).find((a) => a.by === by);
    if (earlier && event.occurredAt !== undefined && event.occurredAt < Date.parse(earlier.at))
      return ignore('it is older than the answer already recorded');
    if (earlier?.aware === aware && earlier.source === 'notion') return;
    applyAwareness(
      state,
      { by, aware, ...(event.occurredAt ? { occurredAt: event.occurredAt } : {}) },
      'notion',
      at(),
    );
  }

  setHandler(releaseStatus, current);
  setHandler(checkInEdited, async (raw) => {
    const e = shaped('checkIn', 'checkInEdited', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    // Only the record changes: nothing in Jira, Notion or Calendar follows from an answer.
    await awarenessFromNotion(e);
  });
  setHandler(launchMoved, async (raw) => {
    const e = shaped('move', 'launchMoved', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    await move(e);
  });
  setHandler(tierChanged, async (raw) => {
    const e = shaped('tier', 'tierChanged', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    changed(applyTier(state, e, at()));
  });
  setHandler(releaseCancelled, (raw) => {
    const e = shaped('cancel', 'releaseCancelled', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    changed(applyCancel(state, e, { input }));
  });
  setHandler(released, async (raw) => {
    const e = shaped('released', 'released', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    await release(e);
  });
  setHandler(bundlePublished, async (raw) => {
    const e = shaped('publish', 'bundlePublished', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    if (!patched(BUNDLE_AT_SOURCE_PATCH)) return changed(applyBundlePublished(state, e, at()));
    const seen = await bundleFromNotion(e);
    if (seen) changed(applyBundlePublished(state, e, at(), seen.by ? `${seen.by} via notion` : 'notion'));
  });
  setHandler(includedInWeeklyUpdate, (raw) => {
    const e = shaped('weekly', 'includedInWeeklyUpdate', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    // Only the record changes, and the release may be done: nothing else follows from it.
    changed(applyIncludedInWeeklyUpdate(state, e, { input, now: Date.now() }));
  });
  setHandler(readinessConfirmed, async (raw) => {
    const e = shaped('confirm', 'readinessConfirmed', raw);
    if (!e || isRepeat(state, e.deliveryId)) return;
    await whenReady();
    if (!patched(READINESS_AT_SOURCE_PATCH)) return changed(applyConfirmation(state, e, 'jira', at()));
    const by = await readinessFromJira(e);
    if (by) changed(applyConfirmation(state, { ...e, by }, 'jira', at()));
  });

  /** Validators run before the update is written to history: a refusal leaves no trace. */
  const validating = <A extends { auth?: OperatorAuth }>(
    update: string,
    validate: (s: ReleaseWorkflowState, a: A, asked: Asked) => void,
  ) => ({
    validator: (a: A) => {
      validate(state, a, { input, now: Date.now() });
      const problem = precheckOperator(
        state,
        a.auth,
        scopeOf(releaseWorkflowId(input.issueKey), update, a),
        Date.now(),
      );
      if (problem) throw ApplicationFailure.nonRetryable(problem, ReleaseRefusals.unauthenticated);
    },
  });

  /**
   * Who signed a command, and whether their grant lets them give it; null for a command from
   * before signatures, replayed as it was. A refusal is noted in the release's log and thrown.
   */
  async function operatorOf<A extends { auth?: OperatorAuth; by?: string; team?: 'support' | 'sales' }>(
    update: string,
    command: A,
  ): Promise<OperatorGrant | null> {
    const refused = (message: string, type: string, who: string): never => {
      noteFor(state, input, `refused ${update} from ${who}: ${message}`);
      throw ApplicationFailure.nonRetryable(message, type);
    };
    if (command.auth === undefined) {
      if (takesUnsignedCommands()) return null;
      return refused(UNSIGNED_REFUSAL, ReleaseRefusals.unauthenticated, command.by ?? 'an unsigned command');
    }
    const checked = await authenticateOperator(
      state,
      command.auth,
      scopeOf(releaseWorkflowId(input.issueKey), update, command),
      async () =>
        (
          await attempt(
            () => sources.core.loadOperators(),
            () => undefined,
          )
        )?.operators,
    );
    if ('refused' in checked)
      return refused(checked.refused, ReleaseRefusals.unauthenticated, command.auth.operator);
    const grant = refuseOperator(update, command, checked.operator, input);
    if (grant) return refused(grant, ReleaseRefusals.notAllowed, `operator ${checked.operator.id}`);
    return checked.operator;
  }

  setHandler(
    moveLaunch,
    async (e) => {
      await operatorOf(RELEASE_UPDATES.move, e);
      await whenReady();
      await move(e);
      return current();
    },
    validating(RELEASE_UPDATES.move, validateMove),
  );
  setHandler(
    changeTier,
    async (e) => {
      await operatorOf(RELEASE_UPDATES.tier, e);
      await whenReady();
      changed(applyTier(state, e, at()));
      return current();
    },
    validating(RELEASE_UPDATES.tier, validateTier),
  );
  setHandler(
    cancelRelease,
    (e) => {
      if (e.auth === undefined) {
        if (!takesUnsignedCommands()) {
          noteFor(state, input, `refused cancelRelease from an unsigned command: ${UNSIGNED_REFUSAL}`);
          throw ApplicationFailure.nonRetryable(UNSIGNED_REFUSAL, ReleaseRefusals.unauthenticated);
        }
        changed(applyCancel(state, e, { input }));
        return current();
      }
      return operatorOf(RELEASE_UPDATES.cancel, e).then(() => {
        changed(applyCancel(state, e, { input }));
        return current();
      });
    },
    validating(RELEASE_UPDATES.cancel, validateCancel),
  );
  setHandler(
    markReleased,
    async (e) => {
      await operatorOf(RELEASE_UPDATES.released, e);
      await whenReady();
      await release(e);
      return current();
    },
    validating(RELEASE_UPDATES.released, validateReleased),
  );
  setHandler(
    publishBundle,
    async (e) => {
      const operator = await operatorOf(RELEASE_UPDATES.publish, e);
      await whenReady();
      changed(applyBundlePublished(state, e, at(), operator ? `${operator.id} via cli` : undefined));
      return current();
    },
    validating(RELEASE_UPDATES.publish, validatePublish),
  );
  setHandler(
    confirmReadiness,
    async (e) => {
      const operator = await operatorOf(RELEASE_UPDATES.confirm, e);
      await whenReady();
      changed(applyConfirmation(state, e, 'cli', at(), operator?.id));
      return current();
    },
    validating(RELEASE_UPDATES.confirm, validateConfirmation),
  );
  setHandler(
    decideGoNoGo,
    async (c) => {
      const operator = await operatorOf(RELEASE_UPDATES.goNoGo, c);
      await whenReady();
      changed(applyGoNoGo(state, c, at(), operator?.id));
      return current();
    },
    validating(RELEASE_UPDATES.goNoGo, validateGoNoGo),
  );
  setHandler(
    answerAwareness,
    async (e) => {
      await operatorOf(RELEASE_UPDATES.awareness, e);
      await whenReady();
      // Only the record changes: nothing in Jira, Notion or Calendar follows from an answer.
      applyAwareness(state, e, 'cli', at());
      return current();
    },
    validating(RELEASE_UPDATES.awareness, validateAwareness),
  );
}
