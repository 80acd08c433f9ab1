/**
 * The log line every prodops process writes: JSON that Cloud Logging reads as a structured entry
 * (severity, message, time), and the Temporal SDK's lines in the same shape with the same names.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, logLevelFromEnv, temporalLogger } from '../../runtime/logging';

function captured(env: NodeJS.ProcessEnv = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'prodops-test', env, destination }) };
}

describe('prodops logs', () => {
  it("are one JSON object a line, with Cloud Logging's severity, message and time", () => {
    const { lines, logger } = captured({ PRODOPS_LOG_LEVEL: 'trace' });
    logger.trace('t');
    logger.debug('d');
    logger.info({ deliveryId: 'abc', workflowId: 'release:REL-1' }, 'delivery accepted');
    logger.warn('w');
    logger.error(new Error('boom'), 'e');
    logger.fatal('f');
    expect(lines.map((l) => l.severity)).toEqual(['DEBUG', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
    expect(lines[2]).toMatchObject({
      service: 'prodops-test',
      message: 'delivery accepted',
      deliveryId: 'abc',
      workflowId: 'release:REL-1',
    });
    expect(Date.parse(String(lines[2]!.time))).not.toBeNaN();
    expect(String(lines[2]!.time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // No numeric level beside the severity: one field says how bad it is.
    expect(lines[2]).not.toHaveProperty('level');
    expect(lines[4]!.error).toMatchObject({ type: 'Error', message: 'boom' });
  });

  it('keep to PRODOPS_LOG_LEVEL, info by default, and refuse a level that does not exist', () => {
    const { lines, logger } = captured();
    logger.debug('hidden');
    logger.info('shown');
    expect(lines.map((l) => l.message)).toEqual(['shown']);
    expect(logLevelFromEnv({ PRODOPS_LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(() => logLevelFromEnv({ PRODOPS_LOG_LEVEL: 'verbose' })).toThrow(
      /PRODOPS_LOG_LEVEL is "verbose": use one of trace, debug, info, warn, error, fatal, silent/,
    );
  });

  it("carry the Temporal SDK's lines with the run as runId and without the task token", () => {
    const { lines, logger } = captured({ PRODOPS_LOG_LEVEL: 'debug' });
    const sdk = temporalLogger(logger);
    sdk.warn('Activity failed', {
      sdkComponent: 'activity',
      workflowId: 'release:REL-9',
      workflowRunId: 'run-1',
      activityType: 'upsertPage',
      taskToken: 'c2VjcmV0LXRhc2stdG9rZW4=',
    });
    sdk.log('INFO', 'signal tierChanged', {
      workflowId: 'release:REL-9',
      runId: 'run-1',
      deliveryId: 'jira:x',
    });
    sdk.trace('too fine');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'Activity failed',
      workflowId: 'release:REL-9',
      runId: 'run-1',
      activityType: 'upsertPage',
    });
    expect(lines[0]).not.toHaveProperty('taskToken');
    expect(lines[0]).not.toHaveProperty('workflowRunId');
    expect(lines[1]).toMatchObject({ severity: 'INFO', runId: 'run-1', deliveryId: 'jira:x' });
  });
});
