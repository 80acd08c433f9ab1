/**
 * Stable identifiers derived from a workflow's idempotency key (for example
 * `release:ABC-123:bundle`), so that a retried create finds what the first attempt made, and so
 * that a webhook can recognise what prodops made (the Jira label of a readiness sub-task).
 *
 * Hashing needs node:crypto, so this file is for activities, triggers and tools; workflow code
 * passes the key and lets the activity derive the id.
 */
import { createHash } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
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
  const bytes = digest(key);
  let bits = 0;
  let value = 0;
  let out = 'po';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.slice(0, 34);
}

/** An RFC 5322 Message-ID that is the same for every attempt to send one mail. */
export function messageId(key: string, domain: string): string {
  return `<prodops.${fingerprint(key, 32)}@${domain}>`;
}

/** A Jira label that marks the issue created for a key (labels allow no spaces). */
export function jiraLabel(key: string): string {
  return `prodops-${fingerprint(key, 20)}`;
}
