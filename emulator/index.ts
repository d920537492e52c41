/**
 * The Microsoft commercial marketplace emulator: SaaS Fulfillment API v2, Metering API, webhooks signed
 * like Entra ID's, a driver API to play the customer, and fault injection. Runs in-process for tests
 * (`startEmulator`) or as its own program (`npm run emulator`, see main.ts). Documented in README.md.
 * @module
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'
import { pino } from 'pino'
import { createEmulatorCore } from './core/emulator.ts'
import type { Marketplace } from './core/marketplace.ts'
import { createApp } from './http/app.ts'
import { resolveOptions, type EmulatorOptions } from './options.ts'

export type { EmulatorOptions, RuntimeConfig, ConfigPatch } from './options.ts'
export {
  DEFAULT_LANDING_PAGE_URL,
  DEFAULT_PUBLISHER_CLIENT_ID,
  DEFAULT_PUBLISHER_TENANT_ID,
  DEFAULT_STATIC_TOKEN,
  EmulatorOptionsError,
} from './options.ts'
export type { Marketplace, JournalFilter } from './core/marketplace.ts'
export type { Purchase, PurchaseInput } from './core/customer.ts'
export type { LandingToken } from './core/tokens.ts'
export type { Offer, OfferInput, Plan } from './core/catalogue.ts'
export { DEFAULT_CATALOGUE } from './core/catalogue.ts'
export type { Faults, FaultsInput, ScriptEntry } from './core/faults.ts'
export type { JournalEntry, Operation, Subscription, UsageRecord, WebhookDelivery } from './core/types.ts'
export { EmulatorRefusal } from './core/errors.ts'
export { API_OPERATIONS, type ApiOperationId } from './core/api-operations.ts'
export { MARKETPLACE_RESOURCE_ID, MARKETPLACE_SCOPE } from './identity/identity.ts'

export interface EmulatorHandle {
  /** `http://127.0.0.1:PORT` (or `publicUrl`). */
  url: string
  /** Base URL of Microsoft's APIs: use it where the service would use `https://marketplaceapi.microsoft.com/api`. */
  apiUrl: string
  driverUrl: string
  /** Issuer of the emulator's tokens (webhooks and access tokens for the publisher tenant). */
  issuer: string
  openIdConfigurationUrl: string
  jwksUrl: string
  /** The v2.0 client-credentials token endpoint for the publisher tenant. */
  tokenUrl: string
  staticToken: string
  publisherTenantId: string
  publisherClientId: string
  /** The in-process core: the same operations as the driver API. */
  marketplace: Marketplace
  /** Cancels timers and webhooks, writes the state file, closes the server. */
  stop(): Promise<void>
}

/** Starts the emulator's HTTP server on `host`:`port` (default 127.0.0.1 and a free port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const resolved = resolveOptions(options)
  let url = resolved.publicUrl?.replace(/\/+$/, '') ?? ''
  const core = await createEmulatorCore(resolved, options.logger ?? pino({ level: 'silent' }), () => url)
  const app = createApp(core, () => url)
  const server = await listen(app, resolved.host, resolved.port).catch(async (err: unknown) => {
    await core.stop()
    throw err
  })
  const { port } = server.address() as AddressInfo
  url ||= `http://${resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host}:${port}`

  const identityUrl = `${url}/identity/${resolved.publisherTenantId}`
  return {
    url,
    apiUrl: `${url}/api`,
    driverUrl: `${url}/driver`,
    issuer: core.identity.issuer(resolved.publisherTenantId),
    openIdConfigurationUrl: `${identityUrl}/v2.0/.well-known/openid-configuration`,
    jwksUrl: `${identityUrl}/discovery/v2.0/keys`,
    tokenUrl: `${identityUrl}/oauth2/v2.0/token`,
    staticToken: resolved.staticToken,
    publisherTenantId: resolved.publisherTenantId,
    publisherClientId: resolved.publisherClientId,
    marketplace: core.marketplace,
    async stop() {
      // Refuse new connections first, so nothing arms a timer once the core has stopped.
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
      server.closeAllConnections()
      await core.stop()
      await closed
    },
  }
}

/**
 * The emulator as a Hono app without a server, for `app.request()` tests. Links and token issuers use
 * `publicUrl` (default `http://localhost`).
 */
export async function createEmulatorApp(
  options: EmulatorOptions = {},
): Promise<{ app: Hono; marketplace: Marketplace; stop: () => Promise<void> }> {
  const resolved = resolveOptions(options)
  const url = resolved.publicUrl?.replace(/\/+$/, '') ?? 'http://localhost'
  const core = await createEmulatorCore(resolved, options.logger ?? pino({ level: 'silent' }), () => url)
  return { app: createApp(core, () => url), marketplace: core.marketplace, stop: () => core.stop() }
}

function listen(app: Hono, hostname: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server)) as Server
    server.once('error', reject)
  })
}
