/**
 * A stand-in for Entra ID's authority (`https://login.microsoftonline.com`) whose answers a test can
 * break: it serves a tenant's OpenID metadata and its JWKS (the keys found at `upstreamJwksUrl`, e.g.
 * a `TestSigner`'s, or the emulator's once it runs), or answers 500, never answers, or answers
 * something that is not a key set.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach } from 'vitest'
import { startTestSigner, type TestSigner } from './entra.ts'

export type AuthorityMode = 'ok' | 'error' | 'hang' | 'garbage'

export interface TestAuthority {
  /** Pass as `authorityHost`: metadata at `{url}/{tenant}/v2.0/.well-known/openid-configuration`. */
  url: string
  /** The key set's own URL (as `WEBHOOK_JWKS_URL` would name it). */
  jwksUrl: string
  /** Where the keys it serves come from. */
  upstreamJwksUrl: string
  /** How the metadata and the keys answer from now on. */
  metadata: AuthorityMode
  keys: AuthorityMode
  /** How many requests each endpoint has had. */
  hits: { metadata: number; keys: number }
  stop(): Promise<void>
}

export async function startTestAuthority(upstreamJwksUrl: string): Promise<TestAuthority> {
  const hanging = new Set<() => void>()
  const answer = async (mode: AuthorityMode, ok: () => Promise<object>) => {
    if (mode === 'error') return new Response('upstream failure', { status: 500 })
    if (mode === 'garbage')
      return new Response('<html>maintenance</html>', { headers: { 'content-type': 'text/html' } })
    if (mode === 'hang') {
      // Released only when the authority stops, long after the caller gave up.
      await new Promise<void>((resolve) => hanging.add(resolve))
      return new Response(null, { status: 503 })
    }
    return Response.json(await ok())
  }
  const authority: TestAuthority = {
    url: '',
    jwksUrl: '',
    upstreamJwksUrl,
    metadata: 'ok',
    keys: 'ok',
    hits: { metadata: 0, keys: 0 },
    stop: () => {
      for (const release of hanging) release()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const app = new Hono()
    .get('/:tenant/v2.0/.well-known/openid-configuration', (c) => {
      authority.hits.metadata++
      const tenant = c.req.param('tenant')
      return answer(authority.metadata, () =>
        Promise.resolve({ issuer: `${authority.url}/${tenant}/v2.0`, jwks_uri: authority.jwksUrl }),
      )
    })
    .get('/keys', () => {
      authority.hits.keys++
      return answer(authority.keys, async () => (await (await fetch(authority.upstreamJwksUrl)).json()) as object)
    })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  authority.url = `http://127.0.0.1:${port}`
  authority.jwksUrl = `${authority.url}/keys`
  return authority
}

/**
 * For one test file: a signer of tokens for this tenant and audience, and an authority serving its keys,
 * answering normally again at the start of every test.
 */
export function useTestAuthority(options: { tenantId: string; audience: string }) {
  const running = {} as { signer: TestSigner; authority: TestAuthority }
  beforeAll(async () => {
    running.signer = await startTestSigner(options)
    running.authority = await startTestAuthority(running.signer.jwksUrl)
  })
  afterAll(async () => {
    await running.authority?.stop()
    await running.signer?.stop()
  })
  beforeEach(() => {
    running.authority.metadata = 'ok'
    running.authority.keys = 'ok'
  })
  return running
}
