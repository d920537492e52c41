/**
 * The `marketplace` object: everything the driver API offers, in process. Tests and demos use it to act
 * as the customer and as Microsoft's billing, to manage the catalogue, to read what the publisher did,
 * and to steer the emulator (faults, settings, clock, reset). Each driver route is one call to it.
 * @module
 */
import { z } from 'zod'
import { configPatchSchema, type ConfigPatch, type RuntimeConfig } from '../options.ts'
import { catalogueSchema, offerSchema, type Offer, type OfferInput } from './catalogue.ts'
import type { CoreContext } from './context.ts'
import type { ActionOptions, Customer, Purchase, PurchaseInput } from './customer.ts'
import { conflict, notFound, parseInput } from './errors.ts'
import type { Faults, FaultsInput } from './faults.ts'
import { findOffer, findSubscription } from './state.ts'
import type { LandingToken } from './tokens.ts'
import type { JournalEntry, Operation, Subscription, UsageRecord, WebhookDelivery } from './types.ts'

const usageOutcomeSchema = z.strictObject({
  reconStatus: z.enum(['Submitted', 'Accepted', 'Rejected', 'Mismatch']),
  processedQuantity: z.number().min(0).optional(),
})
export type UsageOutcome = z.input<typeof usageOutcomeSchema>

export interface JournalFilter {
  subscriptionId?: string
  /** A short kind (`activate`) or an OpenAPI operationId (`FulfillmentOperations_ActivateSubscription`). */
  kind?: string
}

export interface Marketplace {
  listOffers(): Offer[]
  getOffer(offerId: string): Offer
  /** Adds or replaces one offer. 409 if that would drop a plan some subscription is on. */
  putOffer(offer: OfferInput): Offer
  /** Replaces the whole catalogue, with the same rule. */
  setOffers(offers: OfferInput[]): Offer[]
  deleteOffer(offerId: string): void

  /** A customer buys a plan: the subscription, and the landing URL Microsoft would open. */
  purchase(input: PurchaseInput): Purchase
  /** "Configure account" / "Manage account" again: a fresh token and landing URL. */
  openLanding(subscriptionId: string): LandingToken
  /** Customer actions: `{ webhook: false }` makes the change at Microsoft without telling the publisher. */
  changePlan(subscriptionId: string, planId: string, options?: ActionOptions): Operation
  changeQuantity(subscriptionId: string, quantity: number, options?: ActionOptions): Operation
  suspend(subscriptionId: string, options?: ActionOptions): Operation
  reinstate(subscriptionId: string, options?: ActionOptions): Operation
  renew(subscriptionId: string, options?: ActionOptions): Operation
  unsubscribe(subscriptionId: string, options?: ActionOptions): Operation
  transfer(subscriptionId: string, options?: ActionOptions): Operation

  listSubscriptions(): Subscription[]
  getSubscription(subscriptionId: string): { subscription: Subscription; operations: Operation[] }
  /** Every call the publisher made to the API, oldest first. */
  journal(filter?: JournalFilter): JournalEntry[]
  /** Every webhook sent (or dropped), oldest first, with its attempts. */
  webhooks(filter?: { subscriptionId?: string }): WebhookDelivery[]
  /** Accepted usage events. */
  usage(filter?: { subscriptionId?: string }): UsageRecord[]
  /**
   * Microsoft's billing settles an accepted usage event otherwise than as sent: `Rejected`, or `Mismatch`
   * with the quantity it processed. `GET /usageEvents` reports it so from then on.
   */
  settleUsage(usageEventId: string, outcome: UsageOutcome): UsageRecord
  /** Resolves once every queued webhook delivery has ended. */
  webhooksSettled(): Promise<void>

  getFaults(): Faults
  setFaults(faults: FaultsInput): Faults
  getConfig(): RuntimeConfig
  configure(patch: ConfigPatch): RuntimeConfig
  /** Moves the emulator's clock forward (token expiry, metering's 24 hours, term dates). */
  advanceClock(ms: number): { now: string; offsetMs: number }
  /**
   * Forgets subscriptions, operations, tokens, usage, journal and webhooks, and restores the catalogue,
   * faults and clock of the start. Settings (`configure`) stay: they describe the setup, not the state.
   */
  reset(): void
}

export interface MarketplaceDeps {
  ctx: CoreContext
  customer: Customer
  faults: { get: () => Faults; set: (input: unknown) => Faults }
  webhooksSettled: () => Promise<void>
  reset: () => void
}

const advanceSchema = z.number().int().min(0)

export function createMarketplace({ ctx, customer, faults, webhooksSettled, reset }: MarketplaceDeps): Marketplace {
  const { state } = ctx
  const copy = <T>(value: T): T => structuredClone(value)
  const bySubscription = <T>(items: T[], id: (item: T) => string[], subscriptionId?: string) =>
    copy(subscriptionId ? items.filter((item) => id(item).includes(subscriptionId)) : items)

  /** Refuses a catalogue in which some subscription's plan no longer exists. */
  function replaceCatalogue(offers: Offer[]): void {
    const missing = Object.values(state.subscriptions).find(
      (s) => !offers.some((o) => o.offerId === s.offerId && o.plans.some((p) => p.planId === s.planId)),
    )
    if (missing) {
      throw conflict(`Subscription ${missing.id} is on ${missing.offerId}/${missing.planId}: keep that plan.`)
    }
    state.offers = offers
    ctx.changed()
  }

  return {
    listOffers: () => copy(state.offers),
    getOffer: (offerId) => copy(findOffer(state, offerId)),
    putOffer(input) {
      const offer = parseInput(offerSchema, input, 'offer')
      const exists = state.offers.some((o) => o.offerId === offer.offerId)
      replaceCatalogue(
        exists ? state.offers.map((o) => (o.offerId === offer.offerId ? offer : o)) : [...state.offers, offer],
      )
      return copy(offer)
    },
    setOffers(input) {
      replaceCatalogue(parseInput(catalogueSchema, input, 'catalogue'))
      return copy(state.offers)
    },
    deleteOffer(offerId) {
      findOffer(state, offerId)
      replaceCatalogue(state.offers.filter((o) => o.offerId !== offerId))
    },

    ...customer,

    listSubscriptions: () => copy(Object.values(state.subscriptions)),
    getSubscription: (subscriptionId) => ({
      subscription: copy(findSubscription(state, subscriptionId)),
      operations: copy(Object.values(state.operations).filter((o) => o.subscriptionId === subscriptionId)),
    }),
    journal({ subscriptionId, kind } = {}) {
      const entries = kind ? state.journal.filter((e) => e.kind === kind || e.apiOperationId === kind) : state.journal
      return bySubscription(entries, (e) => e.subscriptionIds, subscriptionId)
    },
    webhooks: ({ subscriptionId } = {}) => bySubscription(state.webhooks, (w) => [w.subscriptionId], subscriptionId),
    usage: ({ subscriptionId } = {}) => bySubscription(state.usage, (u) => [u.resourceId], subscriptionId),
    settleUsage(usageEventId, input) {
      const outcome = parseInput(usageOutcomeSchema, input, 'usage outcome')
      const record = state.usage.find((u) => u.usageEventId === usageEventId)
      if (!record) throw notFound(`Usage event ${usageEventId} was not found.`)
      record.reconStatus = outcome.reconStatus
      if (outcome.processedQuantity === undefined) delete record.processedQuantity
      else record.processedQuantity = outcome.processedQuantity
      ctx.changed()
      return copy(record)
    },
    webhooksSettled,

    getFaults: () => faults.get(),
    setFaults: (input) => faults.set(input),
    getConfig: () => copy(ctx.config),
    configure(input) {
      const { webhookUrl, webhookRetry, ...rest } = parseInput(configPatchSchema, input, 'settings')
      Object.assign(ctx.config, rest)
      if (webhookUrl !== undefined) ctx.config.webhookUrl = webhookUrl ?? undefined
      Object.assign(ctx.config.webhookRetry, webhookRetry)
      return copy(ctx.config)
    },
    advanceClock(ms) {
      ctx.clock.advance(parseInput(advanceSchema, ms, 'advanceMs'))
      ctx.changed()
      return { now: ctx.clock.iso(), offsetMs: ctx.clock.offsetMs }
    },
    reset,
  }
}
