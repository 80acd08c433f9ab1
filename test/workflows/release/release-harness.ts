/**
 * What the release workflow's time-skipping suites share: a release of Ana's (a growth PM on the
 * london calendar) run over the fakes with a worker while the test's body runs, commands signed
 * as the command line signs them, and a wait on the status query.
 */
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { localDateOf, type BusinessCalendar, type CalendarDate } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import type { Tier } from '../../../domain/release-plan';
import { releaseStatus, releaseWorkflowId, type ReleaseStatus } from '../../../workflows/release/messages';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import { queryUntil } from '../../helpers/eventually';
import { signAs, type TestOperators } from '../../helpers/operators';
import type { Stack } from '../../helpers/stack';
import { FakeWorld } from './fake-world';

/** The releases' PM: ana is a growth PM on the london calendar; ivan is growth's eng lead. */
export const RELEASE_PM = 'ana';

export interface ReleaseRun {
  world: FakeWorld;
  cal: BusinessCalendar;
  today: CalendarDate;
  issueKey: string;
  taskQueue: string;
  start: (
    tier: Tier,
    launchDate: CalendarDate,
  ) => Promise<WorkflowHandleWithFirstExecutionRunId<typeof releaseWorkflow>>;
}

/** `stack` is read when a helper runs, after the suite's `beforeAll` has started it. */
export function releaseHarness(operators: TestOperators, stack: () => Stack) {
  const { config } = operators;

  /** The command as sent from the command line: signed by `by` when it names them, else by Priya. */
  async function signed<T extends object>(
    handle: { workflowId: string },
    update: UpdateDefinition<ReleaseStatus, [T]>,
    command: T,
    operator = (command as { by?: string }).by ?? 'priya',
  ): Promise<T> {
    return signAs(
      operators.keys,
      operator,
      handle.workflowId,
      update,
      command,
      await stack().env.currentTimeMs(),
    );
  }

  /** Polls the status query until the predicate holds (the workflow works asynchronously). */
  const waitFor = (
    handle: WorkflowHandle,
    predicate: (s: ReleaseStatus) => boolean,
    what: string,
  ): Promise<ReleaseStatus> => queryUntil(handle, releaseStatus, predicate, what);

  const london = (): BusinessCalendar => {
    const year = new Date().getUTCFullYear();
    return resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 3 });
  };

  async function withRelease(body: (run: ReleaseRun) => Promise<void>): Promise<void> {
    const { env } = stack();
    const world = new FakeWorld(config);
    const cal = london();
    const today = localDateOf(await env.currentTimeMs(), cal.timezone);
    const issueKey = `REL-${Math.floor(Math.random() * 90_000) + 10_000}`;
    world.releaseIssue(issueKey);
    // A failed test must not leave a workflow without a worker: it would hold the test server's
    // clock still for every later test. The stack ends what is tracked.
    await stack().withWorkers({ activities: world.activities() }, ({ taskQueue, track }) =>
      body({
        world,
        cal,
        today,
        issueKey,
        taskQueue,
        start: async (tier, launchDate) => {
          const handle = await env.client.workflow.start(releaseWorkflow, {
            taskQueue,
            workflowId: releaseWorkflowId(issueKey),
            args: [
              {
                issueKey,
                tier,
                launchDate,
                pmId: RELEASE_PM,
                title: 'Usage-based billing',
                productArea: 'billing',
              },
            ],
          });
          track(handle);
          return handle;
        },
      }),
    );
  }

  return { signed, waitFor, london, withRelease };
}
