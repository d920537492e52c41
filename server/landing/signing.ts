/**
 * Everything the landing page hands to a browser and later trusts again (status links, the session and
 * sign-in cookies, the confirmation form) is an HS256 JWT signed with a key derived from the session secret.
 *
 * Each use has its own audience, so a token minted for one (a status link) is refused by another (the
 * session); and the key is derived rather than the secret itself, so nothing signed here can be confused
 * with another part of the service that uses the same `SESSION_SECRET`.
 * @module
 */
import { hkdfSync } from 'node:crypto'
import { SignJWT, jwtVerify, type JWTPayload } from 'jose'

export type Purpose = 'status' | 'session' | 'signin' | 'form'

/** How long each signed value is honoured, in seconds. */
export const LIFETIME: Record<Purpose, number> = {
  // The buyer may come back to the progress page the next day, e.g. from the browser history.
  status: 24 * 3600,
  session: 3600,
  // The round trip through Microsoft's sign-in page; long enough for a password reset or MFA prompt.
  signin: 10 * 60,
  form: 3600,
}

export interface Signer {
  sign(purpose: Purpose, claims: JWTPayload & { sub: string }): Promise<string>
  /** The claims, or undefined when the value is missing, tampered with, expired or made for another purpose. */
  verify(purpose: Purpose, token: string | undefined): Promise<(JWTPayload & { sub: string }) | undefined>
}

export function createSigner(sessionSecret: string, issuer: string): Signer {
  const key = new Uint8Array(hkdfSync('sha256', sessionSecret, '', 'saas-fulfillment landing page v1', 32))
  const audience = (purpose: Purpose) => `landing:${purpose}`
  return {
    sign(purpose, { sub, ...claims }) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience(purpose))
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + LIFETIME[purpose])
        .sign(key)
    },
    async verify(purpose, token) {
      if (!token) return undefined
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer,
          audience: audience(purpose),
          requiredClaims: ['sub', 'exp'],
        })
        return payload as JWTPayload & { sub: string }
      } catch {
        return undefined
      }
    },
  }
}
