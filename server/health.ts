/**
 * `GET /health`: whether this process can reach Temporal (where every subscription lives), for load
 * balancers and the run command. 200 when it can, 503 when it cannot.
 * @module
 */
import { Hono } from 'hono'
import type { Client } from '@temporalio/client'

export function health(options: { client: Client; address: string; marketplaceApiUrl: string }) {
  const { client } = options
  return new Hono().get('/health', async (c) => {
    const started = performance.now()
    try {
      const info = await client.connection.withDeadline(Date.now() + 3_000, () =>
        client.workflowService.getSystemInfo({}),
      )
      return c.json({
        status: 'ok',
        temporal: {
          address: options.address,
          namespace: client.options.namespace,
          connected: true,
          serverVersion: info.serverVersion ?? undefined,
          latencyMs: Math.round(performance.now() - started),
        },
        marketplace: { apiUrl: options.marketplaceApiUrl },
      })
    } catch (err) {
      return c.json(
        {
          status: 'degraded',
          temporal: {
            address: options.address,
            namespace: client.options.namespace,
            connected: false,
            error: String(err),
          },
          marketplace: { apiUrl: options.marketplaceApiUrl },
        },
        503,
      )
    }
  })
}
