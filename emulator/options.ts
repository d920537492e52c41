/**
 * The emulator's options, their defaults, and the part of them (`RuntimeConfig`) the driver may change
 * while it runs. Defaults make `startEmulator()` usable with no options at all.
 * @module
 */
import type { Logger } from 'pino'
import { z } from 'zod'
import { catalogueSchema, DEFAULT_CATALOGUE } from './core/catalogue.ts'
import { faultsSchema } from './core/faults.ts'

/** The publisher's Entra tenant and app in the emulator unless configured: fixed so setups can hard-code them. */
export const DEFAULT_PUBLISHER_TENANT_ID = 'c0ffee00-0000-4000-8000-000000000001'
export const DEFAULT_PUBLISHER_CLIENT_ID = 'c0ffee00-0000-4000-8000-000000000002'
/** A bearer token the emulator's API always accepts, for clients that cannot fetch tokens. */
export const DEFAULT_STATIC_TOKEN = 'marketplace-emulator-dev-token'
export const DEFAULT_LANDING_PAGE_URL = 'http://127.0.0.1:3000/landing'

const ms = z.number().int().min(0)
/** An http(s) URL. Not `httpUrl`: that one refuses IP hosts such as 127.0.0.1. */
export const httpUrl = z.url({ protocol: /^https?$/ })

const webhookRetryFields = {
  /** Attempts in all, the first included (Microsoft: 500 over 8 hours). */
  attempts: z.number().int().min(1),
  /** Wait before the second attempt; it doubles after each failure, up to `maxDelayMs`. */
  initialDelayMs: ms,
  maxDelayMs: ms,
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: z.number().int().positive(),
}

export const webhookRetrySchema = z.strictObject({
  attempts: webhookRetryFields.attempts.default(50),
  initialDelayMs: webhookRetryFields.initialDelayMs.default(1_000),
  maxDelayMs: webhookRetryFields.maxDelayMs.default(60_000),
  timeoutMs: webhookRetryFields.timeoutMs.default(10_000),
})

const runtimeFields = {
  /** The publisher's webhook ("Connection webhook" in Partner Center). Without it, webhooks wait and retry. */
  webhookUrl: httpUrl,
  /** The publisher's landing page; the landing URL is `${landingPageUrl}?token=${encodeURIComponent(token)}`. */
  landingPageUrl: httpUrl,
  /** Customer ChangePlan/ChangeQuantity and Reinstate complete as Succeeded after this unless PATCHed. */
  autoAcceptMs: ms,
  /** Publisher-initiated PATCH and DELETE operations complete after this. */
  operationDelayMs: ms,
  purchaseTokenTtlMs: z.number().int().positive(),
  webhookRetry: webhookRetrySchema,
  /**
   * Reinstate as older docs describe it: InProgress, awaiting the publisher's answer. By default it is
   * what Microsoft sends today (docs/marketplace-contract.md §4.2): applied at once and notified Succeeded.
   */
  reinstateAwaitsAnswer: z.boolean(),
}

export const runtimeConfigSchema = z.strictObject({
  webhookUrl: runtimeFields.webhookUrl.optional(),
  landingPageUrl: runtimeFields.landingPageUrl.default(DEFAULT_LANDING_PAGE_URL),
  autoAcceptMs: runtimeFields.autoAcceptMs.default(10_000),
  operationDelayMs: runtimeFields.operationDelayMs.default(1_000),
  purchaseTokenTtlMs: runtimeFields.purchaseTokenTtlMs.default(24 * 3_600_000),
  webhookRetry: webhookRetrySchema.prefault({}),
  reinstateAwaitsAnswer: runtimeFields.reinstateAwaitsAnswer.default(false),
})
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>

/** `PUT /driver/config`: any subset of the runtime settings; `webhookUrl: null` removes the webhook. */
export const configPatchSchema = z
  .strictObject({
    ...runtimeFields,
    webhookUrl: runtimeFields.webhookUrl.nullable(),
    // Without the defaults: what is not sent stays as it is.
    webhookRetry: z.strictObject(webhookRetryFields).partial(),
  })
  .partial()
export type ConfigPatch = z.input<typeof configPatchSchema>

const optionsSchema = runtimeConfigSchema.extend({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Base URL in links, `Operation-Location`, token issuers; default `http://{host}:{port}`. */
  publicUrl: httpUrl.optional(),
  publisherId: z.string().min(1).default('contoso'),
  publisherTenantId: z.uuid().default(DEFAULT_PUBLISHER_TENANT_ID),
  publisherClientId: z.uuid().default(DEFAULT_PUBLISHER_CLIENT_ID),
  staticToken: z.string().min(1).default(DEFAULT_STATIC_TOKEN),
  faults: faultsSchema.prefault({}),
  /** Loaded at start when it exists, saved after every change. */
  stateFile: z.string().min(1).optional(),
  catalogue: catalogueSchema.prefault(DEFAULT_CATALOGUE),
})

export type EmulatorOptions = z.input<typeof optionsSchema> & {
  /** Silent unless given. */
  logger?: Logger
}
export type ResolvedOptions = z.output<typeof optionsSchema>

export class EmulatorOptionsError extends Error {
  override name = 'EmulatorOptionsError'
}

export function resolveOptions({ logger: _logger, ...options }: EmulatorOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options)
  if (parsed.success) return parsed.data
  throw new EmulatorOptionsError(`Invalid emulator options:\n${z.prettifyError(parsed.error)}`)
}

export function runtimeConfigOf(options: ResolvedOptions): RuntimeConfig {
  const { webhookUrl, landingPageUrl, autoAcceptMs, operationDelayMs, purchaseTokenTtlMs, webhookRetry } = options
  const { reinstateAwaitsAnswer } = options
  return {
    webhookUrl,
    landingPageUrl,
    autoAcceptMs,
    operationDelayMs,
    purchaseTokenTtlMs,
    webhookRetry,
    reinstateAwaitsAnswer,
  }
}
