/**
 * Google Calendar push channels: the id family of a watch and the token it is opened with. The
 * calendar-sync activity opens channels with these; the calendar trigger checks notifications
 * against them. Both sides derive the same values from the channel secret, so a notification is
 * checked without any stored state.
 *
 * HMAC needs node:crypto, so workflow code never imports this file.
 */
import { createHmac } from 'node:crypto';
import { fingerprint } from './idempotency';

/**
 * Calendar channel ids are `prodops-<32 hex>` plus a generation suffix (`-1` …) when a retried
 * watch had to pick the next id of the same key (see `watchCalendar`). The family is the id
 * without the suffix: every generation of one watch shares a token.
 */
const CHANNEL_ID = /^(prodops-[0-9a-f]{32})(?:-[1-9]\d{0,2})?$/;

export function channelFamily(channelId: string): string | null {
  return CHANNEL_ID.exec(channelId)?.[1] ?? null;
}

/** The channel family `watchCalendar` derives from an idempotency key. */
export function channelFamilyForKey(idempotencyKey: string): string {
  return `prodops-${fingerprint(idempotencyKey, 32)}`;
}

/**
 * The token a channel is opened with: an HMAC of its family and calendar, so the receiver can
 * check a notification without remembering any channel, and a made-up channel id or a token
 * copied to another calendar is refused.
 */
export function channelToken(secret: string, family: string, calendarId: string): string {
  return createHmac('sha256', secret).update(`${family}\n${calendarId.toLowerCase()}`).digest('base64url');
}
