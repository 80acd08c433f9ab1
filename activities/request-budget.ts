/**
 * A vendor's request budget, kept by the process that talks to it: at most `perWindow` HTTP
 * requests in any window of `windowMs`, started no faster than the average allows once a short
 * burst is spent, and nothing at all while the vendor's Retry-After runs.
 *
 * Notion allows an average of 3 requests per second per integration. Temporal's queue limit
 * counts activity executions, and one execution can send several requests (a look-up, then a
 * create, then content batches), so the budget is kept here, on every request the client sends,
 * refused ones included.
 *
 * A request counts from the moment it is sent until `windowMs` after its answer came back (or it
 * failed): the vendor saw it somewhere in between, so however long the way there takes, no
 * window of the vendor's clock holds more than `perWindow` of them.
 */
import { ApplicationFailure } from '@temporalio/common';
import { parseRetryAfter } from './errors';

export interface RequestBudgetOptions {
  /** Requests allowed in any window. */
  perWindow: number;
  /** The window, in milliseconds (10 s: Notion's limit is an average over seconds, not per second). */
  windowMs?: number;
  /**
   * Requests that may start at once after a quiet spell or a Retry-After pause: the size of the
   * token bucket that paces the rest at perWindow / windowMs.
   */
  burst?: number;
  /** How long a request may wait for its turn before the attempt gives up (retryable). */
  maxWaitMs?: number;
  /** The pause after a refusal that names no Retry-After. */
  defaultRetryAfterMs?: number;
  now?: () => number;
}

interface Waiter {
  resolve: (slot: RequestSlot) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RequestSlot {
  /** The request is answered (or failed): it leaves the in-flight count and enters the window. */
  release(): void;
}

export interface BudgetFigures {
  /** Requests started, in total. */
  started: number;
  /** Requests refused with 429 by the vendor. */
  refused: number;
  /** Time spent paused by Retry-After, in ms. */
  pausedMs: number;
}

export class RequestBudget {
  readonly perWindow: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly maxWaitMs: number;
  private readonly defaultRetryAfterMs: number;
  private readonly now: () => number;
  /** Ratio of requests to milliseconds: the average the bucket refills at. */
  private readonly rate: number;

  /** When each answered request left flight, oldest first, within the last window. */
  private readonly ended: number[] = [];
  private inFlight = 0;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly figures: BudgetFigures = { started: 0, refused: 0, pausedMs: 0 };

  constructor(options: RequestBudgetOptions) {
    if (!Number.isFinite(options.perWindow) || options.perWindow < 1)
      throw new Error(`a request budget needs at least one request per window, not ${options.perWindow}`);
    this.perWindow = Math.floor(options.perWindow);
    this.windowMs = options.windowMs ?? 10_000;
    this.burst = Math.max(1, Math.min(this.perWindow, options.burst ?? Math.ceil(this.perWindow / 5)));
    this.maxWaitMs = options.maxWaitMs ?? 20_000;
    this.defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.rate = this.perWindow / this.windowMs;
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  /** Requests per second on average. */
  get perSecond(): number {
    return this.rate * 1000;
  }

  get stats(): BudgetFigures {
    return { ...this.figures };
  }

  /** Waits for a turn; rejects (retryably) when none comes within `maxWaitMs`. */
  acquire(): Promise<RequestSlot> {
    return new Promise<RequestSlot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          reject(
            ApplicationFailure.create({
              type: 'RateLimited',
              message: `no turn in the request budget within ${this.maxWaitMs / 1000} s (${this.perWindow} requests per ${this.windowMs / 1000} s); will retry`,
              nonRetryable: false,
              nextRetryDelay: `${Math.ceil(this.windowMs / 1000)}s`,
            }),
          );
          this.pump();
        }, this.maxWaitMs),
      };
      waiter.timer.unref?.();
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** No request starts before `ms` from now (a vendor's Retry-After). */
  pauseFor(ms: number): void {
    const until = this.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.figures.pausedMs += until - Math.max(this.pausedUntil, this.now());
      this.pausedUntil = until;
    }
    this.pump();
  }

  /**
   * A fetch that takes its turn before sending, counts the request until `windowMs` after its
   * answer, pauses the budget on 429 for the answer's Retry-After, and aborts a request that takes
   * longer than `timeoutMs` to answer.
   *
   * A 429 means the vendor did not act on the request, so sending it again is safe: up to
   * `resendsOn429` times it waits out the pause in the budget and goes again, within the same
   * activity attempt. Leaving it to the activity's retry instead would cost the attempt's other
   * requests again (an upsert's look-up) and the retry's scheduling on top of the pause. The last
   * 429 is answered to the caller, whose attempt then fails retryably with the Retry-After.
   */
  wrapFetch(
    fetch: (url: string, init?: RequestInit) => Promise<Response>,
    timeoutMs: number,
    resendsOn429 = 2,
  ): (url: string, init?: RequestInit) => Promise<Response> {
    return async (url, init) => {
      for (let resends = 0; ; resends++) {
        const slot = await this.acquire();
        let response: Response;
        try {
          response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        } finally {
          slot.release();
        }
        if (response.status !== 429) return response;
        this.figures.refused += 1;
        const seconds = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
        this.pauseFor(seconds === undefined ? this.defaultRetryAfterMs : seconds * 1000);
        if (resends >= resendsOn429) return response;
        // The refused answer's body is never read; free its connection before going again.
        await response.body?.cancel().catch(() => undefined);
      }
    };
  }

  private refill(at: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (at - this.refilledAt) * this.rate);
    this.refilledAt = at;
  }

  /** The earliest time the next request may start, given no answers arrive meanwhile. */
  private nextStart(at: number): number | null {
    while (this.ended.length > 0 && this.ended[0]! <= at - this.windowMs) this.ended.shift();
    const counted = this.inFlight + this.ended.length;
    let earliest = Math.max(at, this.pausedUntil);
    if (counted >= this.perWindow) {
      // Only requests already answered leave the window; those in flight must answer first.
      const leaving = counted - this.perWindow;
      if (leaving >= this.ended.length) return null;
      earliest = Math.max(earliest, this.ended[leaving]! + this.windowMs);
    }
    if (this.tokens < 1) earliest = Math.max(earliest, at + (1 - this.tokens) / this.rate);
    return earliest;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (;;) {
      if (this.queue.length === 0) return;
      const at = this.now();
      this.refill(at);
      const next = this.nextStart(at);
      if (next === null) return; // an answer will pump again
      if (next > at) {
        this.timer = setTimeout(() => this.pump(), Math.ceil(next - at));
        this.timer.unref?.();
        return;
      }
      const waiter = this.queue.shift()!;
      clearTimeout(waiter.timer);
      this.tokens -= 1;
      this.inFlight += 1;
      this.figures.started += 1;
      let released = false;
      waiter.resolve({
        release: () => {
          if (released) return;
          released = true;
          this.inFlight -= 1;
          this.ended.push(this.now());
          this.pump();
        },
      });
    }
  }
}
