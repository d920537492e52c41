import { WorkflowNotFoundError } from '@temporalio/client'
import { describe, expect, it } from 'vitest'
import { RequestRefusedError, SubscriptionClosedError } from '../subscriptions-gateway.ts'
import type { ApiGateway } from './index.ts'
import { auth, fakeGateway, result, SUB_ID, testApi, view } from '../../test/support/api-fakes.ts'

const json = { ...auth, 'content-type': 'application/json' }
const workflowId = `subscription-${SUB_ID}`

const changes = [
  {
    name: 'change plan',
    method: 'POST',
    path: '/plan',
    body: { planId: 'platinum' },
    call: ['changePlan', SUB_ID, 'platinum'],
  },
  {
    name: 'change quantity',
    method: 'POST',
    path: '/quantity',
    body: { quantity: 30 },
    call: ['changeQuantity', SUB_ID, 30],
  },
  { name: 'cancel', method: 'DELETE', path: '', body: undefined, call: ['cancel', SUB_ID] },
] as const

const send = (gateway: ApiGateway, change: (typeof changes)[number]) =>
  testApi(gateway).request(`/api/subscriptions/${SUB_ID}${change.path}`, {
    method: change.method,
    headers: change.body ? json : auth,
    body: change.body && JSON.stringify(change.body),
  })

const throwing = (err: Error) => () => {
  throw err
}

describe.each(changes)('$name', (change) => {
  const method = change.call[0]

  it('answers 200 with the result once Microsoft confirmed', async () => {
    const done = result({ subscription: view({ planId: 'platinum' }) })
    const { gateway, calls } = fakeGateway({ [method]: () => done })
    const res = await send(gateway, change)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(done)
    expect(calls).toEqual([change.call])
  })

  it('answers 409 with the message when Microsoft did not apply it', async () => {
    const failed = result({ outcome: 'failed', message: 'operation Conflict at Microsoft' })
    const { gateway } = fakeGateway({ [method]: () => failed })
    const res = await send(gateway, change)
    expect(res.status).toBe(409)
    expect(await res.json()).toEqual({ error: 'operation Conflict at Microsoft', details: failed })
  })

  it('answers 409 when the workflow refused it after accepting it', async () => {
    const refused = result({ outcome: 'refused', message: undefined, operationId: undefined })
    const { gateway } = fakeGateway({ [method]: () => refused })
    const res = await send(gateway, change)
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: 'not possible now' })
  })

  it("answers 409 with the validator's reason", async () => {
    const reason = 'not possible while the subscription is Suspended (suspended)'
    const { gateway } = fakeGateway({ [method]: throwing(new RequestRefusedError(reason)) })
    const res = await send(gateway, change)
    expect(res.status).toBe(409)
    expect(await res.json()).toEqual({ error: reason })
  })

  it('answers 404 for an unknown subscription', async () => {
    const { gateway } = fakeGateway({
      [method]: throwing(new WorkflowNotFoundError('workflow not found', workflowId, undefined)),
    })
    const res = await send(gateway, change)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: `subscription ${SUB_ID} not found` })
  })

  it.each([
    ['closed by the gateway', new SubscriptionClosedError('closed')],
    ['completed in Temporal', new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined)],
  ])('answers 410 for a subscription %s', async (_, err) => {
    const { gateway } = fakeGateway({ [method]: throwing(err) })
    const res = await send(gateway, change)
    expect(res.status).toBe(410)
    expect(await res.json()).toEqual({ error: 'the subscription is closed (Unsubscribed)' })
  })
})

describe('validation of changes', () => {
  it.each([
    ['/plan', {}],
    ['/plan', { planId: '' }],
    ['/plan', { planId: 42 }],
    ['/quantity', {}],
    ['/quantity', { quantity: 0 }],
    ['/quantity', { quantity: -3 }],
    ['/quantity', { quantity: 2.5 }],
    ['/quantity', { quantity: '30' }],
  ])('refuses POST %s %j with 400 and calls nothing', async (path, body) => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}${path}`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid request', details: expect.any(Array) as unknown })
    expect(calls).toEqual([])
  })

  it('refuses malformed JSON with 400 and a body without JSON with 415', async () => {
    const { gateway, calls } = fakeGateway()
    const app = testApi(gateway)
    const url = `/api/subscriptions/${SUB_ID}/plan`
    const malformed = await app.request(url, { method: 'POST', headers: json, body: '{"planId":' })
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toHaveProperty('error')
    const text = await app.request(url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'x',
    })
    expect(text.status).toBe(415)
    expect(calls).toEqual([])
  })
})

describe('POST /api/subscriptions/{subscriptionId}/provisioning', () => {
  const report = (gateway: ApiGateway, body: unknown) =>
    testApi(gateway).request(`/api/subscriptions/${SUB_ID}/provisioning`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    })

  it.each([{ status: 'succeeded' }, { status: 'failed', message: 'no capacity in region' }])(
    'hands %j to the workflow and answers 202',
    async (body) => {
      const { gateway, calls } = fakeGateway()
      const res = await report(gateway, body)
      expect(res.status).toBe(202)
      expect(await res.json()).toEqual({ status: 'accepted' })
      expect(calls).toEqual([['reportProvisioning', SUB_ID, body]])
    },
  )

  it('refuses an unknown status with 400', async () => {
    const { gateway, calls } = fakeGateway()
    expect((await report(gateway, { status: 'done' })).status).toBe(400)
    expect(calls).toEqual([])
  })

  it('answers 404 for an unknown subscription and 410 for a closed one', async () => {
    const unknown = fakeGateway({
      reportProvisioning: throwing(new WorkflowNotFoundError('not found', workflowId, undefined)),
    })
    expect((await report(unknown.gateway, { status: 'succeeded' })).status).toBe(404)
    const closed = new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined)
    expect(
      (await report(fakeGateway({ reportProvisioning: throwing(closed) }).gateway, { status: 'succeeded' })).status,
    ).toBe(410)
  })
})

describe('POST /api/subscriptions/{subscriptionId}/retry', () => {
  it('signals a retry and answers 202', async () => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}/retry`, { method: 'POST', headers: auth })
    expect(res.status).toBe(202)
    expect(calls).toEqual([['retry', SUB_ID]])
  })

  it('answers 404 for an unknown subscription', async () => {
    const { gateway } = fakeGateway({ retry: throwing(new WorkflowNotFoundError('not found', workflowId, undefined)) })
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}/retry`, { method: 'POST', headers: auth })
    expect(res.status).toBe(404)
  })
})

describe('POST /api/subscriptions/{subscriptionId}/resync', () => {
  it('asks the workflow to read Microsoft now, saying who asked, and answers 202', async () => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request(`/api/subscriptions/${SUB_ID}/resync`, { method: 'POST', headers: auth })
    expect(res.status).toBe(202)
    expect(calls).toEqual([['resync', SUB_ID, 'an operator asked']])
  })

  it('answers 404 for an unknown subscription and 410 for a closed one', async () => {
    const unknown = fakeGateway({ resync: throwing(new WorkflowNotFoundError('not found', workflowId, undefined)) })
    const path = `/api/subscriptions/${SUB_ID}/resync`
    expect((await testApi(unknown.gateway).request(path, { method: 'POST', headers: auth })).status).toBe(404)
    const closed = fakeGateway({
      resync: throwing(new WorkflowNotFoundError('workflow execution already completed', workflowId, undefined)),
    })
    expect((await testApi(closed.gateway).request(path, { method: 'POST', headers: auth })).status).toBe(410)
  })
})
