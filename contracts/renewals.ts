/**
 * The renewal workflows' names that the Notion route, the activities, the CLI and the workflows
 * share. Pure values: safe inside the workflow sandbox.
 */
export { subscriptionWorkflowId, toolBudgetWorkflowId } from './ids';

export const RENEWAL_WORKFLOW_TYPE = 'renewalWorkflow';
export const TOOL_BUDGET_WORKFLOW_TYPE = 'toolBudgetWorkflow';

/** A subscription id: chosen on `prodops renewal add`, or a Notion page id without dashes. */
export const SUBSCRIPTION_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The idempotency key of the Notion row prodops makes for a subscription added from the command
 * line; the Notion route reads the subscription's id back from it.
 */
export const subscriptionPageKey = (subscriptionId: string): string => `subscription:${subscriptionId}`;

/** Where a subscription keeps its listing and budget facts in its workflow's memo. */
export const SUBSCRIPTION_MEMO_KEY = 'subscription';
