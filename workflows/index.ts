/** Every workflow the worker runs; the worker bundles this module. */
export { releaseWorkflow } from './release/workflow';
export { calendarSyncWorkflow } from './calendar-sync/workflow';
export { notionEventWorkflow } from './notion-event/workflow';
export { leaveWorkflow } from './leave/workflow';
export { leaveCoordinatorWorkflow } from './leave/coordinator';
export { onboardingWorkflow } from './onboarding/workflow';
export { renewalWorkflow } from './renewal/workflow';
export { toolBudgetWorkflow } from './renewal/budget-workflow';
