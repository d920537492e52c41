/**
 * Starts the HTTP server on the configured host and port with everything it needs.
 * @module
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Client, Connection } from '@temporalio/client'
import type { Config } from '../config/env.ts'
import type { Logger } from '../config/logger.ts'
import { createMarketplaceClient } from '../marketplace/client/index.ts'
import { meteringForServer } from '../metering/on-demand.ts'
import { tracing } from '../observability/tracing.ts'
import type { TemporalSettings } from '../temporal/connection.ts'
import { createApp } from './app.ts'
import { createSubscriptionsGateway, workflowSettings } from './subscriptions-gateway.ts'

export interface HttpServer {
  url: string
  close(): Promise<void>
}

export async function startHttpServer(options: {
  config: Config
  logger: Logger
  temporal: TemporalSettings
}): Promise<HttpServer> {
  const { config, logger, temporal } = options
  if (config.webhook.auth === 'none')
    logger.warn('WEBHOOK_AUTH=none: webhooks are NOT verified. Use this only with a local marketplace emulator.')
  // Lazy: the server answers (and /health says what is wrong) even while Temporal is unreachable.
  const connection = Connection.lazy(temporal.connectionOptions)
  const traced = tracing()
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    ...(traced && { interceptors: traced.clientInterceptors }),
  })
  const marketplace = createMarketplaceClient({
    baseUrl: config.marketplace.apiUrl,
    staticToken: config.marketplace.staticToken,
    timeoutMs: Math.min(config.marketplace.timeoutMs, 5_000),
    logger,
    // A buyer or Microsoft is waiting on the answer: a few quick retries, no more.
    retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 },
  })
  const subscriptions = createSubscriptionsGateway({
    client,
    taskQueue: config.taskQueue,
    settings: workflowSettings(config.lifecycle),
  })
  const usage = config.metering
    ? meteringForServer({ settings: config.metering, marketplace, logger, client, taskQueue: config.taskQueue })
    : undefined
  let draining = false
  const app = createApp({
    config,
    logger,
    temporal: { client, address: String(temporal.connectionOptions.address) },
    subscriptions,
    marketplace,
    usage,
    draining: () => draining,
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, () => resolve(s))
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${config.http.host}:${port}`
  logger.info({ url }, 'HTTP server listening')
  return {
    url,
    async close() {
      // Readiness first: from now on `/ready` answers 503 to whoever still reaches this process.
      draining = true
      // Draining: no new connections, idle keep-alive ones closed at once, requests in flight answered;
      // whatever is still open after the grace period is cut, so a stop is bounded.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const cut = setTimeout(
        () => 'closeAllConnections' in server && server.closeAllConnections(),
        config.shutdown.httpGraceMs,
      )
      await closed
      clearTimeout(cut)
      // The ledger's connections, once no request can use them any more.
      await usage?.close()
      await connection.close()
    },
  }
}
