/**
 * Gmail in memory: the mails prodops sent, one per Message-ID in the sender's mailbox, which the
 * real activity derives from the idempotency key. The activity object satisfies the real
 * `GmailActivities`.
 */
import type { gmail_v1 } from 'googleapis';
import { createGmailActivities, type GmailActivities, type SendMailInput } from '../../../activities/gmail';
import { fingerprint, messageId } from '../../../contracts/node/idempotency';
import type { CallLog } from './log';
import { asTheRealActivity, clientAtTheDoor } from './vendor';

export interface FakeMail extends SendMailInput {
  /** Gmail's id of the message in the sender's mailbox. */
  id: string;
  /** The RFC 5322 Message-ID, with angle brackets. */
  messageId: string;
  /** When it was sent, epoch ms. */
  sentAt: number;
}

/** The address of `Name <address>` or `address`, lower-case. */
const addressOf = (mailbox: string) => (/<([^<>]+)>\s*$/.exec(mailbox)?.[1] ?? mailbox).trim().toLowerCase();

export class FakeGmail {
  readonly mails: FakeMail[] = [];

  /** The mails a person received, as a recipient or in copy. */
  mailsTo(email: string): FakeMail[] {
    const wanted = email.toLowerCase();
    return this.mails.filter((m) => [...m.to, ...(m.cc ?? [])].some((a) => addressOf(a) === wanted));
  }

  activities(log: CallLog): GmailActivities {
    const real = createGmailActivities({ gmailFor: () => clientAtTheDoor<gmail_v1.Gmail>() });
    return log.wrap('gmail', {
      sendMail: async (input) => {
        await asTheRealActivity(() => real.sendMail(input));
        const sender = addressOf(input.from);
        const id = messageId(input.idempotencyKey, sender.split('@')[1]!);
        // The real activity looks for the Message-ID in the sender's mailbox before sending.
        const sent = this.mails.find((m) => addressOf(m.from) === sender && m.messageId === id);
        if (sent) return { id: sent.id, threadId: sent.id, messageId: id, sent: false };
        const mail: FakeMail = {
          ...structuredClone(input),
          id: fingerprint(`${sender}:${id}`, 16),
          messageId: id,
          sentAt: Date.now(),
        };
        this.mails.push(mail);
        return { id: mail.id, threadId: mail.id, messageId: id, sent: true };
      },
    } satisfies GmailActivities);
  }
}
