import { Writable } from 'node:stream'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'
import pino from 'pino'
import { beforeAll, describe, expect, it } from 'vitest'
import { startTestAuthority, type AuthorityMode } from '../../test/support/entra-authority.ts'
import { API_KEY, auth, fakeGateway, testApi } from '../../test/support/api-fakes.ts'

const ENTRA = { tenantId: '72f988bf-0000-4000-8000-000000000001', audience: 'api://saas-fulfillment' }
const ROLE = 'Subscriptions.Manage'

let keys: JWTVerifyGetKey
let sign: (claims?: JWTPayload, options?: { audience?: string; expires?: string | number }) => Promise<string>
let signWithOtherKey: () => Promise<string>

beforeAll(async () => {
  const pair = await generateKeyPair('RS256')
  const other = await generateKeyPair('RS256')
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] })
  const build = (claims: JWTPayload, options: { audience?: string; expires?: string | number } = {}) =>
    new SignJWT({ tid: ENTRA.tenantId, oid: 'caller-object-id', roles: [ROLE], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setAudience(options.audience ?? ENTRA.audience)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
  sign = (claims = {}, options) => build(claims, options).sign(pair.privateKey)
  signWithOtherKey = () => build({}).sign(other.privateKey)
})

function entraApi(roles?: string[], entraKeys: JWTVerifyGetKey = keys) {
  const { gateway, calls } = fakeGateway()
  const app = testApi(gateway, { admin: { apiKey: API_KEY, entra: { ...ENTRA, roles } }, entraKeys })
  const get = (token: string) => app.request('/api/subscriptions', { headers: { authorization: `Bearer ${token}` } })
  return { get, calls }
}

describe('API key', () => {
  it.each([
    ['no header', {}],
    ['a wrong key', { authorization: 'Bearer not-the-admin-api-key-at-all' }],
    ['the key as a prefix', { authorization: `Bearer ${API_KEY}x` }],
    ['another scheme', { authorization: `Basic ${API_KEY}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401 and calls nothing', async (_, headers: Record<string, string>) => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request('/api/subscriptions', { headers })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="saas-fulfillment"/)
    expect(await res.json()).toEqual({ error: 'unauthorized' })
    expect(calls).toEqual([])
  })

  it('guards every route, including mutations, before validating input', async () => {
    const { gateway, calls } = fakeGateway()
    const app = testApi(gateway)
    for (const [method, path] of [
      ['DELETE', '/api/subscriptions/abc'],
      ['POST', '/api/subscriptions/abc/plan'],
      ['POST', '/api/subscriptions/abc/quantity'],
      ['POST', '/api/subscriptions/abc/provisioning'],
      ['POST', '/api/subscriptions/abc/retry'],
      ['POST', '/api/subscriptions/abc/resync'],
      ['GET', '/api/subscriptions/abc'],
      ['GET', '/api/entitlements?tenantId=bad'],
    ] as const) {
      expect((await app.request(path, { method })).status, `${method} ${path}`).toBe(401)
    }
    expect(calls).toEqual([])
  })

  it('accepts the key, whatever the case of "Bearer"', async () => {
    const { gateway } = fakeGateway()
    const app = testApi(gateway)
    expect((await app.request('/api/subscriptions', { headers: auth })).status).toBe(200)
    const lower = { authorization: `bearer ${API_KEY}` }
    expect((await app.request('/api/subscriptions', { headers: lower })).status).toBe(200)
  })

  it('never logs the key or a token', async () => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) })
    const logger = pino({ level: 'trace' }, sink)
    const { gateway } = fakeGateway()
    const app = testApi(gateway, { logger, admin: { apiKey: API_KEY, entra: ENTRA }, entraKeys: keys })
    const wrongToken = await signWithOtherKey()
    await app.request('/api/subscriptions', { headers: { authorization: `Bearer ${wrongToken}` } })
    await app.request('/api/subscriptions', { headers: { authorization: `Bearer ${API_KEY.slice(0, -1)}` } })
    await app.request('/api/subscriptions/abc/retry', { method: 'POST', headers: auth })
    expect(lines.length).toBeGreaterThan(0)
    const log = lines.join('')
    expect(log).not.toContain(API_KEY.slice(0, -1))
    expect(log).not.toContain(wrongToken.split('.')[2])
  })
})

describe('Entra ID token', () => {
  it('is accepted when signed by the tenant, for the audience, with a required role', async () => {
    const { get, calls } = entraApi([ROLE, 'Other.Role'])
    expect((await get(await sign())).status).toBe(200)
    expect(calls).toHaveLength(1)
  })

  it('needs no role when none is configured', async () => {
    const { get } = entraApi(undefined)
    expect((await get(await sign({ roles: undefined }))).status).toBe(200)
  })

  it('leaves the API key valid', async () => {
    const { get, calls } = entraApi([ROLE])
    expect((await get(API_KEY)).status).toBe(200)
    expect(calls).toHaveLength(1)
  })

  it.each<[string, () => Promise<string>]>([
    ['another audience', () => sign({}, { audience: 'api://someone-else' })],
    ['another tenant', () => sign({ tid: '00000000-0000-4000-8000-000000000000' })],
    ['no tenant', () => sign({ tid: undefined })],
    ['without the role', () => sign({ roles: ['Reader'] })],
    ['without roles', () => sign({ roles: undefined })],
    ['expired', () => sign({}, { expires: Math.floor(Date.now() / 1000) - 120 })],
    ['signed by another key', () => signWithOtherKey()],
    ['unsigned', async () => `${(await sign()).split('.').slice(0, 2).join('.')}.`],
  ])('is refused with 401 when %s', async (_, token) => {
    const { get, calls } = entraApi([ROLE])
    const res = await get(await token())
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await res.json()).toEqual({ error: 'unauthorized' })
    expect(calls).toEqual([])
  })

  it('is refused when Entra is not configured', async () => {
    const { gateway, calls } = fakeGateway()
    const res = await testApi(gateway).request('/api/subscriptions', {
      headers: { authorization: `Bearer ${await sign()}` },
    })
    expect(res.status).toBe(401)
    expect(calls).toEqual([])
  })

  it.each<[string, AuthorityMode]>([
    ['answer 500', 'error'],
    ['time out', 'hang'],
    ['answer something that is not a key set', 'garbage'],
  ])('answers 503 (not 401) when the tenant’s keys %s', async (_, mode) => {
    const authority = await startTestAuthority('http://127.0.0.1:1/unused')
    try {
      authority.keys = mode
      const remote = createRemoteJWKSet(new URL(authority.jwksUrl), { timeoutDuration: 300 })
      const { get, calls } = entraApi([ROLE], remote)
      const res = await get(await sign())
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({ error: 'cannot verify the token now; retry later' })
      expect(calls).toEqual([])
    } finally {
      await authority.stop()
    }
  })

  it('answers 503 when the signing keys cannot be fetched', async () => {
    const unreachable: JWTVerifyGetKey = () => Promise.reject(new TypeError('fetch failed'))
    const { get, calls } = entraApi([ROLE], unreachable)
    const res = await get(await sign())
    expect(res.status).toBe(503)
    expect(calls).toEqual([])
  })
})
