/**
 * Who may call `/api`: the vendor's systems and operators, with `Authorization: Bearer <token>` where the
 * token is either `ADMIN_API_KEY` or, when `ADMIN_ENTRA_*` is configured, an Entra ID access token.
 *
 * - The API key is compared in constant time (`timingSafeEqual` on SHA-256 digests, so neither its
 *   content nor its length leaks through timing).
 * - An Entra token is judged by the shared verifier (`server/auth/entra.ts`: signature by a key the
 *   tenant publishes, lifetime, `aud` = the configured audience, `tid` = the configured tenant); the API
 *   adds its own claim: if roles are configured, at least one of them in `roles` (an app role granted to
 *   the calling user or daemon).
 * - The caller's fault is 401 with `WWW-Authenticate: Bearer` and a body that says no more than
 *   "unauthorized"; when the token cannot be judged now (keys unreachable), 503: the caller may be
 *   legitimate and should retry.
 * Neither the key nor a token is ever logged.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { JWTVerifyGetKey } from 'jose'
import type { Config } from '../../config/env.ts'
import type { Logger } from '../../config/logger.ts'
import { bearerToken, createEntraVerifier, EntraTokenError } from '../auth/entra.ts'

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
  const verifyEntra = admin.entra && entraPrincipal(admin.entra, options.entraKeys)

  return async function authenticate(c, next) {
    const token = bearerToken(c.req.header('authorization'))
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
      // Keys or metadata unreachable (or a fault of ours): the caller may be legitimate.
      logger.error({ reason: String(err) }, 'Entra token not verifiable now')
      return c.json({ error: 'cannot verify the token now; retry later' }, 503)
    }
    c.set('principal', principal)
    return next()
  }
}

/** The `/api`'s own claims on top of the shared verifier's: at least one configured app role, if any. */
function entraPrincipal(entra: NonNullable<Config['admin']['entra']>, keys?: JWTVerifyGetKey) {
  const verify = createEntraVerifier({ tenantId: entra.tenantId, audience: entra.audience, keys })
  const roles = entra.roles?.length ? entra.roles : undefined

  return async function principalOf(token: string): Promise<Principal> {
    const payload = await verify(token)
    const granted = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : []
    if (roles && !granted.some((r) => roles.includes(r))) throw new EntraTokenError('token lacks a required role')
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
    return { kind: 'entra', objectId: str(payload.oid), appId: str(payload.azp ?? payload.appid), roles: granted }
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
