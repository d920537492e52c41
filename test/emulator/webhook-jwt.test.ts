/**
 * A webhook's bearer token verifies with jose against the emulator's published keys, exactly as the
 * service verifies Microsoft's (signature via JWKS, `aud`, `tid`, `azp`), and fails once tampered with.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MARKETPLACE_RESOURCE_ID, type EmulatorHandle } from '../../emulator/index.ts'
import { startReceiver, startTestEmulator, waitFor } from './helpers.ts'

let emulator: EmulatorHandle
let receiver: Awaited<ReturnType<typeof startReceiver>>
let token: string

beforeAll(async () => {
  receiver = await startReceiver()
  emulator = await startTestEmulator({ webhookUrl: receiver.url })
  // An auto-activated plan: Microsoft sends the Subscribe webhook at purchase.
  emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
  const [webhook] = await waitFor(() => receiver.received.length > 0 && receiver.received)
  token = /^Bearer (.+)$/.exec(webhook!.headers.authorization ?? '')![1]!
})
afterAll(async () => {
  await emulator.stop()
  await receiver.close()
})

const jwks = () => createRemoteJWKSet(new URL(emulator.jwksUrl))
const verify = (jwt: string) => jwtVerify(jwt, jwks(), { audience: emulator.publisherClientId, algorithms: ['RS256'] })

describe('webhook JWT', () => {
  it('is published through OpenID metadata', async () => {
    const metadata = (await (await fetch(emulator.openIdConfigurationUrl)).json()) as Record<string, string>
    expect(metadata).toMatchObject({
      issuer: emulator.issuer,
      jwks_uri: emulator.jwksUrl,
      token_endpoint: emulator.tokenUrl,
    })
  })

  it('verifies against the JWKS with the claims of an Entra v2 token', async () => {
    const { payload, protectedHeader } = await verify(token)
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) as string })
    expect(payload).toMatchObject({
      iss: emulator.issuer,
      aud: emulator.publisherClientId,
      tid: emulator.publisherTenantId,
      azp: MARKETPLACE_RESOURCE_ID,
      ver: '2.0',
      oid: expect.any(String) as string,
      sub: expect.any(String) as string,
    })
    expect(payload.nbf).toBeLessThanOrEqual(payload.iat!)
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(600)
  })

  it('is refused for another audience', async () => {
    await expect(jwtVerify(token, jwks(), { audience: MARKETPLACE_RESOURCE_ID })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    )
  })

  it('is refused once its payload is changed', async () => {
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    const forged = Buffer.from(JSON.stringify({ ...claims, tid: '00000000-0000-4000-8000-000000000000' })).toString(
      'base64url',
    )
    await expect(verify(`${header}.${forged}.${signature}`)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    )
  })

  it('is refused once its signature is altered', async () => {
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`
    await expect(verify(`${header}.${payload}.${flipped}`)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    )
  })

  it('is signed afresh for every attempt', async () => {
    const flaky = await startReceiver((call) => (call === 1 ? 503 : 200))
    emulator.marketplace.configure({ webhookUrl: flaky.url })
    emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
    const attempts = await waitFor(() => flaky.received.length === 2 && flaky.received)
    const [first, second] = attempts.map((a) => a.headers.authorization!)
    expect(first).not.toBe(second)
    await verify(second!.slice('Bearer '.length))
    expect(decodeProtectedHeader(second!.slice('Bearer '.length)).kid).toBe(decodeProtectedHeader(token).kid)
    await flaky.close()
  })
})
