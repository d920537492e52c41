/**
 * Bearer tokens for Microsoft's marketplace APIs.
 *
 * Production uses an @azure/identity credential for the marketplace resource's `.default` scope:
 * `DefaultAzureCredential` covers client secret and certificate (`AZURE_CLIENT_SECRET`,
 * `AZURE_CLIENT_CERTIFICATE_PATH`), workload identity (`AZURE_FEDERATED_TOKEN_FILE`) and managed identity,
 * all through the standard `AZURE_*` variables. Emulators take a static token instead.
 * @module
 */
import type { TokenCredential } from '@azure/identity'
import { DefaultAzureCredential, getBearerTokenProvider } from '@azure/identity'

/** The marketplace API's well-known Entra resource (same for SaaS fulfillment and metering). */
export const MARKETPLACE_RESOURCE_ID = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7'
export const MARKETPLACE_SCOPE = `${MARKETPLACE_RESOURCE_ID}/.default`

/** Returns the current access token; cached and refreshed before expiry by the implementation. */
export type TokenProvider = () => Promise<string>

export interface TokenSource {
  /** A fixed token (emulators). Takes precedence over `credential`. */
  staticToken?: string
  /** Any @azure/identity credential; defaults to `DefaultAzureCredential`. */
  credential?: TokenCredential
}

export function createTokenProvider(source: TokenSource = {}): TokenProvider {
  const { staticToken } = source
  if (staticToken) return () => Promise.resolve(staticToken)
  return getBearerTokenProvider(source.credential ?? new DefaultAzureCredential(), MARKETPLACE_SCOPE)
}
