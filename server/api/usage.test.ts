import { describe, expect, it } from 'vitest'
import { HourActionRefused } from '../../metering/read.ts'
import type { MeteringService } from '../../metering/service.ts'
import type { SubmissionReport } from '../../metering/submit.ts'
import { auth, fakeGateway, summary, SUB_ID, TENANT, testApi } from '../../test/support/api-fakes.ts'

const json = { ...auth, 'content-type': 'application/json' }
const event = {
  id: 'e1',
  subscriptionId: SUB_ID,
  dimension: 'api-calls',
  quantity: 2.5,
  occurredAt: '2026-01-31T13:05:00Z',
}

function app(metering: Partial<MeteringService>, report?: SubmissionReport) {
  const calls: unknown[][] = []
  const service = new Proxy(metering, {
    get: (target, name: string) =>
      name in target
        ? (...args: unknown[]) => {
            calls.push([name, ...args])
            return (target as Record<string, (...a: unknown[]) => unknown>)[name]!(...args)
          }
        : undefined,
  }) as MeteringService
  const gateway = fakeGateway({ list: () => ({ subscriptions: [summary()] }) }).gateway
  const api = testApi(gateway, {
    usage: { metering: () => Promise.resolve(service), runSubmission: () => Promise.resolve(report!) },
  })
  return { api, calls }
}

describe('POST /api/usage', () => {
  it('hands valid events to the ledger and answers its results', async () => {
    const { api, calls } = app({
      ingest: (events) => Promise.resolve(events.map((e) => ({ id: e.id, status: 'accepted' as const }))),
    })
    const res = await api.request('/api/usage', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ events: [event] }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ results: [{ id: 'e1', status: 'accepted' }] })
    expect(calls).toEqual([['ingest', [event]]])
  })

  it.each([
    ['no events', {}],
    ['an empty list', { events: [] }],
    ['more than 1,000 events', { events: Array.from({ length: 1001 }, (_, i) => ({ ...event, id: `e${i}` })) }],
    ['an event without its id', { events: [{ ...event, id: undefined }] }],
    ['a quantity that is not a number', { events: [{ ...event, quantity: '3' }] }],
    ['a time that is not ISO 8601', { events: [{ ...event, occurredAt: 'yesterday' }] }],
  ])('refuses a body with %s as a whole, storing nothing', async (_, body) => {
    const { api, calls } = app({ ingest: () => Promise.resolve([]) })
    const res = await api.request('/api/usage', { method: 'POST', headers: json, body: JSON.stringify(body) })
    expect(res.status).toBe(400)
    expect(calls).toEqual([])
  })

  it('needs the admin key', async () => {
    const { api } = app({})
    const res = await api.request('/api/usage', { method: 'POST', body: JSON.stringify({ events: [event] }) })
    expect(res.status).toBe(401)
  })
})

it('POST /api/usage/submissions answers the run report', async () => {
  const report = { closedHours: 1, sent: 1, accepted: 1 } as SubmissionReport
  const { api } = app({}, report)
  const res = await api.request('/api/usage/submissions', { method: 'POST', headers: auth })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual(report)
})

describe('GET /api/subscriptions/{id}/usage', () => {
  it('reads the hours between from and to, and the included quantities left', async () => {
    const { api, calls } = app({ usageOf: () => Promise.resolve([]), includedRemaining: () => Promise.resolve([]) })
    const res = await api.request(
      `/api/subscriptions/${SUB_ID}/usage?from=2026-01-30T00:00:00Z&to=2026-01-31T00:00:00Z`,
      { headers: auth },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ subscriptionId: SUB_ID, hours: [], included: [] })
    expect(calls[0]).toEqual(['usageOf', SUB_ID, new Date('2026-01-30T00:00:00Z'), new Date('2026-01-31T00:00:00Z')])
  })

  it('refuses a from that is not a time', async () => {
    const { api } = app({})
    const res = await api.request(`/api/subscriptions/${SUB_ID}/usage?from=monday`, { headers: auth })
    expect(res.status).toBe(400)
  })
})

describe('operator actions on an hour', () => {
  const path = (verb: string) => `/api/subscriptions/${SUB_ID}/usage/api-calls/2026-01-31T13:00:00Z/${verb}`

  it('retries a failed hour', async () => {
    const { api, calls } = app({ retryHour: () => Promise.resolve(true) })
    const res = await api.request(path('retry'), { method: 'POST', headers: auth })
    expect(res.status).toBe(200)
    expect(calls[0]).toEqual(['retryHour', SUB_ID, 'api-calls', new Date('2026-01-31T13:00:00Z')])
  })

  it('moves an hour and says where to', async () => {
    const { api } = app({ moveHour: () => Promise.resolve(new Date('2026-01-31T15:00:00Z')) })
    const res = await api.request(path('move'), { method: 'POST', headers: auth })
    expect(await res.json()).toEqual({ status: 'carried', movedTo: '2026-01-31T15:00:00.000Z' })
  })

  it('answers 404 for an hour the ledger does not have, 409 with the reason when the hour cannot be moved', async () => {
    const missing = app({ retryHour: () => Promise.resolve(false) })
    expect((await missing.api.request(path('retry'), { method: 'POST', headers: auth })).status).toBe(404)
    const busy = app({ moveHour: () => Promise.reject(new HourActionRefused('not known yet')) })
    const res = await busy.api.request(path('move'), { method: 'POST', headers: auth })
    expect(res.status).toBe(409)
    expect(await res.json()).toEqual({ error: 'not known yet' })
  })
})

it('GET /api/entitlements adds the included quantity left per metered dimension', async () => {
  const left = {
    dimension: 'api-calls',
    periodStart: '2026-01-06T00:00:00.000Z',
    included: 100,
    consumed: 40,
    remaining: 60,
  }
  const { api, calls } = app({ includedRemaining: () => Promise.resolve([left]) })
  const res = await api.request(`/api/entitlements?tenantId=${TENANT}`, { headers: auth })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { entitlements: { subscriptionId: string; included?: unknown[] }[] }
  expect(body.entitlements[0]).toMatchObject({ subscriptionId: SUB_ID, included: [left] })
  expect(calls).toEqual([['includedRemaining', SUB_ID]])
})
