/**
 * Test support: fakes of what the landing page calls (Resolve and the subscriptions gateway), recording
 * their calls, the landing page built on them, a purchase as Microsoft resolves it, signed status links,
 * and a small cookie jar for `app.request()`.
 * @module
 */
import { silentLogger } from '../../config/logger.ts'
import type { Buyer, SubscriptionFacts, SubscriptionView } from '../../machines/subscription/index.ts'
import { resolvedSubscriptionSchema, type ResolvedSubscription } from '../../marketplace/schemas.ts'
import { landing, type LandingDeps } from '../../server/landing/index.ts'
import { createSigner } from '../../server/landing/signing.ts'

export const SUBSCRIPTION_ID = '37f9dea2-4345-438f-b0bd-03d40d28c7e0'

/** A purchase as Resolve returns it (parsed by the real schema), waiting to be set up unless told otherwise. */
export function resolvedPurchase(overrides: { status?: string; quantity?: number | null } = {}): ResolvedSubscription {
  return resolvedSubscriptionSchema.parse({
    id: SUBSCRIPTION_ID,
    subscriptionName: 'Contoso Cloud Solution',
    offerId: 'offer-<b>',
    planId: 'silver',
    quantity: overrides.quantity === undefined ? 20 : overrides.quantity,
    subscription: {
      id: SUBSCRIPTION_ID,
      publisherId: 'contoso',
      offerId: 'offer-<b>',
      name: 'Contoso Cloud Solution',
      saasSubscriptionStatus: overrides.status ?? 'PendingFulfillmentStart',
      beneficiary: { emailId: 'buyer@fabrikam.example', objectId: 'o-1', tenantId: 't-1', puid: null },
      purchaser: { emailId: 'purchasing@fabrikam.example', objectId: 'o-2', tenantId: 't-1', puid: null },
      planId: 'silver',
      quantity: overrides.quantity === undefined ? 20 : overrides.quantity,
      term: { termUnit: 'P1M', startDate: null, endDate: null },
      autoRenew: true,
      isTest: false,
      isFreeTrial: false,
      allowedCustomerOperations: ['Read', 'Update', 'Delete'],
      sandboxType: 'None',
      sessionMode: 'None',
    },
  })
}

export function fakeMarketplace(answer: ResolvedSubscription | Error = resolvedPurchase()) {
  const tokens: string[] = []
  return {
    tokens,
    answer,
    resolve(token: string): Promise<ResolvedSubscription> {
      tokens.push(token)
      return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer)
    },
  }
}

export function fakeGateway() {
  const views = new Map<string, SubscriptionView>()
  const confirmed: { subscription: SubscriptionFacts; buyer: Buyer }[] = []
  let failure: Error | undefined
  return {
    views,
    confirmed,
    /** The next calls fail with this error (Temporal down, closed workflow). */
    failWith(err: Error | undefined) {
      failure = err
    },
    get(subscriptionId: string): Promise<SubscriptionView | undefined> {
      if (failure) return Promise.reject(failure)
      return Promise.resolve(views.get(subscriptionId))
    },
    confirm(subscription: SubscriptionFacts, buyer: Buyer): Promise<void> {
      if (failure) return Promise.reject(failure)
      confirmed.push({ subscription, buyer })
      return Promise.resolve()
    },
  }
}

export function viewOf(
  facts: SubscriptionFacts,
  step: string,
  extra: Partial<SubscriptionView> = {},
): SubscriptionView {
  return { ...facts, step, recentRequests: [], ...extra }
}

/** Keeps the cookies a response sets, and sends them back. */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  take(res: Response): this {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (!value || /max-age=0/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return this
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

/** The hidden form fields of a confirmation page. */
export function hiddenFields(page: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[m[1]!] = decodeEntities(m[2]!)
  }
  return fields
}

/** A page's text as a buyer reads it (HTML entities decoded). */
export async function pageText(res: Response): Promise<string> {
  return decodeEntities(await res.text())
}

function decodeEntities(html: string): string {
  return html
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
}

export const LANDING_PUBLIC_URL = 'https://saas.contoso.example'
export const LANDING_SECRET = 'a-session-secret-of-at-least-32-characters'

/** The landing page on the fakes above, without sign-in unless `options.oidc` says otherwise. */
export function landingUnderTest(options: Pick<Partial<LandingDeps>, 'oidc' | 'logger'> = {}) {
  const marketplace = fakeMarketplace()
  const gateway = fakeGateway()
  const app = landing({
    marketplace,
    subscriptions: gateway,
    publicUrl: LANDING_PUBLIC_URL,
    sessionSecret: LANDING_SECRET,
    logger: silentLogger,
    ...options,
  })
  return { marketplace, gateway, app }
}

/** Signs status links and forms as the landing page under test does. */

export const landingSigner = createSigner(LANDING_SECRET, LANDING_PUBLIC_URL)

/** A signed link to a subscription's progress page. */
export const statusPath = async (id = SUBSCRIPTION_ID) =>
  `/landing/status/${id}?sig=${await landingSigner.sign('status', { sub: id })}`
