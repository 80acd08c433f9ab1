import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { isValidDate, weekdayOf } from '../../domain/business-calendar';
import type { CalendarConfig, OrgConfig } from '../../domain/config';
import {
  CalendarResolutionError,
  MAX_RESOLVED_YEARS,
  resolveAllCalendars,
  resolveBusinessCalendar,
  wholeDaysOff,
} from '../../domain/holidays';
import { loadExampleConfig } from '../helpers/config';

const YEARS_2026_2027 = { from: 2026, to: 2027 };

/** The example organisation with extra calendars, to reach countries it does not use. */
function withCalendars(calendars: Record<string, Partial<CalendarConfig>>): OrgConfig {
  const config = loadExampleConfig();
  for (const [name, calendar] of Object.entries(calendars)) {
    config.calendars[name] = { timezone: 'UTC', weekend: ['sat', 'sun'], holidays: [], ...calendar };
  }
  return config;
}

function resolutionError(run: () => unknown): CalendarResolutionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CalendarResolutionError);
    return error as CalendarResolutionError;
  }
  throw new Error('expected the calendar to be refused');
}

describe('resolveBusinessCalendar on the example calendars', () => {
  const config = loadExampleConfig();

  it('gives London the English public holidays, substitute days and the company shutdown', () => {
    const london = resolveBusinessCalendar(config, 'london', YEARS_2026_2027);
    expect(london.name).toBe('london');
    expect(london.timezone).toBe('Europe/London');
    expect(london.weekend).toEqual(['sun', 'sat']);
    expect(london.holidays).toEqual([
      '2026-01-01', // New Year's Day
      '2026-04-03', // Good Friday
      '2026-04-06', // Easter Monday
      '2026-05-04', // Early May bank holiday
      '2026-05-25', // Spring bank holiday
      '2026-08-31', // Summer bank holiday
      '2026-12-24', // company shutdown
      '2026-12-25', // Christmas Day (Friday)
      '2026-12-26', // Boxing Day (Saturday)...
      '2026-12-28', // ...observed on Monday
      '2026-12-29', // company shutdown
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-03-26',
      '2027-03-29',
      '2027-05-03',
      '2027-05-31',
      '2027-08-30',
      '2027-12-25', // Christmas Day (Saturday), observed Monday 27
      '2027-12-26', // Boxing Day (Sunday), observed Tuesday 28
      '2027-12-27',
      '2027-12-28',
    ]);
    // Observances such as Mother's Day (Sunday 2026-03-15) are no days off.
    expect(london.holidays).not.toContain('2026-03-15');
  });

  it('gives New York federal holidays, with the Saturday Independence Day observed on Friday', () => {
    const newYork = resolveBusinessCalendar(config, 'new-york', { from: 2026, to: 2026 });
    expect(newYork.weekend).toEqual(['sun', 'sat']);
    expect(newYork.holidays).toEqual([
      '2026-01-01',
      '2026-01-19', // Martin Luther King Jr. Day
      '2026-02-16', // Washington's Birthday
      '2026-05-25', // Memorial Day
      '2026-06-19', // Juneteenth
      '2026-07-03', // Independence Day observed
      '2026-07-04',
      '2026-09-07', // Labor Day
      '2026-10-12', // Columbus Day
      '2026-11-11', // Veterans Day
      '2026-11-26', // Thanksgiving
      '2026-11-27', // configured: the library types it an observance
      '2026-12-25',
    ]);
    // Christmas Eve is "optional" and Valentine's Day an observance: neither is a day off.
    expect(newYork.holidays).not.toContain('2026-12-24');
    expect(newYork.holidays).not.toContain('2026-02-14');
  });

  it('gives Tel Aviv its public holidays on the day they are named for, not the eve they begin', () => {
    const telAviv = resolveBusinessCalendar(config, 'tel-aviv', { from: 2026, to: 2026 });
    expect(telAviv.weekend).toEqual(['fri', 'sat']);
    expect(telAviv.holidays).toEqual([
      '2026-04-02', // Pesach (begins at sunset on the 1st)
      '2026-04-08', // Seventh day of Pesach
      '2026-04-22', // Independence Day
      '2026-05-22', // Shavuot
      '2026-09-12', // Rosh Hashanah
      '2026-09-13',
      '2026-09-21', // Yom Kippur
      '2026-09-26', // Sukkot
      '2026-10-03', // Shemini Atzeret / Simchat Torah
    ]);
    // The intermediate days of Pesach and Purim are school holidays only.
    expect(telAviv.holidays).not.toContain('2026-04-05');
    expect(telAviv.holidays).not.toContain('2026-03-03');
  });

  it('reports dates as the library writes them locally, where a UTC reading would shift them', () => {
    const [pesach] = new Holidays('IL').getHolidays(2026).filter((h) => h.rule === '15 Nisan');
    expect(pesach?.date).toBe('2026-04-02 00:00:00 -0600');
    expect(pesach?.start.toISOString().slice(0, 10)).toBe('2026-04-01');
    expect(resolveBusinessCalendar(config, 'tel-aviv', { from: 2026, to: 2026 }).holidays).not.toContain(
      '2026-04-01',
    );
  });

  it('keeps every date valid, sorted, unique and inside the years asked for', () => {
    for (const calendar of Object.values(resolveAllCalendars(config, { from: 2025, to: 2030 }))) {
      const { holidays } = calendar;
      expect(holidays.every(isValidDate)).toBe(true);
      expect([...new Set(holidays)].sort()).toEqual(holidays);
      expect(holidays[0]! >= '2025-01-01' && holidays.at(-1)! <= '2030-12-31').toBe(true);
    }
  });

  it('takes substitute days that fall in a neighbouring year, but only within the years asked for', () => {
    // New Year's Day 2022 was a Saturday; the US observed it on Friday 2021-12-31.
    const us = (from: number, to: number) =>
      resolveBusinessCalendar(config, 'new-york', { from, to }).holidays;
    expect(us(2021, 2021)).toContain('2021-12-31');
    expect(us(2022, 2022)).not.toContain('2021-12-31');
    expect(us(2022, 2022)[0]).toBe('2022-01-01');
    // 2027-12-31 (Friday) is New Year's Day 2028 observed.
    expect(us(2027, 2027).at(-1)).toBe('2027-12-31');
  });

  it('keeps configured days off only within the years asked for', () => {
    expect(resolveBusinessCalendar(config, 'london', { from: 2027, to: 2027 }).holidays).not.toContain(
      '2026-12-24',
    );
    expect(resolveBusinessCalendar(config, 'london', { from: 2026, to: 2026 }).holidays).toContain(
      '2026-12-24',
    );
  });

  it('resolves every calendar of the configuration at once', () => {
    const all = resolveAllCalendars(config, YEARS_2026_2027);
    expect(Object.keys(all).sort()).toEqual(['london', 'new-york', 'tel-aviv']);
    expect(all['new-york']).toEqual(resolveBusinessCalendar(config, 'new-york', YEARS_2026_2027));
  });

  it('gives the same days off whether the years were worked out before or not', () => {
    // Each country and year is read from the library once per process and kept.
    const first = resolveBusinessCalendar(config, 'london', { from: 2031, to: 2031 });
    const wider = resolveBusinessCalendar(config, 'london', { from: 2030, to: 2032 });
    const again = resolveBusinessCalendar(config, 'london', { from: 2030, to: 2032 });
    expect(again).toEqual(wider);
    expect(wider.holidays.filter((date) => date.startsWith('2031-'))).toEqual(first.holidays);
    // What a caller does with its copy changes nothing for the next one.
    (again.holidays as string[]).length = 0;
    expect(resolveBusinessCalendar(config, 'london', { from: 2030, to: 2032 })).toEqual(wider);
  });

  it('still refuses an unknown region of a country whose holidays were read before', () => {
    resolveBusinessCalendar(config, 'london', YEARS_2026_2027);
    const config2 = withCalendars({ cornwall: { country: 'GB', region: 'CON' } });
    expect(() => resolveBusinessCalendar(config2, 'cornwall', YEARS_2026_2027)).toThrow(/no region "CON"/);
  });

  it('returns plain JSON, so a workflow receives exactly what was resolved', () => {
    const london = resolveBusinessCalendar(config, 'london', YEARS_2026_2027);
    expect(JSON.parse(JSON.stringify(london))).toEqual(london);
  });
});

describe('public holidays that do not fill one whole day', () => {
  const config = withCalendars({
    dubai: { timezone: 'Asia/Dubai', country: 'AE' },
    istanbul: { timezone: 'Europe/Istanbul', country: 'TR' },
    reykjavik: { timezone: 'Atlantic/Reykjavik', country: 'IS' },
  });
  const daysOff = (name: string) => resolveBusinessCalendar(config, name, { from: 2026, to: 2026 }).holidays;

  it('gives every day of a multi-day holiday', () => {
    // Eid al-Fitr: three days from 1 Shawwal (2026-03-20) in the UAE.
    expect(daysOff('dubai')).toEqual(expect.arrayContaining(['2026-03-20', '2026-03-21', '2026-03-22']));
    expect(daysOff('dubai')).not.toContain('2026-03-23');
    // Ramazan Bayramı runs 90 hours from the eve's afternoon: the three whole days 20–22 March.
    expect(daysOff('istanbul')).toEqual(expect.arrayContaining(['2026-03-20', '2026-03-21', '2026-03-22']));
    expect(daysOff('istanbul')).not.toContain('2026-03-19');
    expect(daysOff('istanbul')).not.toContain('2026-03-23');
  });

  it('keeps a holiday on the day the clocks go forward, 23 hours long', () => {
    const config = withCalendars({
      cairo: { timezone: 'Africa/Cairo', weekend: ['fri', 'sat'], country: 'EG' },
      sarajevo: { timezone: 'Europe/Sarajevo', country: 'BA' },
    });
    // Sinai Liberation Day, Friday 2025-04-25, when Egypt moved to summer time.
    expect(resolveBusinessCalendar(config, 'cairo', { from: 2025, to: 2025 }).holidays).toContain(
      '2025-04-25',
    );
    // Ramazanski bajram: three days from Sunday 2025-03-30, the day Europe moved to summer time.
    expect(resolveBusinessCalendar(config, 'sarajevo', { from: 2025, to: 2025 }).holidays).toEqual(
      expect.arrayContaining(['2025-03-30', '2025-03-31', '2025-04-01']),
    );
  });

  it('keeps the days of a holiday that began in the year before', () => {
    // Incwala in Eswatini: six days from 2020-12-28, so 2021 opens with two of them.
    const config = withCalendars({ mbabane: { timezone: 'Africa/Mbabane', country: 'SZ' } });
    const holidays = resolveBusinessCalendar(config, 'mbabane', { from: 2021, to: 2021 }).holidays;
    expect(holidays.slice(0, 2)).toEqual(['2021-01-01', '2021-01-02']);
  });

  it('counts whole days only, from the local date the library writes', () => {
    const at = (iso: string) => new Date(iso);
    // Noon on 1 May for 36 hours: the afternoon of the 1st is not a whole day, the 2nd is.
    expect(
      wholeDaysOff({
        name: 'noon start',
        date: '2026-05-01 12:00:00',
        start: at('2026-05-01T12:00:00Z'),
        end: at('2026-05-03T00:00:00Z'),
      }),
    ).toEqual(['2026-05-02']);
    expect(
      wholeDaysOff({
        name: 'evening',
        date: '2026-05-01 18:00:00',
        start: at('2026-05-01T18:00:00Z'),
        end: at('2026-05-02T00:00:00Z'),
      }),
    ).toEqual([]);
    // Across a year end, and written with the sunset offset of Hebrew and Hijri holidays.
    expect(
      wholeDaysOff({
        name: 'two days',
        date: '2026-12-31 00:00:00 -0600',
        start: at('2026-12-30T18:00:00Z'),
        end: at('2027-01-01T18:00:00Z'),
      }),
    ).toEqual(['2026-12-31', '2027-01-01']);
    expect(() =>
      wholeDaysOff({
        name: 'odd',
        date: '31/12/2026',
        start: at('2026-12-31T00:00:00Z'),
        end: at('2027-01-01T00:00:00Z'),
      }),
    ).toThrow(/"odd" an unreadable date "31\/12\/2026"/);
  });

  it('leaves a day with only an afternoon off as a working day', () => {
    // Iceland's Christmas Eve and New Year's Eve are public holidays from 13:00.
    expect(weekdayOf('2026-12-24')).toBe('thu');
    expect(daysOff('reykjavik')).not.toContain('2026-12-24');
    expect(daysOff('reykjavik')).not.toContain('2026-12-31');
    expect(daysOff('reykjavik')).toContain('2026-12-25');
  });
});

describe('calendars that cannot be resolved', () => {
  it('names an unknown calendar and lists the known ones', () => {
    const error = resolutionError(() =>
      resolveBusinessCalendar(loadExampleConfig(), 'paris', YEARS_2026_2027),
    );
    expect(error.calendar).toBe('paris');
    expect(error.message).toBe(
      'calendar "paris": is not a calendar in the configuration (it has london, new-york, tel-aviv)',
    );
  });

  it('does not mistake an inherited property for a calendar', () => {
    const error = resolutionError(() =>
      resolveBusinessCalendar(loadExampleConfig(), 'toString', YEARS_2026_2027),
    );
    expect(error.calendar).toBe('toString');
  });

  it('names the calendar whose country the library does not know', () => {
    const config = withCalendars({ atlantis: { country: 'XA' } });
    const error = resolutionError(() => resolveBusinessCalendar(config, 'atlantis', YEARS_2026_2027));
    expect(error.message).toBe('calendar "atlantis": date-holidays has no public holidays for country "XA"');
    expect(() => resolveAllCalendars(config, YEARS_2026_2027)).toThrow(/calendar "atlantis"/);
  });

  it('names the calendar whose region the library does not know, listing the regions it has', () => {
    const config = withCalendars({
      cornwall: { country: 'GB', region: 'CON' },
      haifa: { country: 'IL', region: 'HA' },
    });
    expect(resolutionError(() => resolveBusinessCalendar(config, 'cornwall', YEARS_2026_2027)).message).toBe(
      'calendar "cornwall": date-holidays has no region "CON" in GB (it knows ALD, ENG, NIR, SCT, WLS)',
    );
    expect(resolutionError(() => resolveBusinessCalendar(config, 'haifa', YEARS_2026_2027)).message).toBe(
      'calendar "haifa": date-holidays has no regions for IL: remove region "HA"',
    );
  });

  it('refuses a region without a country', () => {
    const config = withCalendars({ nowhere: { region: 'ENG' } });
    expect(resolutionError(() => resolveBusinessCalendar(config, 'nowhere', YEARS_2026_2027)).message).toBe(
      'calendar "nowhere": names region "ENG" but no country',
    );
  });

  it('refuses year ranges that are reversed, fractional or too long', () => {
    const config = loadExampleConfig();
    expect(() => resolveBusinessCalendar(config, 'london', { from: 2027, to: 2026 })).toThrow(RangeError);
    expect(() => resolveBusinessCalendar(config, 'london', { from: 2026.5, to: 2027 })).toThrow(RangeError);
    expect(() =>
      resolveBusinessCalendar(config, 'london', { from: 2000, to: 2000 + MAX_RESOLVED_YEARS }),
    ).toThrow(/at most 50/);
  });
});

describe('regions and calendars without a country', () => {
  it('adds regional public holidays, matching the region case-insensitively', () => {
    const config = withCalendars({
      edinburgh: { timezone: 'Europe/London', country: 'GB', region: 'sct' },
      munich: { timezone: 'Europe/Berlin', country: 'DE', region: 'BY' },
      berlin: { timezone: 'Europe/Berlin', country: 'DE', region: 'BE' },
    });
    const daysOff = (name: string) =>
      resolveBusinessCalendar(config, name, { from: 2026, to: 2026 }).holidays;
    // St Andrew's Day (Monday 2026-11-30) and 2 January are Scottish, not English.
    expect(daysOff('edinburgh')).toEqual(expect.arrayContaining(['2026-01-02', '2026-11-30']));
    expect(
      resolveBusinessCalendar(loadExampleConfig(), 'london', { from: 2026, to: 2026 }).holidays,
    ).not.toContain('2026-01-02');
    // Epiphany is a public holiday in Bavaria, not in Berlin; Berlin has Women's Day instead.
    expect(daysOff('munich')).toContain('2026-01-06');
    expect(daysOff('berlin')).not.toContain('2026-01-06');
    expect(daysOff('berlin')).toContain('2026-03-08');
  });

  it('uses only the configured days off when no country is given', () => {
    const config = withCalendars({ remote: { weekend: ['sun'], holidays: ['2026-08-14', '2026-01-02'] } });
    expect(resolveBusinessCalendar(config, 'remote', { from: 2026, to: 2026 })).toEqual({
      name: 'remote',
      timezone: 'UTC',
      weekend: ['sun'],
      holidays: ['2026-01-02', '2026-08-14'],
    });
  });
});
