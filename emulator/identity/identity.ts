/**
 * The emulator's Entra ID look-alike: one RS256 signing key, published as JWKS with OpenID metadata,
 * that signs the access tokens of the local token endpoint and the bearer tokens of webhooks. Webhook
 * tokens carry the claims a real one does (docs/marketplace-contract.md §4.4), so the publisher's
 * verification runs unchanged.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose'

/** The Marketplace SaaS/metering API's Entra application: the audience of publisher tokens. */
export const MARKETPLACE_RESOURCE_ID = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7'
export const MARKETPLACE_SCOPE = `${MARKETPLACE_RESOURCE_ID}/.default`
/** The marketplace's service principal in the publisher's tenant: `oid` and `sub` of webhook tokens. */
const MARKETPLACE_PRINCIPAL_ID = 'c0ffee00-0000-4000-8000-00000000000a'
export const ACCESS_TOKEN_LIFETIME_S = 3600
/** "A few minutes", so a test can tell a fresh token from a replayed one. */
const WEBHOOK_TOKEN_LIFETIME_S = 300

export interface IdentityOptions {
  /** The key to sign with (kept in the state file so tokens survive a restart); a new one when absent. */
  privateJwk?: JWK
  baseUrl: () => string
  publisherTenantId: string
  publisherClientId: string
  staticToken: string
}

export type Authorization = { ok: true } | { ok: false; status: 401 | 403; message: string }

export type Identity = Awaited<ReturnType<typeof createIdentity>>

export async function createIdentity(options: IdentityOptions) {
  const privateJwk =
    options.privateJwk ?? (await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey))
  const privateKey = await importJWK(privateJwk, 'RS256')
  const { kty, n, e } = privateJwk
  const kid = await calculateJwkThumbprint({ kty, n, e })
  const publicJwk = { kty, n, e, kid, use: 'sig', alg: 'RS256' }
  const publicKey = await importJWK(publicJwk, 'RS256')

  const issuer = (tenantId: string) => `${options.baseUrl()}/identity/${tenantId}/v2.0`

  function sign(claims: Record<string, unknown>, tenantId: string, audience: string, lifetimeSeconds: number) {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ ...claims, tid: tenantId, ver: '2.0', uti: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setIssuer(issuer(tenantId))
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(privateKey)
  }

  return {
    privateJwk,
    issuer,
    jwks: () => ({ keys: [publicJwk] }),

    openIdConfiguration(tenantId: string) {
      const base = `${options.baseUrl()}/identity/${tenantId}`
      return {
        issuer: issuer(tenantId),
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        grant_types_supported: ['client_credentials'],
        response_types_supported: ['token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        tenant_region_scope: 'WW',
        cloud_instance_name: 'marketplace-emulator',
      }
    },

    /** An app-only access token for the marketplace API, as Entra issues for the client-credentials grant. */
    issueAccessToken(tenantId: string, clientId: string) {
      const claims = { azp: clientId, azpacr: '1', idtyp: 'app', oid: clientId, sub: clientId }
      return sign(claims, tenantId, MARKETPLACE_RESOURCE_ID, ACCESS_TOKEN_LIFETIME_S)
    },

    /** The bearer token of one webhook attempt: `aud` = publisher app, `tid` = publisher tenant, `azp` = marketplace. */
    signWebhookToken() {
      const claims = {
        azp: MARKETPLACE_RESOURCE_ID,
        azpacr: '2',
        oid: MARKETPLACE_PRINCIPAL_ID,
        sub: MARKETPLACE_PRINCIPAL_ID,
      }
      return sign(claims, options.publisherTenantId, options.publisherClientId, WEBHOOK_TOKEN_LIFETIME_S)
    },

    /**
     * Checks an API call's `Authorization` header: the static token, or one of this emulator's access
     * tokens (signature, audience, lifetime) issued to the publisher's app. Missing: 401; anything else
     * wrong: 403, Microsoft's documented answer (docs/marketplace-contract.md §1.4).
     */
    async authorize(header: string | undefined): Promise<Authorization> {
      if (!header) return { ok: false, status: 401, message: 'The Authorization header is missing.' }
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
      if (!token) return { ok: false, status: 403, message: 'The Authorization header is not a bearer token.' }
      if (token === options.staticToken) return { ok: true }
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          audience: MARKETPLACE_RESOURCE_ID,
          algorithms: ['RS256'],
        })
        const app = payload.azp ?? payload.appid
        if (app === options.publisherClientId) return { ok: true }
        const message = `The token was issued to app ${String(app)}; the offers are published with app ${options.publisherClientId}.`
        return { ok: false, status: 403, message }
      } catch (err) {
        return { ok: false, status: 403, message: `The access token is invalid: ${(err as Error).message}` }
      }
    },
  }
}
