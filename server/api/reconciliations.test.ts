import { ServiceError } from '@temporalio/client'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../config/logger.ts'
import { emptyReport, withPage, type ReconciliationReport } from '../../workflows/reconciliation.ts'
import type { ReconciliationRun, ReconciliationsGateway } from '../reconciliations-gateway.ts'
import { api, type ApiGateway } from './index.ts'

const API_KEY = 'test-admin-api-key-0123456789'
const auth = { authorization: `Bearer ${API_KEY}` }
const ID = 'saas-reconciliation-2026-01-01T10:00:00Z'

function report(id = ID): ReconciliationReport {
  const started = emptyReport(id, 'schedule', '2026-01-01T10:00:00.000Z')
  return {
    ...withPage(started, {
      checked: 3,
      inSync: 1,
      findings: [
        { subscriptionId: 'sub-1', kind: 'adopted', message: 'taken in' },
        { subscriptionId: 'sub-2', kind: 'activationOverdue', message: 'overdue' },
      ],
    }),
    pages: 1,
    finishedAt: '2026-01-01T10:00:02.000Z',
    durationMs: 2_000,
  }
}

/** A gateway answering from `answers`, recording each call. */
function testApp(answers: Partial<{ [K in keyof ReconciliationsGateway]: ReconciliationsGateway[K] }> = {}) {
  const calls: [string, ...unknown[]][] = []
  const reconciliations: ReconciliationsGateway = {
    start: () => (calls.push(['start']), answers.start?.() ?? Promise.resolve(ID)),
    get: (id) => (calls.push(['get', id]), answers.get?.(id) ?? Promise.resolve(undefined)),
    list: (limit) => (calls.push(['list', limit]), answers.list?.(limit) ?? Promise.resolve([])),
  }
  const app = api({
    subscriptions: {} as ApiGateway,
    reconciliations,
    admin: { apiKey: API_KEY },
    logger: silentLogger,
  })
  return { app, calls }
}

describe('POST /api/reconciliations', () => {
  it('starts a run and answers 202 with its id and where to read it', async () => {
    const { app, calls } = testApp()
    const res = await app.request('/api/reconciliations', { method: 'POST', headers: auth })
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ id: ID })
    expect(res.headers.get('location')).toBe(`/api/reconciliations/${encodeURIComponent(ID)}`)
    expect(calls).toEqual([['start']])
  })

  it('needs the admin key, and starts nothing without it', async () => {
    const { app, calls } = testApp()
    const res = await app.request('/api/reconciliations', { method: 'POST' })
    expect(res.status).toBe(401)
    expect(calls).toEqual([])
  })

  it('answers 503 when Temporal cannot be reached', async () => {
    const unavailable = new ServiceError('Failed to start Workflow', {
      cause: Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, metadata: {} }),
    })
    const { app } = testApp({ start: () => Promise.reject(unavailable) })
    const res = await app.request('/api/reconciliations', { method: 'POST', headers: auth })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ error: 'Temporal is unavailable; retry later' })
  })
})

describe('GET /api/reconciliations/{id}', () => {
  it('returns the run with its whole report', async () => {
    const run: ReconciliationRun = { id: ID, state: 'finished', report: report() }
    const { app, calls } = testApp({ get: () => Promise.resolve(run) })
    const res = await app.request(`/api/reconciliations/${ID}`, { headers: auth })
    expect(res.status).toBe(200)
    const body = (await res.json()) as ReconciliationRun
    expect(body).toEqual(run)
    expect(body.report!.counts).toMatchObject({ checked: 3, inSync: 1, repaired: { adopted: 1 } })
    expect(calls).toEqual([['get', ID]])
  })

  it('answers 404 for a run it does not know, naming it', async () => {
    const { app } = testApp()
    const res = await app.request('/api/reconciliations/saas-reconciliation-nope', { headers: auth })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'reconciliation saas-reconciliation-nope not found' })
  })

  it('refuses an id that cannot be one with 400, before asking Temporal', async () => {
    const { app, calls } = testApp()
    const res = await app.request(`/api/reconciliations/${encodeURIComponent('a b"c')}`, { headers: auth })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toMatch(/must be a reconciliation id/)
    expect(calls).toEqual([])
  })
})

describe('GET /api/reconciliations', () => {
  it('lists the latest runs with their counts, without the lists of findings', async () => {
    const runs: ReconciliationRun[] = [
      { id: `${ID}-b`, state: 'running', report: report(`${ID}-b`) },
      { id: ID, state: 'finished', report: report() },
      { id: `${ID}-a`, state: 'failed' },
    ]
    const { app, calls } = testApp({ list: () => Promise.resolve(runs) })
    const res = await app.request('/api/reconciliations?limit=3', { headers: auth })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { reconciliations: ReconciliationRun[] }
    expect(body.reconciliations.map((r) => [r.id, r.state])).toEqual(runs.map((r) => [r.id, r.state]))
    expect(body.reconciliations[1]!.report).toMatchObject({ counts: { checked: 3 }, durationMs: 2_000 })
    expect(body.reconciliations[1]!.report).not.toHaveProperty('repairs')
    expect(body.reconciliations[2]).not.toHaveProperty('report')
    expect(calls).toEqual([['list', 3]])
  })

  it('asks for 20 by default and refuses a limit outside 1–100', async () => {
    const { app, calls } = testApp()
    expect((await app.request('/api/reconciliations', { headers: auth })).status).toBe(200)
    for (const limit of ['0', '101', 'many']) {
      expect((await app.request(`/api/reconciliations?limit=${limit}`, { headers: auth })).status).toBe(400)
    }
    expect(calls).toEqual([['list', 20]])
  })

  it('is described in /openapi.json', async () => {
    const { app } = testApp()
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/reconciliations', '/api/reconciliations/{id}']),
    )
  })
})
