/**
 * The Marketplace Metering API routes, at the paths of `meteringapi.v1.json` under `/api`. Errors use the
 * metering spec's shapes (`{code, message, ...}`), not the SaaS API's `{error: {...}}`.
 * @module
 */
import type { EmulatorCore } from '../core/emulator.ts'
import { createApiRouter, resourceIds } from './api.ts'
import { jsonBody } from './body.ts'

export function createMeteringRoutes(core: EmulatorCore) {
  const { app, route } = createApiRouter(core, (code, message) => ({ code, message }))
  const { metering } = core

  route('POST', '/usageEvent', 'MeteringOperations_PostUsageEvent', async (c) => {
    const body = await jsonBody(c)
    resourceIds(c, [body])
    const answer = metering.postUsageEvent(body)
    return c.json(answer.body, answer.status)
  })

  route('POST', '/batchUsageEvent', 'MeteringOperations_PostBatchUsageEvent', async (c) => {
    const body = await jsonBody(c)
    const request = typeof body === 'object' && body !== null ? (body as { request?: unknown }).request : undefined
    resourceIds(c, Array.isArray(request) ? request : [])
    const answer = metering.postBatchUsageEvent(body)
    return c.json(answer.body, answer.status)
  })

  route('GET', '/usageEvents', 'MeteringOperations_GetUsageEvent', (c) => {
    const answer = metering.getUsageEvents(c.req.query())
    return c.json(answer.body, answer.status)
  })

  return app
}
