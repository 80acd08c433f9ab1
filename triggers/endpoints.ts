/** Where the trigger functions listen, shared by the gateway, the CLI and the deployment notes. */
export const DEFAULT_GATEWAY_PORT = 8787;
/** The public base URL of the functions: Google posts calendar notifications under it. */
export const PUBLIC_URL_ENV = 'PRODOPS_PUBLIC_URL';

export const TRIGGER_PATHS = {
  jira: '/jira',
  notion: '/notion',
  calendar: '/calendar',
  insights: '/insights',
} as const;
export type TriggerName = keyof typeof TRIGGER_PATHS;

/** The address calendar channels post to, under a public base URL. */
export function calendarAddress(publicUrl: string | null): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${TRIGGER_PATHS.calendar}` : null;
}
