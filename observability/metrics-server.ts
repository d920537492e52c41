/**
 * `GET /metrics` on its own port (METRICS_PORT), for Prometheus to scrape: the process registry of
 * `metrics.ts` plus Node's process metrics (CPU, memory, event-loop lag). A separate listener, not a
 * route of the public server: the metrics port stays inside the cluster network and needs no key.
 * @module
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { collectDefaultMetrics } from 'prom-client'
import { registry } from './metrics.ts'

export interface MetricsServer {
  url: string
  close(): Promise<void>
}

let processMetrics = false

export async function serveMetrics(options: { host: string; port: number }): Promise<MetricsServer> {
  if (!processMetrics) {
    collectDefaultMetrics({ register: registry })
    processMetrics = true
  }
  const app = new Hono()
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }))
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () => resolve(s))
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${options.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
