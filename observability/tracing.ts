/**
 * OpenTelemetry traces: one trace from a webhook (Hono server span) through the Temporal client, the
 * subscription workflow and its activity to the call at Microsoft.
 *
 * On only when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, and not `OTEL_SDK_DISABLED=true`); the exporter reads the other
 * standard `OTEL_*` variables itself (headers, timeout, batch sizes). Off, nothing is loaded or
 * registered: no interceptors, no middleware, and the helpers below are one boolean check, because
 * webhook intake latency is measured against a bare `signalWithStart`.
 * @module
 */
import { createRequire } from 'node:module'
import {
  context,
  isSpanContextValid,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api'
import type { ClientInterceptors } from '@temporalio/client'
import type { MiddlewareHandler } from 'hono'
import type { WorkerInterceptors, WorkerOptions } from '@temporalio/worker'
import type { Span as SdkSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base'

/** What the rest of the service plugs in when traces are on. */
export interface Tracing {
  /** Interceptors for a Temporal `Client` (start, signal-with-start, signal, update: context into headers). */
  clientInterceptors: ClientInterceptors
  /** A worker's activity interceptors: a span per activity, child of the workflow span that scheduled it. */
  activityInterceptors: NonNullable<WorkerInterceptors['activity']>
  /**
   * The sink through which workflow spans, made inside the sandbox by the interceptors of
   * {@link WORKFLOW_INTERCEPTORS_MODULE}, reach the exporter.
   */
  workflowSinks: NonNullable<WorkerOptions['sinks']>
  /** Hono middleware: one server span per request, named by route template. */
  httpMiddleware: MiddlewareHandler
  /** Flushes what is buffered and unregisters everything (tests, process end). */
  shutdown(): Promise<void>
}

/**
 * The workflow interceptors module (inbound, outbound, internals) the worker adds to the workflow bundle;
 * scripts/build.mjs bundles it into dist/workflow-bundle-traced.js.
 */
export const WORKFLOW_INTERCEPTORS_MODULE = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
)

const TRACER = 'saas-fulfillment'
let active: Tracing | undefined

/** The process's tracing when on, else undefined. */
export const tracing = (): Tracing | undefined => active

/** Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return false
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim())
}

/**
 * Sets up tracing for this process when the environment asks for it (or a test gives an exporter), once,
 * before the first Temporal client, worker or server is made. Returns undefined, having done nothing,
 * when traces are off.
 */
export async function setupTracing(options: {
  /** `service.name` unless `OTEL_SERVICE_NAME` says otherwise. */
  serviceName: string
  /** Tests: spans go here, each as soon as it ends, instead of OTLP. */
  exporter?: SpanExporter
}): Promise<Tracing | undefined> {
  if (active) return active
  // process.env itself: the exporter and the resource read the other OTEL_* variables from there.
  if (!options.exporter && !tracingRequested(process.env)) return undefined
  // Loaded only now: a process without traces never loads the SDK.
  const [sdk, node, resources, otlp, interceptors, honoOtel] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@temporalio/interceptors-opentelemetry'),
    import('@hono/otel'),
  ])
  const resource = resources.Resource.default()
    .merge(new resources.Resource({ 'service.name': options.serviceName }))
    .merge(resources.envDetectorSync.detect())
  const processor = options.exporter
    ? new sdk.SimpleSpanProcessor(options.exporter)
    : new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter())
  const provider = new node.NodeTracerProvider({ resource, spanProcessors: [new UrlQueryRedactor(), processor] })
  provider.register()
  active = {
    clientInterceptors: { workflow: [new interceptors.OpenTelemetryWorkflowClientInterceptor()] },
    activityInterceptors: [
      (ctx) => ({
        inbound: new interceptors.OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new interceptors.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    workflowSinks: { exporter: interceptors.makeWorkflowExporter(processor, resource) },
    httpMiddleware: honoOtel.httpInstrumentationMiddleware({ captureActiveRequests: false }),
    async shutdown() {
      active = undefined
      await provider.shutdown()
      trace.disable()
      context.disable()
      propagation.disable()
    },
  }
  return active
}

/**
 * `url.full` without its query: the landing page's URL carries Microsoft's purchase token (`?token=`),
 * a secret that must not reach a tracing backend.
 */
class UrlQueryRedactor implements SpanProcessor {
  onStart(span: SdkSpan): void {
    const url = span.attributes['url.full']
    if (typeof url === 'string' && url.includes('?')) span.setAttribute('url.full', url.slice(0, url.indexOf('?')))
  }
  onEnd(): void {}
  forceFlush = () => Promise.resolve()
  shutdown = () => Promise.resolve()
}

/**
 * Runs `fn` in a client span for a call to another service, giving it the headers that carry the trace
 * (`traceparent`); with traces off, `fn` runs as is with no headers.
 */
export function withClientSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined, traceHeaders: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (!active) return fn(undefined, {})
  return trace.getTracer(TRACER).startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const traceHeaders: Record<string, string> = {}
    propagation.inject(context.active(), traceHeaders)
    try {
      return await fn(span, traceHeaders)
    } catch (err) {
      span.recordException(err as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) })
      throw err
    } finally {
      span.end()
    }
  })
}

/** Adds attributes to the active span (the request's server span in a route handler); nothing when off. */
export function annotateActiveSpan(attributes: Attributes): void {
  if (active) trace.getActiveSpan()?.setAttributes(attributes)
}

/**
 * Pino mixin: the active span's `trace_id` and `span_id`, so logs and traces meet; nothing when off.
 * A new object each time: pino merges the record's fields into it.
 */
export function traceIds(): object {
  if (!active) return {}
  const ctx = trace.getActiveSpan()?.spanContext()
  return ctx && isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {}
}
