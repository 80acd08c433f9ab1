/**
 * The dashboard's model and page from known records, without a server or a browser: the launch
 * calendar's weeks, an overdue launch called out, leave outside the window left out, the
 * figures equal to `measure` over the range the page names, the notice deadlines ahead from the
 * subscriptions' memos, and a page that runs nothing.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDashboard, figuresRange, LAUNCH_WEEKS, renewalRowsOf } from '../../dashboard/model';
import { DASHBOARD_CSP, renderDashboard } from '../../dashboard/render';
import { measure, type ReleaseRecord } from '../../domain/measurement';
import type { LeaveFact, ReleaseFact } from '../../domain/weekly-update-content';
import type { SubscriptionMemo } from '../../workflows/renewal/messages';

// Friday 27 November 2026: the calendar starts on Monday 23 November.
const today = '2026-11-27';

function fact(o: Partial<ReleaseFact> & { issueKey: string; launchDate: string }): ReleaseFact {
  return {
    title: o.issueKey,
    tier: 2,
    pmId: 'ana',
    pmName: 'Ana Costa',
    productArea: null,
    phase: 'planning',
    enablement: 'pending',
    launchedOn: null,
    flags: { late: false, atRisk: false, onHold: false, launchOverdue: false },
    ...o,
  };
}

const leave = (o: Partial<LeaveFact> & { personId: string; from: string; to: string }): LeaveFact => ({
  personName: o.personId,
  firstDay: 'full',
  lastDay: 'full',
  status: 'confirmed',
  buddyName: null,
  ...o,
});

const covered: ReleaseRecord = {
  issueKey: 'REL-9',
  title: 'Nine',
  tier: 3,
  pmId: 'ana',
  productArea: null,
  phase: 'launched',
  cancelled: false,
  plannedLaunch: '2026-11-02',
  launchedOn: '2026-11-02',
  bundleDueDate: '2026-10-19',
  bundlePublishedOn: '2026-10-16',
  publishedBeforeLaunch: true,
  dayThreeCheckIn: '2026-11-05',
  dayThreeAsked: true,
  awareness: [{ by: 'nora', team: 'sales', aware: false }],
};

function model() {
  return buildDashboard({
    organisation: 'Northwind <Labs>',
    generatedAt: '2026-11-27T10:00:00.000Z',
    today,
    timezone: 'Europe/London',
    releases: [
      fact({
        issueKey: 'REL-1',
        title: 'Alerts <b>now</b>',
        launchDate: '2026-12-02',
        flags: { late: true, atRisk: false, onHold: false, launchOverdue: false },
      }),
      fact({ issueKey: 'REL-2', launchDate: '2026-11-18' }), // passed, not released: overdue
      fact({ issueKey: 'REL-3', launchDate: '2027-01-11', tier: 3 }), // the last of the eight weeks
      fact({ issueKey: 'REL-4', launchDate: '2027-01-18' }), // beyond them
      fact({ issueKey: 'REL-5', launchDate: '2026-12-09', phase: 'cancelled' }),
    ],
    leave: [
      leave({
        personId: 'ana',
        personName: 'Ana Costa',
        from: '2026-12-01',
        to: '2026-12-04',
        buddyName: 'Ben Adeyemi',
      }),
      leave({ personId: 'ben', from: '2027-01-04', to: '2027-01-08' }), // after the four weeks
    ],
    renewals: null,
    measureInput: {
      from: '2000-01-01',
      to: '2000-01-01',
      today,
      now: Date.parse('2026-11-27T10:00:00Z'),
      releases: [covered],
      updates: [],
    },
    skipped: [],
  });
}

describe('the dashboard', () => {
  it('lays the next eight weeks out by ISO week and calls out an overdue launch', () => {
    const m = model();
    expect(m.launches.weeks).toHaveLength(LAUNCH_WEEKS);
    expect(m.launches.weeks[0]).toMatchObject({ week: '2026-W48', monday: '2026-11-23' });
    expect(m.launches.weeks.flatMap((w) => w.releases.map((r) => r.issueKey))).toEqual(['REL-1', 'REL-3']);
    expect(m.launches.overdue.map((r) => r.issueKey)).toEqual(['REL-2']);
    expect(m.cover.rows.map((l) => l.personId)).toEqual(['ana']);
    expect(m.renewals).toBeNull();
  });

  it('shows the figures of measure over the twelve weeks it names', () => {
    const m = model();
    const range = figuresRange(today);
    expect({ from: m.figures.from, to: m.figures.to }).toEqual({ from: '2026-09-07', to: today });
    expect(range.lastWeek).toBe('2026-W48');
    const expected = measure({
      from: '2026-09-07',
      to: today,
      today,
      now: Date.parse('2026-11-27T10:00:00Z'),
      releases: [covered],
      updates: [],
    });
    expect(m.figures.report).toEqual(expected);
    expect(m.figures.values.enablementCoverage).toMatchObject({ numerator: 1, denominator: 1 });
    expect(m.figures.values.surpriseScore).toMatchObject({ numerator: 1, denominator: 1 });
    expect(m.figures.trend).toHaveLength(12);
    expect(m.figures.trend.find((w) => w.week === '2026-W45')!.values.enablementCoverage.denominator).toBe(1);
  });

  it('renders one page with no script, its text escaped, its one style allowed by hash', () => {
    const html = renderDashboard(model());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('Northwind &lt;Labs&gt;');
    expect(html).toContain('Alerts &lt;b&gt;now&lt;/b&gt;');
    expect(html).toMatch(
      /<tr data-issue="REL-1" data-flags="late">[\s\S]*?<strong class="flag flag-late">Late<\/strong>/,
    );
    expect(html).toMatch(/<tr data-issue="REL-2" data-flags="overdue">/);
    expect(html).toMatch(/<tr data-person="ana"><th scope="row">Ana Costa<\/th>[\s\S]*?Ben Adeyemi/);
    expect(html).not.toContain('id="renewals"');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(DASHBOARD_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
  });

  it('lists the notice deadlines still ahead, soonest first, with the owner and the decision', () => {
    const memo = (o: Partial<SubscriptionMemo> & { subscriptionId: string }): SubscriptionMemo => ({
      tool: o.subscriptionId,
      vendor: null,
      ownerId: 'ana',
      team: 'growth',
      lifecycle: 'active',
      decision: null,
      escalated: false,
      renewalDate: '2027-03-01',
      noticeDeadline: '2027-01-29',
      nextReminder: null,
      perYear: null,
      budgetCallout: null,
      budget: null,
      ...o,
    });
    const rows = renewalRowsOf(
      [
        memo({ subscriptionId: 'figma', tool: 'Figma <Pro>', decision: 'cancel' }),
        memo({ subscriptionId: 'slack', tool: 'Slack', ownerId: 'ben', noticeDeadline: today }),
        memo({ subscriptionId: 'past', noticeDeadline: '2026-11-26' }), // the deadline has passed
        memo({ subscriptionId: 'missed', lifecycle: 'missed' }),
        memo({ subscriptionId: 'cancelled', lifecycle: 'cancelled' }),
        memo({ subscriptionId: 'nodate', noticeDeadline: null }),
        memo({ subscriptionId: 'stranger', tool: 'Miro', ownerId: 'nobody', noticeDeadline: '2027-02-01' }),
      ],
      [
        { id: 'ana', name: 'Ana Costa' },
        { id: 'ben', name: 'Ben Adeyemi' },
      ],
      today,
    );
    expect(rows).toEqual([
      {
        vendor: 'Slack',
        ownerName: 'Ben Adeyemi',
        noticeDeadline: today,
        renewalDate: '2027-03-01',
        decision: null,
      },
      {
        vendor: 'Figma <Pro>',
        ownerName: 'Ana Costa',
        noticeDeadline: '2027-01-29',
        renewalDate: '2027-03-01',
        decision: 'cancel',
      },
      {
        vendor: 'Miro',
        ownerName: null,
        noticeDeadline: '2027-02-01',
        renewalDate: '2027-03-01',
        decision: null,
      },
    ]);
    const html = renderDashboard({ ...model(), renewals: rows });
    expect(html).toContain('id="renewals"');
    expect(html).toContain('Figma &lt;Pro&gt;');
    expect(html).toMatch(/<th scope="row">Slack<\/th>[\s\S]*?Ben Adeyemi[\s\S]*?undecided/);
    const empty = renderDashboard({ ...model(), renewals: [] });
    expect(empty).toContain('No notice deadlines ahead');
  });
});
