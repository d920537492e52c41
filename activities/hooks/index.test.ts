import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Config } from '../../config/env.ts'
import type { SubscriptionFacts } from '../../machines/subscription/index.ts'
import * as exported from './index.ts'
import { createVendorHooks, verifySignature, type HookContext } from './index.ts'

const subscription: SubscriptionFacts = {
  id: 'sub-index',
  offerId: 'offer',
  planId: 'basic',
  saasSubscriptionStatus: 'PendingFulfillmentStart',
  isFreeTrial: false,
  isTest: true,
}

function context() {
  const heartbeats: unknown[] = []
  const ctx: HookContext = {
    key: 'wf/run/2',
    heartbeat: (d) => heartbeats.push(d),
    signal: new AbortController().signal,
  }
  return { ctx, heartbeats }
}

let server: Server
let url: string
const received: { path: string; body: string; signature: string | undefined }[] = []
let dir: string

beforeAll(async () => {
  const app = new Hono().post('/hooks/:hook', async (c) => {
    received.push({ path: c.req.path, body: await c.req.text(), signature: c.req.header('x-saas-signature') })
    return c.json({ reference: 'from-http' }, 202)
  })
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
  dir = await mkdtemp(join(tmpdir(), 'vendor-hooks-index-'))
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
})

afterEach(() => {
  vi.useRealTimers()
})

describe('createVendorHooks', () => {
  it('demo: provisions after the configured delay, heartbeating', async () => {
    vi.useFakeTimers()
    const vendor: Config['vendor'] = { hooks: 'demo', provisionDelayMs: 1_500 }
    const hooks = await createVendorHooks(vendor)
    const { ctx, heartbeats } = context()
    let done = false
    const provision = hooks.provision({ subscription }, ctx).finally(() => (done = true))

    await vi.advanceTimersByTimeAsync(1_499)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await expect(provision).resolves.toEqual({ status: 'completed' })
    expect(heartbeats).toHaveLength(3)
    await expect(hooks.reinstate({ subscription }, ctx)).resolves.toEqual({ accept: true })
  })

  it('demo: a delay of 0 provisions at once', async () => {
    const hooks = await createVendorHooks({ hooks: 'demo', provisionDelayMs: 0 })
    const { ctx, heartbeats } = context()
    await expect(hooks.provision({ subscription }, ctx)).resolves.toEqual({ status: 'completed' })
    expect(heartbeats).toEqual([])
  })

  it('http: calls the configured URL, signed with the configured secret', async () => {
    const hooks = await createVendorHooks({ hooks: 'http', url, secret: 'index-secret' })
    await expect(hooks.provision({ subscription }, context().ctx)).resolves.toEqual({
      status: 'pending',
      reference: 'from-http',
    })
    expect(received).toHaveLength(1)
    const [req] = received
    expect(req!.path).toBe('/hooks/provision')
    expect(JSON.parse(req!.body)).toEqual({ hook: 'provision', key: 'wf/run/2', subscription })
    expect(verifySignature('index-secret', req!.body, req!.signature ?? null)).toBe(true)
    expect(verifySignature('another-secret', req!.body, req!.signature ?? null)).toBe(false)
  })

  it('module: loads the configured module', async () => {
    const path = join(dir, 'vendor.mjs')
    await writeFile(
      path,
      `export const hooks = async () => ({
        provision: async (req) => ({ status: 'pending', reference: 'module:' + req.subscription.id }),
      })`,
    )
    const hooks = await createVendorHooks({ hooks: 'module', module: path })
    const { ctx } = context()
    await expect(hooks.provision({ subscription }, ctx)).resolves.toEqual({
      status: 'pending',
      reference: 'module:sub-index',
    })
    // The rest are the demo's.
    await expect(hooks.reinstate({ subscription }, ctx)).resolves.toEqual({ accept: true })
  })

  it('module: fails clearly on a module without hooks', async () => {
    const path = join(dir, 'empty.mjs')
    await writeFile(path, 'export const nothing = 1')
    await expect(createVendorHooks({ hooks: 'module', module: path })).rejects.toThrow(/exports no vendor hooks/)
  })
})

describe('the module', () => {
  it('exports what activities and tests use', () => {
    expect(exported).toMatchObject({
      createVendorHooks: expect.any(Function) as unknown,
      httpHooks: expect.any(Function) as unknown,
      demoHooks: expect.any(Function) as unknown,
      signPayload: expect.any(Function) as unknown,
      verifySignature: expect.any(Function) as unknown,
      VendorRejectedError: expect.any(Function) as unknown,
    })
    const err = new exported.VendorRejectedError('no')
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('VendorRejectedError')
  })
})
