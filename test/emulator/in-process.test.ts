/** The emulator without a socket (`createEmulatorApp` + `app.request()`), and its option validation. */
import { expect, it } from 'vitest'
import { createEmulatorApp, DEFAULT_STATIC_TOKEN, EmulatorOptionsError, startEmulator } from '../../emulator/index.ts'
import { buyAndActivate, startTestEmulator } from './helpers.ts'

it('serves the API through app.request(), with links on publicUrl', async () => {
  const { app, marketplace, stop } = await createEmulatorApp({ publicUrl: 'http://emulator.test/' })
  const { subscription } = marketplace.purchase({ offerId: 'contoso-analytics', planId: 'instant' })
  const headers = { authorization: `Bearer ${DEFAULT_STATIC_TOKEN}`, 'content-type': 'application/json' }
  const url = `/api/saas/subscriptions/${subscription.id}?api-version=2018-08-31`

  expect((await app.request(url, { headers })).status).toBe(200)
  const deleted = await app.request(url, { method: 'DELETE', headers })
  expect(deleted.status).toBe(202)
  expect(deleted.headers.get('operation-location')).toMatch(
    new RegExp(`^http://emulator\\.test/api/saas/subscriptions/${subscription.id}/operations/`),
  )
  await stop()
})

it('refuses invalid options, naming them', async () => {
  const start = startEmulator({ port: 70_000, publisherTenantId: 'not-a-guid' })
  await expect(start).rejects.toBeInstanceOf(EmulatorOptionsError)
  await expect(start).rejects.toThrow(/port[\s\S]*publisherTenantId|publisherTenantId[\s\S]*port/)
})

it('stops cleanly with operations and retries still pending', async () => {
  const emulator = await startTestEmulator({
    autoAcceptMs: 60_000,
    webhookRetry: { attempts: 50, initialDelayMs: 60_000 },
  })
  const id = await buyAndActivate(emulator)
  emulator.marketplace.changeQuantity(id, 2)
  const started = Date.now()
  await emulator.stop()
  // Its pending timers (60 s) were cancelled, not waited for.
  expect(Date.now() - started).toBeLessThan(10_000)
})
