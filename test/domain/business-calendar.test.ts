import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  datesInRange,
  isValidDate,
  isWorkingDay,
  localDateOf,
  localTimeOf,
  MAX_RANGE_DAYS,
  MAX_WORKING_DAY_OFFSET,
  rollBackward,
  rollForward,
  weekdayOf,
  workingDatesInRange,
  workingDaysBetween,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from '../../domain/business-calendar';
import { WEEKDAYS, type Weekday } from '../../domain/config';
import { resolveAllCalendars } from '../../domain/holidays';
import { loadExampleConfig } from '../helpers/config';

const RUNS = { numRuns: 500 };

// ---------------------------------------------------------------------------------------------
// Reference model built on Date.UTC, independent of the day-number arithmetic under test.

function referenceShift(date: CalendarDate, days: number): CalendarDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function referenceWeekday(date: CalendarDate): Weekday {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
}

function referenceIsWorking(cal: BusinessCalendar, date: CalendarDate): boolean {
  return !cal.weekend.includes(referenceWeekday(date)) && !cal.holidays.includes(date);
}

function referenceAddWorkingDays(cal: BusinessCalendar, date: CalendarDate, n: number): CalendarDate {
  let day = date;
  if (n === 0) {
    while (!referenceIsWorking(cal, day)) day = referenceShift(day, 1);
    return day;
  }
  for (let remaining = Math.abs(n); remaining > 0;) {
    day = referenceShift(day, Math.sign(n));
    if (referenceIsWorking(cal, day)) remaining--;
  }
  return day;
}

function referenceCount(cal: BusinessCalendar, from: CalendarDate, to: CalendarDate): number {
  let count = 0;
  if (to >= from) {
    for (let day = referenceShift(from, 1); day <= to; day = referenceShift(day, 1)) {
      if (referenceIsWorking(cal, day)) count++;
    }
    return count;
  }
  for (let day = to; day < from; day = referenceShift(day, 1)) if (referenceIsWorking(cal, day)) count--;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: calendars with any weekend that leaves a working day, holidays scattered and in
// runs (company shutdowns), and dates over six years.

const FIRST = '2024-01-01';
const SPAN_DAYS = 6 * 365;
const dateArb = fc.integer({ min: 0, max: SPAN_DAYS }).map((i) => referenceShift(FIRST, i));

const weekendArb = fc.oneof(
  fc.subarray([...WEEKDAYS], { minLength: 0, maxLength: 6 }),
  fc.constant<Weekday[]>(['fri', 'sat']),
  fc.constantFrom(...WEEKDAYS).map((day) => [day]),
  // Six days off: a single working weekday, the sparsest calendar allowed.
  fc.constantFrom(...WEEKDAYS).map((working) => WEEKDAYS.filter((day) => day !== working)),
);

const holidaysArb = fc
  .tuple(
    fc.uniqueArray(dateArb, { maxLength: 120 }),
    fc.array(fc.tuple(dateArb, fc.integer({ min: 1, max: 40 })), { maxLength: 5 }),
  )
  .map(([scattered, runs]) => {
    const all = new Set(scattered);
    for (const [start, length] of runs) for (let i = 0; i < length; i++) all.add(referenceShift(start, i));
    return [...all].sort();
  });

const calendarArb: fc.Arbitrary<BusinessCalendar> = fc.record({
  name: fc.constant('generated'),
  timezone: fc.constant('UTC'),
  weekend: weekendArb,
  holidays: holidaysArb,
});

const offsetArb = fc.oneof(
  fc.integer({ min: -15, max: 15 }),
  fc.integer({ min: -400, max: 400 }),
  fc.constantFrom(-MAX_WORKING_DAY_OFFSET, MAX_WORKING_DAY_OFFSET),
);
const nonZeroOffsetArb = offsetArb.filter((n) => n !== 0);

// ---------------------------------------------------------------------------------------------

describe('calendar dates', () => {
  it('adds calendar days, names weekdays and compares like the Date.UTC reference', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -5000, max: 5000 }), (date, n) => {
        expect(addCalendarDays(date, n)).toBe(referenceShift(date, n));
        expect(weekdayOf(date)).toBe(referenceWeekday(date));
        const other = referenceShift(date, n);
        expect(compareDates(date, other)).toBe(Math.sign(0 - n));
      }),
      RUNS,
    );
  });

  it('handles leap years and the edges of the supported years', () => {
    expect(addCalendarDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addCalendarDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addCalendarDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(addCalendarDays('0001-01-01', -1)).toBe('0000-12-31');
    expect(weekdayOf('2026-11-28')).toBe('sat');
    expect(() => addCalendarDays('9999-12-31', 1)).toThrow(RangeError);
    expect(() => addCalendarDays('0000-01-01', -1)).toThrow(RangeError);
  });

  it('validates dates by the calendar, not by the pattern alone', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    for (const bad of [
      '2027-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-1-05',
      '2026-01-05T00:00',
      '',
      20260105,
      null,
    ]) {
      expect(isValidDate(bad)).toBe(false);
    }
  });

  it('lists every date of a range, both ends included', () => {
    expect(datesInRange('2026-12-30', '2027-01-02')).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
    expect(datesInRange('2026-05-01', '2026-05-01')).toEqual(['2026-05-01']);
    expect(datesInRange('2026-05-02', '2026-05-01')).toEqual([]);
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 400 }), (from, length) => {
        const dates = datesInRange(from, referenceShift(from, length));
        expect(dates).toHaveLength(length + 1);
        dates.forEach((date, i) => expect(date).toBe(referenceShift(from, i)));
      }),
      RUNS,
    );
  });
});

describe('working-day arithmetic (properties)', () => {
  it('agrees with the reference model on every function', () => {
    fc.assert(
      fc.property(
        calendarArb,
        dateArb,
        offsetArb.filter((n) => Math.abs(n) <= 400),
        (cal, date, n) => {
          expect(isWorkingDay(cal, date)).toBe(referenceIsWorking(cal, date));
          expect(addWorkingDays(cal, date, n)).toBe(referenceAddWorkingDays(cal, date, n));
          const other = referenceShift(date, n);
          expect(workingDaysBetween(cal, date, other)).toBe(referenceCount(cal, date, other));
        },
      ),
      RUNS,
    );
  });

  it('always lands on a working day', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, offsetArb, (cal, date, n) => {
        expect(isWorkingDay(cal, addWorkingDays(cal, date, n))).toBe(true);
        expect(isWorkingDay(cal, rollForward(cal, date))).toBe(true);
        expect(isWorkingDay(cal, rollBackward(cal, date))).toBe(true);
      }),
      RUNS,
    );
  });

  it('rolls to the nearest working day, or stays on one', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, (cal, date) => {
        const forward = rollForward(cal, date);
        const backward = rollBackward(cal, date);
        expect(compareDates(forward, date)).toBeGreaterThanOrEqual(0);
        expect(compareDates(backward, date)).toBeLessThanOrEqual(0);
        if (isWorkingDay(cal, date)) {
          expect([forward, backward]).toEqual([date, date]);
        } else {
          // Nothing between the date and either roll is a working day.
          expect(workingDatesInRange(cal, date, addCalendarDays(forward, -1))).toEqual([]);
          expect(workingDatesInRange(cal, addCalendarDays(backward, 1), date)).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  it('returns to the rolled-forward start after n working days forward and n back', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, offsetArb, (cal, date, n) => {
        const start = rollForward(cal, date);
        expect(addWorkingDays(cal, addWorkingDays(cal, start, n), -n)).toBe(start);
        // From a non-working day the two directions settle on either side of it.
        expect(addWorkingDays(cal, addWorkingDays(cal, date, -Math.abs(n)), Math.abs(n))).toBe(start);
        if (n !== 0) {
          expect(addWorkingDays(cal, addWorkingDays(cal, date, Math.abs(n)), -Math.abs(n))).toBe(
            rollBackward(cal, date),
          );
        }
      }),
      RUNS,
    );
  });

  it('counts exactly the offset it was given, from working and non-working days', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, nonZeroOffsetArb, (cal, date, n) => {
        expect(workingDaysBetween(cal, date, addWorkingDays(cal, date, n))).toBe(n);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(calendarArb, dateArb, (cal, date) => {
        expect(workingDaysBetween(cal, date, date)).toBe(0);
        const start = rollForward(cal, date);
        expect(workingDaysBetween(cal, start, addWorkingDays(cal, start, 0))).toBe(0);
      }),
      RUNS,
    );
  });

  it('counts with the sign of the direction, antisymmetric between working days', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, dateArb, (cal, a, b) => {
        const count = workingDaysBetween(cal, a, b);
        expect(Math.sign(count) * Math.sign(compareDates(b, a))).toBeGreaterThanOrEqual(0);
        const [from, to] = [rollForward(cal, a), rollForward(cal, b)];
        expect(workingDaysBetween(cal, from, to)).toBe(0 - workingDaysBetween(cal, to, from));
      }),
      RUNS,
    );
  });

  it('moves later as n grows, strictly unless n = 0 meets n = 1 on a day off', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, offsetArb, offsetArb, (cal, date, x, y) => {
        const [n, m] = x <= y ? [x, y] : [y, x];
        const order = compareDates(addWorkingDays(cal, date, n), addWorkingDays(cal, date, m));
        if (n === m) expect(order).toBe(0);
        else if (n === 0 && m === 1 && !isWorkingDay(cal, date)) expect(order).toBe(0);
        else expect(order).toBe(-1);
      }),
      RUNS,
    );
  });

  it('lists the working dates of a range, consistent with the count', () => {
    fc.assert(
      fc.property(calendarArb, dateArb, fc.integer({ min: 0, max: 120 }), (cal, from, length) => {
        const to = referenceShift(from, length);
        const working = workingDatesInRange(cal, from, to);
        expect(working).toEqual(datesInRange(from, to).filter((date) => referenceIsWorking(cal, date)));
        expect(working.length).toBe(workingDaysBetween(cal, addCalendarDays(from, -1), to));
      }),
      RUNS,
    );
  });
});

describe('working days on the example calendars', () => {
  let london: BusinessCalendar;
  let newYork: BusinessCalendar;
  let telAviv: BusinessCalendar;

  beforeAll(() => {
    const calendars = resolveAllCalendars(loadExampleConfig(), { from: 2026, to: 2027 });
    london = calendars.london!;
    newYork = calendars['new-york']!;
    telAviv = calendars['tel-aviv']!;
  });

  it('counts back across the year end past Christmas, the Boxing Day substitute and the shutdown', () => {
    // Back from Fri 2027-01-08: 7, 6, 5, 4 Jan; then Fri 1 Jan (New Year), Thu 31–Tue 29 Dec
    // (shutdown), Mon 28 (Boxing Day substitute), Fri 25 (Christmas), Thu 24 (shutdown) are
    // all off; Wed 23, Tue 22, Mon 21, Fri 18, Thu 17, Wed 16 Dec complete the ten.
    expect(addWorkingDays(london, '2027-01-08', -10)).toBe('2026-12-16');
    expect(workingDaysBetween(london, '2026-12-16', '2027-01-08')).toBe(10);
    expect(workingDatesInRange(london, '2026-12-24', '2027-01-03')).toEqual([]);
    expect(addWorkingDays(london, '2026-12-23', 1)).toBe('2027-01-04');
    expect(isWorkingDay(london, '2026-12-28')).toBe(false);
  });

  it('puts the 5th working day before a Saturday launch on the Monday of that week', () => {
    expect(weekdayOf('2026-11-28')).toBe('sat');
    expect(addWorkingDays(london, '2026-11-28', -5)).toBe('2026-11-23');
    // New York loses Thanksgiving (Thu 26) and the configured day after (Fri 27).
    expect(addWorkingDays(newYork, '2026-11-28', -5)).toBe('2026-11-19');
    expect(workingDaysBetween(newYork, '2026-11-28', '2026-11-19')).toBe(-5);
    expect(workingDaysBetween(newYork, '2026-11-19', '2026-11-28')).toBe(4);
  });

  it('skips a holiday on a Monday', () => {
    // Spring bank holiday, Mon 2027-05-31.
    expect(addWorkingDays(london, '2027-05-28', 1)).toBe('2027-06-01');
    expect(addWorkingDays(london, '2027-06-01', -1)).toBe('2027-05-28');
    expect(rollForward(london, '2027-05-29')).toBe('2027-06-01');
    // Memorial Day, Mon 2026-05-25.
    expect(isWorkingDay(newYork, '2026-05-25')).toBe(false);
    expect(addWorkingDays(newYork, '2026-05-22', 1)).toBe('2026-05-26');
    expect(rollBackward(newYork, '2026-05-25')).toBe('2026-05-22');
    expect(workingDaysBetween(newYork, '2026-05-22', '2026-05-26')).toBe(1);
  });

  it('works Sunday to Thursday in Tel Aviv', () => {
    expect(isWorkingDay(telAviv, '2026-10-30')).toBe(false); // Friday
    expect(isWorkingDay(telAviv, '2026-11-01')).toBe(true); // Sunday
    expect(addWorkingDays(telAviv, '2026-10-29', 1)).toBe('2026-11-01');
    // Yom Kippur, Mon 2026-09-21: back from Sun 27 Sep over Sukkot (Sat 26) and the weekend.
    expect(addWorkingDays(telAviv, '2026-09-27', -5)).toBe('2026-09-17');
    expect(workingDatesInRange(telAviv, '2026-09-17', '2026-09-27')).toEqual([
      '2026-09-17',
      '2026-09-20',
      '2026-09-22',
      '2026-09-23',
      '2026-09-24',
      '2026-09-27',
    ]);
    // Rosh Hashanah's second day falls on a Sunday, a working weekday there.
    expect(isWorkingDay(telAviv, '2026-09-13')).toBe(false);
    expect(rollForward(telAviv, '2026-09-11')).toBe('2026-09-14');
  });
});

describe('instants and wall times in a time zone', () => {
  it('gives the calendar date of an instant where it happens', () => {
    expect(localDateOf('2026-03-05T19:30:00Z', 'Asia/Dubai')).toBe('2026-03-05');
    expect(localDateOf('2026-03-05T20:30:00Z', 'Asia/Dubai')).toBe('2026-03-06');
    expect(localDateOf(Date.UTC(2026, 2, 5, 20, 30), 'Asia/Dubai')).toBe('2026-03-06');
    expect(localDateOf('2026-03-05T23:30:00+04:00', 'Asia/Dubai')).toBe('2026-03-05');
    // Jira writes offsets without a colon.
    expect(localDateOf('2026-03-05T19:30:00.000+0000', 'America/New_York')).toBe('2026-03-05');
    expect(localDateOf('2026-03-06T03:30:00Z', 'America/New_York')).toBe('2026-03-05');
    expect(localDateOf('2026-03-05T10:00:00Z', 'Pacific/Kiritimati')).toBe('2026-03-06');
  });

  it('gives the wall time of an instant where it happens, on both sides of a clock change', () => {
    expect(localTimeOf('2026-03-05T19:30:00Z', 'Asia/Dubai')).toBe('23:30');
    expect(localTimeOf(Date.UTC(2026, 2, 5, 20, 30, 59), 'Asia/Dubai')).toBe('00:30');
    // 25 October 2026: London shows 01:30 twice, in summer time and then in GMT.
    expect(localTimeOf('2026-10-25T00:30:00Z', 'Europe/London')).toBe('01:30');
    expect(localTimeOf('2026-10-25T01:30:00Z', 'Europe/London')).toBe('01:30');
    expect(localTimeOf('2026-10-25T02:05:00Z', 'Europe/London')).toBe('02:05');
    expect(
      localTimeOf(zonedDateTimeToInstant('2027-01-08', '09:00', 'America/New_York'), 'America/New_York'),
    ).toBe('09:00');
  });

  it('refuses instants without an offset, which would be read in the host zone', () => {
    for (const bad of [
      '2026-03-05T19:30:00',
      '2026-03-05',
      '2026-03-05 19:30Z',
      '2026-02-30T10:00Z',
      '2026-03-05T25:00Z',
      '',
    ]) {
      expect(() => localDateOf(bad, 'UTC'), bad).toThrow(RangeError);
    }
    expect(() => localDateOf(Number.NaN, 'UTC')).toThrow(RangeError);
    expect(() => localDateOf('2026-03-05T19:30:00Z', 'Mars/Olympus')).toThrow(/not an IANA time zone/);
  });

  it('places a wall time on an ordinary day', () => {
    expect(zonedDateTimeToInstant('2026-07-01', '10:00', 'Europe/London')).toBe('2026-07-01T09:00:00.000Z');
    expect(zonedDateTimeToInstant('2026-01-15', '10:00', 'Europe/London')).toBe('2026-01-15T10:00:00.000Z');
    expect(zonedDateTimeToInstant('2026-09-17', '09:30', 'Asia/Jerusalem')).toBe('2026-09-17T06:30:00.000Z');
    expect(zonedDateTimeToInstant('2026-03-05', '23:30', 'Asia/Dubai')).toBe('2026-03-05T19:30:00.000Z');
    expect(zonedDateTimeToInstant('2026-03-05', '00:00', 'Asia/Kolkata')).toBe('2026-03-04T18:30:00.000Z');
  });

  it('moves a wall time in the spring gap forward by the gap', () => {
    // London skips 01:00–02:00 on Sun 2027-03-28: 01:30 is read as 02:30 BST.
    expect(zonedDateTimeToInstant('2027-03-28', '01:30', 'Europe/London')).toBe('2027-03-28T01:30:00.000Z');
    expect(zonedDateTimeToInstant('2027-03-28', '00:59', 'Europe/London')).toBe('2027-03-28T00:59:00.000Z');
    expect(zonedDateTimeToInstant('2027-03-28', '02:00', 'Europe/London')).toBe('2027-03-28T01:00:00.000Z');
    // New York skips 02:00–03:00 on Sun 2026-03-08: 02:30 is read as 03:30 EDT.
    expect(zonedDateTimeToInstant('2026-03-08', '02:30', 'America/New_York')).toBe(
      '2026-03-08T07:30:00.000Z',
    );
  });

  it('takes the earlier of the two in the autumn overlap', () => {
    // London shows 01:00–02:00 twice on Sun 2026-10-25: first BST (UTC+1), then GMT.
    expect(zonedDateTimeToInstant('2026-10-25', '01:30', 'Europe/London')).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedDateTimeToInstant('2026-10-25', '00:59', 'Europe/London')).toBe('2026-10-24T23:59:00.000Z');
    expect(zonedDateTimeToInstant('2026-10-25', '02:00', 'Europe/London')).toBe('2026-10-25T02:00:00.000Z');
    expect(zonedDateTimeToInstant('2026-11-01', '01:30', 'America/New_York')).toBe(
      '2026-11-01T05:30:00.000Z',
    );
  });

  it('shows the requested wall time at the instant it returns, or a gap later, never an earlier match', () => {
    const zones = [
      'Europe/London',
      'America/New_York',
      'Asia/Jerusalem',
      'America/Santiago',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Asia/Kolkata',
      'UTC',
    ];
    const wallClock = (epochMs: number, zone: string) => {
      const fields = Object.fromEntries(
        new Intl.DateTimeFormat('en-GB', {
          timeZone: zone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          hourCycle: 'h23',
        })
          .formatToParts(epochMs)
          .map((p) => [p.type, p.value]),
      );
      return {
        date: `${fields.year}-${fields.month}-${fields.day}`,
        minutes: Number(fields.hour) * 60 + Number(fields.minute),
      };
    };
    const timeArb = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    // Around every March/April and September–November clock change, where the edge cases live.
    const transitionDateArb = fc
      .tuple(
        fc.integer({ min: 2024, max: 2030 }),
        fc.constantFrom(3, 4, 9, 10, 11),
        fc.integer({ min: 1, max: 30 }),
      )
      .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

    fc.assert(
      fc.property(
        fc.oneof(transitionDateArb, dateArb),
        timeArb,
        fc.constantFrom(...zones),
        (date, time, zone) => {
          const instant = zonedDateTimeToInstant(date, time, zone);
          const epochMs = Date.parse(instant);
          const requested = Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
          const shown = wallClock(epochMs, zone);
          const shownMinutes = shown.minutes + (shown.date === date ? 0 : shown.date > date ? 1440 : -1440);
          expect(localDateOf(instant, zone)).toBe(shown.date);
          // Equal, or pushed forward by a daylight-saving gap (an hour at most in these zones).
          expect(shownMinutes - requested).toBeGreaterThanOrEqual(0);
          expect(shownMinutes - requested).toBeLessThanOrEqual(60);
          // No earlier instant within three hours shows the requested wall time.
          for (let back = 15; back <= 180; back += 15) {
            const earlier = wallClock(epochMs - back * 60_000, zone);
            expect(earlier.date === date && earlier.minutes === requested).toBe(false);
          }
        },
      ),
      RUNS,
    );
  });

  it('refuses malformed times and zones', () => {
    for (const bad of ['24:00', '9:00', '09:60', '0900', '09:00:00', '']) {
      expect(() => zonedDateTimeToInstant('2026-07-01', bad, 'Europe/London'), bad).toThrow(RangeError);
    }
    expect(() => zonedDateTimeToInstant('2026-07-01', '10:00', 'Europe/Atlantis')).toThrow(
      /not an IANA time zone/,
    );
    expect(() => zonedDateTimeToInstant('2026-07-32', '10:00', 'Europe/London')).toThrow(
      /not a calendar date/,
    );
  });
});

describe('guard rails', () => {
  const weekdays: BusinessCalendar = {
    name: 'plain',
    timezone: 'UTC',
    weekend: ['sat', 'sun'],
    holidays: [],
  };

  it('refuses dates that do not exist or are not written YYYY-MM-DD', () => {
    for (const bad of ['2026-02-30', '2026-2-3', '26-02-03', '2026-02-03T00:00:00Z', 'tomorrow', '']) {
      expect(() => isWorkingDay(weekdays, bad), bad).toThrow(RangeError);
      expect(() => addWorkingDays(weekdays, bad, 1), bad).toThrow(
        /is not a calendar date written YYYY-MM-DD/,
      );
      expect(() => workingDaysBetween(weekdays, '2026-01-01', bad), bad).toThrow(RangeError);
      expect(() => compareDates(bad, '2026-01-01'), bad).toThrow(RangeError);
    }
  });

  it('refuses a calendar with no working weekday, naming it', () => {
    const noWorkingDay: BusinessCalendar = {
      name: 'never',
      timezone: 'UTC',
      weekend: [...WEEKDAYS],
      holidays: [],
    };
    expect(() => isWorkingDay(noWorkingDay, '2026-01-05')).toThrow(RangeError);
    expect(() => rollForward(noWorkingDay, '2026-01-05')).toThrow(/calendar "never" has no working days/);
    expect(() => addWorkingDays(noWorkingDay, '2026-01-05', 3)).toThrow(/all seven days/);
  });

  it('refuses a calendar with a malformed holiday or weekend day, naming it', () => {
    const badHoliday: BusinessCalendar = {
      name: 'typo',
      timezone: 'UTC',
      weekend: ['sat', 'sun'],
      holidays: ['2026-12-32'],
    };
    expect(() => isWorkingDay(badHoliday, '2026-01-05')).toThrow(/calendar "typo" holiday "2026-12-32"/);
    const badWeekend = {
      name: 'odd',
      timezone: 'UTC',
      weekend: ['saturday'],
      holidays: [],
    } as unknown as BusinessCalendar;
    expect(() => isWorkingDay(badWeekend, '2026-01-05')).toThrow(/calendar "odd": weekend day "saturday"/);
  });

  it('refuses offsets that are fractional or beyond the bound', () => {
    expect(addWorkingDays(weekdays, '2026-01-05', MAX_WORKING_DAY_OFFSET)).toBe(
      referenceAddWorkingDays(weekdays, '2026-01-05', MAX_WORKING_DAY_OFFSET),
    );
    for (const bad of [
      MAX_WORKING_DAY_OFFSET + 1,
      -MAX_WORKING_DAY_OFFSET - 1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      expect(() => addWorkingDays(weekdays, '2026-01-05', bad), String(bad)).toThrow(RangeError);
    }
    expect(() => addCalendarDays('2026-01-05', 0.5)).toThrow(RangeError);
  });

  it('refuses ranges too long to list', () => {
    expect(datesInRange('2020-01-01', addCalendarDays('2020-01-01', MAX_RANGE_DAYS - 1))).toHaveLength(
      MAX_RANGE_DAYS,
    );
    expect(() => datesInRange('2020-01-01', addCalendarDays('2020-01-01', MAX_RANGE_DAYS))).toThrow(
      RangeError,
    );
  });

  it('counts across a long span without walking it day by day', () => {
    // Saturday to Saturday over thirty years of Monday-to-Friday: every whole week gives five.
    const weeks = (referenceDayNumber('2030-01-05') - referenceDayNumber('2000-01-01')) / 7;
    expect(Number.isInteger(weeks)).toBe(true);
    expect(workingDaysBetween(weekdays, '2000-01-01', '2030-01-05')).toBe(5 * weeks);
    expect(workingDaysBetween(weekdays, '2030-01-05', '2000-01-01')).toBe(-5 * weeks);
  });
});

function referenceDayNumber(date: CalendarDate): number {
  return Date.parse(`${date}T00:00:00Z`) / 86_400_000;
}
