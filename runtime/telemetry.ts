/**
 * Logs and metrics of a long-running prodops process (`prodops worker`, `prodops gateway`): the
 * Temporal Runtime, installed once per process, writes every log line through pino
 * (runtime/logging.ts), Core's own included, and serves Prometheus metrics: the Runtime's
 * (workers, task slots, polls, schedule-to-start latencies, and every request to the Temporal
 * server by operation and status) beside prodops' counters, made on the Runtime's meter.
 *
 *   PRODOPS_METRICS_ADDRESS   host:port where GET /metrics answers (for example 0.0.0.0:9464);
 *                             no metrics endpoint when unset
 *
 * The trigger functions never load this: a function is billed by its cold start, and Cloud Run
 * offers it no scrape; it writes one log line per delivery instead (triggers/deliveries.ts).
 */
import type { MetricMeter } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { SettingsError } from './errors';
import { createLogger, temporalLogger, type Logger } from './logging';

export const METRICS_ADDRESS_ENV = 'PRODOPS_METRICS_ADDRESS';

/** `host:port` from PRODOPS_METRICS_ADDRESS, or undefined when unset; a malformed one is refused. */
export function metricsAddressFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env[METRICS_ADDRESS_ENV]?.trim();
  if (!given) return undefined;
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(given);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535)
    throw new SettingsError(
      `${METRICS_ADDRESS_ENV} is "${given}": give host:port, for example 0.0.0.0:9464 (or 127.0.0.1:9464 to keep it on this host)`,
    );
  return given;
}

export interface Telemetry {
  logger: Logger;
  /** The Runtime's meter: what it counts is served with the Runtime's own metrics. */
  meter: MetricMeter;
  /** Where GET /metrics answers, when it does. */
  metricsAddress: string | undefined;
}

export interface TelemetryOptions {
  /** prodops-worker, prodops-gateway: the `service` of every line. */
  service: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The signals that stop the Runtime's workers (the Runtime's own default when absent). */
  shutdownSignals?: NodeJS.Signals[];
}

/** Installs the Runtime with prodops' logger and, when asked for, a Prometheus endpoint. */
export function installTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ service: options.service, env });
  const metricsAddress = metricsAddressFromEnv(env);
  Runtime.install({
    logger: temporalLogger(logger),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    telemetryOptions: {
      // Core's own lines (connection trouble, a worker's fatal error) join the others.
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                // Prometheus' conventions: counters end in _total, durations are seconds.
                countersTotalSuffix: true,
                useSecondsForDurations: true,
              },
            },
          }
        : {}),
    },
  });
  return { logger, meter: Runtime.instance().metricMeter, metricsAddress };
}
