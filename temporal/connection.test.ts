import { afterEach, describe, expect, it } from 'vitest'
import { temporalSettings } from './connection.ts'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

describe('temporalSettings', () => {
  it('defaults to the local dev server', () => {
    for (const k of Object.keys(process.env)) if (k.startsWith('TEMPORAL_')) delete process.env[k]
    process.env.TEMPORAL_CONFIG_FILE = '/nonexistent/temporal.toml'
    const settings = temporalSettings()
    expect(settings.namespace).toBe('default')
    expect(settings.connectionOptions.address).toBe('localhost:7233')
    expect(settings.connectionOptions.tls).toBeFalsy()
  })

  it('follows Temporal’s own variables, so the same build runs against a cluster or Temporal Cloud', () => {
    process.env.TEMPORAL_CONFIG_FILE = '/nonexistent/temporal.toml'
    process.env.TEMPORAL_ADDRESS = 'acme.a1b2c.tmprl.cloud:7233'
    process.env.TEMPORAL_NAMESPACE = 'acme.a1b2c'
    process.env.TEMPORAL_API_KEY = 'test-api-key'
    const settings = temporalSettings()
    expect(settings.namespace).toBe('acme.a1b2c')
    expect(settings.connectionOptions).toMatchObject({ address: 'acme.a1b2c.tmprl.cloud:7233', apiKey: 'test-api-key' })
    // An API key implies TLS, as Temporal Cloud requires.
    expect(settings.connectionOptions.tls).toBeTruthy()
  })
})
