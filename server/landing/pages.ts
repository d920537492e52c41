/**
 * The landing page's pages: the purchase to confirm, the status of an existing subscription, the
 * progress after confirming, and one explanation page per thing that can go wrong. Each says what the
 * buyer can do next.
 * @module
 */
import { html } from 'hono/html'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import type { ResolvedSubscription } from '../../marketplace/schemas.ts'
import type { Html, Page } from './layout.ts'
import type { SignedInBuyer } from './session.ts'
import { progressOf, seatsWords, statusWords, termWords } from './words.ts'

export interface Notice {
  status: number
  heading: string
  message: string
  next?: string
  action?: { href: string; label: string }
  /** Seconds, for `Retry-After` on 503 pages. */
  retryAfter?: number
}

export function noticePage(n: Notice): Page {
  const tone = n.status >= 500 || n.status === 409 || n.status === 410 ? 'busy' : 'alert'
  return {
    title: n.heading,
    body: html`<div class="card ${tone}" role="${n.status >= 400 ? 'alert' : 'status'}">
      <h1>${n.heading}</h1>
      <p>${n.message}</p>
      ${n.next ? html`<p>${n.next}</p>` : ''}
      ${n.action ? html`<a class="button" href="${n.action.href}">${n.action.label}</a>` : ''}
    </div>`,
  }
}

function rows(pairs: [string, string | undefined][]): Html {
  return html`<dl>
    ${pairs
      .filter(([, v]) => v !== undefined && v !== '')
      .map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
  </dl>`
}

export interface ConfirmationInput {
  resolved: ResolvedSubscription
  token: string
  formToken: string
  /** Sign-in is on and this buyer signed in; absent when sign-in is off. */
  identity?: SignedInBuyer
  signInOff: boolean
  switchAccountHref?: string
  values?: { email?: string; name?: string }
  error?: string
}

export function confirmationPage(input: ConfirmationInput): Page {
  const { resolved, identity } = input
  const s = resolved.subscription
  const askEmail = !identity?.email
  const email = input.values?.email ?? identity?.email ?? s.beneficiary?.emailId ?? ''
  const purchaser = s.purchaser?.emailId !== s.beneficiary?.emailId ? s.purchaser?.emailId : undefined
  const errorId = 'email-error'
  return {
    title: 'Confirm your subscription',
    body: html`<h1>Confirm your subscription</h1>
      <p>
        You bought the following on the Microsoft commercial marketplace. Check the details and confirm to set up your
        account.
      </p>
      <div class="card">
        ${rows([
          ['Subscription', resolved.subscriptionName ?? s.name],
          ['Offer', resolved.offerId || s.offerId],
          ['Plan', resolved.planId || s.planId],
          ['Seats', seatsWords(resolved.quantity ?? s.quantity)],
          ['For', s.beneficiary?.emailId],
          ['Bought by', purchaser],
          ['Free trial', s.isFreeTrial ? 'Yes' : undefined],
        ])}
        ${s.isTest ? html`<p class="note">This is a test purchase.</p>` : ''}
      </div>
      <form class="card" method="post" action="/landing">
        <input type="hidden" name="token" value="${input.token}" />
        <input type="hidden" name="form" value="${input.formToken}" />
        ${
          identity
            ? html`<p>
                Signed in with Microsoft as
                <strong>${identity.name ?? identity.email ?? identity.subject}</strong>
                ${identity.email && identity.name ? html` (${identity.email})` : ''}.
                ${input.switchAccountHref ? html`<a href="${input.switchAccountHref}">Use another account</a>` : ''}
              </p>`
            : ''
        }
        ${input.signInOff ? html`<p class="note">Sign-in with Microsoft is not configured on this site, so we ask for a contact email instead.</p>` : ''}
        ${
          askEmail
            ? html`<label for="email">Contact email</label>
                <input
                  id="email"
                  name="email"
                  type="email"
                  required
                  autocomplete="email"
                  value="${email}"
                  ${input.error ? html`aria-invalid="true" aria-describedby="${errorId}"` : ''}
                />
                ${input.error ? html`<p id="${errorId}" class="error" role="alert">${input.error}</p>` : ''}
                ${
                  input.signInOff
                    ? html`<label for="name">Your name <span class="note">(optional)</span></label>
                        <input
                          id="name"
                          name="name"
                          type="text"
                          autocomplete="name"
                          maxlength="200"
                          value="${input.values?.name ?? ''}"
                        />`
                    : ''
                }`
            : ''
        }
        <p class="note">Billing starts only once your account is set up and Microsoft activates the subscription.</p>
        <button type="submit">Confirm and set up my account</button>
      </form>`,
  }
}

function summary(view: SubscriptionView): Html {
  return rows([
    ['Subscription', view.name],
    ['Offer', view.offerId],
    ['Plan', view.planId],
    ['Seats', seatsWords(view.quantity)],
    ['Status', statusWords(view.saasSubscriptionStatus)],
    ['Term', termWords(view.term, view.autoRenew)],
    ['Subscription ID', view.id],
  ])
}

function toneOf(phase: ReturnType<typeof progressOf>['phase']) {
  return phase === 'failed' ? 'alert' : phase === 'working' ? 'busy' : 'ok'
}

/** A subscription this service already knows ("Manage account"): its status, no form. */
export function managePage(view: SubscriptionView, progressHref?: string): Page {
  const p = progressOf(view)
  return {
    title: p.heading,
    body: html`<div class="card ${toneOf(p.phase)}" role="status">
        <h1>${p.heading}</h1>
        <p>${p.message}</p>
        <p>${p.next}</p>
        ${progressHref && p.phase !== 'settled' ? html`<a class="button" href="${progressHref}">Follow the progress</a>` : ''}
      </div>
      <div class="card">${summary(view)}</div>`,
  }
}

/** After confirming: refreshes every 2 s while in progress, every 30 s after a failure (an operator may retry). */
export function statusPage(view: SubscriptionView): Page {
  const p = progressOf(view)
  const refresh = p.phase === 'working' ? 2 : p.phase === 'failed' ? 30 : undefined
  return {
    title: p.heading,
    refresh,
    body: html`<div class="card ${toneOf(p.phase)}" role="status" aria-live="polite">
        <h1>${p.heading}</h1>
        <p>${p.message}</p>
        <p>${p.next}</p>
      </div>
      <div class="card">${summary(view)}</div>`,
  }
}
