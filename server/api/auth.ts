/**
 * Who may call `/api`: the vendor's systems and operators, with `Authorization: Bearer <token>` where the
 * token is either `ADMIN_API_KEY` or, when `ADMIN_ENTRA_*` is configured, an Entra ID access token.
 *
 * - The API key is compared in constant time (`timingSafeEqual` on SHA-256 digests, so neither its
 *   content nor its length leaks through timing).
 * - An Entra token must be RS256-signed by a key the tenant publishes, unexpired, with `aud` = the
 *   configured audience, `tid` = the configured tenant and, if roles are configured, at least one of
 *   them in its `roles` claim (an app role granted to the calling user or daemon).
 * - Anything else is 401 with `WWW-Authenticate: Bearer` and a body that says no more than "unauthorized";
 *   if Microsoft's signing keys cannot be fetched, 503 (the caller may be legitimate; retry).
 * Neither the key nor a token is ever logged.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { Config } from '../../config/env.ts'
import type { Logger } from '../../config/logger.ts'

/** Who made the call, for audit logs of the changes they ask for. */
export type Principal = { kind: 'apiKey' } | { kind: 'entra'; objectId?: string; appId?: string; roles: string[] }

export type AuthEnv = { Variables: { principal: Principal } }

export interface ApiAuthOptions {
  admin: Config['admin']
  logger: Logger
  /** Signing keys given directly (tests); otherwise the tenant's published keys. */
  entraKeys?: JWTVerifyGetKey
}

const REALM = 'Bearer realm="saas-fulfillment"'

export function apiAuth(options: ApiAuthOptions): MiddlewareHandler<AuthEnv> {
  const { admin, logger } = options
  const apiKeyDigest = digest(admin.apiKey)
  const verifyEntra = admin.entra && entraVerifier(admin.entra, options.entraKeys)

  return async function authenticate(c, next) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const refuse = (reason: string) => {
      logger.warn({ path: c.req.path, method: c.req.method, reason }, 'api call refused')
      const challenge = token ? `${REALM}, error="invalid_token"` : REALM
      return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': challenge })
    }
    if (!token) return refuse('missing bearer token')
    if (timingSafeEqual(digest(token), apiKeyDigest)) {
      c.set('principal', { kind: 'apiKey' })
      return next()
    }
    // Only something shaped like a JWT is worth a signature check; a wrong API key stops here.
    if (!verifyEntra || token.split('.').length !== 3) return refuse('wrong API key')
    let principal: Principal
    try {
      principal = await verifyEntra(token)
    } catch (err) {
      if (err instanceof EntraTokenError) return refuse(err.message)
      logger.error({ reason: String(err) }, 'Entra signing keys unavailable')
      return c.json({ error: 'cannot verify the token now; retry later' }, 503)
    }
    c.set('principal', principal)
    return next()
  }
}

/** The token itself is wrong (as opposed to the keys being unreachable). Its message is safe to log. */
class EntraTokenError extends Error {
  override name = 'EntraTokenError'
}

function entraVerifier(entra: NonNullable<Config['admin']['entra']>, keys?: JWTVerifyGetKey) {
  const keySet =
    keys ?? createRemoteJWKSet(new URL(`https://login.microsoftonline.com/${entra.tenantId}/discovery/v2.0/keys`))
  const roles = entra.roles?.length ? entra.roles : undefined

  return async function verifyEntraToken(token: string): Promise<Principal> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, keySet, {
        audience: entra.audience,
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        clockTolerance: 30,
      }))
    } catch (err) {
      // jose's verdicts on the token are 401s. A key download that timed out, failed or answered non-200
      // (jose's generic error) is not the caller's fault.
      const keysUnavailable =
        err instanceof errors.JWKSTimeout || (err as { code?: string }).code === 'ERR_JOSE_GENERIC'
      if (err instanceof errors.JOSEError && !keysUnavailable) {
        throw new EntraTokenError(`invalid Entra token: ${err.code}`)
      }
      throw err
    }
    if (payload.tid !== entra.tenantId) throw new EntraTokenError('Entra token is for another tenant')
    const granted = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : []
    if (roles && !granted.some((r) => roles.includes(r))) throw new EntraTokenError('Entra token lacks a required role')
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
    return { kind: 'entra', objectId: str(payload.oid), appId: str(payload.azp ?? payload.appid), roles: granted }
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
