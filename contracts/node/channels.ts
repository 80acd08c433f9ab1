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
 * Calendar channel ids are `prodops-<32 hex>_<expiry>`, the expiry in whole seconds since the
 * epoch, plus a generation suffix (`-1` …) when a retried watch had to pick the next id of the
 * same key (see `watchCalendar`). The family is the id without the suffix: every generation of
 * one watch shares a token. 64 characters at most, as Google allows.
 */
const CHANNEL_ID = /^(prodops-[0-9a-f]{32}_([1-9]\d{8,10}))(?:-[1-9]\d{0,2})?$/;

/** Notifications of a channel are accepted this long past its expiry (clocks differ). */
export const CHANNEL_EXPIRY_GRACE_MS = 5 * 60 * 1000;

export interface ChannelId {
  family: string;
  /** When the channel expires, ms since the epoch. */
  expiresAt: number;
}

export function parseChannelId(channelId: string): ChannelId | null {
  const match = CHANNEL_ID.exec(channelId);
  if (!match) return null;
  return { family: match[1]!, expiresAt: Number(match[2]) * 1000 };
}

export function channelFamily(channelId: string): string | null {
  return parseChannelId(channelId)?.family ?? null;
}

/** The id (without generation) of a watch made under an idempotency key, expiring then. */
export function channelIdBase(idempotencyKey: string, expiresAtSeconds: number): string {
  return `${channelFamilyForKey(idempotencyKey)}_${expiresAtSeconds}`;
}

/** The key part of the channel family `watchCalendar` derives from an idempotency key. */
export function channelFamilyForKey(idempotencyKey: string): string {
  return `prodops-${fingerprint(idempotencyKey, 32)}`;
}

/**
 * The token a channel is opened with: an HMAC of its family (which holds its expiry) and
 * calendar, so the receiver can check a notification without remembering any channel, and a
 * made-up channel id, a later expiry or a token copied to another calendar is refused.
 */
export function channelToken(secret: string, family: string, calendarId: string): string {
  return createHmac('sha256', secret)
    .update(`calendar-channel-v2\n${family}\n${calendarId.toLowerCase()}`)
    .digest('base64url');
}
