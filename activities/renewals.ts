/**
 * What the renewal workflows need that is not one vendor call: a subscription's context from the
 * configuration (people, calendar, rules, rates) with its team's budget position, and the tool
 * budget of a year, computed from every subscription.
 *
 * The budget view is read from the visibility store: each subscription's workflow keeps its
 * budget facts in its memo (written for free with every change and at every continue-as-new), so
 * one listing reads all of them, without waking a single workflow. A query per subscription would
 * be strongly consistent but costs an action and a worker's attention for each; the listing may
 * lag a change by a moment, which the budget workflow covers by carrying the changed facts with
 * the signal that asks for a refresh (`overlay`).
 *
 * The plain functions are also what `prodops budget` uses.
 */
import { temporalClient } from './activity-context';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { OrgConfig, PersonConfig } from '../domain/config';
import { resolveBusinessCalendar, type YearRange } from '../domain/holidays';
import { computeBudget, renewalCallout, type BudgetFacts, type BudgetView } from '../domain/budget';
import { budgetDocument } from '../domain/renewal-content';
import { checkSubscription, subscriptionDirectory } from '../domain/subscription';
import { RENEWAL_WORKFLOW_TYPE, SUBSCRIPTION_MEMO_KEY } from '../contracts/renewals';
import type {
  BudgetPositionChange,
  ComputeToolBudgetInput,
  ComputeToolBudgetResult,
  LoadRenewalContextInput,
  LoadRenewalContextResult,
  PersonRef,
  RenewalContext,
  SubscriptionMemo,
} from '../workflows/renewal/messages';

/** The subscriptions that count: every running subscription workflow (an ended one sleeps until it no longer counts). */
export const SUBSCRIPTIONS_QUERY = `WorkflowType = '${RENEWAL_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

function personRef(person: PersonConfig): PersonRef {
  return {
    id: person.id,
    name: person.name,
    email: person.email,
    ...(person.jiraAccountId ? { jiraAccountId: person.jiraAccountId } : {}),
  };
}

/** Everything a subscription owned by `ownerId` needs from the configuration; holidays for `years`. */
export function buildRenewalContext(
  config: OrgConfig,
  ownerId: string,
  teamId: string,
  years: YearRange,
): RenewalContext {
  const find = (id: string | undefined) =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);
  const owner = find(ownerId);
  if (!owner)
    throw ApplicationFailure.nonRetryable(
      `owner "${ownerId}" is not a person in the configuration`,
      'UnknownPerson',
    );
  const team = config.teams.find((t) => t.id === teamId);
  const r = config.renewals;
  const manager = find(owner.manager);
  const budgetOwner = find(r.budgetOwner);
  const procurement = find(r.procurementContact);
  return {
    owner: { ...personRef(owner), calendar: owner.calendar, team: owner.team },
    manager: manager ? personRef(manager) : null,
    budgetOwner: budgetOwner ? personRef(budgetOwner) : null,
    procurement: procurement ? personRef(procurement) : null,
    team: { id: teamId, name: team?.name ?? teamId },
    calendar: resolveBusinessCalendar(config, owner.calendar, years),
    calendarYears: years,
    rules: {
      reminderDays: [...r.reminderDaysBeforeDeadline],
      escalationWorkingDays: r.escalationWorkingDaysBeforeDeadline,
      priceRiseThresholdPercent: r.priceRiseThresholdPercent,
      noticeTime: r.noticeTime,
      exportReminderWorkingDays: r.exportReminderWorkingDays,
    },
    fx: { base: r.baseCurrency, rates: { ...r.fxRates } },
    notion: { subscriptions: config.integrations.notion.dataSources.subscriptions ?? null },
    jira: {
      projectKey: r.jiraProjectKey ?? config.integrations.jira.projectKey,
      cancelledStatus: config.integrations.jira.statuses.cancelled,
    },
    sender: config.integrations.google.sender ?? `product-ops@${owner.email.split('@')[1] ?? 'localhost'}`,
    budget: null,
  };
}

/** Every running subscription's memo, one listing; the newest run of each id. */
export async function readSubscriptionMemos(client: Client): Promise<SubscriptionMemo[]> {
  const out = new Map<string, SubscriptionMemo>();
  for await (const info of client.workflow.list({ query: SUBSCRIPTIONS_QUERY })) {
    const memo = (info.memo as Record<string, SubscriptionMemo | undefined> | undefined)?.[
      SUBSCRIPTION_MEMO_KEY
    ];
    if (memo) out.set(info.workflowId, memo);
  }
  return [...out.values()];
}

/** The facts of every subscription, with newer facts (from the signal that asked) laid over them. */
export function overlayFacts(
  memos: SubscriptionMemo[],
  overlay: { subscriptionId: string; facts: BudgetFacts | null; at: number }[],
): BudgetFacts[] {
  const facts = new Map<string, BudgetFacts | null>();
  for (const memo of memos) facts.set(memo.subscriptionId, memo.budget);
  const newest = new Map<string, { facts: BudgetFacts | null; at: number }>();
  for (const change of overlay) {
    const seen = newest.get(change.subscriptionId);
    if (!seen || change.at >= seen.at) newest.set(change.subscriptionId, change);
  }
  for (const [id, change] of newest) facts.set(id, change.facts);
  return [...facts.values()].filter((f): f is BudgetFacts => f !== null);
}

export function budgetViewFor(
  config: OrgConfig,
  year: number,
  facts: BudgetFacts[],
  team?: string,
): BudgetView {
  const r = config.renewals;
  return computeBudget({
    year,
    subscriptions: facts,
    budgets: r.budgets[String(year)] ?? {},
    fx: { base: r.baseCurrency, rates: r.fxRates },
    teams: config.teams.map((t) => ({ id: t.id, name: t.name })),
    ...(team !== undefined ? { team } : {}),
  });
}

/** The budget page's title and summary properties. */
export function budgetPageProperties(view: BudgetView): ComputeToolBudgetResult['properties'] {
  const amount = (cents: number) => Math.round(cents) / 100;
  return {
    Name: { title: `Tool budget ${view.year}` },
    Year: { number: view.year },
    Budget: { number: amount(view.totals.budgetCents) },
    Committed: { number: amount(view.totals.committedCents) },
    Remaining: { number: amount(view.totals.remainingCents) },
    Position: { select: view.teams.some((t) => t.position === 'over') ? 'Over budget' : 'Within budget' },
  };
}

export interface RenewalActivityDeps {
  config: () => OrgConfig;
  /** Where subscriptions' memos are read; by default the visibility store, through the worker's client. */
  subscriptions?: () => Promise<SubscriptionMemo[]>;
}

export function createRenewalActivities(deps: RenewalActivityDeps) {
  const memos = async (): Promise<SubscriptionMemo[]> => {
    if (deps.subscriptions) return deps.subscriptions();
    return readSubscriptionMemos(temporalClient(undefined, 'reading the subscriptions'));
  };

  return {
    /**
     * The context of a subscription about to change: the owner (by id or email), team and
     * currency checked against the configuration, each problem naming its field; and the team's
     * budget position for the renewal ahead, as it will be once the change is applied.
     */
    async loadRenewalContext(input: LoadRenewalContextInput): Promise<LoadRenewalContextResult> {
      const config = deps.config();
      const checked = checkSubscription(
        {
          tool: 'checked elsewhere',
          owner: input.owner,
          team: input.team,
          currency: input.currency,
          costPerCycle: 0,
          cycle: 'annual',
          renewalDate: '2000-01-01',
          noticeDays: 0,
        },
        subscriptionDirectory(config),
      );
      if (!checked.ok) return { ok: false, problems: checked.problems };
      const { ownerId, team } = checked.fields;
      const context = buildRenewalContext(config, ownerId, team, input.years);
      const up = input.facts?.upcoming;
      if (input.facts && up && config.renewals.budgets[up.renewalDate.slice(0, 4)]?.[team] !== undefined) {
        const year = Number(up.renewalDate.slice(0, 4));
        const facts = overlayFacts(await memos(), [
          {
            subscriptionId: input.subscriptionId,
            facts: { ...input.facts, team },
            at: Number.MAX_SAFE_INTEGER,
          },
        ]);
        const view = budgetViewFor(config, year, facts);
        context.budget = {
          renewalDate: up.renewalDate,
          callout: renewalCallout(view, input.subscriptionId, up.renewalDate),
        };
      }
      return { ok: true, context, ownerId, team };
    },

    /** The year's budget, its Notion page, and the subscriptions whose budget position changed. */
    async computeToolBudget(input: ComputeToolBudgetInput): Promise<ComputeToolBudgetResult> {
      const config = deps.config();
      const all = await memos();
      const facts = overlayFacts(all, input.overlay);
      const view = budgetViewFor(config, input.year, facts);
      const positions: BudgetPositionChange[] = [];
      for (const memo of all) {
        const own = facts.find((f) => f.subscriptionId === memo.subscriptionId);
        const up = own?.upcoming;
        if (!up || up.decision !== null || Number(up.renewalDate.slice(0, 4)) !== input.year) continue;
        const callout = renewalCallout(view, memo.subscriptionId, up.renewalDate);
        const held = memo.budgetCallout ?? null;
        if (JSON.stringify(held) !== JSON.stringify(callout))
          positions.push({
            subscriptionId: memo.subscriptionId,
            position: { renewalDate: up.renewalDate, callout },
          });
      }
      return {
        view,
        dataSourceId: config.integrations.notion.dataSources.toolBudgets ?? null,
        title: `Tool budget ${input.year}`,
        properties: budgetPageProperties(view),
        document: budgetDocument(view, input.at),
        positions,
      };
    },
  };
}

export type RenewalActivities = ReturnType<typeof createRenewalActivities>;
