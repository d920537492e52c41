import type { Client } from '@temporalio/client'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../config/logger.ts'
import { health, type HealthDeps } from './health.ts'

const API_KEY = 'test-admin-api-key-0123456789'
const admin = { authorization: `Bearer ${API_KEY}` }

/** A Temporal client that answers `getSystemInfo` (or fails it), as far as health checks use one. */
function temporalClient(answer: () => Promise<{ serverVersion?: string }>): Client {
  return {
    options: { namespace: 'tenant-ns' },
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
    workflowService: { getSystemInfo: answer },
  } as unknown as Client
}

const up = temporalClient(() => Promise.resolve({ serverVersion: '1.29.1' }))
const down = temporalClient(() => Promise.reject(new Error('14 UNAVAILABLE: No connection established')))

function app(client: Client, overrides: Partial<HealthDeps> = {}) {
  return health({
    client,
    address: 'temporal.internal.contoso.example:7233',
    marketplaceApiUrl: 'https://marketplaceapi.microsoft.com/api',
    admin: { apiKey: API_KEY },
    logger: silentLogger,
    ...overrides,
  })
}

const SECRETS = ['temporal.internal.contoso.example', 'tenant-ns', '1.29.1', 'marketplaceapi', 'UNAVAILABLE']

describe('GET /health (liveness)', () => {
  it.each([
    ['up', up],
    ['down', down],
  ])('answers 200 ok with nothing about the deployment, Temporal %s', async (_, client) => {
    const res = await app(client).request('/health')
    expect(res.status).toBe(200)
    const body = await res.text()
    expect(JSON.parse(body)).toEqual({ status: 'ok' })
    for (const s of SECRETS) expect(body).not.toContain(s)
  })
})

describe('GET /ready (readiness)', () => {
  it('is 200 when Temporal answers', async () => {
    const res = await app(up).request('/ready')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ready', checks: { temporal: 'ok' } })
  })

  it('is 503 as soon as the process drains, while liveness stays 200', async () => {
    let draining = false
    const server = app(up, { draining: () => draining })
    expect((await server.request('/ready')).status).toBe(200)
    draining = true
    const res = await server.request('/ready')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ status: 'draining' })
    expect((await server.request('/health')).status).toBe(200)
  })

  it('is 503 naming the failing check, and no details, when Temporal does not', async () => {
    const res = await app(down).request('/ready')
    expect(res.status).toBe(503)
    const body = await res.text()
    expect(JSON.parse(body)).toEqual({ status: 'not ready', checks: { temporal: 'failing' } })
    for (const s of SECRETS) expect(body).not.toContain(s)
  })

  it('includes the other registered checks', async () => {
    const checks = { database: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:5432')) }
    const res = await app(up, { checks }).request('/ready')
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ status: 'not ready', checks: { temporal: 'ok', database: 'failing' } })
  })
})

describe('GET /health/details (admin)', () => {
  it.each<Record<string, string>>([{}, { authorization: 'Bearer wrong-key-of-some-length' }])(
    'is 401 without the admin key',
    async (h) => {
      const res = await app(up).request('/health/details', { headers: h })
      expect(res.status).toBe(401)
      const body = await res.text()
      for (const s of SECRETS) expect(body).not.toContain(s)
    },
  )

  it('gives Temporal address, namespace, version and the marketplace URL to the admin', async () => {
    const res = await app(up).request('/health/details', { headers: admin })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      status: 'ok',
      temporal: {
        address: 'temporal.internal.contoso.example:7233',
        namespace: 'tenant-ns',
        connected: true,
        serverVersion: '1.29.1',
        latencyMs: expect.any(Number) as number,
      },
      marketplace: { apiUrl: 'https://marketplaceapi.microsoft.com/api' },
    })
  })

  it('says why when something is failing, with 503', async () => {
    const checks = { database: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:5432')) }
    const res = await app(down, { checks }).request('/health/details', { headers: admin })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      temporal: { connected: false, error: expect.stringContaining('UNAVAILABLE') as string },
      checks: { database: { ok: false, error: expect.stringContaining('ECONNREFUSED') as string } },
    })
  })
})
