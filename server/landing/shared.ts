/**
 * What the landing page's routes share: their dependencies, the signer and cookies, sign-in when it is
 * configured, and how a notice or a status link is produced.
 * @module
 */
import type { Context } from 'hono'
import type { Logger } from '../../config/logger.ts'
import type { MarketplaceClient } from '../../marketplace/client/index.ts'
import type { SubscriptionsGateway } from '../subscriptions-gateway.ts'
import { send } from './layout.ts'
import { createOidc, type Oidc, type OidcSettings } from './oidc.ts'
import { noticePage, type Notice } from './pages.ts'
import { createCookies, type Cookies } from './session.ts'
import { createSigner, type Signer } from './signing.ts'

export interface LandingDeps {
  /** Resolve, with the client's in-request retries of transient failures. */
  marketplace: Pick<MarketplaceClient, 'resolve'>
  subscriptions: Pick<SubscriptionsGateway, 'get' | 'confirm'>
  /** Where buyers reach this server (`Config['http'].publicUrl`): the origin forms must come from. */
  publicUrl: string
  /** Signs status links, cookies and forms (`Config['landing'].sessionSecret`). */
  sessionSecret: string
  /** Microsoft Entra ID sign-in (`Config['landing'].oidc`); absent: buyers give a contact email instead. */
  oidc?: OidcSettings
  logger: Logger
}

export interface Shared {
  deps: LandingDeps
  logger: Logger
  publicUrl: string
  signer: Signer
  cookies: Cookies
  oidc?: Oidc
  /** Extra `form-action` sources: a form may be redirected to the sign-in provider. */
  formTargets: string[]
}

export function createShared(deps: LandingDeps): Shared {
  const publicUrl = deps.publicUrl.replace(/\/+$/, '')
  const signer = createSigner(deps.sessionSecret, new URL(publicUrl).origin)
  return {
    deps,
    logger: deps.logger.child({ component: 'landing' }),
    publicUrl,
    signer,
    cookies: createCookies(signer, publicUrl),
    oidc: deps.oidc && createOidc(deps.oidc, `${publicUrl}/landing/callback`),
    formTargets: deps.oidc ? [new URL(deps.oidc.issuer).origin] : [],
  }
}

export function sendNotice(shared: Shared, c: Context, notice: Notice) {
  if (notice.retryAfter) c.header('Retry-After', String(notice.retryAfter))
  return send(c, notice.status, noticePage(notice), shared.formTargets)
}

/** The buyer's progress page for a subscription: a signed link, valid for about a day. */
export async function statusLink(shared: Shared, subscriptionId: string): Promise<string> {
  const sig = await shared.signer.sign('status', { sub: subscriptionId })
  return `/landing/status/${encodeURIComponent(subscriptionId)}?sig=${sig}`
}

/** Where to send a buyer who must sign in first, coming back to `returnTo` afterwards. */
export function signInPath(returnTo: string, selectAccount = false): string {
  return `/landing/signin?returnTo=${encodeURIComponent(returnTo)}${selectAccount ? '&prompt=select_account' : ''}`
}
