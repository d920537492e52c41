/**
 * The driver API under `/driver`: JSON over HTTP for every method of the `marketplace` object, so tests
 * in other processes and demos (curl) can buy, act as the customer, read the journal and steer faults.
 * No authentication: it is a local development tool. Input is validated by the core: a bad body is a
 * 400 naming the field, and nothing changes.
 * @module
 */
import { Hono, type Context } from 'hono'
import { badRequest, EmulatorRefusal } from '../core/errors.ts'
import type { OfferInput } from '../core/catalogue.ts'
import type { ActionOptions } from '../core/customer.ts'
import type { Marketplace, UsageOutcome } from '../core/marketplace.ts'
import { jsonBody } from './body.ts'

/** The body as the core's input type: the core validates it with zod before using any of it. */
async function input<T>(c: Context): Promise<T> {
  const body = (await jsonBody(c)) ?? {}
  if (typeof body !== 'object' || body === null) throw badRequest('The body must be a JSON object or array.')
  return body as T
}

export function createDriverRoutes(marketplace: Marketplace) {
  const app = new Hono()
  const m = marketplace

  app.onError((err, c) => {
    if (err instanceof EmulatorRefusal) return c.json({ error: { code: err.code, message: err.message } }, err.status)
    throw err
  })

  app.get('/offers', (c) => c.json(m.listOffers()))
  app.put('/offers', async (c) => c.json(m.setOffers(await input(c))))
  app.get('/offers/:offerId', (c) => c.json(m.getOffer(c.req.param('offerId'))))
  app.put('/offers/:offerId', async (c) => {
    const offer = await input<Partial<OfferInput>>(c)
    const offerId = c.req.param('offerId')
    if (offer.offerId !== undefined && offer.offerId !== offerId) throw badRequest('offerId differs from the URL.')
    return c.json(m.putOffer({ ...offer, offerId } as OfferInput))
  })
  app.delete('/offers/:offerId', (c) => {
    m.deleteOffer(c.req.param('offerId'))
    return c.body(null, 204)
  })

  app.post('/purchases', async (c) => c.json(m.purchase(await input(c)), 201))
  app.get('/subscriptions', (c) => c.json({ subscriptions: m.listSubscriptions() }))
  app.get('/subscriptions/:id', (c) => c.json(m.getSubscription(c.req.param('id'))))
  app.post('/subscriptions/:id/landing', (c) => c.json(m.openLanding(c.req.param('id'))))
  app.post('/subscriptions/:id/change-plan', async (c) => {
    const { planId, ...options } = await input<{ planId: string } & ActionOptions>(c)
    return c.json({ operation: m.changePlan(c.req.param('id'), planId, options) })
  })
  app.post('/subscriptions/:id/change-quantity', async (c) => {
    const { quantity, ...options } = await input<{ quantity: number } & ActionOptions>(c)
    return c.json({ operation: m.changeQuantity(c.req.param('id'), quantity, options) })
  })
  for (const action of ['suspend', 'reinstate', 'renew', 'unsubscribe', 'transfer'] as const) {
    app.post(`/subscriptions/:id/${action}`, async (c) =>
      c.json({ operation: m[action](c.req.param('id'), await input<ActionOptions>(c)) }),
    )
  }

  const subscriptionId = (c: Context) => c.req.query('subscriptionId')
  app.get('/journal', (c) =>
    c.json({ entries: m.journal({ subscriptionId: subscriptionId(c), kind: c.req.query('kind') }) }),
  )
  app.get('/webhooks', (c) => c.json({ deliveries: m.webhooks({ subscriptionId: subscriptionId(c) }) }))
  app.get('/usage', (c) => c.json({ usage: m.usage({ subscriptionId: subscriptionId(c) }) }))
  app.post('/usage/:usageEventId/outcome', async (c) =>
    c.json(m.settleUsage(c.req.param('usageEventId'), await input<UsageOutcome>(c))),
  )

  app.get('/faults', (c) => c.json(m.getFaults()))
  app.put('/faults', async (c) => c.json(m.setFaults(await input(c))))
  app.get('/config', (c) => c.json(m.getConfig()))
  app.put('/config', async (c) => c.json(m.configure(await input(c))))
  app.post('/clock', async (c) => c.json(m.advanceClock((await input<{ advanceMs: number }>(c)).advanceMs)))
  app.post('/reset', (c) => {
    m.reset()
    return c.body(null, 204)
  })

  return app
}
