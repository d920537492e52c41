/**
 * Metered billing through `/api`:
 *
 * | Route                                                           | Success | Errors      |
 * | --------------------------------------------------------------- | ------- | ----------- |
 * | POST /api/usage                                                 | 200     | 400         |
 * | POST /api/usage/submissions                                     | 200     |             |
 * | GET  /api/subscriptions/{id}/usage?from=&to=                    | 200     | 400         |
 * | POST /api/subscriptions/{id}/usage/{dimension}/{hour}/retry     | 200     | 400 404 409 |
 * | POST /api/subscriptions/{id}/usage/{dimension}/{hour}/move      | 200     | 400 404 409 |
 *
 * `POST /api/usage` answers once the events are committed, one result per event, in order. A body that
 * is not valid (not JSON, no `events`, more than 1,000 of them, an event missing a field or with a
 * field of the wrong type) is a 400 for the whole request and stores nothing.
 * @module
 */
import { z } from '@hono/zod-openapi'
import { HourActionRefused } from '../../metering/read.ts'
import { MAX_EVENTS } from '../../metering/ingest.ts'
import type { MeteringService } from '../../metering/service.ts'
import type { SubmissionReport } from '../../metering/submit.ts'
import { apiApp, errorResponses, jsonResponse, securedRoute, type RouteDeps } from './route.ts'
import { SUBSCRIPTION_ID_EXAMPLE } from './schemas.ts'
import { subscriptionIdParams } from './subscriptions.ts'

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, like 2026-01-31T13:05:00Z' })

const usageEventSchema = z
  .object({
    id: z.string().min(1).max(200).openapi({ description: 'Your idempotency key for this event.', example: 'evt-42' }),
    subscriptionId: z.string().min(1).max(64).openapi({ example: SUBSCRIPTION_ID_EXAMPLE }),
    dimension: z.string().min(1).max(50).openapi({ example: 'api-calls' }),
    quantity: z.number().openapi({ description: 'Greater than 0; decimals allowed.', example: 12.5 }),
    occurredAt: isoTime.openapi({ example: '2026-01-31T13:05:00Z' }),
  })
  .openapi('UsageEvent')

const ingestBody = z.object({ events: z.array(usageEventSchema).min(1).max(MAX_EVENTS) }).openapi('UsageEvents')

const ingestResult = z
  .object({
    id: z.string(),
    status: z.enum(['accepted', 'duplicate', 'rejected']),
    reason: z.string().optional().openapi({ description: 'Why it was rejected, and what to fix.' }),
  })
  .openapi('UsageEventResult')

const usageHour = z
  .object({
    dimension: z.string(),
    hour: z.string().openapi({ description: 'Start of the UTC hour.' }),
    status: z.string().openapi({
      description:
        'open, included (nothing above the included quantity), pending, waiting, submitting, accepted, conflict, carried, lost, failed, held',
    }),
    quantity: z.number(),
    carriedIn: z.number(),
    held: z.number().openapi({ description: 'Usage from times the subscription was not Subscribed: not billed.' }),
    included: z.number().nullable(),
    reported: z.number().nullable(),
    planId: z.string().nullable(),
    deadline: z.string().openapi({ description: "Microsoft's last moment for this hour (start + 24 h)." }),
    reason: z.string().nullable(),
    usageEventId: z.string().nullable(),
    messageTime: z.string().nullable(),
    acceptedQuantity: z.number().nullable(),
    carriedTo: z.string().nullable().openapi({ description: 'The hour that took over (part of) this quantity.' }),
    carriedQuantity: z.number().nullable(),
    attempts: z.number(),
  })
  .openapi('UsageHour')

const usageResponse = z
  .object({
    subscriptionId: z.string(),
    hours: z.array(usageHour),
    included: z.array(
      z.object({
        dimension: z.string(),
        periodStart: z.string(),
        included: z.number(),
        consumed: z.number(),
        remaining: z.number(),
      }),
    ),
  })
  .openapi('SubscriptionUsage')

const usageQuery = z.object({
  from: isoTime.optional().openapi({ description: 'Default: 7 days ago.' }),
  to: isoTime.optional().openapi({ description: 'Default: now.' }),
})

const hourParams = subscriptionIdParams.extend({
  dimension: z
    .string()
    .min(1)
    .max(50)
    .openapi({ param: { name: 'dimension', in: 'path' }, example: 'api-calls' }),
  hour: isoTime.openapi({ param: { name: 'hour', in: 'path' }, example: '2026-01-31T13:00:00Z' }),
})

export interface UsageDeps extends RouteDeps {
  metering: () => Promise<MeteringService>
  /** Runs a submission now (through Temporal) and returns its report. */
  runSubmission: () => Promise<SubmissionReport>
}

export function usageRoutes(deps: UsageDeps) {
  const { auth } = deps
  const post = securedRoute(
    {
      method: 'post',
      path: '/api/usage',
      operationId: 'postUsage',
      tags: ['usage'],
      summary: 'Record usage events (up to 1,000); answered once they are stored',
      request: { body: { content: { 'application/json': { schema: ingestBody } }, required: true } },
      responses: {
        200: jsonResponse(z.object({ results: z.array(ingestResult) }), 'One result per event, in order'),
        ...errorResponses(400),
      },
    },
    auth,
  )
  const submit = securedRoute(
    {
      method: 'post',
      path: '/api/usage/submissions',
      operationId: 'submitUsage',
      tags: ['usage'],
      summary: 'Close the due hours and report them to Microsoft now; returns the report',
      responses: { 200: jsonResponse(z.object({}).passthrough().openapi('SubmissionReport'), 'The report') },
    },
    auth,
  )
  const read = securedRoute(
    {
      method: 'get',
      path: '/api/subscriptions/{subscriptionId}/usage',
      operationId: 'getSubscriptionUsage',
      tags: ['usage'],
      summary: "A subscription's hourly usage and what Microsoft was told, and its included quantities left",
      request: { params: subscriptionIdParams, query: usageQuery },
      responses: { 200: jsonResponse(usageResponse, 'Hours, oldest first'), ...errorResponses(400) },
    },
    auth,
  )
  const action = (verb: 'retry' | 'move', summary: string) =>
    securedRoute(
      {
        method: 'post',
        path: `/api/subscriptions/{subscriptionId}/usage/{dimension}/{hour}/${verb}`,
        operationId: `${verb}UsageHour`,
        tags: ['usage'],
        summary,
        request: { params: hourParams },
        responses: {
          200: jsonResponse(z.object({ status: z.string(), movedTo: z.string().optional() }), 'Done'),
          ...errorResponses(400, 404, 409),
        },
      },
      auth,
    )

  return apiApp()
    .openapi(post, async (c) => {
      const { events } = c.req.valid('json')
      const metering = await deps.metering()
      return c.json({ results: await metering.ingest(events) }, 200)
    })
    .openapi(submit, async (c) => c.json(await deps.runSubmission(), 200))
    .openapi(read, async (c) => {
      const { subscriptionId } = c.req.valid('param')
      const { from, to } = c.req.valid('query')
      const metering = await deps.metering()
      const end = to ? new Date(to) : new Date()
      const start = from ? new Date(from) : new Date(end.getTime() - 7 * 86_400_000)
      const hours = await metering.usageOf(subscriptionId, start, end)
      return c.json({ subscriptionId, hours, included: await metering.includedRemaining(subscriptionId) }, 200)
    })
    .openapi(action('retry', 'Send a failed hour again, with the same quantity'), async (c) => {
      const { subscriptionId, dimension, hour } = c.req.valid('param')
      const metering = await deps.metering()
      try {
        const found = await metering.retryHour(subscriptionId, dimension, new Date(hour))
        if (!found) return c.json({ error: `no usage of ${dimension} at ${hour} for ${subscriptionId}` }, 404)
        return c.json({ status: 'pending' }, 200)
      } catch (err) {
        if (err instanceof HourActionRefused) return c.json({ error: err.message }, 409)
        throw err
      }
    })
    .openapi(action('move', "Move a failed hour's quantity into the next open hour"), async (c) => {
      const { subscriptionId, dimension, hour } = c.req.valid('param')
      const metering = await deps.metering()
      try {
        const movedTo = await metering.moveHour(subscriptionId, dimension, new Date(hour))
        if (!movedTo) return c.json({ error: `no usage of ${dimension} at ${hour} for ${subscriptionId}` }, 404)
        return c.json({ status: 'carried', movedTo: movedTo.toISOString() }, 200)
      } catch (err) {
        if (err instanceof HourActionRefused) return c.json({ error: err.message }, 409)
        throw err
      }
    })
}
