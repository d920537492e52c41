/**
 * What buyers and Microsoft wait on, one subscription at a time and `concurrency` at once, on an in-process
 * service (test/support/harness.ts): a purchase from the landing page's confirmation to Subscribed, a
 * webhook's 200, and a customer ChangeQuantity's webhook to its PATCH.
 * @module
 */
import { eventually, startHarness } from '../test/support/harness.ts'
import { confirmPurchase, progress } from '../test/support/landing.ts'
import { latency } from './stats.ts'

export async function measureLifecycle(
  temporalAddress: string,
  { rounds, concurrency }: { rounds: number; concurrency: number },
) {
  const h = await startHarness({ temporalAddress, signer: true })
  const m = h.emulator.marketplace

  async function purchase(): Promise<{ id: string; ms: number }> {
    const started = performance.now()
    const p = m.purchase({ offerId: 'contoso-analytics', planId: 'team', quantity: 10 })
    const statusUrl = await confirmPurchase(p.landingUrl)
    await eventually(async () => (await progress(statusUrl)).step === 'subscribed.idle', { intervalMs: 10 })
    return { id: p.subscription.id, ms: performance.now() - started }
  }

  async function webhookAck(id: string): Promise<number> {
    const renewal = m.renew(id)
    await m.webhooksSettled()
    const payload = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === renewal.id)!.payload
    const started = performance.now()
    const res = await h.deliver(payload)
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`)
    return performance.now() - started
  }

  async function decisionWindow(id: string, quantity: number): Promise<number> {
    const operation = m.changeQuantity(id, quantity)
    const patch = await eventually(
      () => m.journal({ subscriptionId: id, kind: 'updateOperation' }).find((j) => j.operationId === operation.id),
      { intervalMs: 10 },
    )
    const delivery = m.webhooks({ subscriptionId: id }).find((w) => w.operationId === operation.id)!
    await eventually(
      async () =>
        ((await (await h.api(`/api/subscriptions/${id}`)).json()) as { quantity: number }).quantity === quantity,
      { intervalMs: 20 },
    )
    return Date.parse(patch.time) - Date.parse(delivery.attempts[0]!.at)
  }

  async function measure(n: number) {
    const purchases: { id: string; ms: number }[] = []
    for (let r = 0; r < Math.ceil(rounds / n) * n; r += n) {
      purchases.push(...(await Promise.all(Array.from({ length: n }, purchase))))
    }
    const ids = purchases.map((p) => p.id)
    const acks: number[] = []
    const windows: number[] = []
    for (let r = 0; r < ids.length; r += n) {
      const batch = ids.slice(r, r + n)
      acks.push(...(await Promise.all(batch.map(webhookAck))))
      windows.push(...(await Promise.all(batch.map((id, i) => decisionWindow(id, 11 + i)))))
    }
    return {
      purchase: latency(purchases.map((p) => p.ms)),
      webhookAck: latency(acks),
      decisionWindow: latency(windows),
    }
  }

  try {
    const alone = await measure(1)
    const together = await measure(concurrency)
    return { rounds, concurrency, alone, together }
  } finally {
    await h.stop()
  }
}
