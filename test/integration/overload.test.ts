/**
 * Acknowledgements first under overload: with every activity slot of the worker's main queue taken by slow
 * provisioning (and more queued behind it), a customer's ChangeQuantity is still decided by the vendor and
 * PATCHed inside Microsoft's 10-second window, because deciding runs in a local activity (local-activity
 * slots, workflows/effects.ts) and acknowledging on a task queue of its own with slots of its own
 * (workflows/task-queues.ts, worker/create-worker.ts).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../config/logger.ts'
import { startWorker } from '../../worker/start.ts'
import { eventually, startHarness, temporalSettings, workflowBundle, type Harness } from '../support/harness.ts'

const SLOTS = 3
const PROVISION_MS = 20_000

let h: Harness | undefined
afterAll(async () => {
  await h?.stop()
})

const stateOf = async (id: string) =>
  (await (await h!.api(`/api/subscriptions/${id}`)).json()) as { step?: string; quantity?: number }

describe('overload', () => {
  it('decides and PATCHes a customer change inside 10 s while provisioning saturates the worker', async () => {
    h = await startHarness({ worker: false })
    h.worker = await startWorker({
      config: h.config,
      logger: silentLogger,
      temporal: temporalSettings(),
      hooks: h.vendor.hooks(),
      workflowBundle: await workflowBundle(),
      tuning: { maxConcurrentActivityTaskExecutions: SLOTS },
    })
    const m = h.emulator.marketplace
    const buy = () => m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5, autoActivate: true })

    const customer = buy().subscription.id
    await eventually(async () => (await stateOf(customer)).step === 'subscribed.idle', { what: 'first Subscribed' })

    // Saturate: three times as many slow provisionings as the main queue has slots.
    h.vendor.provisionDelayMs = PROVISION_MS
    const crowd = Array.from({ length: SLOTS * 3 }, () => buy().subscription.id)
    await eventually(() => h!.vendor.callsTo('provision').length >= 1 + SLOTS, {
      what: 'every main-queue slot provisioning',
    })

    const change = m.changeQuantity(customer, 12)
    const patch = await eventually(
      () => m.journal({ subscriptionId: customer, kind: 'updateOperation' }).find((j) => j.operationId === change.id),
      { what: 'the PATCH of the customer change', timeoutMs: 30_000, intervalMs: 50 },
    )

    // Microsoft took it: a PATCH after its window (10 s, autoAcceptMs) finds the operation ended and gets 409.
    expect(patch.status).toBe(200)
    expect((patch.body as { status?: string }).status).toBe('Success')
    // Decided by the vendor's hook, not accepted by default for lack of a slot.
    expect(h.vendor.callsTo('decideChange', customer)).toHaveLength(1)
    // …while provisioning was still backed up behind the saturated slots.
    const provisioningStarted = h.vendor.callsTo('provision').filter((c) => crowd.includes(c.subscriptionId))
    expect(provisioningStarted.length).toBeLessThan(crowd.length)
  }, 120_000)
})
