/**
 * The catalogue: offers and their plans as a publisher defines them in Partner Center, validated with
 * Partner Center's rules, and rendered as the `Plan` objects List Available Plans returns.
 * @module
 */
import { z } from 'zod'
import type { MicrosoftPlan } from './types.ts'

export const TERM_UNITS = ['P1M', 'P1Y', 'P2Y', 'P3Y', 'P4Y', 'P5Y'] as const

const TERM_DESCRIPTIONS: Record<(typeof TERM_UNITS)[number], string> = {
  P1M: '1 month subscription',
  P1Y: '1 year subscription',
  P2Y: '2 year subscription',
  P3Y: '3 year subscription',
  P4Y: '4 year subscription',
  P5Y: '5 year subscription',
}

// Partner Center's id rule: lowercase letters, digits, '-' and '_', at most 50 characters.
const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'use lowercase letters, digits, "-" or "_" (max 50)')

const dimensionSchema = z.strictObject({
  id,
  displayName: z.string().min(1),
  unitOfMeasure: z.string().min(1),
  pricePerUnit: z.number().min(0),
  /** Units included in the flat price each term; only usage above it is billed. */
  includedQuantity: z.number().int().min(0).default(0),
})

export const planSchema = z
  .strictObject({
    planId: id,
    displayName: z.string().min(1),
    description: z.string().default(''),
    isPrivate: z.boolean().default(false),
    isStopSell: z.boolean().default(false),
    isPricePerSeat: z.boolean().default(false),
    minQuantity: z.number().int().positive().optional(),
    maxQuantity: z.number().int().positive().optional(),
    hasFreeTrials: z.boolean().default(false),
    /** Purchases start `Subscribed` with a `Subscribe` webhook instead of waiting for Activate. */
    autoActivate: z.boolean().default(false),
    market: z.string().default('US'),
    currency: z.string().length(3).default('USD'),
    /** Billing terms with their price (per seat for per-seat plans); the first is the default at purchase. */
    terms: z
      .array(z.strictObject({ termUnit: z.enum(TERM_UNITS), price: z.number().min(0) }))
      .min(1)
      .default([{ termUnit: 'P1M', price: 0 }]),
    meteringDimensions: z.array(dimensionSchema).default([]),
  })
  .superRefine((plan, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message })
    if (!plan.isPricePerSeat && (plan.minQuantity !== undefined || plan.maxQuantity !== undefined)) {
      issue('minQuantity/maxQuantity apply to per-seat plans only')
    }
    if ((plan.minQuantity ?? 1) > (plan.maxQuantity ?? Infinity)) issue('minQuantity is above maxQuantity')
    if (plan.hasFreeTrials && plan.meteringDimensions.length > 0) issue('plans with metering dimensions have no trial')
    if (new Set(plan.terms.map((t) => t.termUnit)).size !== plan.terms.length) issue('a term unit appears twice')
  })
export type Plan = z.output<typeof planSchema>

export const offerSchema = z
  .strictObject({ offerId: id, displayName: z.string().min(1), plans: z.array(planSchema).min(1) })
  .refine((o) => new Set(o.plans.map((p) => p.planId)).size === o.plans.length, 'plan ids must be unique')
export type Offer = z.output<typeof offerSchema>
export type OfferInput = z.input<typeof offerSchema>

export const catalogueSchema = z
  .array(offerSchema)
  .refine((offers) => new Set(offers.map((o) => o.offerId)).size === offers.length, 'offer ids must be unique')

/**
 * The demo catalogue: one offer with a flat-rate plan, a per-seat plan with limits, a free-trial plan,
 * a metered plan, an auto-activated plan and a private annual plan.
 */
export const DEFAULT_CATALOGUE: OfferInput[] = [
  {
    offerId: 'contoso-analytics',
    displayName: 'Contoso Analytics',
    plans: [
      {
        planId: 'basic',
        displayName: 'Basic',
        description: 'Flat monthly or yearly price.',
        terms: [
          { termUnit: 'P1M', price: 29 },
          { termUnit: 'P1Y', price: 290 },
        ],
      },
      {
        planId: 'team',
        displayName: 'Team',
        description: 'Priced per seat, 1 to 50 seats.',
        isPricePerSeat: true,
        minQuantity: 1,
        maxQuantity: 50,
        terms: [{ termUnit: 'P1M', price: 8 }],
      },
      {
        planId: 'trial',
        displayName: 'Starter (free trial)',
        description: 'One month free, then a flat monthly price.',
        hasFreeTrials: true,
        terms: [{ termUnit: 'P1M', price: 49 }],
      },
      {
        planId: 'metered',
        displayName: 'Pay as you go',
        description: 'Flat base price plus usage above the included quantities.',
        terms: [{ termUnit: 'P1M', price: 99 }],
        meteringDimensions: [
          {
            id: 'api-calls',
            displayName: 'API calls',
            unitOfMeasure: '1000 calls',
            pricePerUnit: 0.5,
            includedQuantity: 100,
          },
          { id: 'storage-gb', displayName: 'Storage', unitOfMeasure: 'GB per hour', pricePerUnit: 0.01 },
        ],
      },
      {
        planId: 'instant',
        displayName: 'Instant',
        description: 'Activated by Microsoft at purchase (Subscribe webhook).',
        autoActivate: true,
        terms: [{ termUnit: 'P1M', price: 19 }],
      },
      {
        planId: 'enterprise',
        displayName: 'Enterprise (private)',
        description: 'Private annual plan, 10 to 1000 seats.',
        isPrivate: true,
        isPricePerSeat: true,
        minQuantity: 10,
        maxQuantity: 1000,
        terms: [{ termUnit: 'P1Y', price: 60 }],
      },
    ],
  },
]

/** A catalogue plan in the shape of List Available Plans. */
export function toMicrosoftPlan(plan: Plan): MicrosoftPlan {
  const seatLimits = plan.isPricePerSeat ? { minQuantity: plan.minQuantity ?? 1, maxQuantity: plan.maxQuantity } : {}
  return {
    planId: plan.planId,
    displayName: plan.displayName,
    isPrivate: plan.isPrivate,
    description: plan.description,
    ...seatLimits,
    hasFreeTrials: plan.hasFreeTrials,
    isPricePerSeat: plan.isPricePerSeat,
    isStopSell: plan.isStopSell,
    market: plan.market,
    planComponents: {
      recurrentBillingTerms: plan.terms.map((term) => ({
        currency: plan.currency,
        price: term.price,
        termUnit: term.termUnit,
        termDescription: TERM_DESCRIPTIONS[term.termUnit],
        meteredQuantityIncluded: plan.meteringDimensions
          .filter((d) => d.includedQuantity > 0)
          .map((d) => ({ dimensionId: d.id, units: String(d.includedQuantity) })),
      })),
      meteringDimensions: plan.meteringDimensions.map((d) => ({
        id: d.id,
        currency: plan.currency,
        pricePerUnit: d.pricePerUnit,
        unitOfMeasure: d.unitOfMeasure,
        displayName: d.displayName,
      })),
    },
  }
}
