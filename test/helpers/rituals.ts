/**
 * A configuration whose Weekly Product Update happens today, for tests on a dev server (real
 * time, real schedules): the rituals keep a calendar with no weekend and no holidays, in a time
 * zone where it is daytime now, so today is the update's day; collection opened this morning
 * and the reminder, deadline and publication are still ahead this evening.
 */
import type { OrgConfig, Weekday } from '../../domain/config';
import { localDateOf, weekdayOf } from '../../domain/business-calendar';

/** Zones roughly twelve hours apart or less: one of them has daytime at any moment. */
const ZONES = [
  'Pacific/Kiritimati',
  'Asia/Tokyo',
  'Asia/Dubai',
  'Europe/London',
  'America/New_York',
  'Pacific/Honolulu',
];

function localHour(now: number, timezone: string): number {
  return Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', hourCycle: 'h23' }).format(
      new Date(now),
    ),
  );
}

export function updateTodayConfig(base: OrgConfig, taskQueue: string, now = Date.now()): OrgConfig {
  const timezone = ZONES.find((zone) => {
    const hour = localHour(now, zone);
    return hour >= 3 && hour < 17;
  })!;
  const day: Weekday = weekdayOf(localDateOf(now, timezone));
  return {
    ...base,
    calendars: { ...base.calendars, rituals: { timezone, weekend: [], holidays: [] } },
    rituals: {
      ...base.rituals,
      weeklyUpdate: {
        ...base.rituals.weeklyUpdate,
        calendar: 'rituals',
        day,
        opens: '00:30',
        reminder: '20:00',
        deadline: '21:00',
        publish: '22:00',
      },
    },
    integrations: { ...base.integrations, rateLimits: { notion: 50, jira: 50, google: 50 } },
    temporal: { ...base.temporal, taskQueue },
  };
}
