/**
 * `GET /landing?token=…` shows the purchase (or the status of a subscription already set up);
 * `POST /landing` confirms it, which starts provisioning and activation.
 *
 * Both resolve the token with Microsoft themselves: the subscription id is never taken from the page.
 * A GET never starts anything; a POST starts something only after the token resolved to a purchase
 * still waiting to be set up, the form was valid and came from this site and this browser session.
 * @module
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { factsOf, type Buyer, type SubscriptionView } from '../../machines/subscription/index.ts'
import type { ResolvedSubscription } from '../../marketplace/schemas.ts'
import { SubscriptionClosedError } from '../subscriptions-gateway.ts'
import { send } from './layout.ts'
import { notices, resolveNotice } from './notices.ts'
import { confirmationPage, managePage, type Notice } from './pages.ts'
import type { SignedInBuyer } from './session.ts'
import { sendNotice, signInPath, statusLink, type Shared } from './shared.ts'
import { isResolvableToken, landingPathFor, tokenFromUrl } from './token.ts'

/**
 * The confirmation form is a token, a form token, an email and a name: a few KiB at most. A bigger body is
 * refused before it is read, so posts cannot fill the process's memory.
 */
export const MAX_FORM_BYTES = 8 * 1024

type Situation =
  | { kind: 'notice'; notice: Notice }
  | { kind: 'existing'; view: SubscriptionView }
  | { kind: 'confirmable'; resolved: ResolvedSubscription }

export function purchase(shared: Shared) {
  const { deps, logger, signer, cookies } = shared

  /** What this token leads to: an explanation, a subscription already set up, or a purchase to confirm. */
  async function situationOf(token: string): Promise<Situation> {
    let resolved: ResolvedSubscription
    try {
      resolved = await deps.marketplace.resolve(token)
    } catch (err) {
      const { notice, expected } = resolveNotice(err)
      logger[expected ? 'warn' : 'error']({ err, status: notice.status }, 'landing token not resolved')
      return { kind: 'notice', notice }
    }
    const log = logger.child({ subscriptionId: resolved.id })
    let view: SubscriptionView | undefined
    try {
      view = await deps.subscriptions.get(resolved.id)
    } catch (err) {
      log.error({ err }, 'subscription state not readable')
      return { kind: 'notice', notice: notices.serviceUnavailable }
    }
    // A workflow still waiting for the buyer (it learnt of the purchase from Microsoft first) is confirmed here.
    if (view && view.step !== 'awaitingBuyer') return { kind: 'existing', view }
    switch (resolved.subscription.saasSubscriptionStatus) {
      case 'PendingFulfillmentStart':
      case 'NotStarted':
        return { kind: 'confirmable', resolved }
      case 'Unsubscribed':
        return { kind: 'notice', notice: notices.cancelled }
      default:
        // Active at Microsoft but never set up through this service: starting over could provision it twice.
        log.warn(
          { status: resolved.subscription.saasSubscriptionStatus },
          'landing visit for a subscription active elsewhere',
        )
        return { kind: 'notice', notice: notices.alreadyActive(resolved.id) }
    }
  }

  async function showConfirmation(
    c: Context,
    status: 200 | 400,
    token: string,
    resolved: ResolvedSubscription,
    identity: SignedInBuyer | undefined,
    form?: { values: { email?: string; name?: string }; error: string },
  ) {
    const formToken = await signer.sign('form', { sub: resolved.id, sid: identity?.sid })
    const page = confirmationPage({
      resolved,
      token,
      formToken,
      identity,
      signInOff: !shared.oidc,
      switchAccountHref: shared.oidc ? signInPath(landingPathFor(token), true) : undefined,
      ...form,
    })
    return send(c, status, page, shared.formTargets)
  }

  /** Hono's origin check (`Origin` or `Sec-Fetch-Site`), answered with a page instead of a bare 403. */
  const checkOrigin = csrf({ origin: new URL(shared.publicUrl).origin })
  const sameSiteOnly: MiddlewareHandler = async function sameSiteOnly(c, next) {
    try {
      await checkOrigin(c, () => Promise.resolve())
    } catch (err) {
      if (!(err instanceof HTTPException) || err.status !== 403) throw err
      logger.warn({ origin: c.req.header('origin') }, 'cross-site confirmation refused')
      return sendNotice(shared, c, notices.crossSite)
    }
    await next()
  }

  const smallForm = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: (c) => {
      logger.warn({ contentLength: c.req.header('content-length') }, 'oversized confirmation refused')
      return sendNotice(shared, c, notices.formTooLarge)
    },
  })

  return new Hono()
    .get('/landing', async function showPurchase(c) {
      const token = tokenFromUrl(c.req.url)
      if (!token) return sendNotice(shared, c, notices.missingToken)
      // Not something Microsoft issues (and not sendable in Resolve's header): a clear 400, not "Microsoft is down".
      if (!isResolvableToken(token)) return sendNotice(shared, c, notices.invalidToken)
      const identity = shared.oidc ? await cookies.getSession(c) : undefined
      if (shared.oidc && !identity) return c.redirect(signInPath(landingPathFor(token)), 302)

      const situation = await situationOf(token)
      if (situation.kind === 'notice') return sendNotice(shared, c, situation.notice)
      if (situation.kind === 'existing') {
        const { view } = situation
        return send(c, 200, managePage(view, await statusLink(shared, view.id)), shared.formTargets)
      }
      return showConfirmation(c, 200, token, situation.resolved, identity)
    })

    .post('/landing', smallForm, sameSiteOnly, async function confirmPurchase(c) {
      const body: Record<string, unknown> = await c.req.parseBody().catch(() => ({}))
      const token = typeof body.token === 'string' && body.token.trim() ? body.token : undefined
      if (!token) return sendNotice(shared, c, notices.missingToken)
      // Not something Microsoft issues (and not sendable in Resolve's header): a clear 400, not "Microsoft is down".
      if (!isResolvableToken(token)) return sendNotice(shared, c, notices.invalidToken)
      const identity = shared.oidc ? await cookies.getSession(c) : undefined
      // The session ended while the form was open: sign in again, then back to the purchase page.
      if (shared.oidc && !identity) return c.redirect(signInPath(landingPathFor(token)), 303)

      // Issued for this purchase, in this session, recently: a form from elsewhere or from before is refused.
      const issued = await signer.verify('form', typeof body.form === 'string' ? body.form : undefined)
      const expired = notices.formExpired(landingPathFor(token))
      if (!issued || issued.sid !== identity?.sid) return sendNotice(shared, c, expired)

      const situation = await situationOf(token)
      if (situation.kind === 'notice') return sendNotice(shared, c, situation.notice)
      if (situation.kind === 'existing') return c.redirect(await statusLink(shared, situation.view.id), 303)
      const { resolved } = situation
      if (issued.sub !== resolved.id) return sendNotice(shared, c, expired)

      const form = formSchema(!identity?.email).safeParse(body)
      if (!form.success) {
        const values = { email: str(body.email), name: str(body.name) }
        const error = 'Enter a valid email address, like name@example.com.'
        return showConfirmation(c, 400, token, resolved, identity, { values, error })
      }
      const { email, name } = form.data
      const buyer: Buyer = identity
        ? {
            email: identity.email ?? email,
            name: identity.name,
            tenantId: identity.tenantId,
            objectId: identity.objectId,
          }
        : { email, name }

      const log = logger.child({ subscriptionId: resolved.id })
      try {
        await deps.subscriptions.confirm(factsOf(resolved.subscription), buyer)
      } catch (err) {
        if (err instanceof SubscriptionClosedError) return sendNotice(shared, c, notices.cancelled)
        log.error({ err }, 'confirmation not recorded')
        return sendNotice(shared, c, notices.serviceUnavailable)
      }
      log.info({ signedIn: !!identity, tenantId: identity?.tenantId }, 'buyer confirmed the purchase')
      return c.redirect(await statusLink(shared, resolved.id), 303)
    })
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

/** The contact email is required unless Microsoft sign-in already gave one. */
function formSchema(emailRequired: boolean) {
  const email = z.string().trim().max(254).pipe(z.email())
  return z.object({
    email: emailRequired ? email : email.optional().catch(undefined),
    // Only for the vendor's records: cut rather than refused.
    name: z
      .string()
      .optional()
      .transform((v) => v?.trim().slice(0, 200) || undefined),
  })
}
