/**
 * Buyer sign-in with Microsoft Entra ID: OpenID Connect authorization code flow with PKCE (S256), state
 * and nonce, through `openid-client`.
 *
 * Multi-tenant issuers (`https://login.microsoftonline.com/organizations/v2.0`, `/common/v2.0`) publish the
 * issuer `https://login.microsoftonline.com/{tenantid}/v2.0` while each ID token carries its own tenant's
 * issuer. `openid-client` knows this case for the `login.microsoftonline.com` origin: it accepts the
 * discovery document and checks every ID token's `iss` against the template filled with that token's
 * `tid`, so a token is still bound to Microsoft's issuer and to the tenant it claims.
 *
 * Only `openid profile email` are requested: no permission needs an admin's consent, so any buyer of any
 * tenant (or a personal Microsoft account, with `/common`) can sign in.
 * @module
 */
import * as client from 'openid-client'
import type { SignedInBuyer, SignInState } from './session.ts'

export interface OidcSettings {
  issuer: string
  clientId: string
  clientSecret: string
  /** Replaces `fetch` for every call to the provider (tests, egress proxies). */
  fetch?: typeof fetch
}

export const SCOPES = 'openid profile email'

/** Why a sign-in did not complete, in the terms the buyer's page needs. */
export type SignInFailure = 'refused' | 'unavailable' | 'invalid'

export class SignInError extends Error {
  override name = 'SignInError'
  constructor(
    readonly failure: SignInFailure,
    cause: unknown,
  ) {
    super(`sign-in ${failure}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

export function createOidc(settings: OidcSettings, redirectUri: string) {
  const issuer = new URL(settings.issuer)
  // Plain HTTP only for a provider on this machine (a local emulator); Microsoft is always HTTPS.
  const loopback = issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname)
  let configuration: Promise<client.Configuration> | undefined

  /** Discovery once, on first use; a failed attempt is forgotten so the next visit tries again. */
  function config(): Promise<client.Configuration> {
    configuration ??= client
      .discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
        execute: loopback ? [client.allowInsecureRequests] : [],
        timeout: 10,
        ...(settings.fetch ? { [client.customFetch]: settings.fetch } : {}),
      })
      .catch((err: unknown) => {
        configuration = undefined
        throw new SignInError('unavailable', err)
      })
    return configuration
  }

  return {
    /** Where to send the browser, and what the callback must find in the sign-in cookie. */
    async start(returnTo: string, options: { selectAccount?: boolean } = {}) {
      const cfg = await config()
      const pending: SignInState = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        returnTo,
      }
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: SCOPES,
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
        ...(options.selectAccount ? { prompt: 'select_account' } : {}),
      })
      return { url, pending }
    },

    /**
     * Exchanges the code of the callback URL for tokens and reads who signed in from the validated ID token
     * (signature, issuer, audience, expiry, nonce). Throws a `SignInError`.
     */
    async finish(callbackUrl: URL, pending: SignInState): Promise<Omit<SignedInBuyer, 'sid'>> {
      const cfg = await config()
      let tokens
      try {
        tokens = await client.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        })
      } catch (err) {
        throw new SignInError(failureOf(err), err)
      }
      const claims = tokens.claims()
      if (!claims) throw new SignInError('invalid', new Error('no ID token'))
      const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined)
      return {
        subject: claims.sub,
        // Entra often leaves `email` empty for work accounts; `preferred_username` is then the sign-in address.
        email: str(claims.email) ?? str(claims.preferred_username),
        name: str(claims.name),
        tenantId: str(claims.tid),
        objectId: str(claims.oid),
      }
    },
  }
}

export type Oidc = ReturnType<typeof createOidc>

function failureOf(err: unknown): SignInFailure {
  if (err instanceof client.AuthorizationResponseError) return 'refused'
  // fetch's own network failures (the library's argument errors are TypeErrors with a code), and
  // timeouts or 5xx answers of the provider.
  if (err instanceof TypeError && !('code' in err)) return 'unavailable'
  if (err instanceof client.ClientError && err.code === 'OAUTH_TIMEOUT') return 'unavailable'
  if (err instanceof client.ClientError && err.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const status = (err.cause as { status?: unknown } | undefined)?.status
    if (typeof status === 'number' && status >= 500) return 'unavailable'
  }
  return 'invalid'
}
