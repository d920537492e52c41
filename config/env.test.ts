import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, MICROSOFT_MARKETPLACE_API } from './env.ts'

const TENANT = '11111111-1111-4111-8111-111111111111'
const APP = '22222222-2222-4222-8222-222222222222'
const minimal = {
  ADMIN_API_KEY: 'a-long-enough-admin-key',
  SESSION_SECRET: 'a-session-secret-of-at-least-32-chars',
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: APP,
}

describe('loadConfig', () => {
  it('fills the local defaults around the required variables', () => {
    const config = loadConfig(minimal)
    expect(config).toMatchObject({
      http: { host: '127.0.0.1', port: 3000, publicUrl: 'http://127.0.0.1:3000' },
      taskQueue: 'saas-fulfillment',
      marketplace: { apiUrl: MICROSOFT_MARKETPLACE_API, timeoutMs: 15_000 },
      webhook: { auth: 'entra', tenantId: TENANT, audience: APP },
      vendor: { hooks: 'demo', provisionDelayMs: 2_000 },
      lifecycle: {
        changeDecisionMs: 6_000,
        dataRetentionDays: 30,
        hookHeartbeatTimeoutMs: 60_000,
        hookLaneHoldMs: 120_000,
      },
    })
    expect(config.landing.oidc).toBeUndefined()
  })

  it('names every bad variable and why, without echoing secret values', () => {
    const attempt = () =>
      loadConfig({ ...minimal, PORT: 'eighty', ADMIN_API_KEY: 'short-secret', MARKETPLACE_API_URL: 'not a url' })
    expect(attempt).toThrow(ConfigError)
    const message = (() => {
      try {
        attempt()
      } catch (err) {
        return (err as Error).message
      }
    })()
    expect(message).toMatch(/PORT:/)
    expect(message).toMatch(/ADMIN_API_KEY: must be at least 16 characters/)
    expect(message).toMatch(/MARKETPLACE_API_URL:/)
    expect(message).not.toContain('short-secret')
  })

  it('requires the publisher app to verify webhooks, unless verification is off', () => {
    expect(() => loadConfig({ ADMIN_API_KEY: minimal.ADMIN_API_KEY, SESSION_SECRET: minimal.SESSION_SECRET })).toThrow(
      /AZURE_TENANT_ID: is required to verify webhooks[\s\S]*AZURE_CLIENT_ID: is required/,
    )
    const local = loadConfig({
      ADMIN_API_KEY: minimal.ADMIN_API_KEY,
      SESSION_SECRET: minimal.SESSION_SECRET,
      WEBHOOK_AUTH: 'none',
      MARKETPLACE_API_URL: 'http://127.0.0.1:3001/api/',
    })
    expect(local.webhook).toEqual({ auth: 'none' })
    expect(local.marketplace.apiUrl).toBe('http://127.0.0.1:3001/api')
  })

  it('refuses to turn webhook verification off against Microsoft itself', () => {
    expect(() => loadConfig({ ...minimal, WEBHOOK_AUTH: 'none' })).toThrow(
      /WEBHOOK_AUTH: may be "none" only with a marketplace emulator/,
    )
  })

  it('asks for what each choice needs', () => {
    expect(() => loadConfig({ ...minimal, VENDOR_HOOKS: 'http' })).toThrow(/VENDOR_HOOK_URL[\s\S]*VENDOR_HOOK_SECRET/)
    expect(() => loadConfig({ ...minimal, VENDOR_HOOKS: 'module' })).toThrow(/VENDOR_HOOK_MODULE/)
    expect(() => loadConfig({ ...minimal, LANDING_OIDC_CLIENT_ID: 'app' })).toThrow(/LANDING_OIDC_CLIENT_SECRET/)
    expect(() => loadConfig({ ...minimal, ADMIN_ENTRA_TENANT_ID: TENANT })).toThrow(/ADMIN_ENTRA_AUDIENCE/)
    expect(
      loadConfig({ ...minimal, LANDING_OIDC_CLIENT_ID: 'app', LANDING_OIDC_CLIENT_SECRET: 's' }).landing.oidc,
    ).toEqual({
      issuer: 'https://login.microsoftonline.com/organizations/v2.0',
      clientId: 'app',
      clientSecret: 's',
    })
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...minimal, PORT: '', PUBLIC_URL: '' }).http.port).toBe(3000)
  })

  it('keeps the change decision inside Microsoft’s 10-second window', () => {
    expect(() => loadConfig({ ...minimal, CHANGE_DECISION_MS: '12000' })).toThrow(/CHANGE_DECISION_MS/)
  })
})
