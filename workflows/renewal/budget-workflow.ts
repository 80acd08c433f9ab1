/**
 * Keeps the Notion page "Tool budget YYYY" current: one short-lived workflow per year,
 * `tool-budget:<year>`, started (or signalled) by every subscription whose figures for that year
 * changed. Changes that come together (a batch of edits in Notion) are taken as one after a
 * quiet moment; one activity computes the budget from every subscription's memo, the page is
 * written, and subscriptions whose budget position changed are told, so that their reminders
 * call out a renewal that takes their team over budget. It ends after an hour without changes,
 * and the next change starts it again.
 *
 * Being the only writer of the year's page, it never lets two refreshes race.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { createNotionActivities } from '../../activities/notion';
import type { RenewalActivities } from '../../activities/renewals';
import { activitiesFor } from '../activity-options';
import { attempt, note, type LogEntry } from '../entity-loop';
import {
  budgetFactsChanged,
  budgetPositionChanged,
  refreshBudget,
  subscriptionWorkflowId,
  toolBudgetStatus,
  type BudgetFactsChanged,
  type ToolBudgetInput,
  type ToolBudgetStatus,
} from './messages';
import { renewalMessageProblem } from './shapes';

/** Edits in Notion come in bursts: wait this long for the rest before computing. */
export const QUIET_MS = 5_000;
/** Without changes for this long, the workflow ends; the next change starts it again. */
export const IDLE_MS = 3_600_000;
const EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;

type Core = Pick<RenewalActivities, 'computeToolBudget'>;
type Notion = ReturnType<typeof createNotionActivities>;

export async function toolBudgetWorkflow(
  input: ToolBudgetInput,
  carried?: ToolBudgetStatus,
): Promise<ToolBudgetStatus> {
  const core = activitiesFor<Core>(null);
  const notion = activitiesFor<Notion>('notion');
  const status: ToolBudgetStatus = carried ?? { year: input.year, refreshes: 0, lastRefresh: null, log: [] };
  const journal: { log: LogEntry[] } = { log: status.log };
  const log = (message: string) => note(journal, message, { year: input.year });
  const overlay = new Map<string, BudgetFactsChanged>();
  let changed = false;

  setHandler(toolBudgetStatus, () => ({ ...status, log: [...journal.log] }));
  // A signal that cannot be read is noted and ignored: it never fails the workflow's task.
  const unreadable = (kind: 'budgetFactsChanged' | 'refreshBudget', value: unknown): boolean => {
    const problem = renewalMessageProblem(kind, value, Date.now());
    if (problem) log(`ignored ${kind} that cannot be read: ${problem}`);
    return problem !== null;
  };
  setHandler(budgetFactsChanged, (change) => {
    if (unreadable('budgetFactsChanged', change)) return;
    const seen = overlay.get(change.subscriptionId);
    if (!seen || change.at >= seen.at) overlay.set(change.subscriptionId, change);
    changed = true;
  });
  setHandler(refreshBudget, (actor) => {
    if (unreadable('refreshBudget', actor)) return;
    log(`refresh asked by ${actor.by} (${actor.via})`);
    changed = true;
  });

  async function refresh(): Promise<void> {
    const result = await attempt(
      () =>
        core.computeToolBudget({
          year: input.year,
          overlay: [...overlay.values()],
          at: new Date().toISOString(),
        }),
      (cause) => log(`could not compute the ${input.year} budget: ${cause}`),
    );
    if (!result) return;
    let pageId: string | null = null;
    const dataSourceId = result.dataSourceId;
    if (dataSourceId) {
      const key = `tool-budget:${input.year}`;
      const page = await attempt(
        () => notion.upsertPage({ idempotencyKey: key, dataSourceId, properties: result.properties }),
        (cause) => log(`could not write "${result.title}": ${cause}`),
      );
      if (page) {
        pageId = page.id;
        await attempt(
          () => notion.replaceContent({ idempotencyKey: key, pageId: page.id, content: result.document }),
          (cause) => log(`could not write the content of "${result.title}": ${cause}`),
        );
      }
    } else {
      log('integrations.notion.dataSources.toolBudgets is not configured: no budget page');
    }
    for (const change of result.positions) {
      try {
        await getExternalWorkflowHandle(subscriptionWorkflowId(change.subscriptionId)).signal(
          budgetPositionChanged,
          change.position,
        );
      } catch (error) {
        log(`could not tell ${change.subscriptionId} its budget position: ${String(error)}`);
      }
    }
    const teamsOver = result.view.teams.filter((t) => t.position === 'over').map((t) => t.team);
    status.refreshes++;
    status.lastRefresh = {
      at: new Date().toISOString(),
      pageId,
      committedCents: result.view.totals.committedCents,
      teamsOver,
    };
    log(
      `refreshed: committed ${result.view.totals.committedCents / 100} ${result.view.baseCurrency}${teamsOver.length > 0 ? `, over budget: ${teamsOver.join(', ')}` : ''}`,
    );
  }

  for (;;) {
    if (!changed && !(await condition(() => changed, IDLE_MS))) {
      // A change delivered as the workflow ends is taken, not dropped.
      await condition(allHandlersFinished);
      if (!changed) break;
    }
    await sleep(QUIET_MS);
    changed = false;
    await refresh();
    const info = workflowInfo();
    if (!changed && (info.continueAsNewSuggested || info.historyLength > EVENTS_BEFORE_CONTINUE_AS_NEW)) {
      await condition(allHandlersFinished);
      if (!changed)
        await continueAsNew<typeof toolBudgetWorkflow>(input, { ...status, log: [...journal.log] });
    }
  }
  return { ...status, log: [...journal.log] };
}
