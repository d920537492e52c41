/**
 * Fault injection. Rates draw from a seeded PRNG, so a run with the same seed and calls fails the same
 * way; `script` entries are consumed one per matching call, in order, for exact faults in tests ("the
 * next ListSubscriptions answers 429"). A script entry wins over the rates.
 * @module
 */
import { z } from 'zod'
import { parseInput } from './errors.ts'
import { API_OPERATION_IDS, type ApiOperationId } from './api-operations.ts'

const rate = z.number().min(0).max(1).default(0)
const ms = z.number().int().min(0)

const scriptEntrySchema = z.discriminatedUnion('target', [
  z.strictObject({
    target: z.literal('api'),
    /** `lost`: Microsoft acts, then the answer is lost (the caller gets a 500 for a call that took effect). */
    kind: z.enum(['429', '500', 'slow', 'lost']),
    /** Only calls of this OpenAPI operation; any API call when absent. */
    operationId: z.enum(API_OPERATION_IDS).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    delayMs: ms.optional(),
  }),
  z.strictObject({
    target: z.literal('webhook'),
    kind: z.enum(['drop', 'duplicate', 'reorder', 'delay']),
    /** Only webhooks with this action (e.g. `ChangePlan`); any webhook when absent. */
    action: z.string().min(1).optional(),
    delayMs: ms.optional(),
  }),
])
export type ScriptEntry = z.output<typeof scriptEntrySchema>

export const faultsSchema = z.strictObject({
  api: z
    .strictObject({
      rate429: rate,
      retryAfterSeconds: z.number().int().min(0).default(1),
      rate500: rate,
      /** Answers after `slowMs`: long enough for the publisher's client to time out. */
      rateSlow: rate,
      slowMs: ms.default(20_000),
      /** Limits the rates to these OpenAPI operationIds. */
      operations: z.array(z.enum(API_OPERATION_IDS)).optional(),
    })
    .refine((a) => a.rate429 + a.rate500 + a.rateSlow <= 1, 'rate429 + rate500 + rateSlow must not exceed 1')
    .prefault({}),
  webhooks: z
    .strictObject({ dropRate: rate, duplicateRate: rate, reorderRate: rate, delayMs: ms.default(0) })
    .refine((w) => w.dropRate + w.duplicateRate + w.reorderRate <= 1, 'the webhook rates must not add up above 1')
    .prefault({}),
  script: z.array(scriptEntrySchema).default([]),
  seed: z.number().int().default(1),
})
export type Faults = z.output<typeof faultsSchema>
export type FaultsInput = z.input<typeof faultsSchema>

export type ApiFault =
  { kind: '429'; retryAfterSeconds: number } | { kind: '500' } | { kind: 'slow'; delayMs: number } | { kind: 'lost' }
export interface WebhookFault {
  kind?: 'drop' | 'duplicate' | 'reorder'
  delayMs: number
}

export interface FaultInjector {
  get(): Faults
  /** Replaces the faults (validated) and restarts the PRNG from their seed. */
  set(input: unknown): Faults
  forApi(operationId: ApiOperationId): ApiFault | undefined
  forWebhook(action: string): WebhookFault
}

export function createFaultInjector(initial: Faults): FaultInjector {
  let faults = structuredClone(initial)
  let random = mulberry32(faults.seed)

  function take<T extends ScriptEntry['target']>(target: T, matches: (e: ScriptEntry & { target: T }) => boolean) {
    const index = faults.script.findIndex((e) => e.target === target && matches(e as ScriptEntry & { target: T }))
    return index < 0 ? undefined : (faults.script.splice(index, 1)[0] as ScriptEntry & { target: T })
  }

  return {
    get: () => structuredClone(faults),
    set(input) {
      faults = parseInput(faultsSchema, input, 'faults')
      random = mulberry32(faults.seed)
      return structuredClone(faults)
    },
    forApi(operationId) {
      const { api } = faults
      const entry = take('api', (e) => e.operationId === undefined || e.operationId === operationId)
      if (entry?.kind === '429')
        return { kind: '429', retryAfterSeconds: entry.retryAfterSeconds ?? api.retryAfterSeconds }
      if (entry?.kind === 'slow') return { kind: 'slow', delayMs: entry.delayMs ?? api.slowMs }
      if (entry?.kind === 'lost') return { kind: 'lost' }
      if (entry) return { kind: '500' }
      if (api.operations && !api.operations.includes(operationId)) return undefined
      const r = random()
      if (r < api.rate429) return { kind: '429', retryAfterSeconds: api.retryAfterSeconds }
      if (r < api.rate429 + api.rate500) return { kind: '500' }
      if (r < api.rate429 + api.rate500 + api.rateSlow) return { kind: 'slow', delayMs: api.slowMs }
      return undefined
    },
    forWebhook(action) {
      const { webhooks } = faults
      const entry = take('webhook', (e) => e.action === undefined || e.action === action)
      if (entry?.kind === 'delay') return { delayMs: entry.delayMs ?? webhooks.delayMs }
      if (entry) return { kind: entry.kind, delayMs: webhooks.delayMs }
      const r = random()
      const kind =
        r < webhooks.dropRate
          ? 'drop'
          : r < webhooks.dropRate + webhooks.duplicateRate
            ? 'duplicate'
            : r < webhooks.dropRate + webhooks.duplicateRate + webhooks.reorderRate
              ? 'reorder'
              : undefined
      return { kind, delayMs: webhooks.delayMs }
    },
  }
}

/** A small, fast, seedable PRNG (public domain); good enough to pick which calls fail. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
