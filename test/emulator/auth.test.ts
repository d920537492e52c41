/** The API requires a bearer token like Microsoft's: 401 without one, 403 with a wrong one; and api-version. */
import { SignJWT, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MARKETPLACE_SCOPE, type EmulatorHandle } from '../../emulator/index.ts'
import { callApi, startTestEmulator } from './helpers.ts'

let emulator: EmulatorHandle

beforeAll(async () => {
  emulator = await startTestEmulator({ staticToken: 'test-static-token' })
})
afterAll(() => emulator.stop())

const requestToken = async (form: Record<string, string>) => {
  const response = await fetch(emulator.tokenUrl, { method: 'POST', body: new URLSearchParams(form) })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}
const credentials = (overrides: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: emulator.publisherClientId,
  client_secret: 'any secret',
  scope: MARKETPLACE_SCOPE,
  ...overrides,
})
const list = (token: string | null) => callApi(emulator, 'GET', '/saas/subscriptions/', { token })

describe('token endpoint', () => {
  it('issues a bearer token for the marketplace scope that the API accepts', async () => {
    const { status, json } = await requestToken(credentials())
    expect(status).toBe(200)
    expect(json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, access_token: expect.any(String) as string })
    expect((await list(json.access_token as string)).status).toBe(200)
  })

  it('refuses another scope, grant or a missing secret, as Entra does', async () => {
    expect(await requestToken(credentials({ scope: 'https://graph.microsoft.com/.default' }))).toMatchObject({
      status: 400,
      json: { error: 'invalid_scope' },
    })
    expect((await requestToken(credentials({ grant_type: 'password' }))).json).toMatchObject({
      error: 'unsupported_grant_type',
    })
    expect((await requestToken({ ...credentials(), client_secret: '' })).status).toBe(401)
  })
})

describe('API authorization', () => {
  it('accepts the static token', async () => {
    expect((await list('test-static-token')).status).toBe(200)
  })

  it('answers 401 without an Authorization header', async () => {
    const answer = await list(null)
    expect(answer.status).toBe(401)
    expect(answer.headers.get('www-authenticate')).toBe('Bearer')
    expect(answer.json).toMatchObject({ error: { code: 'Unauthorized' } })
  })

  it('answers 403 to a wrong or foreign token, and to a token of another app', async () => {
    expect((await list('not-the-token')).status).toBe(403)
    const { privateKey } = await generateKeyPair('RS256')
    const foreign = await new SignJWT({ azp: emulator.publisherClientId })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience('20e940b3-4c77-4b0b-9a53-9e16a1b010a7')
      .setExpirationTime('1h')
      .sign(privateKey)
    expect((await list(foreign)).status).toBe(403)

    const otherApp = (await requestToken(credentials({ client_id: '00000000-0000-4000-8000-000000000009' }))).json
    const refused = await list(otherApp.access_token as string)
    expect(refused.status).toBe(403)
    expect(refused.json).toMatchObject({ error: { message: expect.stringMatching(/another|issued to app/) as string } })
  })

  it('is journaled, with the tracing headers echoed or generated', async () => {
    const answer = await callApi(emulator, 'GET', '/saas/subscriptions/', {
      token: null,
      headers: { 'x-ms-requestid': 'req-1', 'x-ms-correlationid': 'corr-1' },
    })
    expect(answer.headers.get('x-ms-requestid')).toBe('req-1')
    expect(answer.headers.get('x-ms-correlationid')).toBe('corr-1')
    expect(emulator.marketplace.journal().at(-1)).toMatchObject({
      kind: 'listSubscriptions',
      status: 401,
      requestId: 'req-1',
    })
    expect((await list('test-static-token')).headers.get('x-ms-requestid')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

it('requires api-version=2018-08-31', async () => {
  expect((await callApi(emulator, 'GET', '/saas/subscriptions/', { apiVersion: null })).status).toBe(400)
  const wrong = await callApi(emulator, 'GET', '/usageEvents?usageStartDate=2024-01-01', { apiVersion: '2022-01-01' })
  expect(wrong.status).toBe(400)
  expect(wrong.json).toMatchObject({ code: 'BadRequest' })
})
