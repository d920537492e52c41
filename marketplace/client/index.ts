/**
 * The typed client of Microsoft's SaaS Fulfillment API v2 and Metering API.
 *
 * Used by activities and by the HTTP server (resolve on the landing page, Get Operation on a webhook);
 * never by workflow code.
 * @module
 */
import type { Logger } from '../../config/logger.ts'
import { createTokenProvider, type TokenSource } from './auth.ts'
import { fulfillmentOperations } from './fulfillment.ts'
import { meteringOperations } from './metering.ts'
import { operationOperations } from './operations.ts'
import { createTransport, type RetryOptions } from './transport.ts'

export interface MarketplaceClientOptions extends TokenSource {
  /** Microsoft's `https://marketplaceapi.microsoft.com/api`, or an emulator. */
  baseUrl: string
  /** Per-attempt timeout. */
  timeoutMs?: number
  logger: Logger
  /** Retries inside the client; leave unset where Temporal retries (activities). */
  retry?: RetryOptions
  fetch?: typeof fetch
}

export type MarketplaceClient = ReturnType<typeof createMarketplaceClient>

export function createMarketplaceClient(options: MarketplaceClientOptions) {
  const send = createTransport({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    token: createTokenProvider(options),
    timeoutMs: options.timeoutMs ?? 15_000,
    logger: options.logger,
    retry: options.retry,
    fetch: options.fetch,
  })
  return { ...fulfillmentOperations(send), ...operationOperations(send), ...meteringOperations(send) }
}

export { MarketplaceError, isMarketplaceError } from './errors.ts'
export type { AcceptedOperation, SubscriptionsPage } from './fulfillment.ts'
export type { OperationAcknowledgement } from './operations.ts'
export { parseOperationLocation } from './operations.ts'
export type { CallContext, RetryOptions } from './transport.ts'
export { MARKETPLACE_SCOPE, MARKETPLACE_RESOURCE_ID } from './auth.ts'
