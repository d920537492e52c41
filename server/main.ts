// The HTTP server program (`npm run server`): landing page, webhook and API until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../config/env.ts'
import { createLogger } from '../config/logger.ts'
import { serveMetrics } from '../observability/metrics-server.ts'
import { setupTracing } from '../observability/tracing.ts'
import { temporalSettings } from '../temporal/connection.ts'
import { startHttpServer } from './start.ts'

const logger = createLogger()
try {
  const config = loadConfig()
  // Traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (README, "Traces"), before the server takes its interceptors.
  const traced = await setupTracing({ serviceName: 'saas-fulfillment-server' })
  const server = await startHttpServer({ config, logger, temporal: temporalSettings() })
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : await serveMetrics({ host: config.http.host, port: config.metrics.port })
  if (metrics) logger.info({ url: metrics.url }, 'metrics listening')
  // SIGTERM: /ready answers 503 and the server drains (HTTP_SHUTDOWN_GRACE_MS at most); the last spans are
  // sent; then the process ends.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void Promise.all([server.close(), metrics?.close()]).then(() => traced?.shutdown()))
} catch (err) {
  logger.fatal(err instanceof ConfigError ? err.message : { err }, 'HTTP server stopped')
  process.exitCode = 1
}
