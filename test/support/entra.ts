/**
 * A stand-in for Entra ID's signing keys in webhook tests: serves a JWKS with the emulator's keys plus a
 * key of the test's own, so a test can sign tokens with any claims (wrong audience, other tenant,
 * expired) that the service's real verification then judges.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { MARKETPLACE_RESOURCE_ID } from '../../marketplace/client/index.ts'

export interface TestSigner {
  jwksUrl: string
  /** A token like Microsoft's for this publisher, with `overrides` applied (undefined removes a claim; `exp` wins over `expiresIn`). */
  sign(overrides?: Partial<JWTPayload> & { expiresIn?: string }): Promise<string>
  /** The same token signed by a key nobody published. */
  forge(): Promise<string>
  /** Also publish the keys found at this JWKS URL (the emulator's, once it runs). */
  trust(jwksUrl: string): void
  stop(): Promise<void>
}

type SigningKey = Parameters<SignJWT['sign']>[0]

export async function startTestSigner(options: { tenantId: string; audience: string }): Promise<TestSigner> {
  let trustedJwksUrl: string | undefined
  const trusted = await generateKeyPair('RS256', { extractable: true })
  const rogue = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }
  const app = new Hono().get('/keys', async (c) => {
    const { keys } = trustedJwksUrl
      ? ((await (await fetch(trustedJwksUrl)).json()) as { keys: object[] })
      : { keys: [] }
    return c.json({ keys: [...keys, jwk] })
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo

  const token = (key: SigningKey, kid: string, overrides: Partial<JWTPayload> & { expiresIn?: string } = {}) => {
    const { expiresIn = '5m', ...claims } = overrides
    const now = Math.floor(Date.now() / 1000)
    const payload: JWTPayload = {
      iss: `https://login.microsoftonline.com/${options.tenantId}/v2.0`,
      aud: options.audience,
      tid: options.tenantId,
      azp: MARKETPLACE_RESOURCE_ID,
      ver: '2.0',
      iat: now,
      ...claims,
    }
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k]
    const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid })
    return (claims.exp === undefined ? jwt.setExpirationTime(expiresIn) : jwt).sign(key)
  }
  return {
    jwksUrl: `http://127.0.0.1:${port}/keys`,
    sign: (overrides) => token(trusted.privateKey, 'test-key', overrides),
    forge: () => token(rogue.privateKey, 'test-key'),
    trust: (jwksUrl) => void (trustedJwksUrl = jwksUrl),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
