/**
 * prodops' logs: one JSON object a line on stdout, written by pino, in the shape Google Cloud
 * Logging reads without an agent (`severity`, `message`, `time`), which any other collector
 * (Loki, Datadog, jq) reads as well.
 *
 *   {"severity":"INFO","time":"2027-01-11T09:30:00.123Z","service":"prodops-gateway",
 *    "vendor":"jira","deliveryId":"a1b2…","outcome":"accepted","workflowIds":["release:REL-9"],
 *    "message":"delivery accepted"}
 *
 * The names that tie a delivery to what it started are the same everywhere: `deliveryId` (the
 * vendor's delivery), `workflowId` and `runId` (Temporal's). A worker's lines come through the
 * Temporal SDK (`temporalLogger`), which adds the workflow or activity they belong to.
 *
 *   PRODOPS_LOG_LEVEL   trace, debug, info (default), warn, error
 */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

export type Logger = PinoLogger;

/** pino's level names as Cloud Logging's severities (LogSeverity). */
export const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

const LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  const given = env.PRODOPS_LOG_LEVEL?.trim().toLowerCase();
  if (!given) return 'info';
  if (!(LEVELS as readonly string[]).includes(given))
    throw new Error(`PRODOPS_LOG_LEVEL is "${given}": use one of ${LEVELS.join(', ')}`);
  return given as LevelWithSilent;
}

export interface LoggerOptions {
  /** What writes the lines, as Cloud Logging's `service` label would name it (prodops-worker). */
  service: string;
  env?: NodeJS.ProcessEnv;
  /** Where the lines go; stdout (synchronously, so nothing is lost when a function is frozen) by default. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: logLevelFromEnv(options.env),
    base: { service: options.service },
    messageKey: 'message',
    errorKey: 'error',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
    },
    serializers: { error: pino.stdSerializers.err, err: pino.stdSerializers.err },
  };
  return options.destination
    ? pino(settings, options.destination)
    : pino(settings, pino.destination({ sync: true }));
}

/**
 * The Temporal SDK's logger (workers, workflows through their sink, activities) on pino. The
 * SDK names the run `runId` for a workflow and `workflowRunId` for an activity: both become
 * `runId`. An activity's task token is an opaque credential of the task, never worth a log line.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (key === 'taskToken') continue;
      fields[key === 'workflowRunId' ? 'runId' : key] = value;
    }
    const method =
      level === 'TRACE'
        ? 'trace'
        : level === 'DEBUG'
          ? 'debug'
          : level === 'WARN'
            ? 'warn'
            : level === 'ERROR'
              ? 'error'
              : 'info';
    logger[method](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
