/**
 * Only Microsoft is trusted (issue 7): a webhook token is valid for minutes and not bound to its body, so
 * whoever holds one can replay it with any body. These tests hold one genuine token and forge bodies with
 * it; whatever the body says, the service takes plan, seats, tenants and status from Microsoft's API, and a
 * body whose ids disagree with each other or with Microsoft changes nothing.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SubscriptionIdKey } from '../../workflows/search-attributes.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { detail, essentials, subscribed, until, webhookBodyOf } from '../support/subscriptions.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ signer: true })
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace
/** One genuine token, as an eavesdropper would hold it: every forged body below is sent with it. */
const genuineToken = async () => `Bearer ${await h.signer!.sign()}`

const attacker = () => ({ emailId: 'mallory@attacker.example', objectId: randomUUID(), tenantId: randomUUID() })

/** An auto-activated purchase whose Subscribe webhook Microsoft has not delivered (yet): the service has not seen it. */
function unseenPurchase() {
  const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', webhook: false })
  const id = purchase.subscription.id
  const subscribe = m()
    .getSubscription(id)
    .operations.find((o) => o.action === 'Subscribe')!
  return { id, purchase, body: webhookBodyOf(h, id, subscribe.id) }
}

const workflowExists = (id: string) =>
  h.temporal.workflow
    .getHandle(`subscription-${id}`)
    .describe()
    .then(() => true)
    .catch(() => false)

async function entitlementsOf(tenantId: string) {
  const res = await h.api(`/api/entitlements?tenantId=${tenantId}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { entitlements: { subscriptionId: string; entitled: boolean; planId?: string }[] })
    .entitlements
}

describe('a genuine token replayed with a forged body', () => {
  it('seeds a new subscription from Microsoft, not from the body: the attacker’s tenant gets nothing', async () => {
    const { id, purchase, body } = unseenPurchase()
    const realTenant = purchase.subscription.beneficiary.tenantId
    const mallory = attacker()
    const token = await genuineToken()
    const forged = {
      ...body,
      planId: 'enterprise',
      quantity: 1000,
      subscription: {
        ...body.subscription,
        planId: 'enterprise',
        quantity: 1000,
        beneficiary: mallory,
        purchaser: mallory,
      },
    }
    // The ids are Microsoft's own (the operation exists), so the webhook is taken as a hint to go and ask.
    expect((await h.deliver(forged, token)).status).toBe(200)
    // Microsoft's own delivery comes later, with the same token.
    expect((await h.deliver(body, token)).status).toBe(200)

    const v = await until(h, id, (s) => s.step === 'subscribed.idle', 'Subscribed')
    const microsoft = m().getSubscription(id).subscription
    expect(essentials(v)).toEqual(essentials(microsoft))
    expect(v).toMatchObject({ planId: 'instant', saasSubscriptionStatus: 'Subscribed' })
    expect(v.quantity).toBeUndefined()
    expect(v.beneficiary?.tenantId).toBe(realTenant)
    expect(v.purchaser?.tenantId).toBe(microsoft.purchaser.tenantId)

    // Entitlements are read from Temporal's visibility store, about a second behind the workflow.
    const real = await eventually(
      async () => (await entitlementsOf(realTenant)).find((e) => e.subscriptionId === id && e.entitled),
      { what: 'the real tenant entitled' },
    )
    expect(real.planId).toBe('instant')
    expect(await entitlementsOf(mallory.tenantId)).toEqual([])
  })

  it('changes nothing on a known subscription: a replayed Renew with a forged plan, seats and tenant', async () => {
    const id = await subscribed(h)
    const renew = m().renew(id, { webhook: false })
    const body = webhookBodyOf(h, id, renew.id)
    const mallory = attacker()
    const forged = {
      ...body,
      planId: 'enterprise',
      quantity: 1000,
      subscription: {
        ...body.subscription,
        planId: 'enterprise',
        quantity: 1000,
        beneficiary: mallory,
        purchaser: mallory,
      },
    }
    expect((await h.deliver(forged, await genuineToken())).status).toBe(200)
    const v = await until(
      h,
      id,
      (s) => s.decisions.some((d) => d.operationId === renew.id) && s.step === 'subscribed.idle',
      'the Renew recorded',
    )
    expect(essentials(v)).toEqual(essentials(m().getSubscription(id).subscription))
    expect(v).toMatchObject({ planId: 'team', quantity: 10 })
    expect(v.beneficiary?.tenantId).not.toBe(mallory.tenantId)
    expect(await entitlementsOf(mallory.tenantId)).toEqual([])
  })

  it('refuses a body whose action is not the operation’s, changing nothing', async () => {
    const id = await subscribed(h)
    const renew = m().renew(id, { webhook: false })
    const body = webhookBodyOf(h, id, renew.id)
    const res = await h.deliver({ ...body, action: 'Unsubscribe', status: 'Succeeded' }, await genuineToken())
    expect(res.status).toBe(400)
    expect(await res.text()).not.toMatch(/Unsubscribed/)
    const v = (await detail(h, id))!
    expect(v.saasSubscriptionStatus).toBe('Subscribed')
    expect(v.decisions.some((d) => d.operationId === renew.id)).toBe(false)
  })
})

describe('a body naming another subscription', () => {
  it('changes nothing, starts nothing, and nothing is PATCHed at Microsoft for the other subscription', async () => {
    const a = unseenPurchase()
    // B has a customer change open at Microsoft that the service has not been told of: a PATCH is possible.
    const b = await subscribed(h)
    const openChange = m().changeQuantity(b, 20, { webhook: false })
    const bodyOfB = webhookBodyOf(h, b, openChange.id)
    const token = await genuineToken()

    const forgeries = {
      'A’s operation carrying B’s subscription object': { ...a.body, subscription: bodyOfB.subscription },
      'B’s operation carrying A’s subscription object': { ...bodyOfB, subscription: a.body.subscription },
      'B’s operation under A’s subscriptionId': { ...bodyOfB, subscriptionId: a.id },
      'A’s webhook with B’s operation id': { ...a.body, id: openChange.id },
    }
    for (const [what, body] of Object.entries(forgeries)) {
      const res = await h.deliver(body, token)
      // 400 when the ids disagree with each other or with Microsoft's operation; 503 when Microsoft does not
      // know that operation for that subscription (it would be retried; a forger gains nothing either way).
      expect([400, 503], what).toContain(res.status)
    }

    expect(await workflowExists(a.id)).toBe(false)
    // Nothing reached Microsoft for B but reads, and B's open change was not decided by the service.
    expect(m().journal({ subscriptionId: b, kind: 'updateOperation' })).toEqual([])
    expect(m().journal({ subscriptionId: b, kind: 'updateSubscription' })).toEqual([])
    const vb = (await detail(h, b))!
    expect(vb.decisions.some((d) => d.operationId === openChange.id)).toBe(false)
    expect(h.vendor.callsTo('decideChange', b)).toEqual([])
    expect(
      m()
        .journal({ subscriptionId: a.id })
        .filter((j) => j.kind !== 'getOperation'),
    ).toEqual([])

    // Microsoft's own Subscribe for A, then a vendor plan change on A: it goes to A at Microsoft, never to B.
    expect((await h.deliver(a.body, token)).status).toBe(200)
    const va = await until(h, a.id, (s) => s.step === 'subscribed.idle', 'A Subscribed')
    expect(va.id).toBe(a.id)
    const described = await h.temporal.workflow.getHandle(`subscription-${a.id}`).describe()
    expect(described.typedSearchAttributes.get(SubscriptionIdKey)).toBe(a.id)
    const change = await h.api(`/api/subscriptions/${a.id}/plan`, {
      method: 'POST',
      body: JSON.stringify({ planId: 'basic' }),
    })
    expect(change.status).toBe(200)
    expect(
      m()
        .journal({ subscriptionId: a.id, kind: 'updateSubscription' })
        .map((j) => j.body),
    ).toEqual([{ planId: 'basic' }])
    expect(m().journal({ subscriptionId: b, kind: 'updateSubscription' })).toEqual([])
    expect(m().journal({ subscriptionId: b, kind: 'updateOperation' })).toEqual([])
    expect(m().getSubscription(b).subscription).toMatchObject({ planId: 'team' })
  })
})
