/**
 * A stand-in for the Google Calendar v3 and Gmail v1 subset prodops uses, driven by the real
 * googleapis client through its `rootUrl`, with Google's error bodies.
 *
 *   store.ts     the facade behind the routes and tests     model.ts    records
 *   calendar.ts  calendars, ACL, event changes              events.ts   event bodies, times, rendering
 *   listing.ts   listings, paging, sync tokens              freebusy.ts free/busy
 *   channels.ts  watch channels and push notifications      time.ts     instants and zones
 *   gmail.ts     mailboxes, send, list, search, get         mime.ts     RFC 822 messages
 *   errors.ts    Google's error body                        routes.ts   the routes
 */
import type { OrgConfig } from '../../domain/config';
import { storeVendor } from '../http';
import type { GoogleSandboxOptions } from './model';
import { registerGoogleRoutes } from './routes';
import { GoogleStore } from './store';

export { googleErrorBody, type GoogleErrorBody, type GoogleErrorDetail } from './errors';
export { decodeWords, parseMime } from './mime';
export type * from './model';
export { GoogleStore } from './store';

export function createGoogleSandbox(config: OrgConfig, options: GoogleSandboxOptions = {}) {
  return storeVendor('google', new GoogleStore(config, options), registerGoogleRoutes);
}

export type GoogleSandbox = ReturnType<typeof createGoogleSandbox>;
