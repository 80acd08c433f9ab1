/**
 * Sender verification, always over the raw body and before anything parses it.
 *
 * Jira and Notion sign each request with an HMAC-SHA256 of the body (`sha256=<hex>`); Google
 * Calendar echoes the token given when the channel was opened. Comparisons are timing-safe over
 * equal-length buffers, and every configured secret is tried without stopping at the first
 * match, so that neither which secret matched nor how much of a guess was right leaks through
 * the response time. Two secrets may be active at once while one is being rotated.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CHANNEL_EXPIRY_GRACE_MS, channelToken, parseChannelId } from '../contracts/node/channels';

const HEX_SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

export function hmacSha256(secret: string, data: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** The `sha256=<hex>` header value Jira (X-Hub-Signature) and Notion (X-Notion-Signature) send. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${hmacSha256(secret, body).toString('hex')}`;
}

/** True when the header is a valid signature of the body under any of the secrets. */
export function verifyBodySignature(
  headerValue: string | undefined,
  body: Buffer,
  secrets: readonly string[],
): boolean {
  if (headerValue === undefined || secrets.length === 0) return false;
  const match = HEX_SIGNATURE.exec(headerValue.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  let valid = false;
  for (const secret of secrets) {
    const expected = hmacSha256(secret, body);
    // Both are 32 bytes: timingSafeEqual never sees buffers of different lengths.
    if (timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}

/**
 * Whether the token is the one the channel was opened with (contracts/node/channels.ts), and the
 * channel has not expired: its expiry is part of its id and of the token, so neither can be moved.
 */
export function verifyChannelToken(
  token: string | undefined,
  channelId: string,
  calendarId: string,
  secrets: readonly string[],
  now: number = Date.now(),
): 'valid' | 'invalid' | 'expired' {
  const parsed = parseChannelId(channelId);
  if (token === undefined || parsed === null || secrets.length === 0) return 'invalid';
  const given = Buffer.from(token, 'utf8');
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(channelToken(secret, parsed.family, calendarId), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  if (!valid) return 'invalid';
  return now > parsed.expiresAt + CHANNEL_EXPIRY_GRACE_MS ? 'expired' : 'valid';
}
