/** Every workflow the worker runs; the worker bundles this module. */
export { releaseWorkflow } from './release/workflow';
export { releaseTombstoneWorkflow } from './release/tombstone';
export { calendarSyncWorkflow } from './calendar-sync/workflow';
export { notionEventWorkflow } from './notion-event/workflow';
export { leaveWorkflow } from './leave/workflow';
export { leaveCoordinatorWorkflow } from './leave/coordinator';
export { onboardingWorkflow } from './onboarding/workflow';
export { weeklyUpdateWorkflow } from './weekly-update/workflow';
export { weeklyUpdateLauncherWorkflow } from './weekly-update/launcher';
export { productOpsMetricsWorkflow } from './metrics/workflow';
export { renewalWorkflow } from './renewal/workflow';
export { toolBudgetWorkflow } from './renewal/budget-workflow';
