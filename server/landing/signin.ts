/**
 * Buyer sign-in with Microsoft Entra ID, only when it is configured:
 *
 * - `GET /landing/signin?returnTo=…` starts the authorization code flow (PKCE S256, state, nonce kept in
 *   the short-lived signed sign-in cookie) and sends the browser to Microsoft;
 * - `GET /landing/callback` checks the answer against that cookie, exchanges the code, reads who signed in
 *   from the validated ID token, sets the session cookie (~1 h) and returns to `returnTo`.
 *
 * `returnTo` is only ever a path on this site, so neither route can send a buyer elsewhere.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { notices } from './notices.ts'
import { SignInError, type Oidc } from './oidc.ts'
import { sendNotice, signInPath, type Shared } from './shared.ts'
import { safeReturnPath } from './token.ts'

export function signIn(shared: Shared, oidc: Oidc) {
  const { cookies, logger, publicUrl } = shared

  return new Hono()
    .get('/landing/signin', async function startSignIn(c) {
      const returnTo = safeReturnPath(c.req.query('returnTo'), publicUrl) ?? '/landing'
      const selectAccount = c.req.query('prompt') === 'select_account'
      let started
      try {
        started = await oidc.start(returnTo, { selectAccount })
      } catch (err) {
        logger.error({ err }, 'sign-in provider not reachable')
        return sendNotice(shared, c, notices.signInFailed('unavailable', signInPath(returnTo)))
      }
      await cookies.setSignIn(c, started.pending)
      return c.redirect(started.url.href, 302)
    })

    .get('/landing/callback', async function finishSignIn(c) {
      const pending = await cookies.takeSignIn(c)
      if (!pending) {
        logger.warn('sign-in callback without a valid sign-in cookie')
        return sendNotice(shared, c, notices.signInExpired())
      }
      // The redirect URI as registered and sent, with Microsoft's answer: not the URL as a proxy passed it on.
      const callbackUrl = new URL(`${publicUrl}/landing/callback${new URL(c.req.url).search}`)
      let identity
      try {
        identity = await oidc.finish(callbackUrl, pending)
      } catch (err) {
        const failure = err instanceof SignInError ? err.failure : 'invalid'
        logger[failure === 'refused' ? 'info' : 'warn']({ err }, 'sign-in not completed')
        return sendNotice(shared, c, notices.signInFailed(failure, signInPath(pending.returnTo)))
      }
      await cookies.setSession(c, { sid: randomUUID(), ...identity })
      logger.info({ tenantId: identity.tenantId }, 'buyer signed in')
      return c.redirect(pending.returnTo, 303)
    })
}
