import { WorkflowNotFoundError } from '@temporalio/client'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { auth, fakeGateway, testApi } from '../../test/support/api-fakes.ts'

interface Operation {
  operationId?: string
  security?: Record<string, string[]>[]
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}
interface Document {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, unknown> }
}

const ROUTES = [
  ['get', '/api/subscriptions'],
  ['get', '/api/subscriptions/{subscriptionId}'],
  ['post', '/api/subscriptions/{subscriptionId}/plan'],
  ['post', '/api/subscriptions/{subscriptionId}/quantity'],
  ['delete', '/api/subscriptions/{subscriptionId}'],
  ['post', '/api/subscriptions/{subscriptionId}/provisioning'],
  ['post', '/api/subscriptions/{subscriptionId}/retry'],
  ['post', '/api/subscriptions/{subscriptionId}/resync'],
  ['get', '/api/entitlements'],
] as const

async function document() {
  const res = await testApi(fakeGateway().gateway).request('/openapi.json')
  expect(res.status).toBe(200)
  return (await res.json()) as Document
}

/** Every `$ref` in the document, e.g. `#/components/schemas/Error`. */
function refs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refs)
  if (!node || typeof node !== 'object') return []
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refs(v)))
}

describe('/openapi.json', () => {
  it('is a public OpenAPI 3.1 document with the bearer scheme', async () => {
    const doc = await document()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: 'saas-fulfillment API', version: expect.any(String) as unknown })
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) as unknown,
    })
  })

  it('lists exactly the routes, each secured, with unique ids and documented JSON errors', async () => {
    const doc = await document()
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => [method, path]))
    expect(listed.sort()).toEqual(ROUTES.map(([m, p]) => [m, p]).sort())
    const ids = new Set<string>()
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]![method]!
      expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }])
      expect(op.operationId).toBeTruthy()
      ids.add(op.operationId!)
      const statuses = Object.keys(op.responses)
      expect(statuses).toEqual(expect.arrayContaining(['401', '503']))
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true)
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${method} ${path} ${status}`).toBeTruthy()
        if (!status.startsWith('2'))
          expect(response.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' })
      }
    }
    expect(ids.size).toBe(ROUTES.length)
  })

  it('documents the decision log as `decisions`, and its former name `recentOperations` as deprecated', async () => {
    const doc = await document()
    type Properties = Record<string, { deprecated?: boolean }>
    const { allOf } = doc.components.schemas.SubscriptionDetail as { allOf: { properties?: Properties }[] }
    const detail = { properties: Object.assign({}, ...allOf.map((part) => part.properties)) as Properties }
    expect(detail.properties.decisions).toBeDefined()
    expect(detail.properties.decisions!.deprecated).toBeUndefined()
    expect(detail.properties.recentOperations).toMatchObject({ deprecated: true })
    expect(doc.components.schemas).toHaveProperty('DecisionRecord')
    expect(doc.components.schemas).not.toHaveProperty('Operation')
  })

  it('resolves every $ref to a component', async () => {
    const doc = await document()
    for (const ref of refs(doc)) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1]
      expect(name && doc.components.schemas[name], ref).toBeTruthy()
    }
  })
})

describe('mounted in a parent app', () => {
  it('keeps its auth and its own JSON errors', async () => {
    const parent = new Hono()
    parent.onError((_, c) => c.text('parent handler', 500))
    const { gateway } = fakeGateway({
      retry: () => {
        throw new WorkflowNotFoundError('workflow not found', 'subscription-unknown', undefined)
      },
    })
    parent.route('/', testApi(gateway))
    expect((await parent.request('/api/subscriptions')).status).toBe(401)
    expect((await parent.request('/openapi.json')).status).toBe(200)
    const res = await parent.request('/api/subscriptions/unknown/retry', { method: 'POST', headers: auth })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'subscription unknown not found' })
    const plan = await parent.request('/api/subscriptions/unknown/plan', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{',
    })
    expect(plan.status).toBe(400)
    expect(await plan.json()).toHaveProperty('error')
  })

  it('does not guard other routes under /api', async () => {
    const parent = new Hono()
    parent.route('/', testApi(fakeGateway().gateway))
    parent.get('/api/other', (c) => c.text('open'))
    expect((await parent.request('/api/other')).status).toBe(200)
  })
})
