/**
 * The switches of a deployment's telemetry, each one environment variable, checked before
 * anything starts: a typo is a one-line error, never a process that silently exports nothing.
 */
import { describe, expect, it } from 'vitest';
import { metricsAddressFromEnv } from '../../runtime/telemetry';
import { startTracing, tracingFromEnv } from '../../runtime/tracing';

describe('PRODOPS_METRICS_ADDRESS', () => {
  it('is a host and port, or unset for no metrics endpoint', () => {
    expect(metricsAddressFromEnv({})).toBeUndefined();
    expect(metricsAddressFromEnv({ PRODOPS_METRICS_ADDRESS: ' 0.0.0.0:9464 ' })).toBe('0.0.0.0:9464');
    expect(metricsAddressFromEnv({ PRODOPS_METRICS_ADDRESS: '[::1]:9464' })).toBe('[::1]:9464');
    for (const bad of ['9464', 'localhost', '0.0.0.0:99999', 'http://0.0.0.0:9464'])
      expect(() => metricsAddressFromEnv({ PRODOPS_METRICS_ADDRESS: bad }), bad).toThrow(
        /PRODOPS_METRICS_ADDRESS is ".*": give host:port/,
      );
  });
});

describe('PRODOPS_TRACING', () => {
  it('is off unless set to otlp or console', async () => {
    expect(tracingFromEnv({})).toBeUndefined();
    expect(tracingFromEnv({ PRODOPS_TRACING: 'off' })).toBeUndefined();
    expect(tracingFromEnv({ PRODOPS_TRACING: 'OTLP' })).toBe('otlp');
    expect(tracingFromEnv({ PRODOPS_TRACING: 'console' })).toBe('console');
    expect(() => tracingFromEnv({ PRODOPS_TRACING: 'jaeger' })).toThrow(
      'PRODOPS_TRACING is "jaeger": use otlp, console or off',
    );
    // Off, it starts nothing.
    expect(await startTracing('prodops-test', {})).toBeUndefined();
  });
});
