import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestBudget } from '../../activities/request-budget';

/** The most start times within any window of `windowMs` (half-open, as a vendor counts). */
function peakInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `count` requests that each take `tookMs` to answer; resolves with their start times. */
async function run(budget: RequestBudget, count: number, tookMs = 0): Promise<number[]> {
  const starts: number[] = [];
  const all = Array.from({ length: count }, async () => {
    const slot = await budget.acquire();
    starts.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, tookMs));
    slot.release();
  });
  const done = Promise.all(all);
  await vi.runAllTimersAsync();
  await done;
  return starts;
}

describe('RequestBudget', () => {
  it('keeps every 10-second window at 30 requests and the average at 3 per second after a burst', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 6, maxWaitMs: 600_000 });
    const starts = await run(budget, 120, 50);
    expect(peakInWindow(starts, 10_000)).toBeLessThanOrEqual(30);
    // Six at once, then one every third of a second.
    expect(starts.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(starts[6]).toBeCloseTo(334, -1);
    const last = Math.max(...starts);
    expect(last / 1000).toBeGreaterThan((120 - 6) / 3 - 1);
    expect(last / 1000).toBeLessThan((120 - 6) / 3 + 1);
    expect(budget.stats.started).toBe(120);
  });

  it('counts a request until a window after its answer: slow answers slow the budget, never overrun it', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 30, maxWaitMs: 600_000 });
    // Thirty at once, each answered only after 4 s: the 31st may start 10 s after the first answer.
    const starts = await run(budget, 31, 4_000);
    expect(starts.filter((t) => t === 0)).toHaveLength(30);
    expect(Math.max(...starts)).toBe(14_000);
  });

  it('starts nothing during a Retry-After pause, then makes up the pause within the window', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 6, maxWaitMs: 600_000 });
    const starts: number[] = [];
    const all = Array.from({ length: 90 }, async (_, i) => {
      const slot = await budget.acquire();
      starts.push(Date.now());
      slot.release();
      if (i === 40) budget.pauseFor(2_000);
    });
    const done = Promise.all(all);
    await vi.runAllTimersAsync();
    await done;
    const pausedAt = starts[40]!;
    expect(starts.filter((t) => t > pausedAt && t < pausedAt + 2_000)).toEqual([]);
    expect(peakInWindow(starts, 10_000)).toBeLessThanOrEqual(30);
    // The two seconds lost come back: 90 requests take about as long as without the pause.
    expect(Math.max(...starts) / 1000).toBeLessThan((90 - 6) / 3 + 1);
    expect(budget.stats.pausedMs).toBe(2_000);
  });

  it('gives up on a turn that does not come in time, retryably, and lets the others through', async () => {
    const budget = new RequestBudget({ perWindow: 2, windowMs: 10_000, burst: 2, maxWaitMs: 1_000 });
    const outcomes = Array.from({ length: 3 }, () =>
      budget.acquire().then(
        (slot) => {
          slot.release();
          return 'started';
        },
        (error: unknown) => error,
      ),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    const [a, b, c] = await Promise.all(outcomes);
    expect([a, b]).toEqual(['started', 'started']);
    expect(c).toBeInstanceOf(ApplicationFailure);
    expect(c).toMatchObject({ type: 'RateLimited', nonRetryable: false });
  });

  it('pauses for the Retry-After of a 429 answered through its fetch', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 6, maxWaitMs: 600_000 });
    let calls = 0;
    const fetch = budget.wrapFetch(
      async () => {
        calls += 1;
        return calls === 1
          ? new Response('{}', { status: 429, headers: { 'retry-after': '3' } })
          : new Response('{}', { status: 200 });
      },
      5_000,
      0,
    );
    expect((await fetch('https://api.notion.com/v1/users')).status).toBe(429);
    const second = fetch('https://api.notion.com/v1/users');
    let answeredAt = -1;
    void second.then(() => (answeredAt = Date.now()));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(answeredAt).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await second).status).toBe(200);
    expect(answeredAt).toBe(3_000);
    expect(budget.stats).toMatchObject({ started: 2, refused: 1 });
  });

  it('sends a refused request again once the Retry-After has passed, within the same call', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 6, maxWaitMs: 600_000 });
    const sentAt: number[] = [];
    const bodies: unknown[] = [];
    const fetch = budget.wrapFetch(async (_url, init) => {
      sentAt.push(Date.now());
      bodies.push(init?.body);
      return sentAt.length <= 2
        ? new Response('{}', { status: 429, headers: { 'retry-after': '2' } })
        : new Response('{"ok":true}', { status: 200 });
    }, 5_000);
    const answer = fetch('https://api.notion.com/v1/pages', { method: 'POST', body: '{"a":1}' });
    await vi.advanceTimersByTimeAsync(4_000);
    expect((await answer).status).toBe(200);
    expect(sentAt).toEqual([0, 2_000, 4_000]);
    expect(bodies).toEqual(['{"a":1}', '{"a":1}', '{"a":1}']);
    expect(budget.stats).toMatchObject({ started: 3, refused: 2 });
  });

  it('answers the last 429 once its resends are spent, so the attempt fails with the Retry-After', async () => {
    const budget = new RequestBudget({ perWindow: 30, windowMs: 10_000, burst: 6, maxWaitMs: 600_000 });
    let calls = 0;
    const fetch = budget.wrapFetch(async () => {
      calls += 1;
      return new Response('{}', { status: 429, headers: { 'retry-after': '1' } });
    }, 5_000);
    const answer = fetch('https://api.notion.com/v1/users');
    await vi.advanceTimersByTimeAsync(2_000);
    const response = await answer;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(calls).toBe(3);
  });
});
