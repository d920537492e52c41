/**
 * The buyer landing page: where Microsoft sends a buyer with `?token=…` after a purchase ("Configure
 * account") or later ("Manage account").
 *
 * Routes:
 * - `GET /landing?token=…`: resolves the token with Microsoft and shows the purchase to confirm, or the
 *   status of a subscription this service already has; every failure is its own page with its own status
 *   (400 invalid or expired token, 404 unknown purchase, 409 already active, 410 cancelled, 503 Microsoft
 *   or this service unavailable). Nothing is started by a GET.
 * - `POST /landing`: the confirmation (same-origin, signed form, valid contact email); starts provisioning
 *   and activation, then 303 to the progress page.
 * - `GET /landing/status/:subscriptionId?sig=…`: progress, from a signed link (HTML or JSON).
 * - `GET /landing/signin`, `GET /landing/callback`: Microsoft Entra ID sign-in, only when configured.
 *   Without it buyers give a contact email and the page says sign-in is off.
 * @module
 */
import { Hono } from 'hono'
import { notices } from './notices.ts'
import { progress } from './progress.ts'
import { purchase } from './purchase.ts'
import { createShared, sendNotice, type LandingDeps } from './shared.ts'
import { signIn } from './signin.ts'

export type { LandingDeps }

export function landing(deps: LandingDeps) {
  const shared = createShared(deps)
  const app = new Hono()
  // A buyer never gets a bare JSON 500: whatever broke, they read what to do.
  app.onError(function explainFailure(err, c) {
    shared.logger.error({ err, path: c.req.path }, 'landing page failed')
    return sendNotice(shared, c, notices.serviceUnavailable)
  })
  app.route('/', purchase(shared))
  app.route('/', progress(shared))
  if (shared.oidc) app.route('/', signIn(shared, shared.oidc))
  return app
}
