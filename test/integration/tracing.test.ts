/**
 * One trace from Microsoft's webhook to the service's answer at Microsoft (issue 11): the real server
 * and a real worker with traces on, spans caught by an in-memory exporter. A customer's ChangeQuantity,
 * delivered by the emulator as Microsoft delivers it (signed, `InProgress`), must be one trace from the
 * server span of `POST /webhook` through signal-with-start, the workflow's signal handler and the
 * activities it schedules to the PATCH at Microsoft, and the worker's logs of that PATCH carry its ids.
 */
import { Writable } from 'node:stream'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLogger } from '../../config/logger.ts'
import { setupTracing, WORKFLOW_INTERCEPTORS_MODULE, type Tracing } from '../../observability/tracing.ts'
import { workflowsPath } from '../../worker/create-worker.ts'
import { startWorker, type RunningWorker } from '../../worker/start.ts'
import { eventually, startHarness, temporalSettings, type Harness } from '../support/harness.ts'
import { subscribed } from '../support/subscriptions.ts'

const exporter = new InMemorySpanExporter()
const logs: Record<string, unknown>[] = []
let tracing: Tracing | undefined
let h: Harness
let worker: RunningWorker

beforeAll(async () => {
  // Before the server and the worker: they take their interceptors and middleware from it.
  tracing = await setupTracing({ serviceName: 'saas-fulfillment-test', exporter })
  h = await startHarness({ worker: false })
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  worker = await startWorker({
    config: h.config,
    logger: createLogger('info', 'worker', lines),
    temporal: temporalSettings(),
    hooks: h.vendor.hooks(),
    // What `npm run build` makes as dist/workflow-bundle-traced.js.
    workflowBundle: await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_MODULE],
      logger: new DefaultLogger('WARN'),
    }),
  })
})
afterAll(async () => {
  await worker?.stop()
  await h?.stop()
  await tracing?.shutdown()
})

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)
const named = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name)

it('follows a customer ChangeQuantity in one trace from the webhook to the PATCH at Microsoft', async () => {
  expect(tracing).toBeDefined()
  const id = await subscribed(h)
  const operation = h.emulator.marketplace.changeQuantity(id, 12)
  expect(operation).toMatchObject({ action: 'ChangeQuantity', status: 'InProgress' })

  const patch = await eventually(
    () =>
      h.emulator.marketplace
        .journal({ subscriptionId: id, kind: 'updateOperation' })
        .find((j) => j.operationId === operation.id && j.status === 200),
    { what: 'the PATCH at Microsoft' },
  )
  // The client span of that very request: Microsoft's journal and the span name the same x-ms-requestid.
  const microsoft = await eventually(
    () => exporter.getFinishedSpans().find((s) => s.attributes['x-ms-requestid'] === patch.requestId),
    { what: 'the span of the PATCH' },
  )
  expect(microsoft.name).toBe('marketplace updateOperation')
  expect(microsoft.attributes).toMatchObject({
    'http.request.method': 'PATCH',
    'http.response.status_code': 200,
    'x-ms-correlationid': patch.correlationId,
  })

  const traceId = microsoft.spanContext().traceId
  const path = [
    'POST /webhook',
    'SignalWithStartWorkflow:subscriptionWorkflow',
    'HandleSignal:marketplaceEvent',
    'StartActivity:decideChange',
    'RunActivity:decideChange',
    'StartActivity:acknowledgeOperation',
    'RunActivity:acknowledgeOperation',
  ]
  // Workflow spans reach the exporter through the worker's sink once their workflow task completes, and a
  // StartActivity span ends when its result is back in the workflow.
  const spans = await eventually(
    () => {
      const spans = spansOf(traceId)
      return path.every((name) => named(spans, name)) && spans
    },
    { what: 'the whole trace' },
  )
  const webhook = named(spans, 'POST /webhook')!
  expect(webhook.parentSpanId).toBeUndefined()
  expect(webhook.attributes).toMatchObject({
    'http.route': '/webhook',
    'http.response.status_code': 200,
    // The same correlation id as the PATCH: the operation's id.
    'x-ms-correlationid': operation.id,
  })
  // One tree: from each of them (and the PATCH), parent after parent, up to the webhook's span.
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]))
  const ancestors = (span: ReadableSpan) => {
    const names: string[] = []
    for (let s = byId.get(span.parentSpanId ?? ''); s; s = byId.get(s.parentSpanId ?? '')) names.push(s.name)
    return names
  }
  for (const name of path.slice(1)) expect(ancestors(named(spans, name)!).at(-1), name).toBe('POST /webhook')
  expect(ancestors(microsoft)).toEqual([
    'RunActivity:acknowledgeOperation',
    'StartActivity:acknowledgeOperation',
    'HandleSignal:marketplaceEvent',
    'SignalWithStartWorkflow:subscriptionWorkflow',
    'POST /webhook',
  ])
  // Span names are templates, never raw paths with ids.
  for (const span of exporter.getFinishedSpans()) expect(span.name).not.toContain(id)

  // The worker's log of the PATCH carries the ids of the PATCH's span.
  const logged = logs.find((l) => l.msg === 'marketplace call' && l.requestId === patch.requestId)
  expect(logged).toMatchObject({ trace_id: traceId, span_id: microsoft.spanContext().spanId })
})
