/**
 * Heartbeats for every activity attempt while it runs, so that Temporal learns within the
 * activities' `heartbeatTimeout` (workflows/activity-options.ts) that the worker running one has
 * died (a `kill -9`, an OOM kill, a lost host), and retries it on another worker, instead of
 * waiting out the whole start-to-close timeout. The activities themselves stay plain functions:
 * a vendor call cannot say how far it has got, only that its process is still alive.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** How often a running attempt says it is alive: well inside the heartbeat timeout of 20 s. */
export const HEARTBEAT_EVERY_MS = 5_000;

export function livenessInterceptors(everyMs: number = HEARTBEAT_EVERY_MS): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        // Local activities have no heartbeats: their workflow task's timeout covers them.
        if (ctx.info.isLocal) return next(input);
        ctx.heartbeat();
        const timer = setInterval(() => ctx.heartbeat(), everyMs);
        try {
          return await next(input);
        } finally {
          clearInterval(timer);
        }
      },
    },
  });
}
