/**
 * What became of each delivery, read from the function's answer: the outcome the log line and
 * the counters carry, whichever host served the function.
 */
import { describe, expect, it } from 'vitest';
import { describeDelivery, observeAll, type Delivery } from '../../triggers/deliveries';
import { startGateway, type TriggerHandlers } from '../../triggers/gateway';
import { accepted, failure, ignored, type TriggerHandler } from '../../triggers/http';

describe('a delivery', () => {
  it('is accepted, a duplicate, ignored, refused, unavailable or failed, by its answer', () => {
    const results = [{ workflowId: 'release:REL-9', signal: 'tierChanged', outcome: 'delivered' }];
    expect(describeDelivery('jira', accepted({ delivery: 'd1', results }), 12)).toEqual({
      vendor: 'jira',
      status: 200,
      outcome: 'accepted',
      deliveryId: 'd1',
      workflowIds: ['release:REL-9'],
      durationMs: 12,
    });
    expect(
      describeDelivery(
        'notion',
        accepted({ delivery: 'e1', workflowId: 'notion-event:e1', duplicate: true }),
        1,
      ),
    ).toMatchObject({ outcome: 'duplicate', workflowIds: ['notion-event:e1'] });
    expect(
      describeDelivery('calendar', ignored('sync message: the channel is open', { delivery: 'c:1' }), 1),
    ).toMatchObject({
      outcome: 'ignored',
      deliveryId: 'c:1',
      reason: 'sync message: the channel is open',
      workflowIds: [],
    });
    // Dispatched, with notes about what went nowhere: still accepted.
    expect(
      describeDelivery('jira', accepted({ delivery: 'd2', results, ignored: 'a note' }), 1).outcome,
    ).toBe('accepted');
    expect(describeDelivery('jira', failure(401, 'missing or invalid X-Hub-Signature'), 1)).toMatchObject({
      outcome: 'refused',
      status: 401,
      reason: 'missing or invalid X-Hub-Signature',
    });
    expect(describeDelivery('jira', failure(413, 'too large'), 1).outcome).toBe('refused');
    expect(describeDelivery('jira', failure(503, 'Temporal is unreachable'), 1).outcome).toBe('unavailable');
    expect(describeDelivery('jira', failure(500, 'internal error'), 1).outcome).toBe('failed');
  });

  it('is observed by every observer, whatever one of them throws', () => {
    const seen: string[] = [];
    const observe = observeAll(
      () => {
        throw new Error('broken meter');
      },
      undefined,
      (d) => seen.push(d.outcome),
    );
    observe(describeDelivery('jira', failure(400, 'bad'), 1));
    expect(seen).toEqual(['refused']);
  });

  it('is reported by the gateway once answered, the oversized one included, and the answer never waits on it', async () => {
    const handler: TriggerHandler = async () => accepted({ delivery: 'd9', workflowId: 'notion-event:d9' });
    const handlers: TriggerHandlers = { jira: handler, notion: handler, calendar: handler };
    const observed: Delivery[] = [];
    const gateway = await startGateway({
      handlers,
      port: 0,
      log: () => {},
      observe: (d) => {
        observed.push(d);
        throw new Error('a broken observer');
      },
    });
    try {
      const ok = await fetch(`${gateway.url}/notion`, { method: 'POST', body: '{}' });
      expect(ok.status).toBe(200);
      const big = await fetch(`${gateway.url}/jira`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(2 * 1024 * 1024),
      }).catch(() => undefined);
      if (big) expect(big.status).toBe(413);
      const notFound = await fetch(`${gateway.url}/elsewhere`, { method: 'POST', body: '{}' });
      expect(notFound.status).toBe(404);
    } finally {
      await gateway.close();
    }
    expect(observed.map((d) => [d.vendor, d.outcome, d.status])).toEqual([
      ['notion', 'accepted', 200],
      ['jira', 'refused', 413],
    ]);
    expect(observed[0]!.deliveryId).toBe('d9');
    expect(observed[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });
});
