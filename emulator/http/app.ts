/**
 * The emulator's HTTP surface: Microsoft's APIs under `/api`, the Entra look-alike under `/identity`,
 * the driver under `/driver`, and the demo storefront at `/`.
 * @module
 */
import { Hono } from 'hono'
import type { EmulatorCore } from '../core/emulator.ts'
import { createIdentityRoutes } from '../identity/routes.ts'
import { createDriverRoutes } from './driver-routes.ts'
import { createHomeRoutes } from './home.ts'
import { createMeteringRoutes } from './metering-routes.ts'
import { createSaasRoutes } from './saas-routes.ts'

export function createApp(core: EmulatorCore, baseUrl: () => string): Hono {
  const app = new Hono()
  app.route(
    '/api/saas',
    createSaasRoutes(core, () => `${baseUrl()}/api`),
  )
  app.route('/api', createMeteringRoutes(core))
  app.route('/identity', createIdentityRoutes(core.identity))
  app.route('/driver', createDriverRoutes(core.marketplace))
  app.route('/', createHomeRoutes(core.marketplace))
  app.notFound((c) =>
    c.json({ error: { code: 'NotFound', message: `Nothing at ${c.req.method} ${c.req.path}.` } }, 404),
  )
  app.onError((err, c) => {
    core.logger.error({ err }, 'emulator request failed')
    return c.json({ error: { code: 'InternalServerError', message: 'An unexpected error occurred.' } }, 500)
  })
  return app
}
