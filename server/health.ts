/**
 * Liveness, readiness and their details, for load balancers, orchestrators, the run command and operators:
 *
 * - `GET /health` (liveness, public): 200 `{ status: 'ok' }` while the process answers at all. Nothing
 *   about the deployment: anyone may call it.
 * - `GET /ready` (readiness, public): 200 when this process can serve, 503 when it cannot: draining on
 *   SIGTERM (at once, without asking anything, while `/health` stays 200 and requests in flight are still
 *   answered), Temporal, where every subscription lives, unreachable, or another registered check failing.
 *   Says which check failed, never addresses or versions. Only what every route needs belongs
 *   here: a part that some routes need (the metering database) must not take the webhook out of a load
 *   balancer.
 * - `GET /health/details` (behind the `/api` guard: `ADMIN_API_KEY` or an admin Entra token): the same
 *   checks with what an operator needs to fix them: Temporal address, namespace, server version and
 *   latency, the marketplace URL, the error.
 * @module
 */
import { Hono } from 'hono'
import type { Client } from '@temporalio/client'
import type { Config } from '../config/env.ts'
import type { Logger } from '../config/logger.ts'
import { apiAuth } from './api/auth.ts'

export interface HealthDeps {
  client: Client
  address: string
  marketplaceApiUrl: string
  admin: Config['admin']
  logger: Logger
  /**
   * More readiness checks by name (e.g. a database another part of the service needs): each resolves
   * when ready and throws (or rejects) when not.
   */
  checks?: Record<string, () => Promise<unknown>>
  /** True once the process has begun to shut down: a load balancer must stop sending it requests. */
  draining?: () => boolean
}

const TEMPORAL_DEADLINE_MS = 3_000

export function health(deps: HealthDeps) {
  const { client } = deps

  async function temporal() {
    const started = performance.now()
    const info = await client.connection.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      client.workflowService.getSystemInfo({}),
    )
    return { serverVersion: info.serverVersion ?? undefined, latencyMs: Math.round(performance.now() - started) }
  }

  /** Every check, run at once; each settles to its outcome, none throws. */
  async function runChecks() {
    const checks: Record<string, () => Promise<unknown>> = { temporal, ...deps.checks }
    const names = Object.keys(checks)
    const outcomes = await Promise.allSettled(names.map((name) => checks[name]!()))
    return Object.fromEntries(names.map((name, i) => [name, outcomes[i]!])) as Record<
      string,
      PromiseSettledResult<unknown>
    >
  }
  const allReady = (outcomes: Record<string, PromiseSettledResult<unknown>>) =>
    Object.values(outcomes).every((o) => o.status === 'fulfilled')

  return new Hono()
    .get('/health', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) => {
      if (deps.draining?.()) return c.json({ status: 'draining' }, 503)
      const outcomes = await runChecks()
      const checks = Object.fromEntries(
        Object.entries(outcomes).map(([name, o]) => [name, o.status === 'fulfilled' ? 'ok' : 'failing']),
      )
      const ready = allReady(outcomes)
      if (!ready) deps.logger.warn({ checks }, 'not ready')
      return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503)
    })
    .get('/health/details', apiAuth({ admin: deps.admin, logger: deps.logger }), async (c) => {
      const outcomes = await runChecks()
      const t = outcomes.temporal!
      const others = Object.entries(outcomes).filter(([name]) => name !== 'temporal')
      const ready = allReady(outcomes)
      return c.json(
        {
          status: ready ? 'ok' : 'degraded',
          temporal: {
            address: deps.address,
            namespace: client.options.namespace,
            connected: t.status === 'fulfilled',
            ...(t.status === 'fulfilled' ? (t.value as object) : { error: String(t.reason) }),
          },
          marketplace: { apiUrl: deps.marketplaceApiUrl },
          checks: Object.fromEntries(
            others.map(([name, o]) => [
              name,
              o.status === 'fulfilled' ? { ok: true } : { ok: false, error: String(o.reason) },
            ]),
          ),
        },
        ready ? 200 : 503,
      )
    })
}
