/**
 * When the webhook's signing keys cannot be had (the key endpoint answers 500 or never answers), the
 * webhook answers 503, never 401: Microsoft retries, and once the keys are back the same operation is
 * applied. A 4xx would have told Microsoft the call was refused (for a customer's change, rejected).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { startTestAuthority, type TestAuthority } from '../support/entra-authority.ts'
import { eventually, startHarness, type Harness } from '../support/harness.ts'
import { confirmPurchase } from '../support/landing.ts'

let h: Harness
let authority: TestAuthority

beforeAll(async () => {
  authority = await startTestAuthority('http://127.0.0.1:1/not-yet')
  h = await startHarness({
    env: { WEBHOOK_JWKS_URL: authority.jwksUrl },
    emulator: { webhookRetry: { attempts: 50, initialDelayMs: 200, maxDelayMs: 1_000, timeoutMs: 10_000 } },
  })
  authority.upstreamJwksUrl = h.emulator.jwksUrl
})
afterAll(async () => {
  await h?.stop()
  await authority?.stop()
})

const view = async (id: string) => (await (await h.api(`/api/subscriptions/${id}`)).json()) as SubscriptionView
const attemptsOf = (id: string) =>
  h.emulator.marketplace.webhooks({ subscriptionId: id }).flatMap((d) => d.attempts.map((a) => a.status))

it('answers 503 while the key endpoint fails or hangs, and applies the operation once it answers', async () => {
  const purchase = h.emulator.marketplace.purchase({ offerId: 'contoso-analytics', planId: 'basic' })
  const id = purchase.subscription.id
  await confirmPurchase(purchase.landingUrl)
  await eventually(async () => (await view(id)).step === 'subscribed.idle', { what: 'Subscribed' })

  // The service has not needed the keys yet: the first webhook is the first to ask for them.
  authority.keys = 'hang'
  h.emulator.marketplace.suspend(id)
  await eventually(() => attemptsOf(id).includes(503), { what: 'a 503 while the keys hang', timeoutMs: 30_000 })
  authority.keys = 'error'
  const before = attemptsOf(id).length
  await eventually(() => attemptsOf(id).length > before + 1, { what: 'retries while the keys answer 500' })
  expect((await view(id)).saasSubscriptionStatus).toBe('Subscribed')

  authority.keys = 'ok'
  await eventually(async () => (await view(id)).saasSubscriptionStatus === 'Suspended', { what: 'Suspended' })
  const statuses = attemptsOf(id)
  expect(statuses.at(-1)).toBe(200)
  expect(statuses.slice(0, -1).every((s) => s === 503)).toBe(true)
  expect(statuses).not.toContain(401)
})
