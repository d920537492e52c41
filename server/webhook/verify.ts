/**
 * Verification of the Entra ID bearer token Microsoft puts on every webhook call, on the shared verifier
 * (`server/auth/entra.ts`: signature against the tenant's published keys, lifetime, `aud`, `tid`, and the
 * one classification of failures). What is the webhook's own: the token is issued to the vendor's Entra
 * app of the offer's technical configuration (`tid` = its tenant, `aud` = its client id), the keys come
 * from that tenant's OpenID metadata or `WEBHOOK_JWKS_URL`, and the token must have been issued to the
 * marketplace: `azp` (v2 tokens) or `appid` (v1) = the marketplace resource, as Microsoft's own SaaS
 * Accelerator checks (docs/marketplace-contract.md §4.4).
 * @module
 */
import type { JWTPayload } from 'jose'
import { MARKETPLACE_RESOURCE_ID } from '../../marketplace/client/index.ts'
import { bearerToken, createEntraVerifier, EntraTokenError, type EntraVerifierOptions } from '../auth/entra.ts'

export type WebhookVerifierOptions = EntraVerifierOptions

/**
 * The token is missing or wrong: answer 401, nothing happens. Any other error from the verifier means the
 * call may be genuine but cannot be judged now (answer 503 and let Microsoft retry).
 */
export { EntraTokenError as WebhookAuthError }

export type WebhookVerifier = (authorization: string | undefined) => Promise<JWTPayload>

export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const verify = createEntraVerifier(options)
  return async function verifyWebhook(authorization) {
    const token = bearerToken(authorization)
    if (!token) throw new EntraTokenError('missing bearer token')
    const payload = await verify(token)
    if ((payload.azp ?? payload.appid) !== MARKETPLACE_RESOURCE_ID) {
      throw new EntraTokenError('token was not issued to the marketplace')
    }
    return payload
  }
}
