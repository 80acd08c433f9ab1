import { ApplicationFailure } from '@temporalio/common';
import { OAuth2Client } from 'google-auth-library';
import { google } from 'googleapis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTypes } from '../../activities/errors';
import { buildMimeMessage, createGmailActivities, encodeWords } from '../../activities/gmail';
import { createGoogleClients } from '../../activities/google-auth';
import { mailToken, messageId } from '../../contracts/node/idempotency';
import { createGoogleSandbox, decodeWords, parseMime, type GoogleSandbox } from '../../sandbox/google';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const SENDER = 'product-ops@northwind.example';
const ANA = 'ana@northwind.example';
const BEN = 'ben@northwind.example';
const SEND_ROUTE = 'POST /gmail/v1/users/:userId/messages/send';
const LIST_ROUTE = 'GET /gmail/v1/users/:userId/messages';
const GET_ROUTE = 'GET /gmail/v1/users/:userId/messages/:id';
const TOKEN = mailToken('release:REL-42:announce');

let served: Awaited<ReturnType<typeof serveVendor<GoogleSandbox>>>;
let activities: ReturnType<typeof createGmailActivities>;

beforeAll(async () => {
  served = await serveVendor(createGoogleSandbox(loadExampleConfig()));
  const clients = createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url });
  activities = createGmailActivities({
    gmailFor: clients.gmailFor,
    now: () => new Date(Date.UTC(2026, 2, 3, 9, 5, 7)),
  });
});
afterAll(async () => served.close());
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
});

const store = () => served.vendor.store;
const sentBy = (mailbox: string) =>
  store()
    .messages(mailbox)
    .filter((m) => m.labelIds.includes('SENT'));

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const announcement = {
  idempotencyKey: 'release:REL-42:announce',
  from: `Product Ops <${SENDER}>`,
  to: [ANA, `Ben Adeyemi <${BEN}>`],
  cc: ['hana@northwind.example'],
  subject: 'REL-42 ships on Thursday',
  text: 'The release is ready.\nSee the enablement bundle.',
  html: '<p>The release is <b>ready</b>.</p>',
};

describe('sendMail', () => {
  it('sends a multipart message with a Message-ID derived from the key', async () => {
    const result = await activities.sendMail(announcement);
    const expectedId = messageId(announcement.idempotencyKey, 'northwind.example');
    expect(result).toEqual({ id: result.id, threadId: result.id, messageId: expectedId, sent: true });
    expect(result.id).toMatch(/^[0-9a-f]{16}$/);
    const [sent] = sentBy(SENDER);
    expect(sent).toMatchObject({
      id: result.id,
      messageId: expectedId,
      from: `"Product Ops" <${SENDER}>`,
      to: [ANA, BEN],
      cc: ['hana@northwind.example'],
      subject: announcement.subject,
      // The body carries the mail's reference token at its foot.
      text: `${announcement.text}\n\n-- \nRef. ${TOKEN}\n`,
      html: `${announcement.html}<p style="color:#8a8a8a;font-size:11px">Ref. ${TOKEN}</p>`,
    });
    expect(sent?.mime.mimeType).toBe('multipart/alternative');
    expect(store().messages(ANA)).toHaveLength(1);
    expect(store().messages('hana@northwind.example')).toHaveLength(1);
    // Looked up by token and by Message-ID before sending; the stored Message-ID read back after.
    expect(served.router.log.map((r) => r.route)).toEqual([LIST_ROUTE, LIST_ROUTE, SEND_ROUTE, GET_ROUTE]);
  });

  it('called twice with the same key sends once', async () => {
    const first = await activities.sendMail(announcement);
    const second = await activities.sendMail(announcement);
    expect(second).toEqual({ ...first, sent: false });
    expect(sentBy(SENDER)).toHaveLength(1);
    expect(store().messages(ANA)).toHaveLength(1);
    expect(served.router.log.filter((r) => r.route === SEND_ROUTE)).toHaveLength(1);
  });

  it('finds the sent mail even after the sender binned it', async () => {
    await activities.sendMail(announcement);
    sentBy(SENDER)[0]!.labelIds.push('TRASH');
    expect((await activities.sendMail(announcement)).sent).toBe(false);
  });

  it('encodes non-ASCII and long subjects and names so they arrive intact', async () => {
    const subject = `Lancement ✓ : l’équipe « Croissance » — ${'très '.repeat(40)}prête`;
    await activities.sendMail({
      ...announcement,
      idempotencyKey: 'k:utf8',
      from: `Zoë Ops <${SENDER}>`,
      subject,
      text: 'Prêt à 100 % ✓',
      html: '<p>Prêt ✓</p>',
    });
    const [sent] = sentBy(SENDER);
    expect(sent?.subject).toBe(subject);
    expect(decodeWords(sent!.from)).toBe(`Zoë Ops <${SENDER}>`);
    expect(sent?.text).toBe(`Prêt à 100 % ✓\n\n-- \nRef. ${mailToken('k:utf8')}\n`);
    expect(sent?.html).toBe(
      `<p>Prêt ✓</p><p style="color:#8a8a8a;font-size:11px">Ref. ${mailToken('k:utf8')}</p>`,
    );
  });

  it('turns a 429 with Retry-After on send into a retryable failure, then sends exactly once', async () => {
    served.router.injectFault({
      route: SEND_ROUTE,
      fault: { kind: 'status', status: 429, retryAfterSeconds: 5, times: 1 },
    });
    const failure = await failureOf(activities.sendMail(announcement));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(ErrorTypes.rateLimited);
    expect(failure.nextRetryDelay).toBe('5s');
    expect(failure.message).toContain('gmail messages.send [release:REL-42:announce]');
    expect(sentBy(SENDER)).toHaveLength(0);
    expect((await activities.sendMail(announcement)).sent).toBe(true);
    expect(sentBy(SENDER)).toHaveLength(1);
  });

  it("treats Gmail's 403 userRateLimitExceeded as retryable", async () => {
    store().throttle({ status: 403, times: 1, retryAfterSeconds: 9 });
    const failure = await failureOf(activities.sendMail(announcement));
    expect(failure).toMatchObject({
      nonRetryable: false,
      type: ErrorTypes.rateLimited,
      nextRetryDelay: '9s',
    });
    expect((await activities.sendMail(announcement)).sent).toBe(true);
  });

  it('after a send whose answer was lost, the retry finds the mail instead of sending again', async () => {
    // The first attempt's send reached Gmail; only the answer was lost.
    await activities.sendMail(announcement);
    served.router.clearLog();
    const retry = await activities.sendMail(announcement);
    expect(retry.sent).toBe(false);
    expect(served.router.log.map((r) => r.route)).toEqual([LIST_ROUTE, GET_ROUTE]);
  });

  describe('when Gmail replaces the Message-ID', () => {
    let rewriting: Awaited<ReturnType<typeof serveVendor<GoogleSandbox>>>;
    let warned: string[];
    let gmail: ReturnType<typeof createGmailActivities>;
    beforeAll(async () => {
      rewriting = await serveVendor(createGoogleSandbox(loadExampleConfig(), { rewriteMessageIds: true }));
      const clients = createGoogleClients({ kind: 'sandbox' }, { rootUrl: rewriting.url });
      gmail = createGmailActivities({ gmailFor: clients.gmailFor, warn: (m) => void warned.push(m) });
    });
    afterAll(async () => rewriting.close());
    beforeEach(() => {
      warned = [];
      rewriting.vendor.reset();
      rewriting.router.clearFaults();
    });

    it('a retry after a lost answer still finds the mail by its token, and nobody gets it twice', async () => {
      rewriting.router.injectFault({ route: SEND_ROUTE, fault: { kind: 'dropResponse', times: 1 } });
      const lost = await failureOf(gmail.sendMail(announcement));
      expect(lost.nonRetryable).toBe(false);
      const retry = await gmail.sendMail(announcement);
      const [sent, ...more] = rewriting.vendor.store
        .messages(SENDER)
        .filter((m) => m.labelIds.includes('SENT'));
      expect(more).toEqual([]);
      expect(rewriting.vendor.store.messages(ANA)).toHaveLength(1);
      expect(retry).toEqual({
        id: sent!.id,
        threadId: sent!.threadId,
        messageId: sent!.messageId,
        sent: false,
        requestedMessageId: messageId(announcement.idempotencyKey, 'northwind.example'),
      });
      expect(sent!.messageId).toMatch(/@mail\.gmail\.com>$/);
    });

    it('returns the Message-ID Gmail stored, the one replies refer to, and says it changed', async () => {
      const result = await gmail.sendMail(announcement);
      const [sent] = rewriting.vendor.store.messages(SENDER);
      expect(result).toMatchObject({ sent: true, messageId: sent!.messageId });
      expect(warned).toEqual([
        expect.stringContaining(`Gmail stored the mail under Message-ID ${sent!.messageId}`),
      ]);
    });
  });

  describe('classifies permanent errors as non-retryable, naming the operation and key and no token', () => {
    const expectPermanent = (failure: ApplicationFailure, type: string, status: number) => {
      expect(failure.nonRetryable).toBe(true);
      expect(failure.type).toBe(type);
      expect(failure.message).toContain(announcement.idempotencyKey);
      expect(failure.message).toMatch(/gmail messages\.(list|send)/);
      expect(failure.message).toContain(`HTTP ${status}`);
      expect(failure.message).not.toMatch(/sandbox-|Bearer|ya29/);
    };

    it('400 from send', async () => {
      served.router.injectFault({ route: SEND_ROUTE, fault: { kind: 'status', status: 400, times: 1 } });
      const failure = await failureOf(activities.sendMail(announcement));
      expectPermanent(failure, ErrorTypes.badRequest, 400);
      expect(failure.message).toContain('gmail messages.send');
    });

    it('401 for a token Gmail does not accept', async () => {
      const secret = 'ya29.a0AfB_gmail-secret';
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: secret, expiry_date: Date.now() + 3_600_000 });
      const gmail = google.gmail({ version: 'v1', auth, rootUrl: served.url, retry: false });
      const failure = await failureOf(
        createGmailActivities({ gmailFor: () => gmail }).sendMail(announcement),
      );
      expectPermanent(failure, ErrorTypes.unauthorized, 401);
      expect(JSON.stringify(failure)).not.toContain(secret);
    });

    it('403 from the look-up', async () => {
      served.router.injectFault({ route: LIST_ROUTE, fault: { kind: 'status', status: 403, times: 1 } });
      expectPermanent(await failureOf(activities.sendMail(announcement)), ErrorTypes.forbidden, 403);
      expect(sentBy(SENDER)).toHaveLength(0);
    });

    it('404 from the look-up', async () => {
      served.router.injectFault({ route: LIST_ROUTE, fault: { kind: 'status', status: 404, times: 1 } });
      expectPermanent(await failureOf(activities.sendMail(announcement)), ErrorTypes.notFound, 404);
      expect(sentBy(SENDER)).toHaveLength(0);
    });
  });

  it('refuses bad input before calling Gmail', async () => {
    for (const change of [
      { subject: 'Injected\r\nBcc: everyone@example.com' },
      { to: [] },
      { to: ['not an address'] },
      { from: 'nobody' },
      { cc: ['x@y.example\nBcc: z@y.example'] },
      { idempotencyKey: ' ' },
    ]) {
      const failure = await failureOf(activities.sendMail({ ...announcement, ...change }));
      expect(failure.type).toBe(ErrorTypes.invalidInput);
      expect(failure.nonRetryable).toBe(true);
    }
    expect(served.router.log).toHaveLength(0);
  });
});

describe('buildMimeMessage', () => {
  const message = {
    from: 'ops@northwind.example',
    to: ['a@northwind.example', 'b@northwind.example'],
    subject: 'Hello',
    text: 'plain ✓',
    html: '<p>html ✓</p>',
    messageId: '<id@northwind.example>',
    date: new Date(Date.UTC(2026, 2, 3, 9, 5, 7)),
    boundary: 'boundary-1',
  };

  it('writes CRLF lines within the length limits, with the headers Gmail needs', () => {
    const raw = buildMimeMessage({ ...message, html: `<p>${'x'.repeat(5000)}</p>` });
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const mime = parseMime(raw);
    const header = (name: string) => mime.headers.find(([n]) => n === name)?.[1];
    expect(header('Date')).toBe('Tue, 03 Mar 2026 09:05:07 +0000');
    expect(header('Message-ID')).toBe('<id@northwind.example>');
    expect(header('To')).toBe('a@northwind.example, b@northwind.example');
    expect(header('MIME-Version')).toBe('1.0');
    expect(mime.parts.map((p) => [p.mimeType, p.body.toString('utf8')])).toEqual([
      ['text/plain', 'plain ✓'],
      ['text/html', `<p>${'x'.repeat(5000)}</p>`],
    ]);
  });

  it('splits encoded-words without breaking characters, each at most 75 characters', () => {
    const text = `${'é'.repeat(30)}${'✓'.repeat(30)}😀`;
    const encoded = encodeWords(text);
    for (const word of encoded.split('\r\n ')) {
      expect(word.length).toBeLessThanOrEqual(75);
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    }
    expect(decodeWords(encoded.replace(/\r\n/g, ''))).toBe(text);
  });
});
