/**
 * Many live subscriptions quickly, for memory figures: bought at the emulator without telling the service
 * (`webhook: false`, auto-activated), then handed to the service as reconciliation hands a found one:
 * Microsoft's view, `origin: adoption`. Each becomes a running, idle workflow.
 * @module
 */
import pMap from 'p-map'
import { factsOf } from '../machines/subscription/index.ts'
import { subscriptionSchema } from '../marketplace/schemas.ts'
import { createSubscriptionsGateway } from '../server/subscriptions-gateway.ts'
import { OFFER } from './fleet.ts'
import type { Service } from './service.ts'

export async function adoptMany(service: Service, count: number, concurrency = 32): Promise<string[]> {
  const m = service.emulator.marketplace
  const gateway = createSubscriptionsGateway({
    client: service.temporal,
    taskQueue: service.taskQueue,
    settings: { retentionDays: 30, changeDecisionMs: 6_000 },
  })
  return pMap(
    Array.from({ length: count }),
    async () => {
      const { subscription } = m.purchase({
        offerId: OFFER,
        planId: 'team',
        quantity: 10,
        autoActivate: true,
        webhook: false,
      })
      // Parsed as the client parses Microsoft's answer.
      const facts = factsOf(subscriptionSchema.parse(m.getSubscription(subscription.id).subscription))
      await gateway.observe(facts, {
        reason: 'bench adoption',
        origin: 'adoption',
      })
      return subscription.id
    },
    { concurrency },
  )
}
