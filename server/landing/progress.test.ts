/**
 * `GET /landing/status/{subscriptionId}?sig=…` (progress.ts), through `app.request()` on the landing app
 * with a fake subscriptions gateway.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { factsOf } from '../../machines/subscription/index.ts'
import {
  LANDING_PUBLIC_URL,
  SUBSCRIPTION_ID,
  landingSigner,
  landingUnderTest,
  pageText,
  resolvedPurchase,
  statusPath,
  viewOf,
} from '../../test/support/landing-fakes.ts'
import { createSigner } from './signing.ts'

let { gateway, app } = landingUnderTest()
beforeEach(() => {
  ;({ gateway, app } = landingUnderTest())
})

describe('status page', () => {
  const facts = factsOf(resolvedPurchase().subscription)

  it.each([
    ['no sig', `/landing/status/${SUBSCRIPTION_ID}`],
    ['a tampered sig', async () => `${await statusPath()}x`],
    [
      'a sig for another subscription',
      async () => (await statusPath('other')).replace('/other?', `/${SUBSCRIPTION_ID}?`),
    ],
    [
      'a form token as sig',
      async () =>
        `/landing/status/${SUBSCRIPTION_ID}?sig=${await landingSigner.sign('form', { sub: SUBSCRIPTION_ID })}`,
    ],
    [
      'a sig from another secret',
      async () => {
        const other = createSigner('another-secret-of-at-least-32-characters', LANDING_PUBLIC_URL)
        return `/landing/status/${SUBSCRIPTION_ID}?sig=${await other.sign('status', { sub: SUBSCRIPTION_ID })}`
      },
    ],
  ])('%s: 403', async (_, path) => {
    gateway.views.set(SUBSCRIPTION_ID, viewOf(facts, 'provisioning'))
    const res = await app.request(typeof path === 'string' ? path : await path())
    expect(res.status).toBe(403)
    expect(await pageText(res)).toContain('This link is not valid any more')
  })

  it.each([
    ['awaitingBuyer', 'Setting up your account', '2'],
    ['provisioning', 'Setting up your account', '2'],
    ['activating', 'Activating your subscription with Microsoft', '2'],
    ['provisioningFailed', 'We could not finish setting up your account', '30'],
    ['activationFailed', 'Microsoft has not activated your subscription yet', '30'],
    ['subscribed.idle', 'Your subscription is active', undefined],
    ['suspended.idle', 'Your subscription is suspended', undefined],
    ['unsubscribed', 'Your subscription is cancelled', undefined],
  ])('%s: "%s", refresh %s', async (step, heading, refresh) => {
    gateway.views.set(
      SUBSCRIPTION_ID,
      viewOf(facts, step, { failure: { step: 'provision', message: 'ECONNRESET at hook' } }),
    )
    const res = await app.request(await statusPath())
    expect(res.status).toBe(200)
    const page = await pageText(res)
    expect(page).toContain(heading)
    expect(page).not.toContain('ECONNRESET')
    if (refresh) expect(page).toContain(`<meta http-equiv="refresh" content="${refresh}" />`)
    else expect(page).not.toContain('http-equiv="refresh"')
    if (step.endsWith('Failed')) expect(page).toContain('You have not been charged')
  })

  it('returns the view as JSON when asked', async () => {
    const view = viewOf(facts, 'activating')
    gateway.views.set(SUBSCRIPTION_ID, view)
    const res = await app.request(await statusPath(), { headers: { accept: 'application/json' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(view)
    const refused = await app.request(`/landing/status/${SUBSCRIPTION_ID}?sig=x`, {
      headers: { accept: 'application/json' },
    })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toEqual({ error: 'This link is not valid any more' })
  })

  it('unknown subscription: 404; Temporal unreachable: 503', async () => {
    expect((await app.request(await statusPath())).status).toBe(404)
    gateway.failWith(new Error('unavailable'))
    expect((await app.request(await statusPath())).status).toBe(503)
  })
})
