/**
 * Reads what the dashboard shows from Temporal, through the same readers as `prodops report`
 * and the weekly update: releases and leave by visibility and their workflows' status, the
 * subscriptions' memos (one listing, as `prodops renewal list`), and the measurement's records.
 * Nothing else is asked: the dashboard is read-only.
 */
import type { Client } from '@temporalio/client';
import { addCalendarDays, localDateOf } from '../domain/business-calendar';
import { ritualCalendarName, type OrgConfig } from '../domain/config';
import { readLeaveFacts, readReleaseStatuses, releaseFactOf } from '../activities/records';
import { readSubscriptionMemos } from '../activities/renewals';
import { readMeasureInput } from '../activities/rituals';
import {
  buildDashboard,
  coverWindow,
  figuresRange,
  launchWindow,
  renewalRowsOf,
  type DashboardModel,
} from './model';

export async function readDashboard(
  client: Client,
  config: OrgConfig,
  now = Date.now(),
): Promise<DashboardModel> {
  const timezone = config.calendars[ritualCalendarName(config)]!.timezone;
  const today = localDateOf(now, timezone);
  const launches = launchWindow(today);
  const cover = coverWindow(today);
  const range = figuresRange(today);
  // Running releases whatever their date (an overdue launch is still news), and those that
  // launched or will launch within the calendar's weeks.
  const releases = await readReleaseStatuses(client, {
    from: addCalendarDays(launches.from, -7),
    to: launches.to,
    running: true,
  });
  const leave = await readLeaveFacts(client, cover);
  const memos = await readSubscriptionMemos(client);
  const measured = await readMeasureInput(client, config, { from: range.from, to: range.to }, now);
  return buildDashboard({
    organisation: config.organisation.name,
    generatedAt: new Date(now).toISOString(),
    today,
    timezone,
    releases: releases.statuses.map((s) => releaseFactOf(s, config)),
    leave,
    renewals: renewalRowsOf(memos, config.people, today),
    measureInput: measured.input,
    skipped: [...releases.skipped, ...measured.skipped],
  });
}
