/**
 * Stable identifiers derived from a workflow's idempotency key (for example
 * `release:ABC-123:bundle`), so that a retried create finds what the first attempt made, and so
 * that a webhook can recognise what prodops made (the Jira label of a readiness sub-task).
 *
 * Hashing needs node:crypto, so this file is for activities, triggers and tools; workflow code
 * passes the key and lets the activity derive the id.
 */
import { createHash, createHmac } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

function base32hex(bytes: Buffer, prefix: string, length: number): string {
  let bits = 0;
  let value = 0;
  let out = prefix;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.slice(0, length);
}

/** A short hex fingerprint of a key, safe in labels, property keys and Message-IDs. */
export function fingerprint(key: string, length = 24): string {
  return digest(key).toString('hex').slice(0, length);
}

/**
 * Google Calendar event ids must be 5–1024 characters of base32hex (a–v, 0–9). The same key
 * always yields the same id, so inserting twice answers 409 instead of creating a twin.
 */
export function calendarEventId(key: string): string {
  return base32hex(digest(key), 'po', 34);
}

/**
 * The id of an event whose answers count (an invite to confirm leave): an HMAC of the key with
 * the worker's secret, which never enters workflow history, so nobody can make an event with
 * that id before prodops does, nor predict it to fake one. Still the same id for every attempt.
 * 51 base32hex characters: 255 bits.
 */
export function secretCalendarEventId(key: string, secret: string): string {
  return base32hex(createHmac('sha256', `invite-event-id\n${secret}`).update(key, 'utf8').digest(), 'ps', 54);
}

/** True when `eventId` is what either derivation gives for `key`. */
export function isEventIdOf(eventId: string, key: string, secret: string | undefined): boolean {
  return (
    eventId === calendarEventId(key) ||
    (secret !== undefined && eventId === secretCalendarEventId(key, secret))
  );
}

/**
 * The token that ties a leave request to its place at the team coordinator: an HMAC of the
 * request's workflow id with the worker's secret. The coordinator keeps only its hash, and takes
 * a confirmation or a release of the place only with the token that reserved it.
 */
export function reservationToken(workflowId: string, secret: string): string {
  return createHmac('sha256', `reservation-token\n${secret}`).update(workflowId, 'utf8').digest('base64url');
}

/** An RFC 5322 Message-ID that is the same for every attempt to send one mail. */
export function messageId(key: string, domain: string): string {
  return `<prodops.${fingerprint(key, 32)}@${domain}>`;
}

const MAIL_TOKEN_PREFIX = 'prodopsref';
const MAIL_TOKEN_DIGITS = 24;
/** Finds a `mailToken` in a mail's text. */
export const MAIL_TOKEN_PATTERN = new RegExp(`\\b${MAIL_TOKEN_PREFIX}[0-9a-f]{${MAIL_TOKEN_DIGITS}}\\b`);

/**
 * A word that names one mail in its body, for finding it in the sender's mailbox: Gmail may
 * replace a Message-ID given by the client, but it does not rewrite the body. Letters and digits
 * only, so that Gmail's search takes it as one word.
 */
export function mailToken(key: string): string {
  return `${MAIL_TOKEN_PREFIX}${fingerprint(key, MAIL_TOKEN_DIGITS)}`;
}

/** A Jira label that marks the issue created for a key (labels allow no spaces). */
export function jiraLabel(key: string): string {
  return `prodops-${fingerprint(key, 20)}`;
}
