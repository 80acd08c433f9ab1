/**
 * Every workflow the worker runs; the worker bundles this module.
 *
 * Each workflow's modules load when a run of that type first needs them. The worker runs every
 * workflow in one reusable V8 context but keeps module state apart per run, so each new run
 * evaluates the modules it requires afresh: with plain re-exports, a new release also built the
 * schemas and rules of leave, onboarding, renewals, the weekly update and insights, a third of
 * what starting one cost the worker's workflow thread. `require` here is webpack's, resolved when the worker
 * bundles this module; the types come from the modules themselves.
 */
import type * as Release from './release/workflow';
import type * as Tombstone from './release/tombstone';
import type * as CalendarSync from './calendar-sync/workflow';
import type * as NotionEvent from './notion-event/workflow';
import type * as Leave from './leave/workflow';
import type * as LeaveCoordinator from './leave/coordinator';
import type * as Onboarding from './onboarding/workflow';
import type * as WeeklyUpdate from './weekly-update/workflow';
import type * as WeeklyUpdateLauncher from './weekly-update/launcher';
import type * as Metrics from './metrics/workflow';
import type * as InsightsBacklog from './insights/backlog/workflow';
import type * as InsightsTheme from './insights/theme/workflow';
import type * as InsightsTriage from './insights/triage';
import type * as InsightsDigest from './insights/digest';
import type * as InsightsLauncher from './insights/launcher';
import type * as Renewal from './renewal/workflow';
import type * as ToolBudget from './renewal/budget-workflow';

/** A workflow that loads its module on its first call in a run. */
function loadedOnCall<A extends unknown[], R>(load: () => (...args: A) => Promise<R>) {
  return (...args: A): Promise<R> => load()(...args);
}

/* eslint-disable @typescript-eslint/no-require-imports -- webpack's synchronous require, see above */
export const releaseWorkflow = loadedOnCall(
  () => (require('./release/workflow') as typeof Release).releaseWorkflow,
);
export const releaseTombstoneWorkflow = loadedOnCall(
  () => (require('./release/tombstone') as typeof Tombstone).releaseTombstoneWorkflow,
);
export const calendarSyncWorkflow = loadedOnCall(
  () => (require('./calendar-sync/workflow') as typeof CalendarSync).calendarSyncWorkflow,
);
export const notionEventWorkflow = loadedOnCall(
  () => (require('./notion-event/workflow') as typeof NotionEvent).notionEventWorkflow,
);
export const leaveWorkflow = loadedOnCall(() => (require('./leave/workflow') as typeof Leave).leaveWorkflow);
export const leaveCoordinatorWorkflow = loadedOnCall(
  () => (require('./leave/coordinator') as typeof LeaveCoordinator).leaveCoordinatorWorkflow,
);
export const onboardingWorkflow = loadedOnCall(
  () => (require('./onboarding/workflow') as typeof Onboarding).onboardingWorkflow,
);
export const weeklyUpdateWorkflow = loadedOnCall(
  () => (require('./weekly-update/workflow') as typeof WeeklyUpdate).weeklyUpdateWorkflow,
);
export const weeklyUpdateLauncherWorkflow = loadedOnCall(
  () => (require('./weekly-update/launcher') as typeof WeeklyUpdateLauncher).weeklyUpdateLauncherWorkflow,
);
export const productOpsMetricsWorkflow = loadedOnCall(
  () => (require('./metrics/workflow') as typeof Metrics).productOpsMetricsWorkflow,
);
export const insightsBacklogWorkflow = loadedOnCall(
  () => (require('./insights/backlog/workflow') as typeof InsightsBacklog).insightsBacklogWorkflow,
);
export const insightsThemeWorkflow = loadedOnCall(
  () => (require('./insights/theme/workflow') as typeof InsightsTheme).insightsThemeWorkflow,
);
export const insightsTriageWorkflow = loadedOnCall(
  () => (require('./insights/triage') as typeof InsightsTriage).insightsTriageWorkflow,
);
export const insightsDigestWorkflow = loadedOnCall(
  () => (require('./insights/digest') as typeof InsightsDigest).insightsDigestWorkflow,
);
export const insightsLauncherWorkflow = loadedOnCall(
  () => (require('./insights/launcher') as typeof InsightsLauncher).insightsLauncherWorkflow,
);
export const renewalWorkflow = loadedOnCall(
  () => (require('./renewal/workflow') as typeof Renewal).renewalWorkflow,
);
export const toolBudgetWorkflow = loadedOnCall(
  () => (require('./renewal/budget-workflow') as typeof ToolBudget).toolBudgetWorkflow,
);
/* eslint-enable @typescript-eslint/no-require-imports */
