/**
 * Every way a landing-page visit can end without the purchase page, in a buyer's words, with the HTTP
 * status that fits (Microsoft's own suggested wording for an expired token, see its Resolve docs).
 * @module
 */
import { isMarketplaceError } from '../../marketplace/client/index.ts'
import type { Notice } from './pages.ts'
import type { SignInFailure } from './oidc.ts'

const PORTALS = 'the Azure portal or the Microsoft 365 admin center'
const REOPEN = `Go back to ${PORTALS}, open your SaaS subscription and select "Configure account" (or "Manage account") again: you will get a fresh link.`

export const notices = {
  missingToken: {
    status: 400,
    heading: 'This page needs your purchase link',
    message: 'The address you opened does not contain the purchase token Microsoft adds to it.',
    next: REOPEN,
  },
  invalidToken: {
    status: 400,
    heading: "We couldn't identify your purchase",
    message: 'The link you followed has expired or is not valid. Links from Microsoft only work for a limited time.',
    next: REOPEN,
  },
  formTooLarge: {
    status: 413,
    heading: 'This form was too large',
    message: 'The confirmation we received was far larger than our form can be, so nothing has been set up.',
    next: `Open your SaaS subscription in ${PORTALS} and select "Configure account" to confirm from our page.`,
  },
  purchaseNotFound: {
    status: 404,
    heading: "We couldn't find this purchase",
    message: 'Microsoft does not know this purchase for our service. It may belong to another offer.',
    next: `Check that you opened the link from the subscription you bought, in ${PORTALS}. If it keeps happening, contact our support.`,
  },
  marketplaceUnavailable: {
    status: 503,
    retryAfter: 120,
    heading: "Microsoft's marketplace isn't answering right now",
    message: 'We could not check your purchase with Microsoft. Nothing has been set up and you have not been charged.',
    next: 'Please try again in a few minutes: reload this page.',
  },
  serviceUnavailable: {
    status: 503,
    retryAfter: 60,
    heading: "We can't reach our subscription service right now",
    message: 'We have a temporary problem on our side. Nothing has been changed and you have not been charged.',
    next: 'Please try again in a few minutes: reload this page.',
  },
  alreadyActive: (subscriptionId: string): Notice => ({
    status: 409,
    heading: 'This subscription is already active',
    message: 'It was activated before, so there is nothing to set up here.',
    next: `To manage it, use ${PORTALS}. If you cannot reach your account, contact our support and give them the subscription ID ${subscriptionId}.`,
  }),
  cancelled: {
    status: 410,
    heading: 'This subscription has been cancelled',
    message: 'A cancelled subscription cannot be set up again.',
    next: 'To use the service, buy a new subscription in Azure Marketplace or Microsoft AppSource.',
  },
  badStatusLink: {
    status: 403,
    heading: 'This link is not valid any more',
    message: 'Progress links work for 24 hours, exactly as we sent them.',
    next: `To see your subscription's status, open it in ${PORTALS} and select "Manage account".`,
  },
  unknownSubscription: {
    status: 404,
    heading: "We couldn't find this subscription",
    message: 'We have no record of it being set up.',
    next: `Open your SaaS subscription in ${PORTALS} and select "Configure account" to start again.`,
  },
  formExpired: (href: string): Notice => ({
    status: 400,
    heading: 'This form has expired',
    message:
      'For your security the confirmation form is only valid for a limited time, and only in the browser session that opened it. Nothing has been set up.',
    next: 'Open the purchase page again and confirm from there.',
    action: { href, label: 'Open the purchase page again' },
  }),
  crossSite: {
    status: 403,
    heading: 'This request was refused',
    message: 'The confirmation did not come from this site, so nothing has been set up.',
    next: `Open your SaaS subscription in ${PORTALS} and select "Configure account" to confirm from our page.`,
  },
  signInExpired: (href?: string): Notice => ({
    status: 400,
    heading: "Your sign-in couldn't be completed",
    message: 'The sign-in took too long, or it was started in another browser or tab.',
    next: href ? 'Please sign in again.' : REOPEN,
    action: href ? { href, label: 'Sign in again' } : undefined,
  }),
  signInFailed: (failure: SignInFailure, href: string): Notice =>
    failure === 'unavailable'
      ? {
          status: 503,
          retryAfter: 60,
          heading: "Microsoft sign-in isn't answering right now",
          message: 'We could not sign you in with Microsoft. Nothing has been set up.',
          next: 'Please try again in a few minutes.',
          action: { href, label: 'Try again' },
        }
      : {
          status: failure === 'refused' ? 403 : 400,
          heading: failure === 'refused' ? 'Sign-in was cancelled or refused' : "Your sign-in couldn't be completed",
          message:
            failure === 'refused'
              ? 'Microsoft did not sign you in, so we cannot set up your account yet.'
              : 'Microsoft sign-in sent back an answer we could not verify.',
          next: 'Sign in with the work or school account (or Microsoft account) you want to use for this subscription.',
          action: { href, label: 'Sign in again' },
        },
} satisfies Record<string, Notice | ((...args: never[]) => Notice)>

/**
 * What a failed Resolve means for the buyer (the client already retried what could be retried).
 * `expected` is false for answers that point at a fault of this service (401, an unreadable body, a bug):
 * the buyer still reads "try again later", and the log says it louder.
 */
export function resolveNotice(err: unknown): { notice: Notice; expected: boolean } {
  if (isMarketplaceError(err)) {
    // 400: Microsoft could not read the token; invalid-request: the token could not even be sent.
    if ((err.kind === 'rejected' && err.status === 400) || err.kind === 'invalid-request') {
      return { notice: notices.invalidToken, expected: true }
    }
    if (err.kind === 'rejected' && (err.status === 403 || err.status === 404)) {
      return { notice: notices.purchaseNotFound, expected: true }
    }
    if (['throttled', 'unavailable', 'timeout', 'network'].includes(err.kind)) {
      const fallback = notices.marketplaceUnavailable.retryAfter
      const retryAfter = Math.max(Math.ceil((err.retryAfterMs ?? 0) / 1000), fallback)
      return { notice: { ...notices.marketplaceUnavailable, retryAfter }, expected: true }
    }
  }
  return { notice: notices.marketplaceUnavailable, expected: false }
}
