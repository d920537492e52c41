/**
 * The one verifier of Microsoft Entra ID bearer tokens, used by the webhook (tokens Microsoft's
 * marketplace sends) and by `/api` (tokens of the vendor's systems and operators). Each caller checks
 * only the claims that are its own on top of what is checked here: the RS256 signature against a key the
 * tenant publishes, the lifetime (`exp` required, 30 s of clock skew), `aud` and `tid`.
 *
 * A token verified once is remembered until it expires (at most `VERIFIED_TOKENS_MAX` of them): Microsoft
 * reuses one access token for every call until it expires, so the RS256 check runs once per token, not
 * once per webhook (it was 13 % of the server's CPU per webhook; bench/README.md). Only the exact token
 * string that passed every check is remembered, so nothing can be forged from it; a key withdrawn by the
 * tenant stays trusted until the tokens it signed expire, as it does for jose's key cache below.
 *
 * Keys come from jose's remote key set (cached 12 hours, refreshed when an unknown `kid` appears), found at
 * `jwksUrl` or through the tenant's OpenID metadata. The issuer is not pinned: it differs between v1 and
 * v2 tokens of the same tenant; `tid` and the signing keys already tie the token to the tenant.
 *
 * Failures fall into exactly two classes, because the HTTP answer depends on whose fault it is:
 * - `EntraTokenError`: the caller's token is missing, malformed, forged, expired or has a wrong claim →
 *   401. Its message names the reason for the log; callers do not echo it to the caller.
 * - `EntraUnavailableError`: the keys or the metadata cannot be had now (unreachable, 5xx, timeout,
 *   unreadable answer) → 503, so that Microsoft retries a webhook instead of taking it as a rejection
 *   (a 4xx to a ChangePlan/ChangeQuantity webhook would mean the vendor refuses the change).
 * @module
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { LRUCache } from 'lru-cache'

export interface EntraVerifierOptions {
  /** The tenant whose keys sign the tokens, and the token's expected `tid`. */
  tenantId: string
  /** The expected `aud`. */
  audience: string
  /** Keys straight from this JWKS URL; otherwise from the tenant's OpenID metadata. */
  jwksUrl?: string
  /** Where the tenant's OpenID metadata is; Microsoft's by default. */
  authorityHost?: string
  /** Keys given directly (tests). */
  keys?: JWTVerifyGetKey
  /** How long a download of metadata or keys may take; 5 s by default. */
  timeoutMs?: number
}

/** The token is the caller's fault: answer 401. The message is safe to log, never to echo. */
export class EntraTokenError extends Error {
  override name = 'EntraTokenError'
}

/** The token cannot be judged now (keys or metadata unavailable): answer 503 so the caller retries. */
export class EntraUnavailableError extends Error {
  override name = 'EntraUnavailableError'
}

/** Verifies a token (without the `Bearer ` prefix) and returns its claims, or throws one of the two errors. */
export type EntraVerifier = (token: string) => Promise<JWTPayload>

export const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com'
const DEFAULT_TIMEOUT_MS = 5_000
const KEYS_MAX_AGE_MS = 12 * 3_600_000
const CLOCK_TOLERANCE_S = 30
/** Tokens remembered as verified: Microsoft's webhook token, and the few callers of `/api`. */
const VERIFIED_TOKENS_MAX = 1_000

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
}

export function createEntraVerifier(options: EntraVerifierOptions): EntraVerifier {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let keys: Promise<JWTVerifyGetKey> | undefined = options.keys && Promise.resolve(options.keys)
  // A failed discovery is not cached: the next call tries again.
  const getKeys = () =>
    (keys ??= discoverKeys(options, timeoutMs).catch((err: unknown) => {
      keys = undefined
      throw err
    }))

  /** The key set, with its download failures told apart from the token's own faults. */
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const keySet = await getKeys().catch((err: unknown) => {
      throw unavailable('OpenID metadata', err)
    })
    try {
      return await keySet(header, token)
    } catch (err) {
      // No published key has this `kid` (after a refresh): a token nobody here signed.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err
      throw unavailable('signing keys', err)
    }
  }

  const verified = new LRUCache<string, JWTPayload>({ max: VERIFIED_TOKENS_MAX })

  return async function verifyEntraToken(token) {
    const known = verified.get(token)
    // Past its lifetime (with the check's own clock tolerance) a remembered token is judged again, and refused.
    if (known && Date.now() < (known.exp! + CLOCK_TOLERANCE_S) * 1000) return known
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, getKey, {
        audience: options.audience,
        algorithms: ['RS256'],
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }))
    } catch (err) {
      if (err instanceof EntraUnavailableError) throw err
      if (err instanceof errors.JOSEError) throw new EntraTokenError(`invalid token: ${err.code}`)
      // jose reports malformed input as JOSEErrors; anything else is a fault of ours, not the caller's.
      throw err
    }
    const tenant = payload.tid ?? payload['http://schemas.microsoft.com/identity/claims/tenantid']
    if (tenant !== options.tenantId) throw new EntraTokenError('token is for another tenant')
    verified.set(token, payload)
    return payload
  }
}

function unavailable(what: string, err: unknown): EntraUnavailableError {
  const reason = err instanceof errors.JWKSTimeout ? 'timed out' : String(err)
  return new EntraUnavailableError(`Entra ${what} unavailable: ${reason}`, { cause: err })
}

async function discoverKeys(options: EntraVerifierOptions, timeoutMs: number): Promise<JWTVerifyGetKey> {
  // Kept for 12 hours, as Microsoft's own ConfigurationManager does: a key endpoint that is briefly down
  // then costs nothing, and a rotation is still seen at once (an unknown `kid` refetches, at most every 30 s).
  const remote = (url: string) =>
    createRemoteJWKSet(new URL(url), { timeoutDuration: timeoutMs, cacheMaxAge: KEYS_MAX_AGE_MS })
  if (options.jwksUrl) return remote(options.jwksUrl)
  const authority = (options.authorityHost ?? MICROSOFT_AUTHORITY).replace(/\/+$/, '')
  const url = `${authority}/${options.tenantId}/v2.0/.well-known/openid-configuration`
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  const { jwks_uri } = (await res.json()) as { jwks_uri?: unknown }
  if (typeof jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`)
  return remote(jwks_uri)
}
