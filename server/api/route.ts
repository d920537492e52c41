/**
 * What every `/api` route shares: the bearer guard, its OpenAPI security requirement, and the error
 * responses it documents.
 * @module
 */
import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { AuthEnv } from './auth.ts'
import { errorSchema } from './schemas.ts'

export type ApiEnv = AuthEnv

/** Dependencies every route module receives from `api()`. */
export interface RouteDeps {
  auth: MiddlewareHandler<ApiEnv>
}

export const BEARER = 'bearer'

type ErrorStatus = 400 | 401 | 404 | 409 | 410 | 503

const ERRORS: Record<ErrorStatus, string> = {
  400: 'Invalid input (`details` holds the validation issues); nothing was done.',
  401: 'Missing or invalid bearer token.',
  404: 'No such subscription.',
  409: 'Refused: not possible in the current state, or Microsoft did not apply it.',
  410: 'The subscription is closed (Unsubscribed).',
  503: 'Temporal (or Entra ID) is unavailable; retry later.',
}

/** The documented error responses of a route, all with the `Error` body. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const content = { 'application/json': { schema: errorSchema } }
  return Object.fromEntries(statuses.map((s) => [s, { description: ERRORS[s], content }])) as {
    [K in S]: { description: string; content: typeof content }
  }
}

export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

/** A route behind the bearer guard; 401 and 503 are implied for all of them. */
export function securedRoute<R extends RouteConfig>(route: R, auth: MiddlewareHandler<ApiEnv>) {
  return createRoute({
    ...route,
    security: [{ [BEARER]: [] }],
    middleware: [auth] as const,
    responses: { ...route.responses, ...errorResponses(401, 503) },
  })
}

/** A sub-app that answers invalid input with 400 and the zod issues, before its handler runs. */
export const apiApp = () =>
  new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: 'invalid request', details: result.error.issues }, 400)
    },
  })
