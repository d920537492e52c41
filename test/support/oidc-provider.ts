/**
 * Test support: a small OpenID provider on 127.0.0.1, enough for the authorization code flow with PKCE.
 *
 * It publishes discovery metadata and a JWKS, redirects back from its authorize endpoint with a code, and
 * at its token endpoint checks the client secret, the redirect URI and the PKCE verifier before returning
 * an RS256 ID token. It can pose as Microsoft Entra's multi-tenant endpoint: `advertisedBase` is then
 * `https://login.microsoftonline.com`, the discovery issuer carries `{tenantid}`, and `fetch` maps that
 * origin to this server.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export interface FakeProviderOptions {
  clientId: string
  clientSecret: string
  /** Claims of the user who signs in (`sub`, `email`, `name`, `tid`, `oid`, …). */
  user: Record<string, unknown>
  /** The origin the provider's metadata names; default: its own `http://127.0.0.1:port`. */
  advertisedBase?: string
  /** Path of the issuer under the base, e.g. `/organizations/v2.0`. */
  issuerPath?: string
  /** The `issuer` of the discovery document; default: base + issuerPath. */
  discoveryIssuer?: (base: string) => string
  /** The `iss` of ID tokens; default: the discovery issuer. */
  tokenIssuer?: (base: string, user: Record<string, unknown>) => string
  /** Answer the authorization request with `error=access_denied`. */
  deny?: boolean
}

interface Grant {
  nonce?: string
  challenge: string
  redirectUri: string
}

export async function startFakeProvider(options: FakeProviderOptions) {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', use: 'sig', alg: 'RS256' }
  const grants = new Map<string, Grant>()
  const authorizeRequests: URLSearchParams[] = []
  const tokenRequests: URLSearchParams[] = []
  let own = ''
  const base = () => options.advertisedBase ?? own
  const issuerPath = options.issuerPath ?? '/v2.0'
  const discoveryIssuer = () => options.discoveryIssuer?.(base()) ?? `${base()}${issuerPath}`

  const app = new Hono()
  app.get(`${issuerPath}/.well-known/openid-configuration`, (c) =>
    c.json({
      issuer: discoveryIssuer(),
      authorization_endpoint: `${base()}/oauth2/v2.0/authorize`,
      token_endpoint: `${base()}/oauth2/v2.0/token`,
      jwks_uri: `${base()}/discovery/v2.0/keys`,
      response_types_supported: ['code'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      scopes_supported: ['openid', 'profile', 'email'],
    }),
  )
  app.get('/discovery/v2.0/keys', (c) => c.json({ keys: [jwk] }))

  app.get('/oauth2/v2.0/authorize', (c) => {
    const q = new URL(c.req.url).searchParams
    authorizeRequests.push(q)
    const redirectUri = q.get('redirect_uri') ?? ''
    const back = new URL(redirectUri)
    if (q.get('state')) back.searchParams.set('state', q.get('state')!)
    const valid =
      q.get('client_id') === options.clientId &&
      q.get('response_type') === 'code' &&
      q.get('code_challenge_method') === 'S256' &&
      !!q.get('code_challenge')
    if (!valid || options.deny) {
      back.searchParams.set('error', valid ? 'access_denied' : 'invalid_request')
      return c.redirect(back.href, 302)
    }
    const code = randomBytes(16).toString('base64url')
    grants.set(code, { nonce: q.get('nonce') ?? undefined, challenge: q.get('code_challenge')!, redirectUri })
    back.searchParams.set('code', code)
    return c.redirect(back.href, 302)
  })

  app.post('/oauth2/v2.0/token', async (c) => {
    const form = new URLSearchParams(await c.req.text())
    tokenRequests.push(form)
    const grant = grants.get(form.get('code') ?? '')
    grants.delete(form.get('code') ?? '')
    const verifier = form.get('code_verifier') ?? ''
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const client = form.get('client_id') === options.clientId && form.get('client_secret') === options.clientSecret
    if (!client) return c.json({ error: 'invalid_client' }, 401)
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
      return c.json({ error: 'invalid_grant', error_description: 'code, redirect_uri or code_verifier mismatch' }, 400)
    }
    const idToken = await new SignJWT({ ...options.user, nonce: grant.nonce })
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(options.tokenIssuer?.(base(), options.user) ?? discoveryIssuer())
      .setAudience(options.clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
    return c.json({
      access_token: randomBytes(16).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 300,
      id_token: idToken,
    })
  })

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    /** The provider's own address. */
    url: own,
    /** The issuer to configure: the advertised base with the issuer path. */
    issuer: `${base()}${issuerPath}`,
    authorizeRequests,
    tokenRequests,
    /** A `fetch` that sends requests for the advertised origin to this server. */
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      const target =
        options.advertisedBase && url.startsWith(options.advertisedBase)
          ? own + url.slice(options.advertisedBase.length)
          : url
      return fetch(target, init)
    }) as typeof fetch,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export type FakeProvider = Awaited<ReturnType<typeof startFakeProvider>>
