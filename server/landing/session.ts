/**
 * The two cookies of the landing page, both signed JWTs (see `signing.ts`), httpOnly and SameSite=Lax:
 *
 * - the **session** (~1 h): who signed in with Microsoft, read from the ID token once;
 * - the **sign-in** round trip (~10 min): state, nonce, PKCE verifier and where to return, so the callback
 *   can check that the answer belongs to the request this browser started.
 *
 * Lax, not Strict: the callback is a top-level navigation coming back from Microsoft's site and must carry
 * the sign-in cookie. Over HTTPS the names take the `__Host-` prefix (Secure, whole site, no Domain), so a
 * sibling subdomain cannot plant them.
 * @module
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { LIFETIME, type Purpose, type Signer } from './signing.ts'

/** The buyer as Microsoft Entra ID identified them. */
export interface SignedInBuyer {
  /** A random id of this session; the confirmation form is bound to it. */
  sid: string
  subject: string
  email?: string
  name?: string
  tenantId?: string
  objectId?: string
}

export interface SignInState {
  state: string
  nonce: string
  verifier: string
  returnTo: string
}

const NAMES = { session: 'landing_session', signin: 'landing_signin' } as const

export function createCookies(signer: Signer, publicUrl: string) {
  const secure = new URL(publicUrl).protocol === 'https:'
  const prefix = secure ? ('host' as const) : undefined

  function put(c: Context, purpose: Extract<Purpose, 'session' | 'signin'>, value: string) {
    setCookie(c, NAMES[purpose], value, {
      httpOnly: true,
      sameSite: 'Lax',
      secure,
      path: '/',
      maxAge: LIFETIME[purpose],
      prefix,
    })
  }
  const read = (c: Context, purpose: Extract<Purpose, 'session' | 'signin'>) => getCookie(c, NAMES[purpose], prefix)

  return {
    async setSession(c: Context, identity: SignedInBuyer) {
      const { subject, sid, ...rest } = identity
      put(c, 'session', await signer.sign('session', { sub: subject, jti: sid, ...rest }))
    },

    async getSession(c: Context): Promise<SignedInBuyer | undefined> {
      const claims = await signer.verify('session', read(c, 'session'))
      if (!claims?.jti) return undefined
      const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined)
      return {
        sid: claims.jti,
        subject: claims.sub,
        email: str(claims.email),
        name: str(claims.name),
        tenantId: str(claims.tenantId),
        objectId: str(claims.objectId),
      }
    },

    async setSignIn(c: Context, s: SignInState) {
      put(c, 'signin', await signer.sign('signin', { sub: s.state, ...s }))
    },

    /** The pending sign-in, used once: the cookie is cleared whatever the outcome. */
    async takeSignIn(c: Context): Promise<SignInState | undefined> {
      const claims = await signer.verify('signin', read(c, 'signin'))
      deleteCookie(c, NAMES.signin, { path: '/', secure, prefix })
      if (!claims) return undefined
      const { state, nonce, verifier, returnTo } = claims
      if (typeof state !== 'string' || typeof nonce !== 'string' || typeof verifier !== 'string') return undefined
      if (typeof returnTo !== 'string' || state !== claims.sub) return undefined
      return { state, nonce, verifier, returnTo }
    },
  }
}

export type Cookies = ReturnType<typeof createCookies>
