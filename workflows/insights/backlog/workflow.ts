/**
 * One backlog per shard of accounts (`insights-backlog:<shard>`): every insight of those
 * accounts arrives here, from the webhook and the Notion route (signals) and from the command
 * line (updates that answer what each item became). Arrivals are taken one at a time, in the
 * order they came, so "the first item" of a near-duplicate is well defined. An addition, a tag
 * or an unmerge from the command line is signed by an operator (workflows/insights/identity.ts),
 * who acts for themselves or, with the `product-ops` grant, for the person named; the webhook's
 * arrivals are vouched for by its secret, the Notion route's by Notion's signature.
 *
 * The items themselves are Notion's to keep: the workflow holds the index that deduplication,
 * tagging and ranking need (domain/insights/backlog.ts), writes each item's row, and drops what
 * it no longer needs (see README, "Insights: sizes"). It continues as new before its history
 * grows long, carrying the index.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createCoreActivities } from '../../../activities/core';
import type { createInsightsActivities } from '../../../activities/insights';
import { printable } from '../../../domain/commands';
import { Backlog, emptyBacklog } from '../../../domain/insights/backlog';
import { describeActor, mayActFor, type OperatorGrant } from '../../../domain/operators';
import { activitiesFor } from '../../activity-options';
import { historyIsLong, isRepeat, note, runEntityLoop, Wake } from '../../entity-loop';
import { UNSIGNED_REFUSAL } from '../../operator-identity';
import {
  checkCommandIdentity,
  commandOperator,
  configuredOperators,
  type CommandIdentity,
} from '../identity';
import {
  addInsights,
  backlogSnapshot,
  backlogStatus,
  insightDetails,
  insightEditedInNotion,
  insightReceived,
  InsightRefusals,
  itemsNeedingTags,
  monthFigures,
  roundChanged,
  tagInsight,
  unmergeInsight,
  type AddInsightsCommand,
  type BacklogInput,
  type TagInsightCommand,
  type UnmergeInsightCommand,
} from '../messages';
import { readInsightMessage } from '../shapes';
import { publishRows, unpublished, type BacklogEffects } from './publish';
import {
  arrivalProblem,
  describeOutcome,
  LOG_LIMIT,
  refusalOf,
  snapshotOf,
  statusOfBacklog,
  validateAdd,
  validateTag,
  validateUnmerge,
  type BacklogState,
  type Refusal,
} from './state';

/**
 * Patch: additions from the command line must be signed by an operator, and each item records
 * the person the operator vouched for. Runs that took unsigned additions before replay them as
 * they were (a separate patch from the tags', which were signed earlier).
 */
export const SIGNED_INTAKE_PATCH = 'insight-intake-signed';

/** A turn writes at most 20 rows; a few thousand events hold a few hundred arrivals. */
export const BACKLOG_EVENTS_BEFORE_CONTINUE_AS_NEW = 5_000;
const DAY_MS = 86_400_000;

type InsightsCore = ReturnType<typeof createInsightsActivities>;
type Core = ReturnType<typeof createCoreActivities>;

/** `source:externalId` of an arrival that may be anything, for the log. */
function nameOf(arrival: unknown): string {
  const { source, externalId } = (arrival ?? {}) as { source?: unknown; externalId?: unknown };
  const part = (v: unknown) => (typeof v === 'string' ? printable(v, 60) : '?');
  return `${part(source)}:${part(externalId)}`;
}

function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

/**
 * An operator tagging or unmerging for someone else needs the `product-ops` grant (the backlog's
 * care is product ops' work); noted and refused otherwise.
 */
function refuseGrant(
  identity: CommandIdentity,
  what: string,
  by: string,
  operator: OperatorGrant | null,
): void {
  const refused = operator ? mayActFor(operator, by, 'product-ops') : null;
  if (!refused) return;
  identity.note(`refused ${what} for ${by} (operator ${operator!.id}): ${refused}`);
  refuse({ type: InsightRefusals.notAllowed, message: refused });
}

export async function insightsBacklogWorkflow(input: BacklogInput, carried?: BacklogState): Promise<void> {
  const { workflowId } = workflowInfo();
  const state: BacklogState = carried ?? {
    data: emptyBacklog(input.shard),
    context: null,
    sweptAt: 0,
    log: [],
    sent: [],
    deliveries: [],
  };
  const backlog = new Backlog(state.data);
  const core = activitiesFor<Pick<InsightsCore, 'loadInsightsContext'> & Pick<Core, 'loadOperators'>>(null);
  const effects: BacklogEffects = {
    notion: activitiesFor<BacklogEffects['notion']>('notion'),
    note: (message) => note(state, message, { workflowId }, LOG_LIMIT),
  };
  const identity: CommandIdentity = {
    state,
    workflowId,
    note: effects.note,
    loadOperators: configuredOperators(core, effects.note),
  };
  const wake = new Wake();
  const applyContext = () => {
    if (state.context) backlog.rules = state.context.rules;
  };
  applyContext();

  // Arrivals and commands are taken in the order they came, once the context is known.
  let ticket = 0;
  let serving = 0;
  async function inOrder<T>(fn: () => T): Promise<T> {
    const mine = ticket++;
    await condition(() => state.context !== null && serving === mine);
    try {
      return fn();
    } finally {
      serving++;
      wake.set();
    }
  }

  setHandler(insightReceived, async (arrival) => {
    await inOrder(() => {
      // Read before anything else: a malformed arrival is noted and ignored, never a task failure.
      const problem = arrivalProblem(arrival, Date.now());
      if (problem) {
        effects.note(`ignored an insight that cannot be read (${nameOf(arrival)}): ${problem}`);
        return;
      }
      if (isRepeat(state, arrival.deliveryId)) return;
      const outcome = backlog.receive(arrival, state.context!.taxonomy, Date.now());
      effects.note(describeOutcome(outcome, arrival.via));
    });
  });

  /** Adds the entries in arrival order; `signed` names who vouched for them, null for an old run. */
  const intake = (command: AddInsightsCommand, signed: { by: string; operator: string } | null) =>
    inOrder(() => {
      const outcomes = command.entries.map((entry) => {
        const outcome = backlog.receive(
          // Signed: the person the operator vouched for, never a name an entry claims.
          { ...entry, by: signed ? signed.by : (entry.by ?? command.by ?? null) },
          state.context!.taxonomy,
          Date.now(),
        );
        if (outcome.kind !== 'repeat')
          effects.note(
            `${describeOutcome(outcome, entry.via)}${signed ? ` by ${describeActor(signed.by, 'cli', signed.operator)}` : ''}`,
          );
        return outcome;
      });
      return { shard: input.shard, outcomes };
    });

  setHandler(
    addInsights,
    async (command: AddInsightsCommand) => {
      // Synchronous up to here for an unsigned addition of an old run, so it replays as it ran.
      if (command.auth === undefined && !patched(SIGNED_INTAKE_PATCH)) return intake(command, null);
      // The validator made sure a signed addition names whom it is from.
      const by = command.by ?? 'someone';
      const operator = await commandOperator(identity, addInsights.name, 'an addition', { ...command, by });
      if (operator === null)
        throw ApplicationFailure.nonRetryable(UNSIGNED_REFUSAL, InsightRefusals.unauthenticated);
      refuseGrant(identity, 'an addition', by, operator);
      return intake(command, { by, operator: operator.id });
    },
    {
      validator: (command: AddInsightsCommand) => {
        refuse(validateAdd(command, Date.now()));
        checkCommandIdentity(state, workflowId, addInsights.name, command, Date.now());
      },
    },
  );

  setHandler(
    tagInsight,
    async (command: TagInsightCommand) => {
      const operator = await commandOperator(identity, tagInsight.name, 'a tag', command);
      refuseGrant(identity, 'a tag', command.by, operator);
      return inOrder(() => {
        try {
          const { item, changed, mergedInto } = backlog.tag(
            command.id,
            command.changes,
            command.by,
            state.context!.taxonomy,
            Date.now(),
          );
          if (changed.length > 0)
            effects.note(
              `${item.id} tagged by ${describeActor(command.by, 'command', operator?.id)}: ${changed.join(', ')}${mergedInto && mergedInto !== item.id ? `; merged into ${mergedInto}` : ''}`,
            );
          return backlog.view(item);
        } catch (error) {
          refuse(refusalOf(error));
          throw error;
        }
      });
    },
    {
      validator: (command: TagInsightCommand) => {
        refuse(validateTag(command));
        checkCommandIdentity(state, workflowId, tagInsight.name, command, Date.now());
      },
    },
  );

  setHandler(insightEditedInNotion, async (edit) => {
    await inOrder(() => {
      const read = readInsightMessage('insightEditedInNotion', edit, Date.now());
      if (!read.ok) {
        effects.note(`ignored a Notion edit that cannot be read: ${read.problem}`);
        return;
      }
      if (isRepeat(state, edit.deliveryId)) return;
      try {
        const { item, changed } = backlog.editRow(
          edit.id,
          edit.tags,
          edit.by ?? 'someone in Notion',
          state.context!.taxonomy,
          Date.now(),
        );
        if (changed.length > 0)
          effects.note(`${item.id} tagged in Notion by ${edit.by ?? 'someone'}: ${changed.join(', ')}`);
      } catch (error) {
        effects.note(`ignored a Notion edit of ${edit.id}: ${refusalOf(error).message}`);
      }
    });
  });

  setHandler(
    unmergeInsight,
    async (command: UnmergeInsightCommand) => {
      const operator = await commandOperator(identity, unmergeInsight.name, 'an unmerge', command);
      refuseGrant(identity, 'an unmerge', command.by, operator);
      return inOrder(() => {
        try {
          const { item, from } = backlog.unmerge(command.id);
          effects.note(
            `${item.id} unmerged from ${from.id} by ${describeActor(command.by, 'command', operator?.id)}: they stay apart`,
          );
          return { item: backlog.view(item), from: backlog.view(from) };
        } catch (error) {
          refuse(refusalOf(error));
          throw error;
        }
      });
    },
    {
      validator: (command: UnmergeInsightCommand) => {
        refuse(validateUnmerge(command));
        checkCommandIdentity(state, workflowId, unmergeInsight.name, command, Date.now());
      },
    },
  );

  setHandler(roundChanged, async (change) => {
    await inOrder(() => {
      const read = readInsightMessage('roundChanged', change, Date.now());
      if (!read.ok) {
        effects.note(`ignored a round change that cannot be read: ${read.problem}`);
        return;
      }
      if (isRepeat(state, change.deliveryId)) return;
      const done = change.decided
        ? backlog.markDecided(change.round, change.decided, change.ids, Date.now())
        : backlog.markRouted(change.round, change.ids);
      if (done.length > 0)
        effects.note(
          `${done.length} items ${change.decided ? `decided (${change.decided})` : 'routed'} in ${change.round}`,
        );
    });
  });

  setHandler(backlogSnapshot, () => snapshotOf(backlog));
  setHandler(backlogStatus, () =>
    statusOfBacklog(state, backlog, state.context ? unpublished(backlog, state.context).length : 0),
  );
  setHandler(insightDetails, (ids) =>
    ids
      .map((id) => backlog.item(id))
      .filter((i) => i !== undefined)
      .map((i) => backlog.view(i)),
  );
  setHandler(itemsNeedingTags, (limit) => backlog.needingTags().slice(0, Math.max(0, limit)));
  setHandler(monthFigures, (month) => ({ shard: input.shard, ...backlog.monthFigures(month) }));

  // Each run reads the configuration anew (taxonomy, thresholds, the Notion data source).
  const loaded = await core.loadInsightsContext({ at: Date.now() });
  state.context = loaded;
  applyContext();

  const sweep = () => {
    const { stale, evicted } = backlog.sweep(Date.now());
    state.sweptAt = Date.now();
    if (stale.length > 0)
      effects.note(
        `closed ${stale.length} items without new evidence for ${backlog.rules.closeOpenAfterDays} days: ${stale.slice(0, 20).join(', ')}`,
      );
    if (evicted > 0) effects.note(`kept only the keys of ${evicted} closed items`);
  };

  await runEntityLoop({
    wake,
    advance: async () => {
      wake.take();
      if (Date.now() - state.sweptAt >= DAY_MS) sweep();
      // A long history continues as new first: what is still to write is carried.
      if (historyIsLong(BACKLOG_EVENTS_BEFORE_CONTINUE_AS_NEW)) return 'idle';
      const { remaining } = await publishRows(backlog, state.context!, effects);
      return remaining > 0 ? 'again' : 'idle';
    },
    deadlines: () => [{ at: state.sweptAt + DAY_MS, run: async () => sweep() }],
    continueAsNew: () => continueAsNew<typeof insightsBacklogWorkflow>(input, state),
    eventsBeforeContinueAsNew: BACKLOG_EVENTS_BEFORE_CONTINUE_AS_NEW,
  });
}
