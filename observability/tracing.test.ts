/**
 * Traces are off, and cost nothing, unless the standard OTEL_* environment names an OTLP endpoint; on,
 * spans leave over OTLP/HTTP with the configured service name; and recorded histories still replay with
 * the OpenTelemetry workflow interceptors in the bundle (turning traces on must not break running
 * subscriptions). The end-to-end trace is test/integration/tracing.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { Resource } from '@opentelemetry/resources'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry'
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { workflowsPath } from '../worker/create-worker.ts'
import {
  setupTracing,
  traceIds,
  tracing,
  tracingRequested,
  withClientSpan,
  WORKFLOW_INTERCEPTORS_MODULE,
} from './tracing.ts'

afterEach(async () => {
  await tracing()?.shutdown()
  vi.unstubAllEnvs()
})

describe('tracingRequested', () => {
  it.each([
    [{}, false],
    [{ OTEL_SERVICE_NAME: 'svc' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, false],
  ])('%j → %s', (env, expected) => {
    expect(tracingRequested(env)).toBe(expected)
  })
})

it('with no OTEL_* endpoint, registers nothing: no provider, context manager or propagator', async () => {
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) vi.stubEnv(name, '')
  expect(await setupTracing({ serviceName: 'saas-fulfillment' })).toBeUndefined()
  expect(tracing()).toBeUndefined()
  expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false)
  const key = createContextKey('probe')
  expect(context.with(ROOT_CONTEXT.setValue(key, 1), () => context.active().getValue(key))).toBeUndefined()
  expect(propagation.fields()).toEqual([])
  // The helpers the hot paths call do nothing either.
  await withClientSpan('probe', {}, (span, headers) => {
    expect(span).toBeUndefined()
    expect(headers).toEqual({})
    return Promise.resolve()
  })
  expect(traceIds()).toEqual({})
})

it('with OTEL_EXPORTER_OTLP_ENDPOINT, exports spans over OTLP/HTTP under OTEL_SERVICE_NAME', async () => {
  const received: { url?: string; body: string }[] = []
  const collector = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({ url: req.url, body })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  try {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(collector.address() as AddressInfo).port}`)
    vi.stubEnv('OTEL_SERVICE_NAME', 'fulfillment-under-test')
    const traced = await setupTracing({ serviceName: 'saas-fulfillment' })
    expect(traced).toBeDefined()
    let ids: { trace_id?: string; span_id?: string } = {}
    await withClientSpan('marketplace probe', { 'x-ms-correlationid': 'c-1' }, (span, headers) => {
      expect(span?.isRecording()).toBe(true)
      expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      ids = traceIds()
      return Promise.resolve()
    })
    expect(ids.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(ids.span_id).toMatch(/^[0-9a-f]{16}$/)
    await traced!.shutdown() // flushes the batch
    expect(received.map((r) => r.url)).toEqual(['/v1/traces'])
    expect(received[0]!.body).toContain('fulfillment-under-test')
    expect(received[0]!.body).toContain('marketplace probe')
    expect(received[0]!.body).toContain(ids.trace_id)
  } finally {
    collector.close()
  }
})

it('replays the recorded histories with the workflow interceptors in the bundle', async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') })
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_MODULE],
    logger: new DefaultLogger('WARN'),
  })
  // Spans made during replay are not exported; the sink must exist all the same.
  const sinks = { exporter: makeWorkflowExporter(new InMemorySpanExporter(), Resource.default()) }
  const fixtures = new URL('../test/fixtures/histories/', import.meta.url)
  const names = readdirSync(fixtures).filter((f) => f.endsWith('.json'))
  expect(names.length).toBeGreaterThanOrEqual(2)
  for (const name of names) {
    const history: unknown = JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'))
    await Worker.runReplayHistory({ workflowBundle, sinks }, history, name)
  }
}, 120_000)
