import { afterEach, describe, expect, it } from 'vitest'
import { createLogger, silentLogger } from '../../config/logger.ts'
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '../../test/support/oidc-provider.ts'
import { CookieJar, LANDING_PUBLIC_URL, hiddenFields, landingUnderTest } from '../../test/support/landing-fakes.ts'

const CLIENT = { clientId: 'landing-app', clientSecret: 'landing-app-secret' }
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const USER = {
  sub: 'pairwise-subject',
  name: 'Ada Lovelace',
  preferred_username: 'ada@fabrikam.example',
  tid: TENANT,
  oid: '00000000-0000-4000-8000-0000000000ad',
}

let provider: FakeProvider | undefined
afterEach(() => provider?.close())

async function setUp(options: Partial<FakeProviderOptions> = {}, issuer?: string) {
  provider = await startFakeProvider({ ...CLIENT, user: USER, ...options })
  const { marketplace, gateway, app } = landingUnderTest({
    oidc: { ...CLIENT, issuer: issuer ?? provider.issuer, fetch: provider.fetch },
    logger: process.env.DEBUG_LANDING ? createLogger('debug') : silentLogger,
  })
  const jar = new CookieJar()
  const get = async (path: string) => {
    const res = await app.request(path, { headers: { cookie: jar.header() } })
    jar.take(res)
    return res
  }
  return { provider, marketplace, gateway, app, jar, get }
}

type Setup = Awaited<ReturnType<typeof setUp>>

/** The browser's trip: landing → sign-in → provider → back to the callback (not followed further). */
async function signInUpTo(s: Setup, landingPath = '/landing?token=ab%2Bcd') {
  const first = await s.get(landingPath)
  expect(first.status).toBe(302)
  const signin = first.headers.get('location')!
  expect(signin).toBe(`/landing/signin?returnTo=${encodeURIComponent(landingPath)}`)
  const toProvider = await s.get(signin)
  expect(toProvider.status).toBe(302)
  const authorize = toProvider.headers.get('location')!
  const back = await s.provider.fetch(authorize, { redirect: 'manual' })
  expect(back.status).toBe(302)
  const callback = new URL(back.headers.get('location')!)
  expect(callback.origin + callback.pathname).toBe(`${LANDING_PUBLIC_URL}/landing/callback`)
  return { authorize: new URL(authorize), callback }
}

describe('sign-in with an OpenID provider', () => {
  it('redirect → callback → session → confirmation page → confirm with the signed-in buyer', async () => {
    const s = await setUp()
    const { authorize, callback } = await signInUpTo(s)
    expect(authorize.searchParams.get('scope')).toBe('openid profile email')
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${LANDING_PUBLIC_URL}/landing/callback`)
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    expect([...s.jar.cookies.keys()]).toEqual(['__Host-landing_signin'])

    const done = await s.get(callback.pathname + callback.search)
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/landing?token=ab%2Bcd')
    expect(done.headers.getSetCookie().join('\n')).toMatch(
      /__Host-landing_session=[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax/,
    )
    expect([...s.jar.cookies.keys()]).toEqual(['__Host-landing_session'])
    // The verifier reached the token endpoint, and only there.
    expect(s.provider.tokenRequests[0]?.get('code_verifier')).toBeTruthy()
    expect(authorize.searchParams.get('code_verifier')).toBeNull()

    const page = await s.get('/landing?token=ab%2Bcd')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Signed in with Microsoft as')
    expect(html).toContain('Ada Lovelace')
    expect(html).not.toContain('Sign-in with Microsoft is not configured')
    expect(html).not.toContain('name="email"')
    expect(s.marketplace.tokens).toEqual(['ab+cd'])

    const confirm = await s.app.request('/landing', {
      method: 'POST',
      headers: {
        origin: LANDING_PUBLIC_URL,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: s.jar.header(),
      },
      body: new URLSearchParams(hiddenFields(html)).toString(),
    })
    expect(confirm.status).toBe(303)
    expect(s.gateway.confirmed.map((c) => c.buyer)).toEqual([
      { email: 'ada@fabrikam.example', name: 'Ada Lovelace', tenantId: TENANT, objectId: USER.oid },
    ])
  })

  it('asks for a contact email when Microsoft gave none, and keeps the tenant and object ids', async () => {
    const s = await setUp({ user: { sub: 'x', name: 'No Mail', tid: TENANT, oid: USER.oid } })
    const { callback } = await signInUpTo(s)
    await s.get(callback.pathname + callback.search)
    const html = await (await s.get('/landing?token=ab%2Bcd')).text()
    expect(html).toContain('name="email"')
    const res = await s.app.request('/landing', {
      method: 'POST',
      headers: {
        origin: LANDING_PUBLIC_URL,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: s.jar.header(),
      },
      body: new URLSearchParams({ ...hiddenFields(html), email: 'ops@fabrikam.example' }).toString(),
    })
    expect(res.status).toBe(303)
    expect(s.gateway.confirmed[0]?.buyer).toEqual({
      email: 'ops@fabrikam.example',
      name: 'No Mail',
      tenantId: TENANT,
      objectId: USER.oid,
    })
  })

  it('a visit without a token gets its 400 page, not a sign-in', async () => {
    const s = await setUp()
    expect((await s.get('/landing')).status).toBe(400)
  })

  it('a form from another session is refused', async () => {
    const s = await setUp()
    const { callback } = await signInUpTo(s)
    await s.get(callback.pathname + callback.search)
    const html = await (await s.get('/landing?token=abc')).text()
    const other = new CookieJar()
    const again = await setUpSession(s, other)
    const res = await s.app.request('/landing', {
      method: 'POST',
      headers: { origin: LANDING_PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded', cookie: again },
      body: new URLSearchParams(hiddenFields(html)).toString(),
    })
    expect(res.status).toBe(400)
    expect(s.gateway.confirmed).toEqual([])
  })

  it('a tampered sign-in cookie is refused, and no session is set', async () => {
    const s = await setUp()
    const { callback } = await signInUpTo(s)
    const value = s.jar.cookies.get('__Host-landing_signin')!
    s.jar.cookies.set('__Host-landing_signin', value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA'))
    const res = await s.get(callback.pathname + callback.search)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('sign-in couldn&#39;t be completed')
    expect(s.jar.cookies.has('__Host-landing_session')).toBe(false)
    expect(s.provider.tokenRequests).toEqual([])
  })

  it('a callback without the sign-in cookie is refused', async () => {
    const s = await setUp()
    const { callback } = await signInUpTo(s)
    const res = await s.app.request(callback.pathname + callback.search)
    expect(res.status).toBe(400)
    expect(res.headers.getSetCookie().join()).not.toContain('landing_session')
  })

  it('a tampered state is refused before any code exchange', async () => {
    const s = await setUp()
    const { callback } = await signInUpTo(s)
    callback.searchParams.set('state', 'forged-state')
    const res = await s.get(callback.pathname + callback.search)
    expect(res.status).toBe(400)
    expect(s.jar.cookies.has('__Host-landing_session')).toBe(false)
    expect(s.provider.tokenRequests).toEqual([])
  })

  it('the buyer cancelling at the provider gets a page to sign in again', async () => {
    const s = await setUp({ deny: true })
    const { callback } = await signInUpTo(s)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    const res = await s.get(callback.pathname + callback.search)
    expect(res.status).toBe(403)
    const html = await res.text()
    expect(html).toContain('Sign-in was cancelled or refused')
    expect(html).toContain(`href="/landing/signin?returnTo=${encodeURIComponent('/landing?token=ab%2Bcd')}"`)
  })

  it('only same-origin paths are returned to', async () => {
    const s = await setUp()
    for (const returnTo of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '/.//evil.example',
      'landing',
    ]) {
      const done = await completeSignIn(s, returnTo, new CookieJar())
      expect(done.status).toBe(303)
      expect(done.headers.get('location')).toBe('/landing')
    }
    const kept = await completeSignIn(s, '/landing?token=a%2Bb', new CookieJar())
    expect(kept.headers.get('location')).toBe('/landing?token=a%2Bb')
  })

  it('the provider unreachable: 503 page', async () => {
    const s = await setUp({}, 'http://127.0.0.1:9/v2.0')
    const res = await s.get('/landing/signin?returnTo=%2Flanding%3Ftoken%3Dx')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('60')
  })
})

describe('Microsoft Entra ID multi-tenant issuer', () => {
  const ENTRA = 'https://login.microsoftonline.com'
  const entra: Partial<FakeProviderOptions> = {
    advertisedBase: ENTRA,
    issuerPath: '/organizations/v2.0',
    discoveryIssuer: (base) => `${base}/{tenantid}/v2.0`,
    // As Entra does: each ID token names the issuer of the tenant that signed the user in.
    tokenIssuer: (base, user) => `${base}/${String(user.tid)}/v2.0`,
  }

  it('accepts an ID token from the buyer tenant issuer', async () => {
    const s = await setUp(entra)
    expect(s.provider.issuer).toBe(`${ENTRA}/organizations/v2.0`)
    const { authorize, callback } = await signInUpTo(s)
    expect(authorize.origin).toBe(ENTRA)
    const done = await s.get(callback.pathname + callback.search)
    expect(done.status).toBe(303)
    expect(s.jar.cookies.has('__Host-landing_session')).toBe(true)
    expect(await (await s.get('/landing?token=ab%2Bcd')).text()).toContain('Ada Lovelace')
  })

  it('refuses an ID token whose issuer is not its own tenant', async () => {
    const s = await setUp({ ...entra, tokenIssuer: (base) => `${base}/00000000-0000-0000-0000-000000000bad/v2.0` })
    const { callback } = await signInUpTo(s)
    const res = await s.get(callback.pathname + callback.search)
    expect(res.status).toBe(400)
    expect(s.jar.cookies.has('__Host-landing_session')).toBe(false)
  })
})

/** A whole sign-in in a browser of its own (its jar), returning to `returnTo`; the callback's response. */
async function completeSignIn(s: Setup, returnTo: string, jar: CookieJar): Promise<Response> {
  const start = await s.app.request(`/landing/signin?returnTo=${encodeURIComponent(returnTo)}`)
  jar.take(start)
  const back = new URL(
    (await s.provider.fetch(start.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!,
  )
  const done = await s.app.request(back.pathname + back.search, { headers: { cookie: jar.header() } })
  jar.take(done)
  return done
}

/** Signs in a second browser and returns its cookie header. */
async function setUpSession(s: Setup, jar: CookieJar): Promise<string> {
  await completeSignIn(s, '/landing', jar)
  expect(jar.cookies.has('__Host-landing_session')).toBe(true)
  return jar.header()
}
