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
export { insightsBacklogWorkflow } from './insights/backlog/workflow';
export { insightsThemeWorkflow } from './insights/theme/workflow';
export { insightsTriageWorkflow } from './insights/triage';
export { insightsDigestWorkflow } from './insights/digest';
export { insightsLauncherWorkflow } from './insights/launcher';
export { renewalWorkflow } from './renewal/workflow';
export { toolBudgetWorkflow } from './renewal/budget-workflow';
