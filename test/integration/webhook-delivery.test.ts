/**
 * What must hold for every webhook: it is verified before anything happens, a 2xx means it is kept, and
 * it is applied once, whatever order and however many times it arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import type { TestSigner } from '../support/entra.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
let signer: TestSigner
beforeAll(async () => {
  h = await startHarness({ signer: true })
  signer = h.signer!
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace

function post(body: unknown, authorization?: string) {
  return fetch(`${h.server.url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function view(id: string) {
  const res = await h.api(`/api/subscriptions/${id}`)
  return res.status === 200
    ? ((await res.json()) as SubscriptionView & {
        decisions: { event: string; operationId?: string; outcome: string; reason?: string }[]
      })
    : undefined
}

async function subscribed(): Promise<string> {
  const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
  await confirmPurchase(purchase.landingUrl)
  await eventually(async () => (await view(purchase.subscription.id))?.step === 'subscribed.idle', {
    what: 'Subscribed',
  })
  return purchase.subscription.id
}

const workflowExists = (id: string) =>
  h.temporal.workflow
    .getHandle(`subscription-${id}`)
    .describe()
    .then(() => true)
    .catch(() => false)

describe('webhook verification', () => {
  /** A genuine operation for a subscription the service has never seen: only the token decides. */
  function unseenOperation() {
    // Microsoft's own delivery of it is dropped: the test delivers it itself.
    m().setFaults({ script: [{ target: 'webhook', kind: 'drop', action: 'Subscribe' }] })
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const id = purchase.subscription.id
    const operation = m().getSubscription(id).operations[0]!
    return {
      id,
      payload: {
        id: operation.id,
        subscriptionId: id,
        action: 'Subscribe',
        status: 'Succeeded',
        timeStamp: operation.timeStamp,
      },
    }
  }

  it.each([
    ['no token', () => Promise.resolve(undefined)],
    ['a forged token (unpublished key)', () => signer.forge().then((t) => `Bearer ${t}`)],
    [
      'an expired token',
      () =>
        signer
          .sign({ exp: Math.floor(Date.now() / 1000) - 600, iat: Math.floor(Date.now() / 1000) - 4000 })
          .then((t) => `Bearer ${t}`),
    ],
    [
      'a token for another app (aud)',
      () => signer.sign({ aud: '00000000-0000-4000-8000-0000000000aa' }).then((t) => `Bearer ${t}`),
    ],
    [
      'a token of another tenant (tid)',
      () => signer.sign({ tid: '00000000-0000-4000-8000-0000000000bb' }).then((t) => `Bearer ${t}`),
    ],
    [
      'a token not issued to the marketplace (azp)',
      () => signer.sign({ azp: '00000000-0000-4000-8000-0000000000cc' }).then((t) => `Bearer ${t}`),
    ],
  ])('answers 401 to %s, and creates no workflow', async (_, authorization) => {
    const { id, payload } = unseenOperation()
    const res = await post(payload, await authorization())
    expect(res.status).toBe(401)
    expect(await workflowExists(id)).toBe(false)
  })

  it('accepts the same operation with a valid token, and v1 tokens that carry appid instead of azp', async () => {
    const { id, payload } = unseenOperation()
    const v1 = await signer.sign({ azp: undefined, appid: '20e940b3-4c77-4b0b-9a53-9e16a1b010a7', ver: '1.0' })
    expect((await post(payload, `Bearer ${v1}`)).status).toBe(200)
    expect(await workflowExists(id)).toBe(true)
  })

  it('answers 400 to a malformed payload, and 413 to one over 64 KiB, starting nothing', async () => {
    const auth = `Bearer ${await signer.sign()}`
    expect((await post('{not json', auth)).status).toBe(400)
    expect((await post({ action: 'Suspend' }, auth)).status).toBe(400)
    expect((await post({ id: 'x', subscriptionId: 'y', padding: 'x'.repeat(70_000) }, auth)).status).toBe(413)
  })

  it('answers 503 when Get Operation cannot confirm the operation for that subscription, starting nothing', async () => {
    const a = unseenOperation()
    const b = unseenOperation()
    const auth = `Bearer ${await signer.sign()}`
    // Microsoft answers 404 for another subscription's operation: not confirmed, Microsoft may retry.
    expect((await post({ ...a.payload, subscriptionId: b.id }, auth)).status).toBe(503)
    expect((await post({ ...a.payload, id: '00000000-0000-4000-8000-00000000dead' }, auth)).status).toBe(503)
    expect(await workflowExists(a.id)).toBe(false)
    expect(await workflowExists(b.id)).toBe(false)
  })

  it('answers 503 while Microsoft cannot confirm the operation; Microsoft retries and it is applied once', async () => {
    const id = await subscribed()
    m().setFaults({
      script: [1, 2, 3, 4].map(() => ({
        target: 'api' as const,
        kind: '500' as const,
        operationId: 'SubscriptionOperations_GetOperationStatus' as const,
      })),
    })
    m().configure({ webhookRetry: { initialDelayMs: 200, maxDelayMs: 500 } })
    m().suspend(id)
    await eventually(async () => (await view(id))?.saasSubscriptionStatus === 'Suspended', { what: 'Suspended' })
    const delivery = m()
      .webhooks({ subscriptionId: id })
      .find((w) => w.action === 'Suspend')!
    expect(delivery.attempts.map((a) => a.status)).toContain(503)
    expect(delivery.attempts.at(-1)!.status).toBe(200)
    expect(h.vendor.callsTo('suspend', id)).toHaveLength(1)
    m().setFaults({})
  })
})

describe('exactly once', () => {
  it('applies a webhook delivered three times once', async () => {
    const id = await subscribed()
    m().setFaults({ script: [{ target: 'webhook', kind: 'duplicate', action: 'Suspend' }] })
    m().suspend(id)
    await eventually(
      () =>
        m()
          .webhooks({ subscriptionId: id })
          .filter((w) => w.action === 'Suspend' && w.state === 'delivered').length === 2,
      { what: 'two deliveries' },
    )
    const payload = m()
      .webhooks({ subscriptionId: id })
      .find((w) => w.action === 'Suspend')!.payload
    expect((await post(payload, `Bearer ${await signer.sign()}`)).status).toBe(200)

    const v = await eventually(
      async () => {
        const current = await view(id)
        return current && current.decisions.filter((d) => d.event === 'Suspend').length === 3 && current
      },
      { what: 'three Suspend decisions' },
    )
    expect(v.saasSubscriptionStatus).toBe('Suspended')
    expect(
      v.decisions
        .filter((d) => d.event === 'Suspend')
        .map((d) => d.outcome)
        .sort(),
    ).toEqual(['applied', 'ignored', 'ignored'])
    expect(h.vendor.callsTo('suspend', id)).toHaveLength(1)
    m().setFaults({})
  })

  it("ends in Microsoft's state when Reinstate (Succeeded, as Microsoft sends it) arrives before Suspend", async () => {
    const id = await subscribed()
    m().setFaults({ script: [{ target: 'webhook', kind: 'reorder', action: 'Suspend' }] })
    m().suspend(id)
    m().reinstate(id)
    const order = await eventually(() => {
      const delivered = m()
        .webhooks({ subscriptionId: id })
        .filter((w) => (w.action === 'Suspend' || w.action === 'Reinstate') && w.attempts.length > 0)
        .sort((a, b) => Date.parse(a.attempts[0]!.at) - Date.parse(b.attempts[0]!.at))
      return delivered.length === 2 && delivered
    })
    expect(order.map((w) => w.action)).toEqual(['Reinstate', 'Suspend'])
    // Both were read back from Microsoft, which says Subscribed: the late Suspend changes nothing.
    const v = await eventually(
      async () => {
        const current = await view(id)
        const read = current?.decisions.filter((d) => d.event === 'status.observed') ?? []
        return current?.step === 'subscribed.idle' && read.length >= 2 && current
      },
      { what: 'both operations read back from Microsoft' },
    )
    expect(v.saasSubscriptionStatus).toBe('Subscribed')
    expect(m().getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
    expect(h.vendor.callsTo('suspend', id)).toHaveLength(0)
    expect(h.vendor.callsTo('reinstate', id)).toHaveLength(0)
    m().setFaults({})
  })
})
