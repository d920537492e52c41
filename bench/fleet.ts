/**
 * Subscriptions for the bench and the soak: bought at the emulator and brought to Subscribed by the
 * service itself (auto-activated purchases: Microsoft's Subscribe webhook starts each workflow).
 * @module
 */
import pMap from 'p-map'
import type { Service } from './service.ts'

export const OFFER = 'contoso-analytics'

/** `count` Subscribed subscriptions the service knows, `concurrency` at a time; resolves with their ids. */
export async function buyFleet(service: Service, count: number, { concurrency = 16, plan = 'team' } = {}) {
  const m = service.emulator.marketplace
  return pMap(
    Array.from({ length: count }),
    async () => {
      const { subscription } = m.purchase({ offerId: OFFER, planId: plan, quantity: 10, autoActivate: true })
      await waitFor(async () => (await stateOf(service, subscription.id))?.step === 'subscribed.idle', 60_000)
      return subscription.id
    },
    { concurrency },
  )
}

export interface StateView {
  saasSubscriptionStatus?: string
  status?: string
  step?: string
  planId?: string
  quantity?: number
}

export async function stateOf(service: Service, id: string, server = 0): Promise<StateView | undefined> {
  const res = await service.api(`/api/subscriptions/${id}`, { server })
  return res.ok ? ((await res.json()) as StateView) : undefined
}

export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, what = 'condition') {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
