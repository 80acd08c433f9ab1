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
