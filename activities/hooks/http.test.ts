import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { ApplicationFailure } from '@temporalio/activity'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PendingChange, SubscriptionFacts } from '../../machines/subscription/index.ts'
import { toActivityFailure, translatingFailures } from '../failures.ts'
import { httpHooks, signPayload, verifySignature } from './http.ts'
import { VendorRejectedError, type HookContext, type HookName, type VendorHooks } from './types.ts'

const SECRET = 'whsec_test_0123456789abcdef'

const subscription: SubscriptionFacts = {
  id: '37f9dea2-4345-438f-b0bd-03d40d28c7e0',
  name: 'Contoso cloud',
  offerId: 'contoso-offer',
  planId: 'silver',
  quantity: 10,
  saasSubscriptionStatus: 'Subscribed',
  beneficiary: { emailId: 'ben@contoso.example', objectId: 'ben-oid', tenantId: 'ben-tid' },
  purchaser: { emailId: 'pur@contoso.example', objectId: 'pur-oid', tenantId: 'pur-tid' },
  term: { termUnit: 'P1M', startDate: '2025-01-01T00:00:00Z', endDate: '2025-01-31T00:00:00Z' },
  autoRenew: true,
  isFreeTrial: false,
  isTest: true,
  allowedCustomerOperations: ['Read', 'Update', 'Delete'],
}

const change: PendingChange = {
  operationId: 'op-change-1',
  action: 'ChangePlan',
  planId: 'gold',
  receivedAt: '2025-01-10T10:00:00.000Z',
}

/** One request per hook, with every field the hook may carry. */
const requests: { [H in HookName]: Parameters<VendorHooks[H]>[0] } = {
  provision: { subscription, buyer: { email: 'ben@contoso.example', name: 'Ben', tenantId: 'ben-tid' } },
  decideChange: { subscription, change, deadline: '2025-01-10T10:00:06.000Z' },
  applyChange: { subscription, previous: { planId: 'bronze', quantity: 5 }, operationId: 'op-apply-1' },
  suspend: { subscription },
  reinstate: { subscription },
  deprovision: { subscription, retainUntil: '2025-03-01T00:00:00.000Z' },
  notify: { event: 'Renew', subscription, operationId: 'op-renew-1' },
}
const HOOKS = Object.keys(requests) as HookName[]

/** Calls one hook with its request (the union of signatures is not callable directly). */
function callHook(hooks: VendorHooks, hook: HookName, ctx: HookContext): Promise<unknown> {
  return (hooks[hook] as (req: unknown, ctx: HookContext) => Promise<unknown>)(requests[hook], ctx)
}

function context(overrides: Partial<HookContext> = {}): HookContext {
  return { key: 'sub-workflow/run-1/7', heartbeat: () => {}, signal: new AbortController().signal, ...overrides }
}

// --- A real vendor app on 127.0.0.1 that records what it receives and answers as each test says.

interface Received {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

let server: Server
let baseUrl: string
let received: Received[] = []
let respond: (req: Received) => Response | Promise<Response>
let release: (() => void)[] = []

/** An answer that never comes until the test is over (a hung vendor). */
const never = () => new Promise<Response>((resolve) => release.push(() => resolve(new Response('too late'))))
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const text = (status: number, body: string | null) => new Response(body, { status })

beforeAll(async () => {
  const app = new Hono().post('/vendor/hooks/:hook', async (c) => {
    const req: Received = {
      method: c.req.method,
      path: c.req.path,
      headers: Object.fromEntries(c.req.raw.headers),
      body: await c.req.text(),
    }
    received.push(req)
    return respond(req)
  })
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server))
  })
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vendor/hooks`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  received = []
  respond = (req) => (/decideChange|reinstate/.test(req.path) ? json(200, { accept: true }) : json(200, {}))
})

afterEach(() => {
  for (const r of release) r()
  release = []
})

const hooks = (options: { timeoutMs?: number; secret?: string; url?: string } = {}) =>
  httpHooks({ url: options.url ?? baseUrl, secret: options.secret ?? SECRET, timeoutMs: options.timeoutMs })

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the call to fail')
}

describe('the request', () => {
  it.each(HOOKS)('%s posts the signed JSON request to {url}/%s', async (hook) => {
    await callHook(hooks({ url: `${baseUrl}/` }), hook, context())

    expect(received).toHaveLength(1)
    const [req] = received as [Received]
    expect(req.method).toBe('POST')
    expect(req.path).toBe(`/vendor/hooks/${hook}`)
    expect(JSON.parse(req.body)).toEqual({ hook, key: 'sub-workflow/run-1/7', ...requests[hook] })
    expect(req.headers).toMatchObject({
      'content-type': 'application/json',
      'x-saas-hook': hook,
      'idempotency-key': 'sub-workflow/run-1/7',
    })
    const signature = req.headers['x-saas-signature'] ?? null
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(Math.abs(Number(/t=(\d+)/.exec(signature!)![1]) - Date.now() / 1000)).toBeLessThan(5)

    expect(verifySignature(SECRET, req.body, signature)).toBe(true)
    expect(verifySignature(SECRET, req.body.replace('silver', 'golden'), signature)).toBe(false)
    expect(verifySignature(SECRET, `${req.body} `, signature)).toBe(false)
    expect(verifySignature('another-secret', req.body, signature)).toBe(false)
  })

  it('signs what it sends, so a receiver can reject a stale or replayed callback', async () => {
    await hooks().suspend(requests.suspend, context())
    const { body, headers } = received[0]!
    const signature = headers['x-saas-signature']!
    const now = Date.now()

    expect(verifySignature(SECRET, body, signature, 300, now + 299_000)).toBe(true)
    expect(verifySignature(SECRET, body, signature, 300, now + 301_000)).toBe(false)
    expect(verifySignature(SECRET, body, signature, 60, now + 61_000)).toBe(false)
    // A timestamp from the future is as suspicious as an old one.
    expect(verifySignature(SECRET, body, signature, 300, now - 301_000)).toBe(false)
  })

  it('keeps the idempotency key of the step on every retry', async () => {
    let attempt = 0
    respond = () => (++attempt === 1 ? text(503, 'busy') : text(204, null))
    const ctx = context({ key: 'wf-42/run-a/3' })
    const provision = hooks()

    await expect(provision.provision(requests.provision, ctx)).rejects.toThrow(/503/)
    await expect(provision.provision(requests.provision, ctx)).resolves.toEqual({ status: 'completed' })

    expect(received).toHaveLength(2)
    for (const req of received) {
      expect(req.headers['idempotency-key']).toBe('wf-42/run-a/3')
      expect(JSON.parse(req.body)).toMatchObject({ key: 'wf-42/run-a/3' })
      expect(verifySignature(SECRET, req.body, req.headers['x-saas-signature'] ?? null)).toBe(true)
    }
    expect(received[0]!.body).toBe(received[1]!.body)
  })

  it('sends different keys for different steps', async () => {
    const h = hooks()
    await h.notify(requests.notify, context({ key: 'wf/run/1' }))
    await h.notify(requests.notify, context({ key: 'wf/run/2' }))
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual(['wf/run/1', 'wf/run/2'])
  })
})

describe('verifySignature', () => {
  const body = '{"hook":"notify","key":"k"}'
  const t = Math.floor(Date.now() / 1000)
  const good = signPayload(SECRET, body, t)
  const v1 = good.split('v1=')[1]!

  it('accepts a fresh signature of the exact body', () => {
    expect(good).toBe(`t=${t},v1=${v1}`)
    expect(v1).toMatch(/^[0-9a-f]{64}$/)
    expect(verifySignature(SECRET, body, good, 300, t * 1000)).toBe(true)
  })

  it('is deterministic for a given secret, body and time', () => {
    expect(signPayload(SECRET, body, t)).toBe(good)
    expect(signPayload(SECRET, body, t + 1)).not.toBe(good)
    expect(signPayload('other', body, t)).not.toBe(good)
  })

  it.each([
    ['no header', null],
    ['an empty header', ''],
    ['garbage', 'not-a-signature'],
    ['a missing v1', `t=${t}`],
    ['an empty v1', `t=${t},v1=`],
    ['a missing t', `v1=${v1}`],
    ['a non-numeric t', `t=soon,v1=${v1}`],
    ['an empty t', `t=,v1=${v1}`],
    ['another scheme only', `t=${t},v0=${v1}`],
    ['a truncated v1', `t=${t},v1=${v1.slice(0, 62)}`],
    ['a v1 one byte too long', `t=${t},v1=${v1}00`],
    ['a v1 one hex digit too long', `t=${t},v1=${v1}0`],
    ['a v1 with trailing non-hex', `t=${t},v1=${v1}zz`],
    ['a v1 of non-hex characters', `t=${t},v1=${'z'.repeat(64)}`],
    ['a v1 with one digit changed', `t=${t},v1=${v1.slice(0, 63)}${v1.endsWith('0') ? '1' : '0'}`],
    ['the signature of another time', `t=${t + 1},v1=${v1}`],
  ])('rejects %s', (_, header) => {
    expect(verifySignature(SECRET, body, header)).toBe(false)
  })

  it('rejects a timestamp older than the tolerance, and accepts one inside it', () => {
    // Judged at the moment `t` (not the wall clock, which moves on while a loaded machine runs the suite).
    const now = t * 1000
    const old = signPayload(SECRET, body, t - 600)
    expect(verifySignature(SECRET, body, old, 300, now)).toBe(false)
    expect(verifySignature(SECRET, body, old, 601, now)).toBe(true)
    expect(verifySignature(SECRET, body, signPayload(SECRET, body, t - 10), 5, now)).toBe(false)
  })
})

describe('decisions', () => {
  it.each(['decideChange', 'reinstate'] as const)('%s returns the accept and reason of the body', async (hook) => {
    const h = hooks()
    respond = () => json(200, { accept: false, reason: 'seat limit reached' })
    await expect(callHook(h, hook, context())).resolves.toEqual({ accept: false, reason: 'seat limit reached' })
    respond = () => json(200, { accept: true })
    await expect(callHook(h, hook, context())).resolves.toStrictEqual({ accept: true })
    respond = () => json(201, { accept: true, reason: 'ok', extra: 'ignored' })
    await expect(callHook(h, hook, context())).resolves.toStrictEqual({ accept: true, reason: 'ok' })
  })

  it.each([
    ['accept as a string', () => json(200, { accept: 'yes' })],
    ['no accept', () => json(200, { reason: 'why not' })],
    ['a reason that is not a string', () => json(200, { accept: false, reason: 42 })],
    ['an empty body', () => text(200, null)],
    ['a body that is not JSON', () => text(200, 'accepted')],
    ['204 No Content', () => text(204, null)],
    ['null', () => json(200, null)],
  ])('throw on a body with %s', async (_, answer) => {
    respond = answer
    for (const hook of ['decideChange', 'reinstate'] as const) {
      const err = await rejection(callHook(hooks(), hook, context()))
      expect(err).toBeInstanceOf(Error)
      expect(err).not.toBeInstanceOf(VendorRejectedError)
    }
  })
})

describe('provision', () => {
  it.each([
    ['200 with a body', () => json(200, { ok: true })],
    ['200 claiming pending in its body', () => json(200, { status: 'pending', reference: 'ignored' })],
    ['201', () => json(201, { id: 'tenant-1' })],
    ['204', () => text(204, null)],
    ['200 with a text body', () => text(200, 'OK')],
  ])('%s → completed', async (_, answer) => {
    respond = answer
    await expect(hooks().provision(requests.provision, context())).resolves.toStrictEqual({ status: 'completed' })
  })

  it('202 with a reference → pending with that reference', async () => {
    respond = () => json(202, { reference: 'r1' })
    await expect(hooks().provision(requests.provision, context())).resolves.toStrictEqual({
      status: 'pending',
      reference: 'r1',
    })
  })

  it.each([
    ['no body', () => text(202, null)],
    ['an empty object', () => json(202, {})],
    ['null', () => json(202, null)],
    ['an array', () => json(202, ['r1'])],
    ['a number reference', () => json(202, { reference: 42 })],
    ['a status field that tries to override', () => json(202, { status: 'completed' })],
    ['a body that is not JSON', () => text(202, 'Accepted, thanks!')],
  ])('202 with %s → pending without a reference', async (_, answer) => {
    respond = answer
    await expect(hooks().provision(requests.provision, context())).resolves.toStrictEqual({ status: 'pending' })
  })

  it('202 keeps only the reference of a richer body', async () => {
    respond = () => json(202, { reference: 'job-9', eta: '5m', status: 'completed' })
    await expect(hooks().provision(requests.provision, context())).resolves.toStrictEqual({
      status: 'pending',
      reference: 'job-9',
    })
  })
})

describe('void hooks', () => {
  it.each(['applyChange', 'suspend', 'deprovision', 'notify'] as const)(
    '%s resolves on any 2xx, whatever the body',
    async (hook) => {
      for (const answer of [text(204, null), json(200, { ignored: true }), text(200, 'done'), text(202, null)]) {
        respond = () => answer
        await expect(callHook(hooks(), hook, context())).resolves.toBeUndefined()
      }
    },
  )
})

describe('failures', () => {
  it.each([400, 403, 404, 409, 422])('%i is a refusal: VendorRejectedError, not retried', async (status) => {
    respond = () => json(status, { error: `no such tenant (${status})` })
    for (const hook of HOOKS) {
      const err = await rejection(callHook(hooks(), hook, context()))
      expect(err).toBeInstanceOf(VendorRejectedError)
      expect(err.name).toBe('VendorRejectedError')
      expect(err.message).toBe(`vendor hook ${hook} answered ${status}: {"error":"no such tenant (${status})"}`)

      const failure = toActivityFailure(err)
      expect(failure).toBeInstanceOf(ApplicationFailure)
      expect(failure).toMatchObject({ type: 'VendorRejected', nonRetryable: true, message: err.message })
    }
  })

  it('quotes at most 500 characters of the answer', async () => {
    respond = () => text(422, 'x'.repeat(2_000))
    const err = await rejection(hooks().suspend(requests.suspend, context()))
    expect(err).toBeInstanceOf(VendorRejectedError)
    expect(err.message).toBe(`vendor hook suspend answered 422: ${'x'.repeat(500)}`)
  })

  it('names the status alone when the refusal has no body', async () => {
    respond = () => text(403, null)
    const err = await rejection(hooks().notify(requests.notify, context()))
    expect(err).toBeInstanceOf(VendorRejectedError)
    expect(err.message).toBe('vendor hook notify answered 403')
  })

  it.each([408, 429, 500, 502, 503])('%i is a plain Error, retried by Temporal', async (status) => {
    respond = () => text(status, 'try again later')
    for (const hook of HOOKS) {
      const err = await rejection(callHook(hooks(), hook, context()))
      expect(err).toBeInstanceOf(Error)
      expect(err).not.toBeInstanceOf(VendorRejectedError)
      expect(err.message).toBe(`vendor hook ${hook} answered ${status}: try again later`)
      // Not translated: Temporal retries a plain error by the activity's retry policy.
      expect(toActivityFailure(err)).toBe(err)
    }
  })

  it('a 3xx is not followed into a refusal: it is retried', async () => {
    respond = () => new Response(null, { status: 304 })
    const err = await rejection(hooks().notify(requests.notify, context()))
    expect(err).not.toBeInstanceOf(VendorRejectedError)
    expect(err.message).toMatch(/answered 304/)
  })

  it('a closed port is a retryable error', async () => {
    const closed = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: () => new Response(), hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server))
    })
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))

    const err = await rejection(
      hooks({ url: `http://127.0.0.1:${port}/hooks` }).provision(requests.provision, context()),
    )
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(VendorRejectedError)
    expect(toActivityFailure(err)).toBe(err)
  })

  it('a vendor slower than timeoutMs is a retryable error', async () => {
    respond = never
    const err = await rejection(hooks({ timeoutMs: 150 }).provision(requests.provision, context()))
    expect(err.name).toBe('TimeoutError')
    expect(err).not.toBeInstanceOf(VendorRejectedError)
    expect(toActivityFailure(err)).toBe(err)
    expect(received).toHaveLength(1)
  })

  it('an aborted ctx.signal (the step was cancelled) aborts the call', async () => {
    respond = never
    const controller = new AbortController()
    const call = hooks().provision(requests.provision, context({ signal: controller.signal }))
    await expect.poll(() => received.length).toBe(1)
    const reason = new Error('activity cancelled')
    controller.abort(reason)
    await expect(call).rejects.toBe(reason)
  })

  it('a ctx.signal aborted before the call sends nothing', async () => {
    const controller = new AbortController()
    controller.abort(new Error('cancelled already'))
    await expect(hooks().notify(requests.notify, context({ signal: controller.signal }))).rejects.toThrow(
      'cancelled already',
    )
    expect(received).toHaveLength(0)
  })
})

describe('through the activity failure translation', () => {
  it('a refusal becomes a non-retryable VendorRejected ApplicationFailure', async () => {
    respond = () => json(409, { error: 'tenant name taken' })
    const err = await rejection(translatingFailures(() => hooks().provision(requests.provision, context())))
    expect(err).toBeInstanceOf(ApplicationFailure)
    expect(err).toMatchObject({
      type: 'VendorRejected',
      nonRetryable: true,
      message: 'vendor hook provision answered 409: {"error":"tenant name taken"}',
    })
  })

  it('a 500 stays a plain, retryable error', async () => {
    respond = () => text(500, 'boom')
    const err = await rejection(translatingFailures(() => hooks().provision(requests.provision, context())))
    expect(err).not.toBeInstanceOf(ApplicationFailure)
    expect(err).not.toBeInstanceOf(VendorRejectedError)
    expect(err.message).toBe('vendor hook provision answered 500: boom')
  })

  it('an answer passes through untouched', async () => {
    respond = () => json(202, { reference: 'r1' })
    await expect(translatingFailures(() => hooks().provision(requests.provision, context()))).resolves.toEqual({
      status: 'pending',
      reference: 'r1',
    })
  })
})
