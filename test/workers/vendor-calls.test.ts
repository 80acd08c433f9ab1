/**
 * Vendor calls by outcome: the activity interceptor reads what activities/errors.ts made of the
 * vendor's answer.
 */
import { describe, expect, it } from 'vitest';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, type MetricMeter, type MetricTags } from '@temporalio/common';
import { ErrorTypes } from '../../activities/errors';
import { vendorCallInterceptors, vendorCallOutcome } from '../../workers/vendor-calls';

function recordingMeter() {
  const added: { name: string; value: number; tags: MetricTags }[] = [];
  const meter = {
    createCounter: (name: string) => ({
      name,
      add: (value: number, tags: MetricTags = {}) => added.push({ name, value, tags }),
    }),
  } as unknown as MetricMeter;
  return { meter, added };
}

describe('a vendor call', () => {
  it('is ok, rate-limited, non-retryable or retryable, and a cancellation is no answer', () => {
    expect(vendorCallOutcome(ApplicationFailure.retryable('429 from Notion', ErrorTypes.rateLimited))).toBe(
      'rate-limited',
    );
    expect(vendorCallOutcome(ApplicationFailure.nonRetryable('404 from Jira', ErrorTypes.notFound))).toBe(
      'non-retryable',
    );
    expect(vendorCallOutcome(ApplicationFailure.retryable('503 from Google', ErrorTypes.unavailable))).toBe(
      'retryable',
    );
    expect(vendorCallOutcome(new Error('socket hang up'))).toBe('retryable');
    expect(vendorCallOutcome(new CancelledFailure('cancelled'))).toBeUndefined();
  });

  it('is counted by system, outcome and activity, and a permanent refusal is logged as an error', async () => {
    const { meter, added } = recordingMeter();
    const logged: { level: string; message: string; meta: unknown }[] = [];
    const ctx = {
      info: {
        activityType: 'createIssue',
        taskQueue: 'prodops-jira',
        activityNamespace: 'default',
        attempt: 1,
      },
      log: {
        error: (message: string, meta: unknown) => logged.push({ level: 'error', message, meta }),
        warn: (message: string, meta: unknown) => logged.push({ level: 'warn', message, meta }),
      },
    } as unknown as Context;
    const { inbound } = vendorCallInterceptors('jira', meter)(ctx);
    const input = { args: [], headers: {} };
    await expect(inbound!.execute!(input, async () => 'REL-12')).resolves.toBe('REL-12');
    const refusal = ApplicationFailure.nonRetryable(
      'jira createIssue: 400 Field customfield_1 is required',
      ErrorTypes.badRequest,
    );
    await expect(
      inbound!.execute!(input, async () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    await expect(
      inbound!.execute!(input, async () => {
        throw new CancelledFailure('cancelled');
      }),
    ).rejects.toBeInstanceOf(CancelledFailure);
    const base = {
      system: 'jira',
      activity_type: 'createIssue',
      task_queue: 'prodops-jira',
      namespace: 'default',
    };
    expect(added).toEqual([
      { name: 'prodops_vendor_calls', value: 1, tags: { ...base, outcome: 'ok' } },
      { name: 'prodops_vendor_calls', value: 1, tags: { ...base, outcome: 'non-retryable' } },
    ]);
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'jira refused createIssue: jira createIssue: 400 Field customfield_1 is required',
        meta: { system: 'jira', outcome: 'non-retryable', attempt: 1, errorType: 'BadRequest' },
      },
    ]);
  });
});
