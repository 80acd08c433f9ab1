/**
 * Gmail: one mailbox per person and for the sender. Sending delivers a copy to every recipient
 * with a mailbox (Bcc never shows in the copies) and keeps one in the sender's SENT, under the
 * client's Message-ID or, with `rewriteMessageIds`, one of Gmail's own; listing
 * understands the search operators prodops uses (`rfc822msgid:`, `in:`, `label:`, `from:`, `to:`,
 * `cc:`, `subject:`, negation, plain words).
 */
import { refill, savedNumber } from '../persist';
import { randomBytes } from 'node:crypto';
import { asObject, fail, invalid } from './errors';
import { bodiesOf, decodeWords, headerOf, parseAddressList, parseMime, payloadOf } from './mime';
import type { SandboxMessage } from './model';

interface SearchTerm {
  op?: string;
  value: string;
  negated: boolean;
}

const SEARCH_OPERATORS = ['rfc822msgid', 'in', 'label', 'from', 'to', 'subject', 'cc'];

function parseSearch(q: string): SearchTerm[] {
  const tokens = q.match(/-?[A-Za-z0-9]+:"[^"]*"|-?"[^"]*"|\S+/g) ?? [];
  return tokens.map((token) => {
    const negated = token.startsWith('-');
    const body = negated ? token.slice(1) : token;
    const m = /^([A-Za-z0-9]+):(.*)$/.exec(body);
    const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');
    if (m && SEARCH_OPERATORS.includes(m[1]!.toLowerCase())) {
      return { op: m[1]!.toLowerCase(), value: unquote(m[2]!).toLowerCase(), negated };
    }
    return { value: unquote(body).toLowerCase(), negated };
  });
}

function matchesTerm(message: SandboxMessage, term: SearchTerm): boolean {
  const bare = (id: string) => id.trim().replace(/^<|>$/g, '').toLowerCase();
  switch (term.op) {
    case 'rfc822msgid':
      return bare(message.messageId) === bare(term.value);
    case 'in':
      if (term.value === 'anywhere') return true;
      return message.labelIds.includes(term.value.toUpperCase());
    case 'label':
      return message.labelIds.some((l) => l.toLowerCase() === term.value);
    case 'from':
      return message.from.toLowerCase().includes(term.value);
    case 'to':
      return message.to.some((a) => a.includes(term.value));
    case 'cc':
      return message.cc.some((a) => a.includes(term.value));
    case 'subject':
      return message.subject.toLowerCase().includes(term.value);
    default:
      return [message.subject, message.text ?? '', message.html ?? '', message.from, ...message.to].some(
        (f) => f.toLowerCase().includes(term.value),
      );
  }
}

/** The message with its Message-ID header set to `id` (replaced, or added at the top). */
function withMessageId(raw: Buffer, id: string): Buffer {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  const rest = end >= 0 ? text.slice(end) : '';
  const line = /^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/im;
  const replaced = line.test(head) ? head.replace(line, `Message-ID: ${id}`) : `Message-ID: ${id}\r\n${head}`;
  return Buffer.from(replaced + rest, 'utf8');
}

export class Mailboxes {
  private readonly boxes = new Map<string, SandboxMessage[]>();
  private messageCounter = 0;

  constructor(
    private readonly now: () => number,
    /** Whether sent mail keeps the client's Message-ID or gets one of Gmail's own. */
    private readonly rewriteMessageIds = false,
  ) {}

  /** An empty mailbox for each account, in order. */
  seed(accounts: string[]): void {
    for (const account of accounts) this.boxes.set(account, []);
  }

  exportState(): Record<string, unknown> {
    return { boxes: this.boxes, messageCounter: this.messageCounter };
  }

  importState(state: Record<string, unknown>): void {
    refill(this.boxes, state.boxes);
    this.messageCounter = savedNumber(state, 'messageCounter');
  }

  reset(): void {
    this.boxes.clear();
    this.messageCounter = 0;
  }

  /** Every message in a mailbox (sent and received), newest first; all mailboxes when absent. */
  messages(mailbox?: string): SandboxMessage[] {
    const boxes = mailbox ? [this.boxes.get(mailbox.toLowerCase()) ?? []] : [...this.boxes.values()];
    return boxes.flat().sort((a, b) => b.internalDate - a.internalDate || b.id.localeCompare(a.id));
  }

  /** `me`, or the actor's own address: nobody reads or sends from another's mailbox here. */
  private mailboxOf(actor: string, userId: string): string {
    if (userId === 'me' || userId.toLowerCase() === actor) return actor;
    fail(403, `Delegation denied for ${userId}`, 'forbidden');
  }

  private box(mailbox: string): SandboxMessage[] {
    let box = this.boxes.get(mailbox);
    if (!box) {
      box = [];
      this.boxes.set(mailbox, box);
    }
    return box;
  }

  private nextMessageId(): string {
    this.messageCounter += 1;
    return `${this.now().toString(16)}${this.messageCounter.toString(16).padStart(4, '0')}`
      .slice(-16)
      .padStart(16, '0');
  }

  send(actor: string, userId: string, body: unknown): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const request = body === undefined ? {} : asObject(body, 'message');
    if (request.raw === undefined || request.raw === '') {
      invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required");
    }
    if (typeof request.raw !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(request.raw)) {
      const shown = (typeof request.raw === 'string' ? request.raw : JSON.stringify(request.raw)).slice(
        0,
        40,
      );
      invalid(`Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for "${shown}"`);
    }
    let raw: Buffer = Buffer.from(request.raw, 'base64url');
    let mime = parseMime(raw);
    const header = (name: string) => headerOf(mime.headers, name);
    const to = parseAddressList(header('to'), 'To');
    const cc = parseAddressList(header('cc'), 'Cc');
    const bcc = parseAddressList(header('bcc'), 'Bcc');
    if (to.length + cc.length + bcc.length === 0) invalid('Recipient address required');
    // Gmail sends as the authenticated user, whatever From says (no send-as aliases here).
    const fromHeader = header('from');
    const fromAddresses = fromHeader ? parseAddressList(fromHeader, 'From') : [];
    const from = fromAddresses[0] === mailbox ? fromHeader! : mailbox;
    const gmailOwn = `<${randomBytes(12).toString('hex')}@mail.gmail.com>`;
    const messageId = this.rewriteMessageIds ? gmailOwn : header('message-id')?.trim() || gmailOwn;
    if (messageId !== header('message-id')?.trim()) {
      // The stored message carries the Message-ID Gmail chose, in every format it is read back in.
      raw = withMessageId(raw, messageId);
      mime = parseMime(raw);
    }
    const { text, html } = bodiesOf(mime);
    const base = {
      raw,
      from,
      to,
      cc,
      subject: decodeWords(header('subject') ?? ''),
      messageId,
      text,
      html,
      internalDate: this.now(),
      mime,
    };

    let threadId: string | undefined;
    if (request.threadId !== undefined) {
      if (
        typeof request.threadId !== 'string' ||
        !this.box(mailbox).some((m) => m.threadId === request.threadId)
      ) {
        fail(404, 'Requested entity was not found.', 'notFound');
      }
      threadId = request.threadId;
    }
    const sentId = this.nextMessageId();
    const sent: SandboxMessage = {
      ...base,
      mailbox,
      id: sentId,
      threadId: threadId ?? sentId,
      labelIds: ['SENT'],
    };
    this.box(mailbox).push(sent);
    for (const recipient of new Set([...to, ...cc, ...bcc])) {
      if (!this.boxes.has(recipient)) continue;
      const id = this.nextMessageId();
      // Bcc never shows in delivered copies.
      this.box(recipient).push({
        ...base,
        mailbox: recipient,
        id,
        threadId: id,
        labelIds: ['INBOX', 'UNREAD'],
      });
    }
    return { id: sent.id, threadId: sent.threadId, labelIds: sent.labelIds };
  }

  list(actor: string, userId: string, query: URLSearchParams): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 100;
    if (!Number.isInteger(maxResults) || maxResults < 1)
      invalid(`Invalid maxResults: ${query.get('maxResults')}`);
    const includeSpamTrash = query.get('includeSpamTrash') === 'true';
    const labelIds = query.getAll('labelIds');
    const terms = parseSearch(query.get('q') ?? '');
    const everywhere =
      includeSpamTrash || terms.some((t) => t.op === 'in' && ['anywhere', 'trash', 'spam'].includes(t.value));
    const matches = this.messages(mailbox).filter(
      (m) =>
        (everywhere || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH')) &&
        labelIds.every((l) => m.labelIds.includes(l)) &&
        terms.every((t) => matchesTerm(m, t) !== t.negated),
    );
    const offset = query.has('pageToken') ? Number(query.get('pageToken')) : 0;
    if (!Number.isInteger(offset) || offset < 0) invalid('Invalid pageToken');
    const page = matches.slice(offset, offset + Math.min(maxResults, 500));
    const response: Record<string, unknown> = { resultSizeEstimate: matches.length };
    if (page.length > 0) response.messages = page.map((m) => ({ id: m.id, threadId: m.threadId }));
    if (offset + page.length < matches.length) response.nextPageToken = String(offset + page.length);
    return response;
  }

  /** Moves a message to the trash (it keeps its other labels, as in Gmail). */
  trash(actor: string, userId: string, id: string): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const message = this.box(mailbox).find((m) => m.id === id);
    if (!message) fail(404, 'Requested entity was not found.', 'notFound');
    message.labelIds = [...message.labelIds.filter((l) => l !== 'INBOX'), 'TRASH'];
    return { id: message.id, threadId: message.threadId, labelIds: message.labelIds };
  }

  get(actor: string, userId: string, id: string, query: URLSearchParams): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const message = this.box(mailbox).find((m) => m.id === id);
    if (!message) fail(404, 'Requested entity was not found.', 'notFound');
    const format = query.get('format') ?? 'full';
    if (!['full', 'metadata', 'minimal', 'raw'].includes(format))
      invalid(`Invalid value at 'format' (${format})`);
    const out: Record<string, unknown> = {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: (message.text ?? '').replace(/\s+/g, ' ').trim().slice(0, 100),
      historyId: String(message.internalDate),
      internalDate: String(message.internalDate),
      sizeEstimate: message.raw.length,
    };
    if (format === 'raw') out.raw = message.raw.toString('base64url');
    if (format === 'full') out.payload = payloadOf(message.mime, '');
    if (format === 'metadata') {
      const wanted = query.getAll('metadataHeaders').map((h) => h.toLowerCase());
      const headers = message.mime.headers.filter(
        ([name]) => wanted.length === 0 || wanted.includes(name.toLowerCase()),
      );
      out.payload = {
        mimeType: message.mime.mimeType,
        headers: headers.map(([name, value]) => ({ name, value })),
      };
    }
    return out;
  }
}
