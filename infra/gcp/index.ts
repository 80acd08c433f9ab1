/**
 * The Pulumi program (`pulumi up -C infra/gcp`, or `npm run deploy`): reads the stack
 * configuration, declares the stack, and exports what to paste into Jira, Notion and the Google
 * Workspace admin console.
 */
import { readSettings } from './settings';
import { createStack } from './stack';

const { outputs } = createStack(readSettings());

export const webhookUrls = outputs.webhookUrls;
export const jiraWebhook = outputs.jiraWebhook;
export const notionSubscription = outputs.notionSubscription;
export const publicUrl = outputs.publicUrl;
export const calendarNotificationUrl = outputs.calendarNotificationUrl;
export const image = outputs.image;
export const worker = outputs.worker;
export const temporalSetup = outputs.temporalSetup;
export const calendarWatch = outputs.calendarWatch;
export const workspaceServiceAccount = outputs.workspaceServiceAccount;
