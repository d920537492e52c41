/**
 * `GET /landing/status/:subscriptionId?sig=…`: where a buyer follows the setup after confirming.
 *
 * The link is signed (see `statusLink`), so only the browser that confirmed, or whoever it was shared with,
 * sees the subscription, for about a day. While something is happening the page reloads itself every
 * 2 seconds (no JavaScript needed); with `Accept: application/json` the subscription's view is returned
 * as JSON instead, for a page that prefers to poll.
 * @module
 */
import { Hono, type Context } from 'hono'
import type { SubscriptionView } from '../../machines/subscription/index.ts'
import { send } from './layout.ts'
import { notices } from './notices.ts'
import { statusPage, type Notice } from './pages.ts'
import { sendNotice, type Shared } from './shared.ts'

export function progress(shared: Shared) {
  const { deps, logger, signer } = shared

  function refuse(c: Context, notice: Notice) {
    if (!wantsJson(c)) return sendNotice(shared, c, notice)
    if (notice.retryAfter) c.header('Retry-After', String(notice.retryAfter))
    c.header('Cache-Control', 'no-store')
    return c.json({ error: notice.heading }, notice.status as 403)
  }

  return new Hono().get('/landing/status/:subscriptionId', async function showProgress(c) {
    const subscriptionId = c.req.param('subscriptionId')
    const link = await signer.verify('status', c.req.query('sig'))
    if (!link || link.sub !== subscriptionId) return refuse(c, notices.badStatusLink)

    let view: SubscriptionView | undefined
    try {
      view = await deps.subscriptions.get(subscriptionId)
    } catch (err) {
      logger.error({ err, subscriptionId }, 'subscription state not readable')
      return refuse(c, notices.serviceUnavailable)
    }
    if (!view) return refuse(c, notices.unknownSubscription)

    if (wantsJson(c)) {
      c.header('Cache-Control', 'no-store')
      return c.json(view)
    }
    return send(c, 200, statusPage(view), shared.formTargets)
  })
}

function wantsJson(c: Context): boolean {
  return /\bapplication\/json\b/i.test(c.req.header('accept') ?? '')
}
