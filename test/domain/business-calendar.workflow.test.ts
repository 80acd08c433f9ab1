/**
 * The business calendar is meant for workflow code: this runs it inside Temporal's workflow
 * sandbox (bundled, no Node built-ins, Date and Intl as the sandbox provides them) and checks it
 * gives the answers it gives outside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fileURLToPath } from 'node:url';
import { resolveBusinessCalendar } from '../../domain/holidays';
import { bundle, createTimeSkippingEnv, uniqueId } from '../helpers/temporal';
import { loadExampleConfig } from '../helpers/config';
import { calendarProbe, probeCalendar } from '../fixtures/business-calendar-workflows';

const workflowsPath = fileURLToPath(new URL('../fixtures/business-calendar-workflows.ts', import.meta.url));

describe('business calendar inside a workflow', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    [workflowBundle, env] = await Promise.all([bundle(workflowsPath), createTimeSkippingEnv()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('bundles without Node built-ins and computes what it computes outside', async () => {
    const london = resolveBusinessCalendar(loadExampleConfig(), 'london', { from: 2026, to: 2027 });
    const taskQueue = uniqueId('calendar');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    const inWorkflow = await worker.runUntil(
      env.client.workflow.execute(calendarProbe, {
        taskQueue,
        workflowId: uniqueId('calendar-probe'),
        args: [london, '2027-01-08'],
      }),
    );

    expect(inWorkflow).toEqual(probeCalendar(london, '2027-01-08'));
    expect(inWorkflow).toEqual({
      bundleDue: '2026-12-16',
      christmasIsWorking: false,
      countToLaunch: 10,
      lastWorkingDayOfYear: '2026-12-23',
      firstWeekOfJanuary: ['2027-01-04', '2027-01-05', '2027-01-06', '2027-01-07'],
      // Two working days before Fri 8 Jan is Wed 6 Jan, 10:00 GMT.
      readinessCheckAt: '2027-01-06T10:00:00.000Z',
      gapMeetingAt: '2027-03-28T01:30:00.000Z',
      overlapMeetingAt: '2026-10-25T00:30:00.000Z',
      dubaiDate: '2026-03-06',
    });
  });
});
