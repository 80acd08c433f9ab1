/**
 * Checks and formats of single values that need no schema library: a date that exists, a time
 * zone that exists, the path of a field in a problem report. Kept apart from config.ts so that
 * code which validates a webhook or a field (the trigger functions, the sandbox) does not pull in
 * zod's configuration schema and the YAML parser with them.
 */

/** True for YYYY-MM-DD naming a day that exists (no 2027-02-30). */
export function isRealDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** True for an IANA time zone this Node knows (Europe/London, America/New_York, UTC). */
export function isRealTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `people[3].manager` from `['people', 3, 'manager']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Why a URL that carries secrets or requests must not be used, or null when it may: credentials
 * never sit inside a URL (they end up in logs and process lists), and a vendor is reached over
 * HTTPS unless it is this machine (the local sandbox).
 */
export function unsafeUrlReason(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL';
  }
  if (url.username !== '' || url.password !== '')
    return 'must not carry credentials (user:password@): set them as environment variables';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must use https:// (plain http:// only for this machine: localhost, 127.0.0.1, ::1)';
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
