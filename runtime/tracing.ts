/**
 * OpenTelemetry tracing, off unless one environment variable turns it on:
 *
 *   PRODOPS_TRACING=otlp      spans to an OTLP/HTTP collector: OTEL_EXPORTER_OTLP_ENDPOINT (default
 *                             http://localhost:4318), OTEL_EXPORTER_OTLP_HEADERS, and the other
 *                             standard OTEL_EXPORTER_OTLP_* variables say where and how
 *   PRODOPS_TRACING=console   spans printed on stdout, to look at one locally
 *
 * On, the gateway's client starts a span for each start or signal and carries its context in
 * the workflow's headers; the worker continues it through the workflow and its activities
 * (`@temporalio/interceptors-opentelemetry`), so a delivery is one trace from the gateway to the
 * vendor's API. Off, nothing of OpenTelemetry is loaded: the modules that use it (runtime/otel.ts)
 * are imported only here, when asked for. The trigger functions never trace.
 */
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { SettingsError } from './errors';

export const TRACING_ENV = 'PRODOPS_TRACING';

export type TracingExporter = 'otlp' | 'console';

export interface Tracing {
  exporter: TracingExporter;
  /** For a Worker's or a Client's `plugins`. */
  plugin: OpenTelemetryPlugin;
  /** Exports what is still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): TracingExporter | undefined {
  const given = env[TRACING_ENV]?.trim().toLowerCase();
  if (!given || given === 'off') return undefined;
  if (given === 'otlp' || given === 'console') return given;
  throw new SettingsError(`${TRACING_ENV} is "${given}": use otlp, console or off`);
}

/** Starts tracing when PRODOPS_TRACING asks for it; undefined (and nothing loaded) otherwise. */
export async function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing | undefined> {
  const exporter = tracingFromEnv(env);
  if (!exporter) return undefined;
  const { startOpenTelemetry } = await import('./otel');
  return startOpenTelemetry(service, exporter, env);
}
