/**
 * Reconciliation runs: `POST /api/reconciliations` starts one now (202 with its id), `GET
 * /api/reconciliations/{id}` reads its report (while it runs, the report so far), `GET
 * /api/reconciliations?limit=N` lists the latest runs with their counts, latest first. The Schedule
 * `saas-reconciliation` starts the others; their ids are `saas-reconciliation-<time it fired>`.
 * @module
 */
import { z } from '@hono/zod-openapi'
import type { ReconciliationsGateway } from '../reconciliations-gateway.ts'
import {
  COMPARED_FIELDS,
  RECONCILIATION_ID,
  REPAIR_KINDS,
  REPORT_KINDS,
  type ReconciliationReport,
} from '../../workflows/reconciliation.ts'
import { apiApp, errorResponses, jsonResponse, securedRoute, type RouteDeps } from './route.ts'
import { errorSchema } from './schemas.ts'

const ID_EXAMPLE = `${RECONCILIATION_ID}-2026-01-01T10:00:00Z`

const idParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,200}$/, 'must be a reconciliation id such as the one POST /api/reconciliations answered')
    .openapi({ param: { name: 'id', in: 'path' }, example: ID_EXAMPLE }),
})

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'How many runs, at most.' }),
})

const countsOf = <K extends string>(kinds: readonly K[]) =>
  z.object(Object.fromEntries(kinds.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>)

const findingSchema = z
  .object({
    subscriptionId: z.string(),
    kind: z.enum([...REPAIR_KINDS, ...REPORT_KINDS]),
    differences: z
      .array(
        z.object({
          field: z.enum(COMPARED_FIELDS),
          microsoft: z.union([z.string(), z.number()]).optional(),
          service: z.union([z.string(), z.number()]).optional(),
        }),
      )
      .optional()
      .openapi({ description: "Each field that differed: Microsoft's value and the service's." }),
    operationId: z.string().optional(),
    action: z.string().optional(),
    message: z.string(),
  })
  .openapi('ReconciliationFinding')

const countsSchema = z
  .object({
    checked: z.number().int().openapi({ description: 'Subscriptions listed by Microsoft and compared.' }),
    inSync: z.number().int().openapi({ description: 'Compared and found in agreement: nothing done.' }),
    repaired: countsOf(REPAIR_KINDS),
    reported: countsOf(REPORT_KINDS),
  })
  .openapi('ReconciliationCounts')

const reportSchema = z
  .object({
    id: z.string().openapi({ example: ID_EXAMPLE }),
    trigger: z.enum(['schedule', 'api']),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    durationMs: z.number().optional(),
    pages: z.number().int().openapi({ description: 'Pages of List Subscriptions read.' }),
    counts: countsSchema,
    repairs: z.array(findingSchema),
    reports: z.array(findingSchema),
    unlisted: z.number().int().openapi({ description: 'Findings counted but not listed (beyond the first 1000).' }),
    failedPages: z.array(z.object({ page: z.number().int(), error: z.string() })),
    error: z.string().optional().openapi({ description: 'Why the run stopped before the last page.' }),
  })
  .openapi('ReconciliationReport')

const runSchema = z
  .object({
    id: z.string().openapi({ example: ID_EXAMPLE }),
    state: z.enum(['running', 'finished', 'failed']),
    report: reportSchema.optional(),
  })
  .openapi('Reconciliation')

const summarySchema = z
  .object({
    id: z.string(),
    state: z.enum(['running', 'finished', 'failed']),
    report: reportSchema.omit({ repairs: true, reports: true }).optional(),
  })
  .openapi('ReconciliationSummary')

const notFound = {
  404: { description: 'No such reconciliation run.', content: { 'application/json': { schema: errorSchema } } },
}
const tags = ['reconciliations']

export interface ReconciliationRouteDeps extends RouteDeps {
  reconciliations: ReconciliationsGateway
}

export function reconciliationRoutes(deps: ReconciliationRouteDeps) {
  const { reconciliations, auth } = deps
  const start = securedRoute(
    {
      method: 'post',
      path: '/api/reconciliations',
      operationId: 'startReconciliation',
      tags,
      summary: "Compare every subscription with Microsoft's now, and repair or report what differs",
      responses: {
        202: {
          ...jsonResponse(
            z.object({ id: z.string().openapi({ example: ID_EXAMPLE }) }),
            'Started; read it at Location',
          ),
          headers: z.object({ Location: z.string().openapi({ example: `/api/reconciliations/${ID_EXAMPLE}` }) }),
        },
      },
    },
    auth,
  )
  const get = securedRoute(
    {
      method: 'get',
      path: '/api/reconciliations/{id}',
      operationId: 'getReconciliation',
      tags,
      summary: 'One run: running or finished, and its report (so far)',
      request: { params: idParams },
      responses: { 200: jsonResponse(runSchema, 'The run'), ...errorResponses(400), ...notFound },
    },
    auth,
  )
  const list = securedRoute(
    {
      method: 'get',
      path: '/api/reconciliations',
      operationId: 'listReconciliations',
      tags,
      summary: 'The latest runs with their counts, latest first',
      request: { query: listQuery },
      responses: {
        200: jsonResponse(z.object({ reconciliations: z.array(summarySchema) }), 'Latest first'),
        ...errorResponses(400),
      },
    },
    auth,
  )

  return apiApp()
    .openapi(start, async (c) => {
      const id = await reconciliations.start()
      c.header('Location', `/api/reconciliations/${encodeURIComponent(id)}`)
      return c.json({ id }, 202)
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid('param')
      const run = await reconciliations.get(id)
      if (!run) return c.json({ error: `reconciliation ${id} not found` }, 404)
      return c.json(run, 200)
    })
    .openapi(list, async (c) => {
      const { limit } = c.req.valid('query')
      const runs = await reconciliations.list(limit)
      return c.json(
        { reconciliations: runs.map(({ report, ...run }) => ({ ...run, report: report && withoutLists(report) })) },
        200,
      )
    })
}

function withoutLists(report: ReconciliationReport): Omit<ReconciliationReport, 'repairs' | 'reports'> {
  const { repairs: _repairs, reports: _reports, ...summary } = report
  return summary
}
