/**
 * HTTP request metrics of the server (@hono/prometheus): `http_requests_total` and
 * `http_request_duration_seconds` by method, status and **route template** (`/api/subscriptions/:subscriptionId`,
 * never the raw path), into the process registry of `metrics.ts`.
 * @module
 */
import { prometheus } from '@hono/prometheus'
import type { MiddlewareHandler } from 'hono'
import { registry } from './metrics.ts'

let middleware: MiddlewareHandler | undefined

/** The middleware, made once per process: its metrics can be registered only once in the registry. */
export function httpMetrics(): MiddlewareHandler {
  middleware ??= prometheus({ registry }).registerMetrics
  return middleware
}
