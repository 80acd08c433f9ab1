/**
 * The OpenTelemetry SDK behind PRODOPS_TRACING (runtime/tracing.ts, which alone imports this
 * module): a Node tracer provider, registered globally so that the client's spans see the
 * caller's context, exporting through one span processor that the Temporal plugin shares for the
 * spans workflows make inside their sandbox.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Tracing, TracingExporter } from './tracing';

export function startOpenTelemetry(
  service: string,
  exporter: TracingExporter,
  env: NodeJS.ProcessEnv,
): Tracing {
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || service });
  const spanProcessor =
    exporter === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    exporter,
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    shutdown: () => provider.shutdown(),
  };
}
