// The worker program (`npm run worker`): runs subscription workflows and activities until SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../config/env.ts'
import { createLogger } from '../config/logger.ts'
import { serveMetrics } from '../observability/metrics-server.ts'
import { setupTracing } from '../observability/tracing.ts'
import { temporalSettings } from '../temporal/connection.ts'
import { quietTemporalRuntime, startWorker } from './start.ts'

const logger = createLogger()
try {
  const config = loadConfig()
  quietTemporalRuntime(config.logLevel === 'info' ? 'warn' : config.logLevel, {
    // The Temporal SDK's own metrics (task slots, poll and schedule-to-start latencies, …), Temporal's exporter.
    metricsBindAddress:
      config.metrics.temporalPort === undefined ? undefined : `${config.http.host}:${config.metrics.temporalPort}`,
  })
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : await serveMetrics({ host: config.http.host, port: config.metrics.port })
  if (metrics) logger.info({ url: metrics.url }, 'metrics listening')
  // Traces when OTEL_EXPORTER_OTLP_ENDPOINT is set (README, "Traces"), before the worker takes its interceptors.
  const traced = await setupTracing({ serviceName: 'saas-fulfillment-worker' })
  // On SIGTERM, running activities get WORKER_SHUTDOWN_GRACE_MS to finish before they are cancelled.
  const worker = await startWorker({
    config,
    logger,
    temporal: temporalSettings(),
    shutdownGraceTimeMs: config.shutdown.workerGraceMs,
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void worker.stop())
  await worker.done
  await metrics?.close()
  await traced?.shutdown()
} catch (err) {
  logger.fatal(err instanceof ConfigError ? err.message : { err }, 'worker stopped')
  process.exitCode = 1
}
