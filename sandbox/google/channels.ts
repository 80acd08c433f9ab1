/**
 * Push notifications as Google sends them: opening a channel posts a `sync` message to its
 * address, and every change to a calendar's events posts an `exists` message to each live
 * channel of that calendar (POST, no body, `X-Goog-*` headers, a message number per channel),
 * one after the other per channel, retried with backoff when the receiver answers 5xx or cannot
 * be reached.
 */
import { createHash } from 'node:crypto';
import { asObject, fail, invalid } from './errors';
import type { PushDelivery, SandboxCalendar, WatchChannel } from './model';

const CHANNEL_ID = /^[A-Za-z0-9\-_+/=]{1,64}$/;
const DEFAULT_CHANNEL_TTL_SECONDS = 604_800;
/** Google retries a notification the receiver failed with exponential backoff; a few tries here. */
const PUSH_RETRY_DELAYS_MS = [500, 2_000, 8_000];
const PUSH_TIMEOUT_MS = 5_000;
const PUSH_LOG_LIMIT = 500;

/** Stable per watched resource, as Google's resourceId is. */
function resourceIdOf(calendarId: string): string {
  return createHash('sha256').update(`events:${calendarId}`).digest('base64url').slice(0, 27);
}

/** A watch request's channel id, type, address (HTTPS, or HTTP to loopback), token and TTL, checked. */
function readWatchRequest(body: unknown): {
  id: string;
  address: string;
  token?: string;
  ttlSeconds: number;
} {
  const request = asObject(body, 'request body');
  if (typeof request.id !== 'string' || request.id === '')
    fail(400, 'Required', 'required', { location: 'id' });
  if (!CHANNEL_ID.test(request.id)) invalid(`Invalid channel id: ${request.id}`);
  if (request.type !== 'web_hook' && request.type !== 'webhook')
    invalid(`Invalid value for type: ${String(request.type)}`);
  if (typeof request.address !== 'string' || request.address === '')
    fail(400, 'Required', 'required', { location: 'address' });
  let address: URL;
  try {
    address = new URL(request.address);
  } catch {
    invalid(`Invalid address: ${request.address}`);
  }
  // Google insists on HTTPS; plain HTTP is allowed to loopback only, for a local receiver.
  const loopback =
    address.hostname === '127.0.0.1' || address.hostname === 'localhost' || address.hostname === '[::1]';
  if (address.protocol !== 'https:' && !(address.protocol === 'http:' && loopback)) {
    fail(400, `WebHook callback must be HTTPS: ${request.address}`, 'push.webhookUrlNotHttps', {
      domain: 'push',
    });
  }
  if (request.token !== undefined && (typeof request.token !== 'string' || request.token.length > 256))
    invalid('Invalid value for: token');
  let ttlSeconds = DEFAULT_CHANNEL_TTL_SECONDS;
  const params = request.params as { ttl?: unknown } | undefined;
  if (params?.ttl !== undefined) {
    const ttl = typeof params.ttl === 'string' && /^\d+$/.test(params.ttl) ? Number(params.ttl) : Number.NaN;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) invalid(`Invalid ttl value: ${JSON.stringify(params.ttl)}`);
    ttlSeconds = ttl;
  }
  return { id: request.id, address: request.address, token: request.token, ttlSeconds };
}

export class PushChannels {
  private readonly channelsById = new Map<string, WatchChannel>();
  /** Notifications of one channel go out in order, each after the previous one settled. */
  private readonly pushQueues = new Map<string, Promise<void>>();
  private readonly pushLog: PushDelivery[] = [];

  constructor(
    private readonly now: () => number,
    private readonly pushEnabled: boolean,
  ) {}

  reset(): void {
    this.pushLog.length = 0;
    this.channelsById.clear();
  }

  /** Channels that have not expired or been stopped. */
  get live(): WatchChannel[] {
    const now = this.now();
    return [...this.channelsById.values()].filter((c) => c.expiration > now).map((c) => ({ ...c }));
  }

  /** Push notifications posted so far (every attempt), oldest first. */
  get pushes(): PushDelivery[] {
    return this.pushLog.map((p) => ({ ...p }));
  }

  /** `events.watch`: opens a channel on a calendar the actor can read and posts its `sync` message. */
  watch(actor: string, calendar: SandboxCalendar, body: unknown): Record<string, unknown> {
    const request = readWatchRequest(body);
    const existing = this.channelsById.get(request.id);
    if (existing && existing.expiration > this.now())
      fail(400, `Channel id ${request.id} not unique`, 'channelIdNotUnique');
    const channel: WatchChannel = {
      id: request.id,
      resourceId: resourceIdOf(calendar.id),
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendar.id)}/events?alt=json`,
      calendarId: calendar.id,
      address: request.address,
      token: request.token,
      expiration: this.now() + request.ttlSeconds * 1000,
      createdBy: actor,
      messageNumber: 0,
    };
    this.channelsById.set(channel.id, channel);
    this.push(channel, 'sync');
    return {
      kind: 'api#channel',
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      expiration: String(channel.expiration),
    };
  }

  /** `channels.stop`; only the user who opened a channel can see it. */
  stop(actor: string, body: unknown): void {
    const request = asObject(body, 'request body');
    if (typeof request.id !== 'string' || typeof request.resourceId !== 'string')
      fail(400, 'Required', 'required');
    const channel = this.channelsById.get(request.id);
    if (
      !channel ||
      channel.resourceId !== request.resourceId ||
      channel.createdBy !== actor ||
      channel.expiration <= this.now()
    ) {
      fail(404, `Channel '${request.id}' not found for project 'prodops-sandbox'`, 'notFound');
    }
    this.channelsById.delete(channel.id);
  }

  /** Posts `exists` to every live channel of a calendar whose events changed. */
  calendarChanged(calendarId: string): void {
    const now = this.now();
    for (const channel of this.channelsById.values()) {
      if (channel.calendarId === calendarId && channel.expiration > now) this.push(channel, 'exists');
    }
  }

  /** Posts a notification to the channel's address after the ones before it, as Google does. */
  private push(channel: WatchChannel, state: PushDelivery['state']): void {
    if (!this.pushEnabled) return;
    channel.messageNumber += 1;
    const messageNumber = channel.messageNumber;
    const headers: Record<string, string> = {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-state': state,
      'x-goog-resource-uri': channel.resourceUri,
      'x-goog-message-number': String(messageNumber),
      ...(channel.token !== undefined ? { 'x-goog-channel-token': channel.token } : {}),
    };
    const previous = this.pushQueues.get(channel.id) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(channel, state, messageNumber, headers));
    this.pushQueues.set(channel.id, next);
    void next.finally(() => {
      if (this.pushQueues.get(channel.id) === next) this.pushQueues.delete(channel.id);
    });
  }

  private async deliver(
    channel: WatchChannel,
    state: PushDelivery['state'],
    messageNumber: number,
    headers: Record<string, string>,
  ): Promise<void> {
    for (let attempt = 1; attempt <= PUSH_RETRY_DELAYS_MS.length + 1; attempt++) {
      // A channel stopped (or the sandbox reset) meanwhile gets nothing more.
      if (this.channelsById.get(channel.id) !== channel) return;
      let status: number;
      try {
        const response = await fetch(channel.address, {
          method: 'POST',
          headers,
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
        status = response.status;
        await response.body?.cancel();
      } catch {
        status = -1;
      }
      this.pushLog.push({
        channelId: channel.id,
        calendarId: channel.calendarId,
        address: channel.address,
        state,
        messageNumber,
        status,
        attempt,
        at: Date.now(),
      });
      if (this.pushLog.length > PUSH_LOG_LIMIT) this.pushLog.splice(0, this.pushLog.length - PUSH_LOG_LIMIT);
      if (status !== -1 && status < 500) return;
      const delay = PUSH_RETRY_DELAYS_MS[attempt - 1];
      if (delay === undefined) return;
      await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    }
  }
}
