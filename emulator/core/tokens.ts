/**
 * Purchase (marketplace) tokens: what Microsoft appends to the landing page URL and Resolve exchanges for
 * the subscription. Opaque base64 that always contains `+`, `/` and `=`, so a landing page that decodes
 * the query value twice, or form-decodes `+` into a space, fails visibly instead of by luck.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { badRequest } from './errors.ts'
import type { CoreContext } from './context.ts'

export interface LandingToken {
  token: string
  /** `${landingPageUrl}?token=${encodeURIComponent(token)}`: what the customer's browser opens. */
  landingUrl: string
  expiresAt: string
}

function opaqueToken(): string {
  for (;;) {
    // 64 bytes: 86 base64 characters and a `==` tail; about half of them contain both `+` and `/`.
    const token = randomBytes(64).toString('base64')
    if (token.includes('+') && token.includes('/')) return token
  }
}

export function issueToken(ctx: CoreContext, subscriptionId: string): LandingToken {
  const token = opaqueToken()
  const expiresAt = ctx.clock.iso(ctx.clock.now() + ctx.config.purchaseTokenTtlMs)
  ctx.state.purchaseTokens[token] = { subscriptionId, expiresAt }
  ctx.changed()
  const landingPage = new URL(ctx.config.landingPageUrl)
  landingPage.search += `${landingPage.search ? '&' : '?'}token=${encodeURIComponent(token)}`
  return { token, landingUrl: landingPage.href, expiresAt }
}

/** The subscription a token was issued for; a missing, unknown or expired token is a 400 as Microsoft answers. */
export function redeemToken(ctx: CoreContext, token: string | undefined): string {
  if (!token) throw badRequest('The x-ms-marketplace-token header is required.')
  const entry = Object.hasOwn(ctx.state.purchaseTokens, token) ? ctx.state.purchaseTokens[token] : undefined
  if (!entry) throw badRequest('The marketplace token is malformed or invalid.', 'InvalidValue')
  if (Date.parse(entry.expiresAt) <= ctx.clock.now()) {
    throw badRequest('The marketplace token has expired. Open the subscription again to get a new one.', 'InvalidValue')
  }
  return entry.subscriptionId
}
