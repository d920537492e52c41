import { describe, expect, it } from 'vitest'
import { MARKETPLACE_RESOURCE_ID } from '../../marketplace/client/index.ts'
import { useTestAuthority } from '../../test/support/entra-authority.ts'
import type { TestSigner } from '../../test/support/entra.ts'
import { createWebhookVerifier, WebhookAuthError } from './verify.ts'

const TENANT = '0e1f2a3b-0000-4000-8000-00000000e1a0'
const AUDIENCE = 'c0ffee00-0000-4000-8000-000000000001'

const running = useTestAuthority({ tenantId: TENANT, audience: AUDIENCE })

const verifier = () =>
  createWebhookVerifier({ tenantId: TENANT, audience: AUDIENCE, authorityHost: running.authority.url, timeoutMs: 300 })
const bearer = async (claims?: Parameters<TestSigner['sign']>[0]) => `Bearer ${await running.signer.sign(claims)}`

describe('webhook token', () => {
  it('is accepted from the marketplace (v2 azp, v1 appid)', async () => {
    await expect(verifier()(await bearer())).resolves.toMatchObject({ azp: MARKETPLACE_RESOURCE_ID })
    const v1 = await bearer({ azp: undefined, appid: MARKETPLACE_RESOURCE_ID, ver: '1.0' })
    await expect(verifier()(v1)).resolves.toMatchObject({ appid: MARKETPLACE_RESOURCE_ID })
  })

  it.each<[string, () => Promise<string | undefined>]>([
    ['missing', () => Promise.resolve(undefined)],
    ['another scheme', async () => `Basic ${await running.signer.sign()}`],
    ['forged', async () => `Bearer ${await running.signer.forge()}`],
    ['expired', () => bearer({ exp: Math.floor(Date.now() / 1000) - 600 })],
    ['for another audience', () => bearer({ aud: 'someone-else' })],
    ['for another tenant', () => bearer({ tid: '00000000-0000-4000-8000-000000000000' })],
    ['issued to another app than the marketplace', () => bearer({ azp: '11111111-0000-4000-8000-000000000000' })],
    ['issued to no app', () => bearer({ azp: undefined })],
  ])('is a WebhookAuthError (401) when %s', async (_, header) => {
    await expect(verifier()(await header())).rejects.toBeInstanceOf(WebhookAuthError)
  })

  it.each<[string, () => void]>([
    ['the tenant’s metadata answers 500', () => (running.authority.metadata = 'error')],
    ['the key endpoint answers 500', () => (running.authority.keys = 'error')],
    ['the key endpoint times out', () => (running.authority.keys = 'hang')],
  ])('is not a WebhookAuthError (so 503, and Microsoft retries) when %s', async (_, breakIt) => {
    breakIt()
    const err = await verifier()(await bearer()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(WebhookAuthError)
  })

  it('uses WEBHOOK_JWKS_URL when given, without the metadata', async () => {
    running.authority.metadata = 'error'
    const verify = createWebhookVerifier({ tenantId: TENANT, audience: AUDIENCE, jwksUrl: running.authority.jwksUrl })
    await expect(verify(await bearer())).resolves.toBeDefined()
  })
})
