/** The Google stand-in's records: calendars and their ACL, events, watch channels, pushes and mail. */
import type { RecurrenceRule } from './recurrence';

export type AccessRole = 'owner' | 'writer' | 'reader';
export type ResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';

export interface SandboxCalendar {
  id: string;
  summary: string;
  timeZone: string;
  /** The user whose primary calendar this is. */
  primaryOf?: string;
  acl: Map<string, AccessRole>;
}

export interface EventTimeValue {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface SandboxAttendee {
  email: string;
  displayName?: string;
  optional?: boolean;
  organizer?: boolean;
  responseStatus: ResponseStatus;
  comment?: string;
}

export interface SandboxEvent {
  calendarId: string;
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  summary?: string;
  description?: string;
  location?: string;
  start: EventTimeValue;
  end: EventTimeValue;
  startMs: number;
  endMs: number;
  allDay: boolean;
  attendees: SandboxAttendee[];
  organizer: { email: string; displayName?: string };
  creator: { email: string };
  transparency?: 'opaque' | 'transparent';
  visibility?: string;
  eventType: string;
  extendedProperties: { private: Record<string, string>; shared: Record<string, string> };
  outOfOfficeProperties?: { autoDeclineMode?: string; declineMessage?: string };
  /** A recurring master's rule, and the lines it was given as. */
  recurrence?: RecurrenceRule;
  recurrenceLines?: string[];
  /** Set on an instance of a recurring event (an exception stored, or one expanded on the fly). */
  recurringEventId?: string;
  originalStartTime?: EventTimeValue;
  created: string;
  updated: string;
  sequence: number;
  /** Position in the sandbox-wide change order; sync tokens remember the last one seen. */
  changeSeq: number;
}

export interface WatchChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  calendarId: string;
  address: string;
  token?: string;
  /** Epoch milliseconds. */
  expiration: number;
  createdBy: string;
  /** The number of the last notification posted to the channel (the `sync` message is 1). */
  messageNumber: number;
}

/** One push notification attempt, for tests and the sandbox page. */
export interface PushDelivery {
  channelId: string;
  calendarId: string;
  address: string;
  state: 'sync' | 'exists' | 'not_exists';
  messageNumber: number;
  /** The receiver's HTTP status, or -1 when it could not be reached. */
  status: number;
  attempt: number;
  at: number;
}

export interface MimePart {
  headers: [string, string][];
  mimeType: string;
  body: Buffer;
  parts: MimePart[];
}

export interface SandboxMessage {
  mailbox: string;
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  messageId: string;
  text?: string;
  html?: string;
  internalDate: number;
  mime: MimePart;
}

export interface ThrottleRule {
  /** 429, or 403 with `rateLimitExceeded` as Calendar and Gmail also answer. */
  status: 429 | 403;
  times: number;
  retryAfterSeconds?: number;
}

export interface GoogleSandboxOptions {
  now?: () => number;
  /** Post push notifications to channel addresses (default true). */
  pushNotifications?: boolean;
  /**
   * Store every sent mail under a Message-ID of Gmail's own, whatever the client gave (default
   * false). Users report Gmail doing so at times; it is not documented.
   */
  rewriteMessageIds?: boolean;
}

/** An email address as Calendar and Gmail accept one. */
export const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
