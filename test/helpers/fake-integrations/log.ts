/**
 * Every call the fake integrations answer, in order, with two ways for a test to step in: keep a
 * call in flight (a slow step, during which messages reach the workflow) or make it fail as the
 * vendor would (an outage, a refusal), classified as activities/errors.ts classifies it.
 */
import type { IntegrationSystem } from '../../../activities/errors';
import { vendorAnswered } from './vendor';

/** The systems as the fakes name them; `core` is what runs on the workflows' own queue. */
export type FakeSystem = 'jira' | 'notion' | 'calendar' | 'gmail' | 'core';

export interface FakeCall {
  system: FakeSystem;
  /** The activity function, for example `upsertEvent`. */
  name: string;
  /** What the call is about: its idempotency key, else the issue, page, event or query. */
  subject: string;
}

/** `jira.createIssue release:REL-1:support-readiness` */
export const describeCall = (call: FakeCall): string => `${call.system}.${call.name} ${call.subject}`;

type Activity = (input: never) => Promise<unknown>;

interface Hold {
  match: (call: FakeCall) => boolean;
  reached: () => void;
  released: Promise<void>;
}

type VendorSystem = Exclude<FakeSystem, 'core'>;
type VendorCall = FakeCall & { system: VendorSystem };

interface Failure {
  match: (call: FakeCall) => boolean;
  error: (call: VendorCall) => Error;
  times: number;
}

export interface VendorFailure {
  /** The HTTP status the vendor answers. */
  status: number;
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
  message?: string;
  /** How many matching calls fail (default 1). */
  times?: number;
}

const INTEGRATION: Record<VendorSystem, IntegrationSystem> = {
  jira: 'jira',
  notion: 'notion',
  calendar: 'google-calendar',
  gmail: 'gmail',
};

/** The input fields that name what a call is about, the most telling first. */
const SUBJECT_FIELDS = [
  'idempotencyKey',
  'issueKey',
  'pageId',
  'eventId',
  'jql',
  'personId',
  'channelId',
  'workflowId',
  'calendarId',
  'dataSourceId',
  'teamId',
  'pmId',
] as const;

/** The list a batch call carries its items in. */
const BATCH_FIELDS = ['issues', 'updates', 'transitions', 'comments', 'events'] as const;

/** What a call is about, read from its input the way the activities name their keys. */
function subjectOf(name: string, input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  if (name === 'transitionIssue') return `${String(i.issueKey)} ${String(i.toStatus)}`;
  if (Array.isArray(i.calendars)) return i.calendars.join(',');
  // A batch (`createIssues`, `upsertEvents`, …): what each of its items is about.
  const items = BATCH_FIELDS.map((field) => i[field]).find(Array.isArray);
  if (items) return items.map((item) => subjectOf(name.replace(/s$/, ''), item)).join(',');
  for (const field of SUBJECT_FIELDS) if (typeof i[field] === 'string') return i[field];
  return '';
}

export class CallLog {
  readonly entries: FakeCall[] = [];
  private readonly holds: Hold[] = [];
  private readonly failures: Failure[] = [];

  /** Every call as `system.name subject`. */
  get calls(): string[] {
    return this.entries.map(describeCall);
  }

  /**
   * Keeps the next call matching `match` in flight until `release()`. `reached` resolves once
   * the call began.
   */
  hold(match: (call: FakeCall) => boolean): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const began = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ match, reached, released });
    return { reached: began, release };
  }

  /**
   * The next `times` calls matching `match` fail as if the vendor had answered `status`: a 503 or
   * 429 is retryable (with Retry-After as the next retry's delay), a 404 or 400 is not.
   */
  failNext(match: (call: FakeCall) => boolean, failure: VendorFailure): void {
    this.failures.push({
      match,
      times: failure.times ?? 1,
      error: (call) =>
        vendorAnswered(
          { system: INTEGRATION[call.system], operation: call.name, key: call.subject },
          failure.status,
          failure.message ?? `the fake answered HTTP ${failure.status}`,
          failure.retryAfterSeconds,
        ),
    });
  }

  /** Records a call; waits while a hold keeps it in flight; throws an injected failure. */
  async enter(call: FakeCall): Promise<void> {
    this.entries.push(call);
    const held = this.holds.findIndex((h) => h.match(call));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold!.reached();
      await hold!.released;
    }
    // Core activities call no vendor, so there is nothing of theirs to fail.
    if (call.system === 'core') return;
    const vendorCall = { ...call, system: call.system };
    const failing = this.failures.find((f) => f.times > 0 && f.match(vendorCall));
    if (failing) {
      failing.times--;
      throw failing.error(vendorCall);
    }
  }

  /** The same activities, each call logged (and open to holds and failures) before it runs. */
  wrap<T extends Record<string, Activity>>(system: FakeSystem, activities: T): T {
    const wrapped: Record<string, Activity> = {};
    for (const [name, activity] of Object.entries(activities)) {
      wrapped[name] = async (input: never) => {
        await this.enter({ system, name, subject: subjectOf(name, input) });
        return activity(input);
      };
    }
    return wrapped as T;
  }
}
