/**
 * Authorised Google Calendar and Gmail clients, one per user the activities act as.
 *
 * Three ways to authenticate:
 *  - a service account with domain-wide delegation (`PRODOPS_GOOGLE_SERVICE_ACCOUNT`, the JSON
 *    key itself or a path to it), impersonating each user through the JWT `subject`;
 *  - an OAuth2 refresh token of a single user (`PRODOPS_GOOGLE_CLIENT_ID`,
 *    `PRODOPS_GOOGLE_CLIENT_SECRET`, `PRODOPS_GOOGLE_REFRESH_TOKEN`); every call acts as that user;
 *  - the local sandbox, which needs no network for tokens: the client sends
 *    `Authorization: Bearer sandbox-<email>` so the sandbox knows who is acting.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { JWT, OAuth2Client } from 'google-auth-library';
import { google, type calendar_v3, type gmail_v1 } from 'googleapis';
import { callIntegration, ErrorTypes, httpErrorFacts, redact, type OperationContext } from './errors';

export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/gmail.send',
  // Needed to find an already-sent mail by its Message-ID before sending it again.
  'https://www.googleapis.com/auth/gmail.readonly',
] as const;

export const GOOGLE_ENV = {
  serviceAccount: 'PRODOPS_GOOGLE_SERVICE_ACCOUNT',
  clientId: 'PRODOPS_GOOGLE_CLIENT_ID',
  clientSecret: 'PRODOPS_GOOGLE_CLIENT_SECRET',
  refreshToken: 'PRODOPS_GOOGLE_REFRESH_TOKEN',
} as const;

export type GoogleCredentials =
  /** The key JSON itself, or a path to the key file. */
  | { kind: 'service-account'; serviceAccount: string }
  | { kind: 'oauth-refresh-token'; clientId: string; clientSecret: string; refreshToken: string }
  | { kind: 'sandbox' };

export interface GoogleClientOptions {
  /** Where the APIs live; the sandbox URL in development. Google's own endpoints when absent. */
  rootUrl?: string;
  /** Per-request timeout, so that a hung connection fails and Temporal retries it. */
  timeoutMs?: number;
}

/** Plain functions (no `this`), so they can be handed to the activity factories as they are. */
export interface GoogleClients {
  readonly credentials: GoogleCredentials['kind'];
  readonly authFor: (userEmail: string) => OAuth2Client;
  readonly calendarFor: (userEmail: string) => calendar_v3.Calendar;
  readonly gmailFor: (userEmail: string) => gmail_v1.Gmail;
}

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** The sandbox token never expires, so the client never tries to refresh it over the network. */
const SANDBOX_TOKEN_EXPIRY = Date.UTC(2999, 0, 1);

/**
 * Reads Google credentials from the environment: the service account wins when set; an OAuth
 * refresh token needs all three of its variables. Returns undefined when nothing is configured.
 */
export function googleCredentialsFromEnv(
  env: Record<string, string | undefined> = process.env,
): GoogleCredentials | undefined {
  const serviceAccount = env[GOOGLE_ENV.serviceAccount]?.trim();
  if (serviceAccount) return { kind: 'service-account', serviceAccount };
  const oauthNames = [GOOGLE_ENV.clientId, GOOGLE_ENV.clientSecret, GOOGLE_ENV.refreshToken];
  const present = oauthNames.filter((name) => env[name]?.trim());
  if (present.length === 0) return undefined;
  if (present.length < oauthNames.length) {
    const missing = oauthNames.filter((name) => !present.includes(name));
    throw new Error(
      `Google OAuth credentials are incomplete: set ${missing.join(' and ')} as well as ${present.join(', ')}`,
    );
  }
  return {
    kind: 'oauth-refresh-token',
    clientId: env[GOOGLE_ENV.clientId]!.trim(),
    clientSecret: env[GOOGLE_ENV.clientSecret]!.trim(),
    refreshToken: env[GOOGLE_ENV.refreshToken]!.trim(),
  };
}

/**
 * Parses a service account key given as JSON or as a path to a JSON file, and checks that the
 * private key is usable, so that a broken key stops the worker at start-up instead of failing
 * every activity. Errors never quote the key.
 */
export function parseServiceAccountKey(value: string): ServiceAccountKey {
  const trimmed = value.trim();
  let text = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      text = readFileSync(trimmed, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // The error is not attached: its message quotes the "path", which may be a mangled key.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(
        `${GOOGLE_ENV.serviceAccount} is neither JSON nor a readable file (${typeof code === 'string' ? code : 'unreadable'})`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text it choked on, which would be the key.
    throw new Error(`${GOOGLE_ENV.serviceAccount} does not hold valid JSON`);
  }
  const key = parsed as Partial<Record<string, unknown>>;
  if (!parsed || typeof parsed !== 'object' || key.type !== 'service_account') {
    throw new Error(
      `${GOOGLE_ENV.serviceAccount} is not a service account key (expected "type": "service_account")`,
    );
  }
  if (typeof key.client_email !== 'string' || !key.client_email.includes('@')) {
    throw new Error(`${GOOGLE_ENV.serviceAccount} has no client_email`);
  }
  if (typeof key.private_key !== 'string') throw new Error(`${GOOGLE_ENV.serviceAccount} has no private_key`);
  try {
    createPrivateKey(key.private_key);
  } catch {
    throw new Error(`${GOOGLE_ENV.serviceAccount} has a private_key that is not a valid PEM key`);
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    private_key_id: typeof key.private_key_id === 'string' ? key.private_key_id : undefined,
  };
}

/** An auth client for the sandbox: a fixed bearer token naming the acting user, no token endpoint. */
export function createSandboxAuthClient(userEmail: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({
    access_token: `sandbox-${userEmail}`,
    token_type: 'Bearer',
    expiry_date: SANDBOX_TOKEN_EXPIRY,
  });
  return client;
}

function createAuthFactory(credentials: GoogleCredentials): (userEmail: string) => OAuth2Client {
  switch (credentials.kind) {
    case 'service-account': {
      const key = parseServiceAccountKey(credentials.serviceAccount);
      return (subject) =>
        new JWT({
          email: key.client_email,
          key: key.private_key,
          keyId: key.private_key_id,
          scopes: [...GOOGLE_SCOPES],
          subject,
        });
    }
    case 'oauth-refresh-token': {
      // A refresh token belongs to one user: every call acts as that user, whoever is asked for.
      const client = new OAuth2Client({
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      });
      client.setCredentials({ refresh_token: credentials.refreshToken });
      return () => client;
    }
    case 'sandbox':
      return createSandboxAuthClient;
  }
}

/** Builds the per-user client factories; auth clients and API clients are cached per user. */
export function createGoogleClients(
  credentials: GoogleCredentials,
  options: GoogleClientOptions = {},
): GoogleClients {
  if (credentials.kind === 'sandbox' && !options.rootUrl)
    throw new Error('the Google sandbox needs its rootUrl');
  const makeAuth = createAuthFactory(credentials);
  const auths = new Map<string, OAuth2Client>();
  const calendars = new Map<string, calendar_v3.Calendar>();
  const gmails = new Map<string, gmail_v1.Gmail>();
  const common = {
    rootUrl: options.rootUrl,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // Temporal's retry policy (with the server's Retry-After) governs retries, not gaxios.
    retry: false,
  };

  const authFor = (userEmail: string): OAuth2Client => {
    const subject = normaliseEmail(userEmail);
    let auth = auths.get(subject);
    if (!auth) {
      auth = makeAuth(subject);
      auths.set(subject, auth);
    }
    return auth;
  };

  return {
    credentials: credentials.kind,
    authFor,
    calendarFor: (userEmail) => {
      const subject = normaliseEmail(userEmail);
      let client = calendars.get(subject);
      if (!client) {
        client = google.calendar({ version: 'v3', auth: authFor(subject), ...common });
        calendars.set(subject, client);
      }
      return client;
    },
    gmailFor: (userEmail) => {
      const subject = normaliseEmail(userEmail);
      let client = gmails.get(subject);
      if (!client) {
        client = google.gmail({ version: 'v1', auth: authFor(subject), ...common });
        gmails.set(subject, client);
      }
      return client;
    },
  };
}

function normaliseEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed)) throw new Error(`"${email}" is not an email address to act as`);
  return trimmed;
}

/** The HTTP status of an error thrown by a googleapis call, if it got a response. */
export function googleErrorStatus(error: unknown): number | undefined {
  return httpErrorFacts(error).status;
}

/** The first `errors[].reason` of a Google error body, for example `rateLimitExceeded`. */
export function googleErrorReason(error: unknown): string | undefined {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  const body = typeof data === 'string' ? safeJson(data) : data;
  const errors = (body as { error?: { errors?: unknown } } | undefined)?.error?.errors;
  if (!Array.isArray(errors)) return undefined;
  const reason = (errors[0] as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Calendar and Gmail report exhausted rate limits as 403 with these reasons as well as 429; they
 * must be retried after a back-off, not treated as a refused permission.
 */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

function rateLimitFailure(error: unknown, ctx: OperationContext): ApplicationFailure | undefined {
  const facts = httpErrorFacts(error);
  if (facts.status !== 403) return undefined;
  const reason = googleErrorReason(error);
  if (!reason || !RATE_LIMIT_REASONS.has(reason)) return undefined;
  const about = `${ctx.system} ${ctx.operation}${ctx.key ? ` [${ctx.key}]` : ''}`;
  return ApplicationFailure.create({
    type: ErrorTypes.rateLimited,
    message: `${about} was rate limited (HTTP 403 ${reason})${facts.vendorMessage ? `: ${redact(facts.vendorMessage)}` : ''}; will retry`,
    nonRetryable: false,
    nextRetryDelay:
      facts.retryAfterSeconds !== undefined ? `${Math.max(1, facts.retryAfterSeconds)}s` : undefined,
    details: [{ status: 403, reason, system: ctx.system, operation: ctx.operation, key: ctx.key }],
  });
}

/** `callIntegration` for Google calls, which also understands Google's 403 rate-limit answers. */
export function callGoogle<T>(ctx: OperationContext, call: () => Promise<T>): Promise<T> {
  return callIntegration(ctx, async () => {
    try {
      return await call();
    } catch (error) {
      throw rateLimitFailure(error, ctx) ?? error;
    }
  });
}
