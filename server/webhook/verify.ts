/**
 * Verification of the Entra ID bearer token Microsoft puts on every webhook call.
 *
 * Checks, as Microsoft's own SaaS Accelerator does: the RS256 signature against the tenant's published
 * keys (OpenID metadata of the configured tenant, or `WEBHOOK_JWKS_URL`), the lifetime, `aud` = the
 * publisher app's client id, `tid` = the publisher tenant, and `azp` (v2 tokens) or `appid` (v1) = the
 * marketplace resource. The issuer is deliberately not pinned: it differs between token versions.
 * @module
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { MARKETPLACE_RESOURCE_ID } from '../../marketplace/client/index.ts'

export interface WebhookVerifierOptions {
  tenantId: string
  audience: string
  /** Keys straight from a JWKS URL; otherwise from the tenant's OpenID metadata. */
  jwksUrl?: string
  /** Where the tenant's OpenID metadata is; Microsoft's by default. */
  authorityHost?: string
  /** Keys given directly (tests). */
  keys?: JWTVerifyGetKey
}

/** The token is missing or wrong: answer 401, nothing happens. */
export class WebhookAuthError extends Error {
  override name = 'WebhookAuthError'
}

/**
 * The keys could not be fetched: the call may be genuine, so answer 5xx and let Microsoft retry (a 4xx
 * would reject a ChangePlan/ChangeQuantity).
 */
export class WebhookKeysUnavailableError extends Error {
  override name = 'WebhookKeysUnavailableError'
}

export type WebhookVerifier = (authorization: string | undefined) => Promise<JWTPayload>

export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  let keys: Promise<JWTVerifyGetKey> | undefined = options.keys && Promise.resolve(options.keys)
  // A failed discovery is not cached: the next webhook tries again.
  const getKeys = () =>
    (keys ??= discoverKeys(options).catch((err: unknown) => {
      keys = undefined
      throw err instanceof Error ? err : new Error(String(err))
    }))

  return async function verifyWebhook(authorization) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1]
    if (!token) throw new WebhookAuthError('missing bearer token')
    const keySet = await getKeys().catch((err: unknown) => {
      throw new WebhookKeysUnavailableError(`signing keys unavailable: ${String(err)}`)
    })
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, keySet, {
        audience: options.audience,
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        clockTolerance: 30,
      }))
    } catch (err) {
      if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout) {
        throw new WebhookKeysUnavailableError(`signing keys unavailable: ${String(err)}`)
      }
      throw new WebhookAuthError(`invalid token: ${err.message}`)
    }
    const tenant = payload.tid ?? payload['http://schemas.microsoft.com/identity/claims/tenantid']
    if (tenant !== options.tenantId) throw new WebhookAuthError('token is for another tenant')
    const app = payload.azp ?? payload.appid
    if (app !== MARKETPLACE_RESOURCE_ID) throw new WebhookAuthError('token was not issued to the marketplace')
    return payload
  }
}

async function discoverKeys(options: WebhookVerifierOptions): Promise<JWTVerifyGetKey> {
  if (options.jwksUrl) return createRemoteJWKSet(new URL(options.jwksUrl))
  const authority = (options.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
  const res = await fetch(`${authority}/${options.tenantId}/v2.0/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(5_000),
  })
  if (!res.ok) throw new Error(`OpenID metadata of tenant ${options.tenantId}: ${res.status}`)
  const { jwks_uri } = (await res.json()) as { jwks_uri?: string }
  if (!jwks_uri) throw new Error(`OpenID metadata of tenant ${options.tenantId} has no jwks_uri`)
  return createRemoteJWKSet(new URL(jwks_uri))
}
