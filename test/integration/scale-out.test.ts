/**
 * Scale-out: two worker processes and two HTTP server processes on one Temporal server. Purchases come in
 * through both servers' landing pages and webhooks; one worker is killed hard (SIGKILL) while provisioning
 * is under way. Nothing is lost and nothing happens twice: every subscription reaches Subscribed with one
 * Activate, and every customer change after the crash is PATCHed and applied.
 */
import pMap from 'p-map'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { stateOf, waitFor } from '../../bench/fleet.ts'
import { startService, type Service } from '../../bench/service.ts'
import { confirmPurchase } from '../support/landing.ts'

const SUBSCRIPTIONS = 8

let service: Service | undefined
afterAll(async () => {
  await service?.stop()
})

describe('scale-out', () => {
  it('two workers and two servers lose nothing when one worker is killed mid-flow', async () => {
    service = await startService({
      temporalAddress: inject('temporalAddress'),
      servers: 2,
      workers: 2,
      // A killed worker's provisioning is retried elsewhere after 2 s of silence.
      env: { DEMO_PROVISION_DELAY_MS: '3000', VENDOR_HOOK_HEARTBEAT_TIMEOUT_MS: '2000' },
    })
    const s = service
    const m = s.emulator.marketplace
    const useServer = (i: number) =>
      m.configure({ webhookUrl: `${s.serverUrls[i]}/webhook`, landingPageUrl: `${s.serverUrls[i]}/landing` })

    // Half the purchases through each server's landing page.
    const ids: string[] = []
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      useServer(i % 2)
      const purchase = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 5 })
      await confirmPurchase(purchase.landingUrl)
      ids.push(purchase.subscription.id)
    }
    await waitFor(
      async () => (await Promise.all(ids.map((id) => stateOf(s, id)))).some((v) => v?.step === 'provisioning'),
      30_000,
      'provisioning under way',
    )
    await s.workers[0]!.kill()

    const subscribed = async (id: string, server: number) => (await stateOf(s, id, server))?.step === 'subscribed.idle'
    await waitFor(
      async () => (await Promise.all(ids.map((id, i) => subscribed(id, i % 2)))).every(Boolean),
      90_000,
      'every subscription Subscribed after the kill',
    )
    for (const id of ids) {
      expect(m.getSubscription(id).subscription.saasSubscriptionStatus).toBe('Subscribed')
      expect(m.journal({ subscriptionId: id, kind: 'activate' })).toHaveLength(1)
    }

    // After the crash: customer changes through the other server, served by the surviving worker.
    useServer(1)
    const changes = ids.map((id) => m.changeQuantity(id, 9))
    await pMap(ids, (id) => waitFor(async () => (await stateOf(s, id, 1))?.quantity === 9, 60_000, `seats of ${id}`))
    for (const [i, id] of ids.entries()) {
      const patches = m.journal({ subscriptionId: id, kind: 'updateOperation' })
      expect(patches.filter((p) => p.operationId === changes[i]!.id && p.status === 200)).toHaveLength(1)
      expect(m.getSubscription(id).subscription.quantity).toBe(9)
    }
  }, 240_000)
})
