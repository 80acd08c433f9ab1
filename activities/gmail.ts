/**
 * Gmail activities. A mail carries a Message-ID derived from the idempotency key and, in a short
 * reference line at its foot, a token derived from the same key. Before sending, the sender's
 * sent mail is searched for the token (and, for mails sent before the token, the Message-ID), so
 * a retry after a crash between the send and the activity's completion finds the mail instead of
 * sending it twice. Gmail has been seen to replace a client's Message-ID with its own, which
 * would defeat a look-up by Message-ID alone; the body is never rewritten. After sending, the
 * Message-ID Gmail stored is read back and returned, since that is the one replies refer to.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { gmail_v1 } from 'googleapis';
import { ErrorTypes, invalidInput, type OperationContext } from './errors';
import { callGoogle } from './google-auth';
import { warnFromActivity } from './activity-context';
import { fingerprint, mailToken, messageId } from '../contracts/node/idempotency';

export interface GmailActivityDeps {
  /** A Gmail client acting as the given mailbox. */
  gmailFor(userEmail: string): gmail_v1.Gmail;
  /** The moment used in the Date header; injectable for tests. */
  now?: () => Date;
  /** Where a surprise that does not fail the send is reported; by default the activity's log. */
  warn?: (message: string) => void;
}

export interface SendMailInput {
  idempotencyKey: string;
  /** `address` or `Display Name <address>`; the mailbox the mail is sent as. */
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
}

export interface SendMailResult {
  /** Gmail's id of the message in the sender's mailbox. */
  id: string;
  threadId?: string;
  /** The RFC 5322 Message-ID Gmail stored, with angle brackets: the one replies refer to. */
  messageId: string;
  /** False when an earlier attempt had already sent it. */
  sent: boolean;
  /** Present when Gmail stored another Message-ID than the one prodops gave: that one. */
  requestedMessageId?: string;
}

export interface MimeMessage {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  date: Date;
  /** Separates the text and HTML parts; must not occur in them (base64 bodies never contain `-`). */
  boundary: string;
}

const SYSTEM = 'gmail' as const;
const ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

export function createGmailActivities(deps: GmailActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const warn = deps.warn ?? warnFromActivity;

  async function sendMail(input: SendMailInput): Promise<SendMailResult> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'messages.send', key: input.idempotencyKey };
    if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.trim() === '')
      throw invalidInput(ctx, 'idempotencyKey must be a non-empty string');
    const from = parseMailbox(ctx, input.from, 'from');
    const to = (input.to ?? []).map((a) => parseMailbox(ctx, a, 'to'));
    const cc = (input.cc ?? []).map((a) => parseMailbox(ctx, a, 'cc'));
    if (to.length === 0) throw invalidInput(ctx, 'to must name at least one recipient');
    if (typeof input.subject !== 'string' || /[\r\n]/.test(input.subject))
      throw invalidInput(ctx, 'subject must be one line of text');
    if (typeof input.text !== 'string' || typeof input.html !== 'string')
      throw invalidInput(ctx, 'text and html are both required');

    const id = messageId(input.idempotencyKey, from.address.split('@')[1]!);
    const token = mailToken(input.idempotencyKey);
    const gmail = deps.gmailFor(from.address);

    const find = (q: string) =>
      callGoogle({ ...ctx, operation: 'messages.list' }, async () => {
        const res = await gmail.users.messages.list({
          userId: 'me',
          q,
          // A sent copy the user has since binned still counts as sent.
          includeSpamTrash: true,
          maxResults: 10,
        });
        return res.data.messages?.[0];
      });
    /** The Message-ID Gmail stored for a message, or undefined when it carries none. */
    const storedMessageId = (gmailId: string) =>
      callGoogle({ ...ctx, operation: 'messages.get' }, async () => {
        const res = await gmail.users.messages.get({
          userId: 'me',
          id: gmailId,
          format: 'metadata',
          metadataHeaders: ['Message-ID'],
        });
        const header = res.data.payload?.headers?.find((h) => h.name?.toLowerCase() === 'message-id');
        return header?.value?.trim() || undefined;
      });
    const described = (
      gmailId: string,
      threadId: string | null | undefined,
      stored: string | undefined,
      sent: boolean,
    ) => ({
      id: gmailId,
      threadId: threadId ?? undefined,
      messageId: stored ?? id,
      sent,
      ...(stored && stored !== id ? { requestedMessageId: id } : {}),
    });

    // The token first: Gmail never rewrites a body. The Message-ID finds mails sent without one.
    const existing = (await find(`in:sent "${token}"`)) ?? (await find(`rfc822msgid:${id.slice(1, -1)}`));
    if (existing?.id)
      return described(existing.id, existing.threadId, await storedMessageId(existing.id), false);

    const raw = buildMimeMessage({
      from: formatMailbox(from),
      to: to.map(formatMailbox),
      cc: cc.map(formatMailbox),
      subject: input.subject,
      text: withReference(input.text, token),
      html: withHtmlReference(input.html, token),
      messageId: id,
      date: now(),
      boundary: `prodops-${fingerprint(input.idempotencyKey, 16)}-${randomBytes(6).toString('hex')}`,
    });
    const sent = await callGoogle(ctx, async () => {
      const res = await gmail.users.messages.send({
        userId: 'me',
        requestBody: { raw: Buffer.from(raw, 'utf8').toString('base64url') },
      });
      return res.data;
    });
    if (!sent.id) {
      // A retry will find the mail by its token.
      throw ApplicationFailure.create({
        type: ErrorTypes.unknown,
        message: `${SYSTEM} messages.send [${input.idempotencyKey}]: Gmail returned no message id`,
        nonRetryable: false,
      });
    }
    const stored = await storedMessageId(sent.id);
    if (stored && stored !== id)
      warn(
        `${SYSTEM} messages.send [${input.idempotencyKey}]: Gmail stored the mail under Message-ID ${stored}, not ${id}; replies refer to ${stored}`,
      );
    return described(sent.id, sent.threadId, stored, true);
  }

  return { sendMail };
}

export type GmailActivities = ReturnType<typeof createGmailActivities>;

/** The plain-text body with the mail's reference token on a line of its own at the foot. */
export function withReference(text: string, token: string): string {
  return `${text.replace(/\s+$/, '')}\n\n-- \nRef. ${token}\n`;
}

/** The HTML body with the reference token in a small paragraph at the foot (inside <body> if there is one). */
export function withHtmlReference(html: string, token: string): string {
  const footer = `<p style="color:#8a8a8a;font-size:11px">Ref. ${token}</p>`;
  const close = html.search(/<\/body\s*>/i);
  return close >= 0 ? `${html.slice(0, close)}${footer}${html.slice(close)}` : `${html}${footer}`;
}

interface Mailbox {
  name?: string;
  address: string;
}

function parseMailbox(ctx: OperationContext, value: unknown, field: string): Mailbox {
  if (typeof value !== 'string' || /[\r\n]/.test(value))
    throw invalidInput(ctx, `${field} must be one email address`);
  const named = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(value);
  const address = (named ? named[2]! : value).trim();
  if (!ADDRESS.test(address)) throw invalidInput(ctx, `${field} "${value}" is not an email address`);
  const name = named?.[1]?.replace(/^"(.*)"$/, '$1').trim();
  return name ? { name, address } : { address };
}

function formatMailbox(mailbox: Mailbox): string {
  if (!mailbox.name) return mailbox.address;
  return `${encodeDisplayName(mailbox.name)} <${mailbox.address}>`;
}

function isPlainAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function encodeDisplayName(name: string): string {
  if (!isPlainAscii(name)) return encodeWords(name);
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * RFC 2047 encoded-words (UTF-8, base64), each at most 75 characters and never splitting a
 * character, joined by folding whitespace that decoders drop between adjacent words.
 */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    // 45 bytes encode to 60 base64 characters, which with "=?UTF-8?B?" and "?=" stays within 75.
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function encodeHeaderText(text: string): string {
  // Long plain lines would break the 998-character limit; encoded-words fold safely.
  return isPlainAscii(text) && text.length <= 900 ? text : encodeWords(text);
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}

/** RFC 5322 date, for example `Tue, 03 Mar 2026 09:30:00 +0000`. */
function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** A multipart/alternative message (plain text and HTML, UTF-8, base64 bodies) with CRLF line ends. */
export function buildMimeMessage(message: MimeMessage): string {
  const headers = [
    `From: ${message.from}`,
    `To: ${message.to.join(',\r\n ')}`,
    ...(message.cc && message.cc.length > 0 ? [`Cc: ${message.cc.join(',\r\n ')}`] : []),
    `Subject: ${encodeHeaderText(message.subject)}`,
    `Date: ${rfc5322Date(message.date)}`,
    `Message-ID: ${message.messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${message.boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${message.boundary}`,
      `Content-Type: ${type}; charset=UTF-8`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(body),
    ].join('\r\n');
  return [
    headers.join('\r\n'),
    '',
    part('text/plain', message.text),
    part('text/html', message.html),
    `--${message.boundary}--`,
    '',
  ].join('\r\n');
}
