import { createRemoteJWKSet, generateKeyPair, SignJWT, type JWTVerifyGetKey } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useTestAuthority } from '../../test/support/entra-authority.ts'
import { createEntraVerifier, EntraTokenError, EntraUnavailableError, bearerToken } from './entra.ts'

const TENANT = '0e1f2a3b-0000-4000-8000-00000000e1a0'
const AUDIENCE = 'c0ffee00-0000-4000-8000-000000000001'

const running = useTestAuthority({ tenantId: TENANT, audience: AUDIENCE })

/** A verifier that finds the keys through the tenant's OpenID metadata, as in production. */
const discovering = () =>
  createEntraVerifier({ tenantId: TENANT, audience: AUDIENCE, authorityHost: running.authority.url, timeoutMs: 300 })

describe('a token from the tenant', () => {
  it('is accepted, with its claims, via the OpenID metadata', async () => {
    const payload = await discovering()(await running.signer.sign({ oid: 'caller' }))
    expect(payload).toMatchObject({ tid: TENANT, aud: AUDIENCE, oid: 'caller' })
  })

  it('is accepted via a JWKS URL given directly', async () => {
    const verify = createEntraVerifier({ tenantId: TENANT, audience: AUDIENCE, jwksUrl: running.authority.jwksUrl })
    await expect(verify(await running.signer.sign())).resolves.toMatchObject({ tid: TENANT })
  })

  it('is accepted with the v1 tenant claim', async () => {
    const token = await running.signer.sign({
      tid: undefined,
      'http://schemas.microsoft.com/identity/claims/tenantid': TENANT,
    })
    await expect(discovering()(token)).resolves.toBeDefined()
  })
})

describe('the caller’s fault is an EntraTokenError (401)', () => {
  const unknownKid = async () => {
    const { privateKey } = await generateKeyPair('RS256')
    return new SignJWT({ tid: TENANT })
      .setProtectedHeader({ alg: 'RS256', kid: 'nobody-published-this' })
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey)
  }
  const hs256 = () =>
    new SignJWT({ tid: TENANT })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!'))

  it.each<[string, () => Promise<string>]>([
    ['forged (signed by a key nobody published)', () => running.signer.forge()],
    ['signed with an unknown kid', unknownKid],
    ['expired', () => running.signer.sign({ exp: Math.floor(Date.now() / 1000) - 600 })],
    ['for another audience', () => running.signer.sign({ aud: 'api://someone-else' })],
    ['for another tenant', () => running.signer.sign({ tid: '00000000-0000-4000-8000-000000000000' })],
    ['without a tenant', () => running.signer.sign({ tid: undefined })],
    ['HS256 (a shared secret)', hs256],
    ['unsigned', async () => `${(await running.signer.sign()).split('.').slice(0, 2).join('.')}.`],
    ['not a JWT', () => Promise.resolve('not-a-token')],
    ['with non-ASCII characters', () => Promise.resolve('é.ü.ß')],
  ])('%s', async (_, token) => {
    const err = await discovering()(await token()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EntraTokenError)
  })

  it('even while the keys are unreachable, for a token that is not even a JWT', async () => {
    running.authority.keys = 'error'
    await expect(discovering()('garbage')).rejects.toBeInstanceOf(EntraTokenError)
  })
})

describe('keys or metadata unavailable is an EntraUnavailableError (503), never a 401', () => {
  it.each<[string, () => void]>([
    ['the metadata answers 500', () => (running.authority.metadata = 'error')],
    ['the metadata never answers', () => (running.authority.metadata = 'hang')],
    ['the metadata is not JSON', () => (running.authority.metadata = 'garbage')],
    ['the keys answer 500', () => (running.authority.keys = 'error')],
    ['the keys never answer', () => (running.authority.keys = 'hang')],
    ['the keys are not a key set', () => (running.authority.keys = 'garbage')],
  ])('%s', async (_, breakIt) => {
    breakIt()
    const err = await discovering()(await running.signer.sign()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EntraUnavailableError)
    expect(err).not.toBeInstanceOf(EntraTokenError)
  })

  it('the keys host refusing connections', async () => {
    const verify = createEntraVerifier({ tenantId: TENANT, audience: AUDIENCE, jwksUrl: 'http://127.0.0.1:1/keys' })
    await expect(verify(await running.signer.sign())).rejects.toBeInstanceOf(EntraUnavailableError)
  })

  it('is not remembered: once the authority answers again, the same token is accepted', async () => {
    const verify = discovering()
    const token = await running.signer.sign()
    running.authority.metadata = 'error'
    await expect(verify(token)).rejects.toBeInstanceOf(EntraUnavailableError)
    running.authority.metadata = 'ok'
    running.authority.keys = 'error'
    await expect(verify(token)).rejects.toBeInstanceOf(EntraUnavailableError)
    running.authority.keys = 'ok'
    await expect(verify(token)).resolves.toMatchObject({ tid: TENANT })
  })

  it('keeps the keys it has through a later outage of the key endpoint', async () => {
    const verify = discovering()
    await verify(await running.signer.sign())
    running.authority.metadata = 'error'
    running.authority.keys = 'error'
    await expect(verify(await running.signer.sign())).resolves.toMatchObject({ tid: TENANT })
  })

  it('does not refetch the keys for every token', async () => {
    const verify = discovering()
    const before = { ...running.authority.hits }
    for (let i = 0; i < 3; i++) await verify(await running.signer.sign())
    expect(running.authority.hits.metadata - before.metadata).toBe(1)
    expect(running.authority.hits.keys - before.keys).toBe(1)
  })
})

describe('a token Microsoft reuses until it expires', () => {
  /** A verifier whose key lookups are counted: one lookup is one signature check. */
  const counting = () => {
    const remote = createRemoteJWKSet(new URL(running.authority.jwksUrl))
    const lookups = { count: 0 }
    const keys: JWTVerifyGetKey = (header, token) => {
      lookups.count++
      return remote(header, token)
    }
    return { verify: createEntraVerifier({ tenantId: TENANT, audience: AUDIENCE, keys }), lookups }
  }
  afterEach(() => vi.useRealTimers())

  it('has its signature checked once, and its repeats accepted with the same claims', async () => {
    const { verify, lookups } = counting()
    const token = await running.signer.sign({ oid: 'marketplace' })
    const first = await verify(token)
    for (let i = 0; i < 3; i++) await expect(verify(token)).resolves.toEqual(first)
    expect(lookups.count).toBe(1)
    // Another token (a renewed one) is checked in full.
    await verify(await running.signer.sign({ oid: 'marketplace', uti: 'renewed' }))
    expect(lookups.count).toBe(2)
  })

  it('is refused once it has expired, even though it was accepted before', async () => {
    const { verify } = counting()
    const token = await running.signer.sign({ exp: Math.floor(Date.now() / 1000) + 60 })
    await verify(token)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 60_000 + 31_000)
    await expect(verify(token)).rejects.toBeInstanceOf(EntraTokenError)
  })

  it('is not remembered when refused: a wrong token stays wrong', async () => {
    const { verify, lookups } = counting()
    const token = await running.signer.sign({ tid: '00000000-0000-4000-8000-000000000000' })
    for (let i = 0; i < 2; i++) await expect(verify(token)).rejects.toBeInstanceOf(EntraTokenError)
    expect(lookups.count).toBe(2)
  })
})

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc ', 'abc'],
    [undefined, undefined],
    ['Basic abc', undefined],
    ['Bearer ', undefined],
    ['Bearer a b', undefined],
  ])('%j → %j', (header, token) => expect(bearerToken(header)).toBe(token))
})
