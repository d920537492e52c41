/**
 * The HTTP server: landing page for buyers, webhook for Microsoft, API for the vendor and operators.
 * A factory, so tests drive it with `app.request()` and real dependencies or fakes.
 * @module
 */
import { Hono } from 'hono'
import type { Client } from '@temporalio/client'
import type { Config } from '../config/env.ts'
import type { Logger } from '../config/logger.ts'
import type { MarketplaceClient } from '../marketplace/client/index.ts'
import { createReconciliationsGateway } from './reconciliations-gateway.ts'
import type { meteringForServer } from '../metering/on-demand.ts'
import { httpMetrics } from '../observability/http-metrics.ts'
import { tracing } from '../observability/tracing.ts'
import { api } from './api/index.ts'
import { health } from './health.ts'
import { landing } from './landing/index.ts'
import type { SubscriptionsGateway } from './subscriptions-gateway.ts'
import { webhook } from './webhook/index.ts'
import { createWebhookVerifier } from './webhook/verify.ts'

export interface AppDeps {
  config: Config
  logger: Logger
  temporal: { client: Client; address: string }
  subscriptions: SubscriptionsGateway
  /** Microsoft's API with in-request retries (the server answers Microsoft or a buyer in the same request). */
  marketplace: MarketplaceClient
  /** Metered billing, when `DATABASE_URL` is set; the caller closes it. */
  usage?: ReturnType<typeof meteringForServer>
  /** True once shutdown has begun: `/ready` answers 503. */
  draining?: () => boolean
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono()
  app.onError((err, c) => {
    deps.logger.error({ err, path: c.req.path }, 'request failed')
    return c.json({ error: 'internal error' }, 500)
  })
  // With traces on: a server span per request, named by route template, the parent of what it calls.
  const traced = tracing()
  if (traced) app.use(traced.httpMiddleware)
  // First, so every answer is counted, by route template (`/api/subscriptions/:subscriptionId`).
  app.use(httpMetrics())
  const { config, logger, subscriptions, marketplace } = deps
  const verify = config.webhook.auth === 'entra' ? createWebhookVerifier(config.webhook) : undefined
  app.route(
    '/',
    health({
      client: deps.temporal.client,
      address: deps.temporal.address,
      marketplaceApiUrl: config.marketplace.apiUrl,
      admin: config.admin,
      logger,
      draining: deps.draining,
    }),
  )
  app.route('/', webhook({ verify, marketplace, subscriptions, logger }))
  const reconciliations = createReconciliationsGateway({
    client: deps.temporal.client,
    taskQueue: config.taskQueue,
    settings: {
      activationDeadlineMs: config.reconciliation.activationDeadlineMs,
      operations: config.reconciliation.operations,
    },
  })
  app.route('/', api({ subscriptions, reconciliations, admin: config.admin, logger, usage: deps.usage }))
  app.route(
    '/',
    landing({
      marketplace,
      subscriptions,
      publicUrl: config.http.publicUrl,
      sessionSecret: config.landing.sessionSecret,
      oidc: config.landing.oidc,
      logger,
    }),
  )
  return app
}
