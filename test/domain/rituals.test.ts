/**
 * When the Weekly Product Update happens, and what its pages say: ISO weeks, the day moved to
 * the working day before, weeks without an update, and the pages' pure content rules.
 */
import { describe, expect, it } from 'vitest';
import type { BusinessCalendar } from '../../domain/business-calendar';
import {
  addWeeks,
  isIsoWeek,
  isoWeekOf,
  mondayOf,
  monthBounds,
  neighbouringUpdate,
  weekDueOn,
  weeklyUpdateDates,
} from '../../domain/rituals';
import {
  contributionBody,
  contributionDocument,
  onLeaveAllDay,
  PLACEHOLDER,
  publishedDocument,
  type LeaveFact,
  type PublishedSection,
  type WeeklyFacts,
} from '../../domain/weekly-update-content';

const london: BusinessCalendar = {
  name: 'london',
  timezone: 'Europe/London',
  weekend: ['sat', 'sun'],
  // Good Friday and Easter Monday 2026; a company shutdown week in December.
  holidays: [
    '2026-04-03',
    '2026-04-06',
    '2026-12-24',
    '2026-12-25',
    '2026-12-28',
    '2026-12-29',
    '2026-12-30',
    '2026-12-31',
  ],
};
const thursday = {
  day: 'thu' as const,
  opens: '09:00',
  reminder: '12:00',
  deadline: '14:00',
  publish: '16:00',
};

describe('ISO weeks', () => {
  it('numbers weeks as ISO 8601 does, across year ends', () => {
    expect(isoWeekOf('2026-01-01')).toBe('2026-W01');
    expect(isoWeekOf('2027-01-01')).toBe('2026-W53');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
    expect(mondayOf('2026-W23')).toBe('2026-06-01');
    expect(addWeeks('2026-W53', 1)).toBe('2027-W01');
    expect(isIsoWeek('2026-W53')).toBe(true);
    expect(isIsoWeek('2025-W53')).toBe(false);
    expect(isIsoWeek('2026-23')).toBe(false);
  });

  it('bounds months', () => {
    expect(monthBounds('2028-02')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
    expect(monthBounds('2026-12')).toEqual({ first: '2026-12-01', last: '2026-12-31' });
  });
});

describe('the update’s day', () => {
  it('is the configured day, at the configured times in the calendar’s zone', () => {
    const dates = weeklyUpdateDates('2026-W23', london, thursday)!;
    expect(dates).toMatchObject({ date: '2026-06-04', scheduledDate: '2026-06-04' });
    // British Summer Time: 16:00 in London is 15:00 UTC.
    expect(dates.publishAt).toBe('2026-06-04T15:00:00.000Z');
    expect(dates.opensAt).toBe('2026-06-04T08:00:00.000Z');
  });

  it('moves to the previous working day when the day is off', () => {
    // Christmas Eve is a Thursday and a day off: the update is on the Wednesday.
    expect(weeklyUpdateDates('2026-W52', london, thursday)!.date).toBe('2026-12-23');
    // A Monday update on Easter Monday moves back over the weekend and Good Friday, to Thursday.
    const monday = { ...thursday, day: 'mon' as const };
    expect(weeklyUpdateDates('2026-W15', london, monday)!.date).toBe('2026-04-02');
  });

  it('is not held in a week with no working day since last week’s (a shutdown)', () => {
    // 28–31 December are all off: rolling back would land on last week's day.
    expect(weeklyUpdateDates('2026-W53', london, thursday)).toBeNull();
    const after = neighbouringUpdate('2026-W52', 1, (w) => weeklyUpdateDates(w, london, thursday));
    expect(after?.week).toBe('2027-W01');
  });

  it('is due on exactly one day per week, found from any day', () => {
    expect(weekDueOn('2026-06-04', london, thursday)).toBe('2026-W23');
    expect(weekDueOn('2026-06-03', london, thursday)).toBeNull();
    expect(weekDueOn('2026-12-23', london, thursday)).toBe('2026-W52');
    expect(weekDueOn('2026-12-24', london, thursday)).toBeNull();
    // A Monday update moved back into the week before is found from that day.
    expect(weekDueOn('2026-04-02', london, { ...thursday, day: 'mon' })).toBe('2026-W15');
  });
});

describe('the pages', () => {
  const leave = (personId: string, from: string, to: string, parts: Partial<LeaveFact> = {}): LeaveFact => ({
    personId,
    personName: personId,
    from,
    to,
    firstDay: 'full',
    lastDay: 'full',
    status: 'confirmed',
    buddyName: 'Ben Adeyemi',
    ...parts,
  });

  it('counts only confirmed leave that takes the whole day', () => {
    expect(onLeaveAllDay([leave('ana', '2026-06-01', '2026-06-05')], 'ana', '2026-06-04')).toBe(true);
    expect(
      onLeaveAllDay(
        [leave('ana', '2026-06-04', '2026-06-05', { firstDay: 'afternoon' })],
        'ana',
        '2026-06-04',
      ),
    ).toBe(false);
    expect(
      onLeaveAllDay([leave('ana', '2026-06-01', '2026-06-04', { lastDay: 'morning' })], 'ana', '2026-06-04'),
    ).toBe(false);
    expect(
      onLeaveAllDay([leave('ana', '2026-06-01', '2026-06-05', { status: 'pending' })], 'ana', '2026-06-04'),
    ).toBe(false);
    expect(onLeaveAllDay([leave('ben', '2026-06-01', '2026-06-05')], 'ana', '2026-06-04')).toBe(false);
  });

  it('pre-fills a contributor’s page, and publishes what they wrote without the prompts', () => {
    const facts: WeeklyFacts = {
      date: '2026-06-04',
      since: '2026-05-28',
      releases: [],
      leave: [leave('ana', '2026-06-10', '2026-06-12')],
    };
    const page = contributionDocument(
      { id: 'ana', name: 'Ana Costa', areas: ['Billing'] },
      facts,
      'Thu 4 Jun 14:00',
    );
    const texts = page.map((b) => ('text' in b ? b.text : '—'));
    expect(texts).toContain('On leave Wed 10 Jun 2026 to Fri 12 Jun 2026, covered by Ben Adeyemi');
    expect(texts.filter((t) => t === PLACEHOLDER)).toHaveLength(4);
    const body = contributionBody(page);
    expect(body.map((b) => ('text' in b ? b.text : '—'))).toEqual([
      'What’s next',
      'On leave Wed 10 Jun 2026 to Fri 12 Jun 2026, covered by Ben Adeyemi',
    ]);
    expect(body[0]!.type).toBe('heading_3');
  });

  describe('the published page', () => {
    const facts: WeeklyFacts = { date: '2026-06-04', since: '2026-05-28', releases: [], leave: [] };
    const section = (
      id: string,
      name: string,
      areas: string[],
      outcome: PublishedSection['outcome'],
      wrote: string[] = [],
    ): PublishedSection => ({
      contributor: { id, name, areas },
      outcome,
      body: wrote.map((text) => ({ type: 'bulleted_list_item', text })),
      rolledOver: [],
      url: null,
    });
    // Ana owns two areas that are not next to each other; Priya and Omar have none.
    const areas = [
      { id: 'billing', name: 'Billing', pmId: 'ana' },
      { id: 'onboarding', name: 'Onboarding', pmId: 'ben' },
      { id: 'invoicing', name: 'Invoicing', pmId: 'ana' },
      { id: 'growth', name: 'Growth experiments', pmId: 'chloe' },
    ];
    const sections = [
      section('ana', 'Ana Costa', ['Billing', 'Invoicing'], 'late', ['ana shipped dunning']),
      section('ben', 'Ben Adeyemi', ['Onboarding'], 'on-leave'),
      section('chloe', 'Chloe Martin', ['Growth experiments'], 'missing'),
      section('omar', 'Omar Haddad', [], 'ready', ['omar fixed the importer']),
      section('priya', 'Priya Shah', [], 'missing'),
    ];
    const page = publishedDocument({ week: '2026-W23', date: '2026-06-04', facts, sections, areas });
    const after = (heading: string) => {
      const i = page.findIndex((b) => 'text' in b && b.text === heading);
      return 'text' in page[i + 1]! ? (page[i + 1] as { text: string }).text : '—';
    };

    it('has one section per area in the configured order, naming its PM, then Other', () => {
      expect(page.filter((b) => b.type === 'heading_2').map((b) => ('text' in b ? b.text : ''))).toEqual([
        'Org-wide highlights',
        'Billing — Ana Costa (late)',
        'Onboarding — Ben Adeyemi',
        'Invoicing — Ana Costa (late)',
        'Growth experiments — Chloe Martin',
        'Other',
      ]);
      expect(
        page
          .filter((b) => b.type === 'heading_3')
          .map((b) => ('text' in b ? b.text : ''))
          .slice(3),
      ).toEqual(['Omar Haddad', 'Priya Shah']);
    });

    it('prints a PM’s update once, under their first area, and says where from the others', () => {
      const texts = page.map((b) => ('text' in b ? b.text : '—'));
      expect(texts.filter((t) => t === 'ana shipped dunning')).toHaveLength(1);
      expect(after('Billing — Ana Costa (late)')).toBe('ana shipped dunning');
      expect(after('Invoicing — Ana Costa (late)')).toBe(
        'Ana Costa’s update for Invoicing is under Billing above.',
      );
    });

    it('lists an area whose PM is on leave as on leave, and the silent as sending nothing', () => {
      expect(after('Onboarding — Ben Adeyemi')).toBe('Ben Adeyemi is on leave.');
      expect(after('Growth experiments — Chloe Martin')).toBe('No update this week.');
      expect(after('Omar Haddad')).toBe('omar fixed the importer');
      expect(after('Priya Shah')).toBe('No update this week.');
      const texts = page.map((b) => ('text' in b ? b.text : '—'));
      expect(texts.slice(-3)).toEqual([
        '—',
        'No update from: Chloe Martin, Priya Shah.',
        'On leave: Ben Adeyemi.',
      ]);
    });

    it('without configured areas, everyone goes under one section in the contributors’ order', () => {
      const plain = publishedDocument({
        week: '2026-W23',
        date: '2026-06-04',
        facts,
        sections: [section('omar', 'Omar Haddad', [], 'ready'), section('priya', 'Priya Shah', [], 'ready')],
        areas: [],
      });
      const texts = plain.map((b) => ('text' in b ? b.text : '—'));
      const from = texts.indexOf('Updates');
      expect(texts.slice(from, from + 5)).toEqual([
        'Updates',
        'Omar Haddad',
        'Ready, with nothing to add.',
        'Priya Shah',
        'Ready, with nothing to add.',
      ]);
    });
  });
});
