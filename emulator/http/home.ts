/**
 * A one-page storefront for demos at `/`: the catalogue with a Buy button per plan (the browser is
 * redirected to the publisher's landing page, as after a real purchase) and the subscriptions with the
 * customer's actions. Everything it does is also in the driver API.
 * @module
 */
import { Hono } from 'hono'
import { EmulatorRefusal } from '../core/errors.ts'
import type { Marketplace } from '../core/marketplace.ts'

const ACTIONS = ['suspend', 'reinstate', 'renew', 'unsubscribe'] as const

const escape = (value: string | number | undefined) =>
  String(value ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

function page(m: Marketplace, message = ''): string {
  const plans = m.listOffers().flatMap((offer) =>
    offer.plans
      .filter((plan) => !plan.isStopSell)
      .map(
        (
          plan,
        ) => `<tr><td>${escape(offer.displayName)}</td><td>${escape(plan.displayName)} <small>(${escape(plan.planId)})</small></td>
<td>${escape(plan.description)}</td><td><form method="post" action="/buy">
<input type="hidden" name="offerId" value="${escape(offer.offerId)}"><input type="hidden" name="planId" value="${escape(plan.planId)}">
${plan.isPricePerSeat ? `<input name="quantity" type="number" value="${plan.minQuantity ?? 1}" min="${plan.minQuantity ?? 1}" max="${plan.maxQuantity ?? ''}" style="width:5em">` : ''}
<button>Buy</button></form></td></tr>`,
      ),
  )
  const subscriptions = m.listSubscriptions().map(
    (s) => `<tr><td><code>${escape(s.id)}</code></td><td>${escape(s.planId)}</td><td>${escape(s.quantity)}</td>
<td>${escape(s.saasSubscriptionStatus)}</td><td>${['landing', ...ACTIONS]
      .map(
        (a) =>
          `<form method="post" action="/ui/subscriptions/${escape(s.id)}/${a}" style="display:inline"><button>${a}</button></form>`,
      )
      .join(' ')}</td></tr>`,
  )
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Marketplace emulator</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>Microsoft commercial marketplace emulator</h1>${message ? `<p><strong>${escape(message)}</strong></p>` : ''}
<h2>Offers</h2><table><tr><th>Offer</th><th>Plan</th><th>Description</th><th></th></tr>${plans.join('')}</table>
<h2>Subscriptions</h2><table><tr><th>Id</th><th>Plan</th><th>Seats</th><th>Status</th><th>Customer actions</th></tr>${subscriptions.join('')}</table>
<p>Driver API: <code>/driver</code> (see emulator/README.md).</p></body></html>`
}

export function createHomeRoutes(marketplace: Marketplace) {
  const app = new Hono()
  app.onError((err, c) => {
    if (err instanceof EmulatorRefusal) return c.html(page(marketplace, err.message), err.status)
    throw err
  })

  app.get('/', (c) => c.html(page(marketplace)))

  app.post('/buy', async (c) => {
    const form = await c.req.parseBody()
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '')
    const quantity = field('quantity') === '' ? undefined : Number(field('quantity'))
    const purchase = marketplace.purchase({ offerId: field('offerId'), planId: field('planId'), quantity })
    return c.redirect(purchase.landingUrl, 303)
  })

  app.post('/ui/subscriptions/:id/:action', (c) => {
    const { id, action } = c.req.param()
    if (action === 'landing') return c.redirect(marketplace.openLanding(id).landingUrl, 303)
    const known = ACTIONS.find((a) => a === action)
    if (known) marketplace[known](id)
    return c.redirect('/', 303)
  })

  return app
}
