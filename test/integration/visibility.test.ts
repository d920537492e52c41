/**
 * Operators find subscriptions in the Temporal UI by status and tenant. The API lists them with the same
 * visibility query it hands back, and the query gives the same answer run directly against Temporal, as
 * the UI's search box does.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import type { SubscriptionSummary } from '../../server/subscriptions-gateway.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

async function subscribedFor(tenantId: string): Promise<string> {
  const purchase = h.emulator.marketplace.purchase({
    offerId: 'contoso-analytics',
    planId: 'basic',
    beneficiary: { emailId: `admin@${tenantId.slice(0, 8)}.example`, objectId: randomUUID(), tenantId },
  })
  await confirmPurchase(purchase.landingUrl)
  const id = purchase.subscription.id
  await eventually(
    async () => {
      const res = await h.api(`/api/subscriptions/${id}`)
      return res.ok && ((await res.json()) as SubscriptionView).step === 'subscribed.idle'
    },
    { what: 'Subscribed' },
  )
  return id
}

it('lists subscriptions by status and tenant with the query operators type in the Temporal UI', async () => {
  const tenant = randomUUID()
  const [active, suspended] = [await subscribedFor(tenant), await subscribedFor(tenant)]
  const otherTenant = await subscribedFor(randomUUID())
  h.emulator.marketplace.suspend(suspended)
  h.emulator.marketplace.suspend(otherTenant)

  const list = async (qs: string) => {
    const res = await h.api(`/api/subscriptions?${qs}`)
    expect(res.status).toBe(200)
    return (await res.json()) as { subscriptions: SubscriptionSummary[]; query: string }
  }
  // Visibility is eventually consistent: wait until the index shows both suspensions.
  const page = await eventually(
    async () => {
      const p = await list(`status=Suspended&tenantId=${tenant}`)
      return p.subscriptions.length === 1 && p.subscriptions[0]!.subscriptionId === suspended && p
    },
    { what: 'the suspended subscription of the tenant listed' },
  )
  expect(page.query).toBe(
    `WorkflowType = "subscriptionWorkflow" AND ExecutionStatus != "ContinuedAsNew" AND SaasStatus = "Suspended" AND (SaasBeneficiaryTenantId = "${tenant}" OR SaasPurchaserTenantId = "${tenant}")`,
  )
  expect(page.subscriptions[0]).toMatchObject({
    status: 'Suspended',
    beneficiaryTenantId: tenant,
    offerId: 'contoso-analytics',
    planId: 'basic',
  })

  const ids: string[] = []
  for await (const execution of h.temporal.workflow.list({ query: page.query })) ids.push(execution.workflowId)
  expect(ids).toEqual([`subscription-${suspended}`])

  const byTenant = await list(`tenantId=${tenant}`)
  expect(byTenant.subscriptions.map((s) => s.subscriptionId).sort()).toEqual([active, suspended].sort())

  const entitlements = await h.api(`/api/entitlements?tenantId=${tenant}`)
  const body = (await entitlements.json()) as { entitlements: { subscriptionId: string; entitled: boolean }[] }
  expect(Object.fromEntries(body.entitlements.map((e) => [e.subscriptionId, e.entitled]))).toEqual({
    [active]: true,
    [suspended]: false,
  })
})
