/**
 * `GET /landing` and `POST /landing` (purchase.ts), through `app.request()` on the landing app with fakes of
 * Resolve and of the subscriptions gateway.
 */
import { decodeJwt } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { factsOf } from '../../machines/subscription/index.ts'
import { MarketplaceError } from '../../marketplace/client/index.ts'
import {
  LANDING_PUBLIC_URL,
  SUBSCRIPTION_ID,
  hiddenFields,
  landingSigner,
  landingUnderTest,
  pageText,
  resolvedPurchase,
  viewOf,
} from '../../test/support/landing-fakes.ts'
import { SubscriptionClosedError } from '../subscriptions-gateway.ts'
import { MAX_FORM_BYTES } from './purchase.ts'

let { marketplace, gateway, app } = landingUnderTest()
beforeEach(() => {
  ;({ marketplace, gateway, app } = landingUnderTest())
})

const visit = (query: string, headers: Record<string, string> = {}) => app.request(`/landing${query}`, { headers })

function post(fields: Record<string, string>, headers: Record<string, string> = { origin: LANDING_PUBLIC_URL }) {
  return app.request('/landing', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

/** The confirmation form as the browser would submit it, with the buyer's fields. */
async function formFor(query: string, fields: Record<string, string> = { email: 'it@fabrikam.example', name: 'Ada' }) {
  const res = await visit(query)
  expect(res.status).toBe(200)
  return { ...hiddenFields(await res.text()), ...fields }
}

describe('token from the landing URL', () => {
  it.each([
    ['?token=ab%2Bcd%2Fef%3D', 'ab+cd/ef='],
    ['?token=x%252By', 'x%2By'],
    ['?token=a+b', 'a+b'],
    ['?foo=1&token=abc&token=other', 'abc'],
  ])('%s is resolved as %s (decoded once, never as a form)', async (query, token) => {
    const res = await visit(query)
    expect(res.status).toBe(200)
    expect(marketplace.tokens).toEqual([token])
  })

  it('puts the decoded token in the form, and the POST resolves the same token', async () => {
    const form = await formFor('?token=ab%2Bcd%2Fef%3D')
    expect(form.token).toBe('ab+cd/ef=')
    expect((await post(form)).status).toBe(303)
    expect(marketplace.tokens).toEqual(['ab+cd/ef=', 'ab+cd/ef='])
  })

  it.each(['', '?token=', '?token=%20', '?token=%E0%A4%A', '?tokens=abc'])(
    '%s: 400 and nothing resolved',
    async (query) => {
      const res = await visit(query)
      expect(res.status).toBe(400)
      expect(await pageText(res)).toContain('This page needs your purchase link')
      expect(marketplace.tokens).toEqual([])
    },
  )
})

describe('a token Microsoft cannot have issued', () => {
  it.each(['?token=%E2%9C%93abc', '?token=ab%C3%A9', '?token=a%00b', '?token=a%20b'])(
    '%s: a clear 400 page, not "Microsoft isn’t answering", and nothing resolved',
    async (query) => {
      const res = await visit(query)
      expect(res.status).toBe(400)
      expect(await pageText(res)).toContain("We couldn't identify your purchase")
      expect(marketplace.tokens).toEqual([])
    },
  )

  it('posted: the same 400, nothing resolved or started', async () => {
    const form = {
      token: 'abc✓',
      form: await landingSigner.sign('form', { sub: SUBSCRIPTION_ID }),
      email: 'a@b.example',
    }
    const res = await post(form)
    expect(res.status).toBe(400)
    expect(await pageText(res)).toContain("We couldn't identify your purchase")
    expect(marketplace.tokens).toEqual([])
    expect(gateway.confirmed).toEqual([])
  })
})

describe('when the purchase cannot be shown', () => {
  const failures = [
    ['invalid or expired token', { kind: 'rejected', status: 400 }, 400, "We couldn't identify your purchase"],
    ['a token that cannot be sent', { kind: 'invalid-request' }, 400, "We couldn't identify your purchase"],
    ['bearer refused', { kind: 'rejected', status: 403 }, 404, "We couldn't find this purchase"],
    ['not found', { kind: 'rejected', status: 404 }, 404, "We couldn't find this purchase"],
    ['throttled', { kind: 'throttled', status: 429 }, 503, "Microsoft's marketplace isn't answering right now"],
    ['unavailable', { kind: 'unavailable', status: 503 }, 503, "Microsoft's marketplace isn't answering right now"],
    ['timeout', { kind: 'timeout' }, 503, "Microsoft's marketplace isn't answering right now"],
    ['network', { kind: 'network' }, 503, "Microsoft's marketplace isn't answering right now"],
  ] as const

  it.each(failures)('%s: its own page and status, nothing started', async (_, details, status, heading) => {
    marketplace.answer = new MarketplaceError('resolve failed', { operation: 'resolve', ...details })
    const res = await visit('?token=abc')
    expect(res.status).toBe(status)
    const page = await pageText(res)
    expect(page).toContain(heading)
    expect(page).not.toContain('<form')
    if (status === 503) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    if (status === 400) expect(page).toContain('"Configure account"')

    const form = {
      token: 'abc',
      form: await landingSigner.sign('form', { sub: SUBSCRIPTION_ID }),
      email: 'a@b.example',
    }
    const posted = await post(form)
    expect(posted.status).toBe(status)
    expect(gateway.confirmed).toEqual([])
  })

  it.each([
    ['Subscribed', 409, 'This subscription is already active'],
    ['Suspended', 409, 'This subscription is already active'],
    ['Unsubscribed', 410, 'This subscription has been cancelled'],
  ])('Microsoft says %s and there is no workflow: %i, nothing started', async (status, code, heading) => {
    marketplace.answer = resolvedPurchase({ status })
    const res = await visit('?token=abc')
    expect(res.status).toBe(code)
    expect(await pageText(res)).toContain(heading)
    const posted = await post({
      token: 'abc',
      form: await landingSigner.sign('form', { sub: SUBSCRIPTION_ID }),
      email: 'a@b.example',
    })
    expect(posted.status).toBe(code)
    expect(gateway.confirmed).toEqual([])
  })

  it('Temporal unreachable: 503, nothing started', async () => {
    gateway.failWith(new Error('connection refused'))
    const res = await visit('?token=abc')
    expect(res.status).toBe(503)
    expect(await pageText(res)).toContain("We can't reach our subscription service right now")
  })
})

describe('confirmation page', () => {
  it('shows offer, plan, seats and buyer, escaped, with the contact form and the sign-in note', async () => {
    const res = await visit('?token=abc')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const raw = await res.clone().text()
    expect(raw).toContain('offer-&lt;b&gt;')
    expect(raw).not.toContain('offer-<b>')
    const page = await pageText(res)
    for (const text of [
      'Contoso Cloud Solution',
      'silver',
      '20',
      'buyer@fabrikam.example',
      'purchasing@fabrikam.example',
    ]) {
      expect(page).toContain(text)
    }
    expect(page).toContain('Sign-in with Microsoft is not configured on this site')
    expect(page).toMatch(/<form class="card" method="post" action="\/landing">/)
    expect(page).toMatch(/<input\s+id="email"\s+name="email"\s+type="email"\s+required/)
    expect(gateway.confirmed).toEqual([])
  })

  it('says when the plan is not priced per seat', async () => {
    marketplace.answer = resolvedPurchase({ quantity: null })
    expect(await pageText(await visit('?token=abc'))).toContain('Not priced per seat')
  })
})

describe('confirming', () => {
  it('starts provisioning once with the resolved subscription and the buyer, then 303 to a signed status link', async () => {
    const res = await post(await formFor('?token=abc', { email: ' it@fabrikam.example ', name: 'Ada Lovelace' }))
    expect(res.status).toBe(303)
    expect(gateway.confirmed).toEqual([
      {
        subscription: factsOf(resolvedPurchase().subscription),
        buyer: { email: 'it@fabrikam.example', name: 'Ada Lovelace' },
      },
    ])
    const location = res.headers.get('location')!
    expect(location).toMatch(new RegExp(`^/landing/status/${SUBSCRIPTION_ID}\\?sig=`))
    const claims = decodeJwt(new URL(location, LANDING_PUBLIC_URL).searchParams.get('sig')!)
    expect(claims).toMatchObject({ sub: SUBSCRIPTION_ID, aud: 'landing:status' })
    expect(claims.exp! - claims.iat!).toBe(24 * 3600)

    gateway.views.set(SUBSCRIPTION_ID, viewOf(gateway.confirmed[0]!.subscription, 'provisioning'))
    const status = await app.request(location)
    expect(status.status).toBe(200)
    expect(await pageText(status)).toContain('Setting up your account')
  })

  it.each(['', 'not-an-email', 'a@', '@b.example'])(
    'email %j: 400, the form again with the error, nothing started',
    async (email) => {
      const res = await post(await formFor('?token=abc', { email, name: 'Ada' }))
      expect(res.status).toBe(400)
      const page = await pageText(res)
      expect(page).toContain('Enter a valid email address')
      expect(page).toContain('aria-invalid="true"')
      expect(page).toContain('value="Ada"')
      expect(hiddenFields(page).token).toBe('abc')
      expect(gateway.confirmed).toEqual([])
    },
  )

  it('refuses a cross-origin POST, and one without Origin or Sec-Fetch-Site', async () => {
    const form = await formFor('?token=abc')
    for (const headers of [{ origin: 'https://evil.example' }, {}, { 'sec-fetch-site': 'cross-site' }] as Record<
      string,
      string
    >[]) {
      const res = await post(form, headers)
      expect(res.status).toBe(403)
      expect(await pageText(res)).toContain('This request was refused')
    }
    expect(marketplace.tokens).toEqual(['abc'])
    expect(gateway.confirmed).toEqual([])
    expect((await post(form, { 'sec-fetch-site': 'same-origin' })).status).toBe(303)
  })

  it(`refuses a body over ${MAX_FORM_BYTES} bytes with 413, before reading it, and starts nothing`, async () => {
    const form = await formFor('?token=abc')
    const res = await post({ ...form, name: 'x'.repeat(MAX_FORM_BYTES) })
    expect(res.status).toBe(413)
    expect(await pageText(res)).toContain('This form was too large')
    // Also when the sender does not say how large it is (chunked): the limit counts what arrives.
    const chunked = await app.request('/landing', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: LANDING_PUBLIC_URL },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 64; i++) controller.enqueue(new TextEncoder().encode(`x${i}=${'y'.repeat(1024)}&`))
          controller.close()
        },
      }),
      duplex: 'half',
    })
    expect(chunked.status).toBe(413)
    expect(marketplace.tokens).toEqual(['abc'])
    expect(gateway.confirmed).toEqual([])
    // A real form is far below the limit.
    expect((await post(form)).status).toBe(303)
  })

  it('refuses a missing, tampered or foreign form token', async () => {
    const form = await formFor('?token=abc')
    const foreign = await landingSigner.sign('form', { sub: 'another-subscription' })
    const statusSig = await landingSigner.sign('status', { sub: SUBSCRIPTION_ID })
    for (const token of ['', `${form.form}x`, foreign, statusSig]) {
      const res = await post({ ...form, form: token })
      expect(res.status).toBe(400)
      expect(await pageText(res)).toContain('This form has expired')
    }
    expect(gateway.confirmed).toEqual([])
  })

  it('a closed workflow: 410; Temporal failing: 503', async () => {
    const form = await formFor('?token=abc')
    gateway.confirm = () => Promise.reject(new SubscriptionClosedError('closed'))
    expect((await post(form)).status).toBe(410)
    gateway.confirm = () => Promise.reject(new Error('deadline exceeded'))
    const res = await post(form)
    expect(res.status).toBe(503)
    expect(await pageText(res)).toContain('Nothing has been changed')
  })
})

describe('a subscription that already exists ("Manage account")', () => {
  const facts = factsOf(resolvedPurchase({ status: 'Subscribed' }).subscription)

  it('shows its status in buyer words and no form; POST does not confirm again', async () => {
    marketplace.answer = resolvedPurchase({ status: 'Subscribed' })
    const term = { termUnit: 'P1Y', startDate: '2025-01-01T00:00:00Z', endDate: '2025-12-31T00:00:00Z' }
    gateway.views.set(SUBSCRIPTION_ID, viewOf({ ...facts, term }, 'subscribed.idle'))
    const res = await visit('?token=abc')
    expect(res.status).toBe(200)
    const page = await pageText(res)
    for (const text of ['Your subscription is active', 'silver', '20', 'Active', '1 year, 2025-01-01 to 2025-12-31']) {
      expect(page).toContain(text)
    }
    expect(page).not.toContain('<form')
    expect(page).not.toContain('http-equiv="refresh"')

    const posted = await post({
      token: 'abc',
      form: await landingSigner.sign('form', { sub: SUBSCRIPTION_ID }),
      email: 'a@b.example',
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('location')).toMatch(/^\/landing\/status\//)
    expect(gateway.confirmed).toEqual([])
  })

  it('while it is being set up, links to the progress page', async () => {
    gateway.views.set(SUBSCRIPTION_ID, viewOf(facts, 'activating'))
    const page = await pageText(await visit('?token=abc'))
    expect(page).toContain('Activating your subscription with Microsoft')
    const href = /href="(\/landing\/status\/[^"]+)"/.exec(page)?.[1]
    expect((await app.request(href!)).status).toBe(200)
  })

  it('a workflow still waiting for the buyer gets the confirmation form', async () => {
    gateway.views.set(SUBSCRIPTION_ID, viewOf(factsOf(resolvedPurchase().subscription), 'awaitingBuyer'))
    expect((await post(await formFor('?token=abc'))).status).toBe(303)
    expect(gateway.confirmed).toHaveLength(1)
  })
})

describe('without sign-in configured', () => {
  it('has no sign-in routes', async () => {
    expect((await app.request('/landing/signin?returnTo=/landing')).status).toBe(404)
    expect((await app.request('/landing/callback?code=x&state=y')).status).toBe(404)
  })
})
