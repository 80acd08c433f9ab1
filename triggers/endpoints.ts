/** Where the trigger functions listen, shared by the gateway, the CLI and the deployment notes. */
import { unsafeUrlReason } from '../domain/values';

export const DEFAULT_GATEWAY_PORT = 8787;
/** The public base URL of the functions: Google posts calendar notifications under it. */
export const PUBLIC_URL_ENV = 'PRODOPS_PUBLIC_URL';

export const TRIGGER_PATHS = { jira: '/jira', notion: '/notion', calendar: '/calendar' } as const;
export type TriggerName = keyof typeof TRIGGER_PATHS;

/** The address calendar channels post to, under a public base URL. */
export function calendarAddress(publicUrl: string | null): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${TRIGGER_PATHS.calendar}` : null;
}

export class PublicUrlError extends Error {}

/**
 * The public base URL from the environment (trailing slashes dropped), or null when unset. A URL
 * with credentials in it, or plain http to anything but this machine, is refused: Calendar
 * channels post to it, and Google insists on HTTPS anyway.
 */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const raw = env[PUBLIC_URL_ENV]?.trim();
  if (!raw) return null;
  const reason = unsafeUrlReason(raw);
  if (reason) throw new PublicUrlError(`${PUBLIC_URL_ENV} ${reason}`);
  return raw.replace(/\/+$/, '');
}
