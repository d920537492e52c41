/**
 * Contract tests: every operation of Microsoft's two OpenAPI files is called on a running emulator and
 * each answer is held to the spec with ajv: the status must be declared, a declared JSON body must
 * validate against its schema, a declared `Operation-Location` must be there. Where the spec declares
 * no body, a success answers with an empty body, and an error with the API group's error shape.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmulatorHandle } from '../../emulator/index.ts'
import { buyAndActivate, callApi, startTestEmulator, type ApiAnswer } from './helpers.ts'

interface OpenApiOperation {
  operationId: string
  responses: Record<
    string,
    { content?: Record<string, { schema: object }>; headers?: Record<string, unknown>; 'x-ms-error-response'?: boolean }
  >
}
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>> }

const load = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../marketplace/openapi/${file}`, import.meta.url), 'utf8')) as OpenApi
const specs = { saas: load('saasapi.v2.json'), metering: load('meteringapi.v1.json') }

const operations = new Map<string, { spec: keyof typeof specs; operation: OpenApiOperation }>()
for (const [name, spec] of Object.entries(specs) as [keyof typeof specs, OpenApi][]) {
  for (const pathItem of Object.values(spec.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (typeof operation === 'object' && 'operationId' in operation) {
        operations.set(operation.operationId, { spec: name, operation })
      }
    }
  }
}

// OpenAPI 3.0 schemas are JSON Schema with extras: `x-ms-*` keywords (ignored: strict off) and the
// int32/int64/double formats (added here). Refs are `#/components/schemas/...` of each document, so
// the documents are registered whole and schemas compiled as refs into them.
const ajv = new Ajv({ strict: false, allErrors: true })
// ajv-formats is CommonJS: its function is the `default` of the module as TypeScript sees it.
addFormats.default(ajv)
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 })
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) })
ajv.addSchema(specs.saas, 'saas')
ajv.addSchema(specs.metering, 'metering')

const refOf = (spec: string, schema: object) => {
  const ref = (schema as { $ref?: string }).$ref
  return ref ? { $ref: `${spec}${ref}` } : schema
}
const errorSchemas: Record<keyof typeof specs, ValidateFunction> = {
  saas: ajv.compile({ $ref: 'saas#/components/schemas/FulfillmentInternalServerErrorResponse' }),
  metering: ajv.compile({ $ref: 'metering#/components/schemas/UsageEventBadRequestResponse' }),
}

/**
 * Holds one answer to the spec of `operationId`. `emptyBody`: the contract says Microsoft answers with
 * an empty body there although the spec declares a schema (empty lists).
 */
function expectConforms(operationId: string, answer: ApiAnswer, emptyBody = false): void {
  const { spec, operation } = operations.get(operationId)!
  const declared = operation.responses[String(answer.status)]
  expect(
    declared,
    `${operationId} answered ${answer.status}, which its spec does not declare: ${answer.text}`,
  ).toBeDefined()
  for (const header of Object.keys(declared!.headers ?? {})) {
    expect(answer.headers.get(header), `${operationId} ${answer.status}: header ${header}`).toMatch(/^https?:\/\//)
  }
  const schema = declared!.content?.['application/json']?.schema
  if (emptyBody) {
    expect(answer.text, `${operationId} ${answer.status}: Microsoft sends an empty body`).toBe('')
  } else if (schema) {
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    const validate = ajv.compile(refOf(spec, schema))
    expect(validate(answer.json), `${operationId} ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true)
  } else if (answer.status < 400) {
    expect(answer.text, `${operationId} ${answer.status} declares no body`).toBe('')
  } else {
    const validate = errorSchemas[spec]
    expect(validate(answer.json), `${operationId} ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true)
  }
}

let emulator: EmulatorHandle
let empty: EmulatorHandle
const uuid = '00000000-0000-4000-8000-000000000000'
const now = () => new Date().toISOString()

beforeAll(async () => {
  // Customer changes stay InProgress for the whole run; publisher operations end quickly.
  emulator = await startTestEmulator({ autoAcceptMs: 60_000 })
  empty = await startTestEmulator()
})
afterAll(async () => {
  await Promise.all([emulator.stop(), empty.stop()])
})

type Case = [name: string, run: () => Promise<ApiAnswer>, expectedStatus: number, emptyBody?: 'empty body']

/** Every operation of both files, each with the answers it is checked in. */
const cases: Record<string, Case[]> = {
  FulfillmentOperations_Resolve: [
    ['resolves a purchase token', () => resolve(buy().token), 200],
    ['refuses an unknown token', () => resolve('bm90IGEgdG9rZW4='), 400],
    [
      'refuses a wrong bearer token',
      () => callApi(emulator, 'POST', '/saas/subscriptions/resolve', { token: 'x' }),
      403,
    ],
  ],
  FulfillmentOperations_ListSubscriptions: [
    [
      'answers an empty body when there are none',
      () => callApi(empty, 'GET', '/saas/subscriptions/'),
      200,
      'empty body',
    ],
    [
      'lists subscriptions',
      async () => {
        buy()
        return callApi(emulator, 'GET', '/saas/subscriptions/')
      },
      200,
    ],
    ['refuses a wrong bearer token', () => callApi(emulator, 'GET', '/saas/subscriptions/', { token: 'x' }), 403],
  ],
  FulfillmentOperations_GetSubscription: [
    [
      'gets a pending subscription',
      () => callApi(emulator, 'GET', `/saas/subscriptions/${buy().subscription.id}`),
      200,
    ],
    [
      'gets an active subscription',
      async () => callApi(emulator, 'GET', `/saas/subscriptions/${await buyAndActivate(emulator)}`),
      200,
    ],
    ['answers 404 for an unknown one', () => callApi(emulator, 'GET', `/saas/subscriptions/${uuid}`), 404],
  ],
  FulfillmentOperations_UpdateSubscription: [
    ['changes the quantity', async () => patch(await buyAndActivate(emulator), { quantity: 7 }), 202],
    ['changes the plan', async () => patch(await buyAndActivate(emulator), { planId: 'basic' }), 202],
    [
      'refuses plan and quantity together',
      async () => patch(await buyAndActivate(emulator), { planId: 'basic', quantity: 2 }),
      400,
    ],
    ['answers 404 for an unknown one', () => patch(uuid, { quantity: 2 }), 404],
  ],
  FulfillmentOperations_DeleteSubscription: [
    ['cancels', async () => callApi(emulator, 'DELETE', `/saas/subscriptions/${await buyAndActivate(emulator)}`), 202],
    [
      'refuses a CSP purchase',
      () => callApi(emulator, 'DELETE', `/saas/subscriptions/${buy({ csp: true }).subscription.id}`),
      400,
    ],
    ['answers 404 for an unknown one', () => callApi(emulator, 'DELETE', `/saas/subscriptions/${uuid}`), 404],
  ],
  FulfillmentOperations_ListAvailablePlans: [
    [
      'lists every plan',
      () => callApi(emulator, 'GET', `/saas/subscriptions/${buy().subscription.id}/listAvailablePlans`),
      200,
    ],
    [
      'filters by planId',
      () => callApi(emulator, 'GET', `/saas/subscriptions/${buy().subscription.id}/listAvailablePlans?planId=metered`),
      200,
    ],
    [
      'answers 404 for an unknown one',
      () => callApi(emulator, 'GET', `/saas/subscriptions/${uuid}/listAvailablePlans`),
      404,
    ],
  ],
  FulfillmentOperations_ActivateSubscription: [
    ['activates', () => activate(buy().subscription.id, { planId: 'team', quantity: 1 }), 200],
    ['activates without a body (2023 docs)', () => activate(buy().subscription.id, undefined), 200],
    ['refuses a second activation', async () => activate(await buyAndActivate(emulator), { planId: 'team' }), 400],
    ['refuses another plan', () => activate(buy().subscription.id, { planId: 'basic' }), 400],
    ['answers 404 for an unknown one', () => activate(uuid, { planId: 'team' }), 404],
  ],
  SubscriptionOperations_ListOperations: [
    ['answers an empty body when none is in progress', () => operationsOf(buy().subscription.id), 200, 'empty body'],
    [
      'lists operations in progress',
      async () => {
        const id = await buyAndActivate(emulator)
        emulator.marketplace.changeQuantity(id, 9)
        return operationsOf(id)
      },
      200,
    ],
    ['answers 404 for an unknown one', () => operationsOf(uuid), 404],
  ],
  SubscriptionOperations_GetOperationStatus: [
    [
      'gets a customer operation',
      async () => {
        const id = await buyAndActivate(emulator)
        return operation(id, emulator.marketplace.changePlan(id, 'basic').id)
      },
      200,
    ],
    [
      'gets a publisher operation',
      async () => {
        const answer = await patch(await buyAndActivate(emulator), { quantity: 4 })
        return callApi(emulator, 'GET', new URL(answer.headers.get('operation-location')!).pathname.slice(4))
      },
      200,
    ],
    ['answers 404 for an unknown one', async () => operation(await buyAndActivate(emulator), uuid), 404],
  ],
  SubscriptionOperations_UpdateOperationStatus: [
    ['accepts Success', async () => answerOperation(await pendingChange(), { status: 'Success' }), 200],
    ['accepts Failure', async () => answerOperation(await pendingChange(), { status: 'Failure' }), 200],
    [
      'refuses a status from the GET vocabulary',
      async () => answerOperation(await pendingChange(), { status: 'Succeeded' }),
      400,
    ],
    [
      'answers 409 once the operation has ended',
      async () => {
        const pending = await pendingChange()
        await answerOperation(pending, { status: 'Success' })
        return answerOperation(pending, { status: 'Failure' })
      },
      409,
    ],
    [
      'answers 404 for an unknown one',
      async () => answerOperation([await buyAndActivate(emulator), uuid], { status: 'Success' }),
      404,
    ],
  ],
  MeteringOperations_PostUsageEvent: [
    ['accepts an event', async () => usage(usageEvent(await buyAndActivate(emulator, 'metered'))), 200],
    [
      'answers 409 with the accepted event for a duplicate',
      async () => {
        const event = usageEvent(await buyAndActivate(emulator, 'metered'))
        await usage(event)
        return usage(event)
      },
      409,
    ],
    [
      'refuses an unknown dimension',
      async () => usage({ ...usageEvent(await buyAndActivate(emulator, 'metered')), dimension: 'x' }),
      400,
    ],
    ['refuses a wrong bearer token', () => callApi(emulator, 'POST', '/usageEvent', { body: {}, token: 'x' }), 403],
  ],
  MeteringOperations_PostBatchUsageEvent: [
    [
      'answers each event',
      async () => {
        const id = await buyAndActivate(emulator, 'metered')
        const events = [usageEvent(id), usageEvent(id), { ...usageEvent(id), dimension: 'storage-gb', quantity: 0 }]
        return callApi(emulator, 'POST', '/batchUsageEvent', { body: { request: events } })
      },
      200,
    ],
    [
      'refuses more than 25 events',
      async () => {
        const event = usageEvent(await buyAndActivate(emulator, 'metered'))
        return callApi(emulator, 'POST', '/batchUsageEvent', { body: { request: Array(26).fill(event) } })
      },
      400,
    ],
    [
      'refuses a wrong bearer token',
      () => callApi(emulator, 'POST', '/batchUsageEvent', { body: {}, token: 'x' }),
      403,
    ],
  ],
  MeteringOperations_GetUsageEvent: [
    [
      'lists usage',
      async () => {
        await usage(usageEvent(await buyAndActivate(emulator, 'metered')))
        return callApi(
          emulator,
          'GET',
          `/usageEvents?usageStartDate=${new Date(Date.now() - 86_400_000).toISOString()}`,
        )
      },
      200,
    ],
    ['requires usageStartDate', () => callApi(emulator, 'GET', '/usageEvents'), 400],
    [
      'refuses a wrong bearer token',
      () => callApi(emulator, 'GET', '/usageEvents?usageStartDate=2024-01-01', { token: 'x' }),
      403,
    ],
  ],
}

describe('the emulator answers as the OpenAPI files say', () => {
  it('has cases for exactly the operations of both files', () => {
    expect(Object.keys(cases).sort()).toEqual([...operations.keys()].sort())
  })

  describe.each([...operations.keys()])('%s', (operationId) => {
    it('is covered, with at least one success', () => {
      const list = cases[operationId]
      expect(list, `no contract case for ${operationId}`).toBeDefined()
      expect(list!.some(([, , status]) => status < 300)).toBe(true)
    })

    it.each(cases[operationId] ?? [])('%s', async (_name, run, expectedStatus, emptyBody) => {
      const answer = await run()
      expect(answer.status, answer.text).toBe(expectedStatus)
      expectConforms(operationId, answer, emptyBody !== undefined)
    })
  })

  it('would catch an answer that breaks the spec', async () => {
    const answer = await callApi(emulator, 'GET', `/saas/subscriptions/${buy().subscription.id}`)
    const broken = { ...answer, json: { ...(answer.json as object), saasSubscriptionStatus: 'Active' } }
    expect(() => expectConforms('FulfillmentOperations_GetSubscription', broken)).toThrow(/allowed values/)
    expect(() => expectConforms('FulfillmentOperations_GetSubscription', { ...answer, status: 202 })).toThrow(
      /does not declare/,
    )
  })

  it('serves the list also without the trailing slash, as the docs write it', async () => {
    expect((await callApi(empty, 'GET', '/saas/subscriptions')).text).toBe('')
    buy()
    expectConforms('FulfillmentOperations_ListSubscriptions', await callApi(emulator, 'GET', '/saas/subscriptions'))
  })
})

function buy(extra: { csp?: boolean } = {}) {
  return emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'team', ...extra })
}
const resolve = (token: string) =>
  callApi(emulator, 'POST', '/saas/subscriptions/resolve', { headers: { 'x-ms-marketplace-token': token } })
const patch = (id: string, body: object) => callApi(emulator, 'PATCH', `/saas/subscriptions/${id}`, { body })
const activate = (id: string, body: object | undefined) =>
  callApi(emulator, 'POST', `/saas/subscriptions/${id}/activate`, { body })
const operationsOf = (id: string) => callApi(emulator, 'GET', `/saas/subscriptions/${id}/operations`)
const operation = (id: string, operationId: string) =>
  callApi(emulator, 'GET', `/saas/subscriptions/${id}/operations/${operationId}`)
const answerOperation = ([id, operationId]: [string, string], body: object) =>
  callApi(emulator, 'PATCH', `/saas/subscriptions/${id}/operations/${operationId}`, { body })
async function pendingChange(): Promise<[string, string]> {
  const id = await buyAndActivate(emulator)
  return [id, emulator.marketplace.changeQuantity(id, 3).id]
}
const usageEvent = (resourceId: string) => ({
  resourceId,
  quantity: 2.5,
  dimension: 'api-calls',
  effectiveStartTime: now(),
  planId: 'metered',
})
const usage = (body: object) => callApi(emulator, 'POST', '/usageEvent', { body })
