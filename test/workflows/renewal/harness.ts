/**
 * What the renewal workflow tests share: the example organisation with budgets for this year and
 * the next, a world of in-memory integrations, workers per test, and helpers to move the
 * time-skipping clock to a local date and time on the owner's calendar.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { UpdateDefinition } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { loadExampleConfig } from '../../helpers/config';
import { signAs, withOperators } from '../../helpers/operators';
import { uniqueId } from '../../helpers/temporal';
import { createWorkers } from '../../../workers/index';
import type { OrgConfig } from '../../../domain/config';
import {
  localDateOf,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import type { RawSubscription } from '../../../domain/subscription';
import {
  RENEWAL_WORKFLOW_TYPE,
  renewalStatus,
  setSubscription,
  subscriptionPageChanged,
  subscriptionWorkflowId,
  toolBudgetWorkflowId,
  type RenewalStatusView,
  type SubscriptionPageEvent,
} from '../../../workflows/renewal/messages';
import { RenewalWorld } from './renewal-world';

export const YEAR = new Date().getUTCFullYear();

/**
 * Every person an operator with their own key; Priya (Product Ops) may also decide for a
 * subscription's owner, Tom has only the default grant.
 */
export const operators = withOperators(loadExampleConfig(), { priya: ['product-ops', 'subscription-owner'] });

export function renewalsConfig(): OrgConfig {
  const example = operators.config;
  const budgets = { 'product-ops': 12000, growth: 42000, platform: 58000, insights: 20000, gtm: 32000 };
  return {
    ...example,
    renewals: {
      ...example.renewals,
      budgets: { [String(YEAR)]: budgets, [String(YEAR + 1)]: budgets, [String(YEAR + 2)]: budgets },
    },
  };
}

export const london = (config: OrgConfig): BusinessCalendar =>
  resolveBusinessCalendar(config, 'london', { from: YEAR - 1, to: YEAR + 4 });

export interface Run {
  env: TestWorkflowEnvironment;
  world: RenewalWorld;
  cal: BusinessCalendar;
  config: OrgConfig;
  taskQueue: string;
  today: () => Promise<CalendarDate>;
  /** Moves the clock to `time` on `date` on the London calendar (plus a minute), if not there yet. */
  sleepUntil: (date: CalendarDate, time?: string) => Promise<void>;
  /** Starts `subscription:<id>` and applies the fields as `prodops renewal add` would. */
  add: (id: string, fields: RawSubscription, by?: string) => Promise<WorkflowHandle>;
  /** A change in Notion, as the Notion route delivers it: prodops' own cells as the row holds them. */
  notionChange: (
    id: string,
    event: Omit<SubscriptionPageEvent, 'deliveryId' | 'occurredAt' | 'written'> & {
      occurredAt?: number;
      written?: SubscriptionPageEvent['written'];
    },
  ) => Promise<void>;
  handle: (id: string) => WorkflowHandle;
  /** A decision or snooze as `prodops renewal` sends it: signed by `operator` (by default `by`). */
  signed: <T extends { by: string }>(
    handle: WorkflowHandle,
    update: UpdateDefinition<RenewalStatusView, [T]>,
    command: T,
    operator?: string,
  ) => Promise<T>;
}

export const status = (handle: WorkflowHandle): Promise<RenewalStatusView> => handle.query(renewalStatus);

export async function waitFor(
  handle: WorkflowHandle,
  predicate: (s: RenewalStatusView) => boolean,
  what: string,
): Promise<RenewalStatusView> {
  let last: RenewalStatusView | undefined;
  for (let i = 0; i < 300; i++) {
    try {
      last = await status(handle);
      if (predicate(last)) return last;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 2)}`);
}

export async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function withWorld(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  body: (run: Run) => Promise<void>,
  config = renewalsConfig(),
): Promise<void> {
  const world = new RenewalWorld(config);
  const taskQueue = uniqueId('renewal');
  const activities = world.activities();
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: activities.bySystem,
    localActivities: activities.core,
    rateLimits: { jira: 1000, notion: 1000, google: 1000 },
  });
  const cal = london(config);
  const started = new Set<string>();
  let deliveries = 0;
  const handle = (id: string) => env.client.workflow.getHandle(subscriptionWorkflowId(id));
  const run: Run = {
    env,
    world,
    cal,
    config,
    taskQueue,
    today: async () => localDateOf(await env.currentTimeMs(), cal.timezone),
    sleepUntil: async (date, time = '00:00') => {
      const at = Date.parse(zonedDateTimeToInstant(date, time, cal.timezone)) + 60_000;
      const now = await env.currentTimeMs();
      if (at > now) await env.sleep(at - now);
    },
    add: async (id, fields, by = 'priya') => {
      const workflowId = subscriptionWorkflowId(id);
      if (!started.has(workflowId)) {
        await env.client.workflow.start(RENEWAL_WORKFLOW_TYPE, {
          taskQueue,
          workflowId,
          args: [{ subscriptionId: id }],
        });
        started.add(workflowId);
      }
      // Signed as the command line signs it, by the person named.
      const command = { fields, by, via: 'cli' as const };
      await handle(id).executeUpdate(setSubscription, {
        args: [signAs(operators.keys, by, workflowId, setSubscription, command, await env.currentTimeMs())],
      });
      return handle(id);
    },
    notionChange: async (id, event) => {
      const workflowId = subscriptionWorkflowId(id);
      started.add(workflowId);
      await env.client.workflow.signalWithStart(RENEWAL_WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [{ subscriptionId: id }],
        signal: subscriptionPageChanged,
        signalArgs: [
          {
            written: writtenOf(world.page(event.pageId)?.properties ?? {}),
            ...event,
            occurredAt: event.occurredAt ?? (await env.currentTimeMs()),
            deliveryId: `test-${++deliveries}`,
          },
        ],
      });
    },
    handle,
    signed: async (target, update, command, operator = command.by) =>
      signAs(operators.keys, operator, target.workflowId, update, command, await env.currentTimeMs()),
  };
  const [first, ...rest] = workers;
  try {
    await first!.runUntil(async () => {
      const others = rest.map((w) => w.run());
      try {
        await body(run);
      } finally {
        for (const w of rest) w.shutdown();
        await Promise.all(others);
      }
    });
  } finally {
    // Only once every worker has stopped (so no activity can start another workflow), nothing of
    // this test may stay running: a workflow without a worker would hold the test server's clock.
    const ids = [...started, ...[YEAR, YEAR + 1, YEAR + 2].map(toolBudgetWorkflowId)];
    for (const id of ids) {
      const described = await env.client.workflow
        .getHandle(id)
        .describe()
        .catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return null;
          throw error;
        });
      if (described?.status.name === 'RUNNING')
        await env.client.workflow.getHandle(id).terminate('test finished');
    }
  }
}

/** What the row holds in the cells prodops writes, as the Notion route reads them. */
export function writtenOf(properties: Record<string, unknown>): SubscriptionPageEvent['written'] {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    noticeDeadline: text(properties['Notice deadline']),
    status: text(properties.Status),
    annualCost: typeof properties['Annual cost'] === 'number' ? properties['Annual cost'] : null,
    problems: text(properties.Problems),
  };
}

/** The fields of a subscription as a person writes them. */
export function subscription(overrides: RawSubscription = {}): RawSubscription {
  return {
    tool: 'Figma',
    vendor: 'Figma Inc.',
    owner: 'ana',
    category: 'Design',
    costPerCycle: 12000,
    currency: 'EUR',
    cycle: 'annual',
    noticeDays: 30,
    autoRenews: true,
    seats: 40,
    seatsInUse: 31,
    ...overrides,
  };
}
