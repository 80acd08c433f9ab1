/**
 * The launcher the `prodops-weekly-update` schedule runs at opening time on every working day
 * (the schedule itself is tested on the dev server, test/cli/temporal-setup.test.ts). Here it
 * runs on the time-skipping server with the real ritual activities on a calendar where the
 * week's Thursday is a holiday: the Wednesday before starts the week, once; the holiday itself,
 * and a Wednesday of an ordinary week, start nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addCalendarDays, localDateOf, zonedDateTimeToInstant } from '../../../domain/business-calendar';
import type { OrgConfig } from '../../../domain/config';
import { isoWeekOf, neighbouringUpdate, type IsoWeek } from '../../../domain/rituals';
import { datesOfWeek } from '../../../activities/rituals';
import { weeklyUpdateLauncherWorkflow } from '../../../workflows/weekly-update/launcher';
import { weeklyUpdateWorkflowId } from '../../../workflows/weekly-update/messages';
import { loadExampleConfig } from '../../helpers/config';
import { startStack, type Stack } from '../../helpers/stack';
import { uniqueId } from '../../helpers/temporal';
import { WeeklyWorld } from './weekly-world';

const config = loadExampleConfig();
let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

/** The first week after `after` with an update on the configured calendar. */
const weekAfter = (cfg: OrgConfig, after: IsoWeek): IsoWeek =>
  neighbouringUpdate(after, 1, (week) => datesOfWeek(cfg, week))!.week;

/** Skips the server's clock to a local time in London, just after it. */
async function skipTo(date: string, time: string): Promise<void> {
  const target = Date.parse(zonedDateTimeToInstant(date, time, 'Europe/London')) + 60_000;
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

it('on a holiday Thursday, starts the week on the Wednesday before, once, and nothing on the holiday', async () => {
  const today = localDateOf(await env.currentTimeMs(), 'Europe/London');
  const holidayWeek = weekAfter(config, isoWeekOf(today));
  const thursday = datesOfWeek(config, holidayWeek)!.scheduledDate;
  const holidayConfig: OrgConfig = structuredClone(config);
  holidayConfig.calendars.london!.holidays = [...holidayConfig.calendars.london!.holidays, thursday];
  const wednesday = addCalendarDays(thursday, -1);
  expect(datesOfWeek(holidayConfig, holidayWeek)!.date).toBe(wednesday);
  // An ordinary week after it, whose Wednesday is a working day that is not the update's day.
  const ordinaryWeek = weekAfter(holidayConfig, holidayWeek);
  const ordinaryThursday = datesOfWeek(holidayConfig, ordinaryWeek)!.scheduledDate;
  expect(datesOfWeek(holidayConfig, ordinaryWeek)!.date).toBe(ordinaryThursday);

  const world = new WeeklyWorld(holidayConfig);
  await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
    // Awaiting a result through env.client lets the server skip ahead to the next timer of any
    // workflow (the started week's run up to next week's opening); a plain client keeps the clock
    // where skipTo put it, and the launcher needs no timer to finish.
    const clockHeld = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
    const launch = async () => {
      const handle = await clockHeld.workflow.start(weeklyUpdateLauncherWorkflow, {
        taskQueue,
        workflowId: uniqueId('weekly-update-launcher'),
      });
      const outcome = await handle.result();
      if (outcome.week) track(env.client.workflow.getHandle(weeklyUpdateWorkflowId(outcome.week)));
      return outcome;
    };

    await skipTo(addCalendarDays(wednesday, -1), '09:00');
    expect(await launch()).toMatchObject({ week: null, outcome: 'not-today' });

    await skipTo(wednesday, '09:00');
    expect(await launch()).toEqual({
      today: wednesday,
      week: holidayWeek,
      outcome: 'started',
      detail: `started ${weeklyUpdateWorkflowId(holidayWeek)}`,
    });
    // A second run the same day (a re-run of the schedule, a manual trigger) finds it started.
    expect(await launch()).toMatchObject({ week: holidayWeek, outcome: 'already-started' });

    await skipTo(thursday, '09:00');
    expect(await launch()).toEqual({
      today: thursday,
      week: null,
      outcome: 'not-today',
      detail: 'today is not the update day',
    });

    await skipTo(addCalendarDays(ordinaryThursday, -1), '09:00');
    expect(await launch()).toMatchObject({ week: null, outcome: 'not-today' });
  });
});
