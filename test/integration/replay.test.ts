/**
 * Histories recorded on the real server replay against the workflow code: the determinism check Temporal
 * runs whenever a worker picks up a workflow it has not cached. With RECORD_HISTORIES=1 the histories are
 * written to test/fixtures/histories, where workflows/replay.test.ts keeps replaying them against every
 * later version of the code (a change that would break running workflows needs `patched()`).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { Worker } from '@temporalio/worker'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { eventually, startHarness, workflowBundle, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(() => h?.stop())

const m = () => h.emulator.marketplace

async function reach(id: string, predicate: (v: SubscriptionView) => boolean) {
  const handle = h.temporal.workflow.getHandle(`subscription-${id}`)
  await eventually(async () => {
    const v = await handle.query<SubscriptionView | undefined>('state').catch(() => undefined)
    return v && predicate(v)
  })
}

/** Scenarios covering every kind of step the workflow takes: name → subscription id when done. */
const scenarios: Record<string, () => Promise<string>> = {
  async 'purchase-change-suspend-reinstate-cancel'() {
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
    const id = purchase.subscription.id
    await confirmPurchase(purchase.landingUrl)
    await reach(id, (v) => v.step === 'subscribed.idle')
    m().changePlan(id, 'enterprise')
    await reach(id, (v) => v.planId === 'enterprise' && v.step === 'subscribed.idle')
    m().suspend(id)
    await reach(id, (v) => v.saasSubscriptionStatus === 'Suspended')
    m().reinstate(id)
    await reach(id, (v) => v.step === 'subscribed.idle')
    m().renew(id)
    m().transfer(id)
    await h.api(`/api/subscriptions/${id}/quantity`, { method: 'POST', body: JSON.stringify({ quantity: 15 }) })
    await h.api(`/api/subscriptions/${id}`, { method: 'DELETE' })
    await reach(id, (v) => v.saasSubscriptionStatus === 'Unsubscribed')
    return id
  },
  async 'auto-activated-then-unsubscribed'() {
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const id = purchase.subscription.id
    await reach(id, (v) => v.step === 'subscribed.idle')
    m().unsubscribe(id)
    await reach(id, (v) => v.saasSubscriptionStatus === 'Unsubscribed')
    return id
  },
  async 'adopted-by-reinstate-then-unsubscribed'() {
    // Unknown to the service until its Reinstate webhook: adopted (and provisioned, since
    // PROVISION_ADOPTED_PATCH), then cancelled.
    const purchase = m().purchase({ offerId: 'contoso-analytics', planId: 'instant', webhook: false })
    const id = purchase.subscription.id
    m().suspend(id, { webhook: false })
    m().reinstate(id)
    await reach(id, (v) => v.step === 'subscribed.idle')
    m().unsubscribe(id)
    await reach(id, (v) => v.saasSubscriptionStatus === 'Unsubscribed')
    return id
  },
}

it.each(Object.keys(scenarios))('replays the history of %s against the current workflow code', async (name) => {
  const id = await scenarios[name]!()
  const handle = h.temporal.workflow.getHandle(`subscription-${id}`)
  await handle.result()
  const history = await handle.fetchHistory()
  expect(history.events?.length).toBeGreaterThan(10)
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId)
  if (process.env.RECORD_HISTORIES) {
    // The same JSON operators get from `temporal workflow show -o json`.
    const json = execFileSync(inject('temporalCliPath'), [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--address',
      inject('temporalAddress'),
      '--output',
      'json',
    ])
    writeFileSync(new URL(`../fixtures/histories/${name}.json`, import.meta.url), json)
  }
})
