/**
 * What every Microsoft API route shares, in the order it runs: tracing headers (`x-ms-requestid` and
 * `x-ms-correlationid`, echoed or generated) and the journal entry; the bearer token (401 missing, 403
 * wrong); `api-version=2018-08-31` (400 otherwise); injected faults; then the handler. Errors are
 * answered in the shape of the API group (SaaS or metering).
 * @module
 */
import { randomUUID } from 'node:crypto'
import { Hono, type Context, type Handler, type MiddlewareHandler } from 'hono'
import type { ApiOperationId } from '../core/api-operations.ts'
import type { EmulatorCore } from '../core/emulator.ts'
import { badRequest, EmulatorRefusal } from '../core/errors.ts'
import { jsonBody } from './body.ts'

export const API_VERSION = '2018-08-31'

export type ApiEnv = { Variables: { subscriptionIds?: string[]; operationId?: string } }
type ErrorBody = (code: string, message: string) => unknown

export function createApiRouter(core: EmulatorCore, errorBody: ErrorBody) {
  const app = new Hono<ApiEnv>()

  app.onError((err, c) => {
    if (err instanceof EmulatorRefusal) return c.json(errorBody(err.code, err.message), err.status)
    core.logger.error({ err }, 'emulator API call failed')
    return c.json(errorBody('InternalServerError', 'An unexpected error occurred.'), 500)
  })

  const journal =
    (apiOperationId: ApiOperationId): MiddlewareHandler<ApiEnv> =>
    async (c, next) => {
      const requestId = c.req.header('x-ms-requestid') || randomUUID()
      const correlationId = c.req.header('x-ms-correlationid') || randomUUID()
      c.header('x-ms-requestid', requestId)
      c.header('x-ms-correlationid', correlationId)
      const body = c.req.method === 'GET' ? undefined : await jsonBody(c).catch(() => c.req.text())
      await next()
      const subscriptionId = c.req.param('subscriptionId')
      core.record({
        apiOperationId,
        method: c.req.method,
        path: c.req.path,
        subscriptionIds: c.get('subscriptionIds') ?? (subscriptionId ? [subscriptionId] : []),
        operationId: c.get('operationId') ?? c.req.param('operationId'),
        body,
        status: c.res.status,
        requestId,
        correlationId,
      })
    }

  const authenticate: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const result = await core.identity.authorize(c.req.header('authorization'))
    if (result.ok) return next()
    if (result.status === 401) c.header('WWW-Authenticate', 'Bearer')
    return c.json(errorBody(result.status === 401 ? 'Unauthorized' : 'Forbidden', result.message), result.status)
  }

  const apiVersion: MiddlewareHandler<ApiEnv> = async (c, next) => {
    const version = c.req.query('api-version')
    if (!version) throw badRequest('The api-version query parameter (?api-version=) is required for all requests.')
    if (version !== API_VERSION) {
      throw badRequest(`The api-version '${version}' is not supported. The supported version is '${API_VERSION}'.`)
    }
    await next()
  }

  const faults =
    (apiOperationId: ApiOperationId): MiddlewareHandler<ApiEnv> =>
    async (c, next) => {
      const fault = core.faults.forApi(apiOperationId)
      if (fault?.kind === '429') {
        c.header('Retry-After', String(fault.retryAfterSeconds))
        return c.json(errorBody('TooManyRequests', 'Too many requests: retry later.'), 429)
      }
      if (fault?.kind === '500') return c.json(errorBody('InternalServerError', 'Injected server error.'), 500)
      if (fault?.kind === 'slow' && !(await core.sleep(fault.delayMs))) {
        return c.json(errorBody('ServiceUnavailable', 'The emulator is stopping.'), 503)
      }
      await next()
      // The call took effect; the caller only learns that it failed, as when an answer is lost on the way.
      if (fault?.kind === 'lost')
        c.res = c.json(errorBody('InternalServerError', 'Injected: the answer was lost.'), 500)
    }

  /** Registers one operation of Microsoft's OpenAPI files. */
  function route<P extends string>(
    method: string,
    path: P,
    apiOperationId: ApiOperationId,
    handler: Handler<ApiEnv, P>,
  ) {
    app.on(method, path, journal(apiOperationId), authenticate, apiVersion, faults(apiOperationId), handler)
  }

  return { app, route }
}

/** The subscription ids a metering body mentions, for the journal. */
export function resourceIds(c: Context<ApiEnv>, events: unknown[]): void {
  const ids = events.flatMap((e) => {
    const id = typeof e === 'object' && e !== null ? (e as { resourceId?: unknown }).resourceId : undefined
    return typeof id === 'string' ? [id] : []
  })
  c.set('subscriptionIds', [...new Set(ids)])
}
