/**
 * The run command (`npm start`): the whole service on this machine with nothing to configure.
 *
 * Starts a real Temporal dev server (SQLite in .data/, Web UI on), the built-in marketplace emulator
 * (unless MARKETPLACE_API_URL points at another marketplace), the worker and the HTTP server, in this
 * one process; prints where everything is; on Ctrl-C stops them all. State survives restarts: running it
 * again resumes the workflows that were running.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError, loadConfig } from '../config/env.ts'
import { createLogger } from '../config/logger.ts'
import { startEmulator, type EmulatorHandle } from '../emulator/index.ts'
import { startPostgres, type PostgresServer } from '../metering/postgres-server.ts'
import { resolveTemporalCli } from '../scripts/temporal-cli.mjs'
import { startHttpServer } from '../server/start.ts'
import { serveMetrics } from '../observability/metrics-server.ts'
import { setupTracing } from '../observability/tracing.ts'
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.ts'
import { temporalSettings } from '../temporal/connection.ts'
import { quietTemporalRuntime, startWorker } from '../worker/start.ts'

const root = resolve(import.meta.dirname, '..')
const dataDir = resolve(process.env.LOCAL_DATA_DIR ?? join(root, '.data'))
const env = process.env
env.LOG_LEVEL ??= 'warn'
const logger = createLogger(env.LOG_LEVEL)
const stops: (() => Promise<void>)[] = []

async function main() {
  mkdirSync(dataDir, { recursive: true })
  const port = Number(env.PORT ?? 3000)
  const publicUrl = env.PUBLIC_URL ?? `http://127.0.0.1:${port}`

  let temporal: DevServer | undefined
  if (!env.TEMPORAL_ADDRESS) {
    temporal = await startDevServer({
      cliPath: resolveTemporalCli(),
      dbFile: join(dataDir, 'temporal.db'),
      port: Number(env.LOCAL_TEMPORAL_PORT ?? 7233),
      uiPort: Number(env.LOCAL_TEMPORAL_UI_PORT ?? 8233),
      stdio: 'ignore',
    })
    stops.unshift(() => temporal!.stop())
    env.TEMPORAL_ADDRESS = temporal.address
    env.TEMPORAL_NAMESPACE = temporal.namespace
  }

  let emulator: EmulatorHandle | undefined
  if (!env.MARKETPLACE_API_URL) {
    emulator = await startEmulator({
      port: Number(env.LOCAL_EMULATOR_PORT ?? 3001),
      webhookUrl: `${publicUrl}/webhook`,
      landingPageUrl: `${publicUrl}/landing`,
      stateFile: join(dataDir, 'emulator.json'),
    })
    stops.unshift(() => emulator!.stop())
    Object.assign(env, {
      MARKETPLACE_API_URL: emulator.apiUrl,
      MARKETPLACE_STATIC_TOKEN: emulator.staticToken,
      AZURE_TENANT_ID: env.AZURE_TENANT_ID ?? emulator.publisherTenantId,
      AZURE_CLIENT_ID: env.AZURE_CLIENT_ID ?? emulator.publisherClientId,
      WEBHOOK_JWKS_URL: env.WEBHOOK_JWKS_URL ?? emulator.jwksUrl,
    })
  }
  env.ADMIN_API_KEY ??= 'local-admin-key-not-for-production'
  env.SESSION_SECRET ??= localSecret()

  // The usage ledger: a PostgreSQL of its own, data in .data/postgres, unless DATABASE_URL names one.
  let postgres: PostgresServer | undefined
  if (!env.DATABASE_URL) {
    postgres = await startPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: Number(env.LOCAL_POSTGRES_PORT ?? 0),
      logFile: join(dataDir, 'postgres.log'),
    })
    stops.unshift(() => postgres!.stop())
    env.DATABASE_URL = postgres.url
  }

  const config = loadConfig(env)
  // Metrics as in production (README, "Metrics and alerts"), at METRICS_PORT and TEMPORAL_METRICS_PORT or
  // free ports: one registry here, since the server and the worker share this process.
  const temporalMetrics = `${config.http.host}:${config.metrics.temporalPort ?? (await freePort())}`
  quietTemporalRuntime(config.logLevel, { metricsBindAddress: temporalMetrics })
  const metrics = await serveMetrics({ host: config.http.host, port: config.metrics.port ?? 0 })
  stops.unshift(() => metrics.close())
  // Traces when OTEL_EXPORTER_OTLP_ENDPOINT is set, before the worker and the server take their interceptors.
  const traced = await setupTracing({ serviceName: 'saas-fulfillment' })
  if (traced) stops.push(() => traced.shutdown())
  const settings = temporalSettings()
  const worker = await startWorker({ config, logger, temporal: settings })
  stops.unshift(() => worker.stop())
  const server = await startHttpServer({ config, logger, temporal: settings })
  stops.unshift(() => server.close())

  const lines = [
    '',
    'saas-fulfillment is running locally',
    `  Service            ${server.url}   (health: ${server.url}/health, API: ${server.url}/api, docs: ${server.url}/openapi.json)`,
    `  Landing page       ${server.url}/landing`,
    `  Webhook            ${server.url}/webhook`,
    `  Admin API key      ${config.admin.apiKey}`,
    postgres
      ? `  Usage ledger       ${postgres.url}   (PostgreSQL, data in .data/postgres)`
      : `  Usage ledger       ${config.metering ? 'DATABASE_URL' : 'off'}`,
    temporal
      ? `  Temporal UI        ${temporal.uiUrl}   (gRPC ${temporal.address}, data in .data/temporal.db)`
      : `  Temporal           ${env.TEMPORAL_ADDRESS}`,
    `  Metrics            ${metrics.url}   (server and worker; Temporal SDK: http://${temporalMetrics}/metrics)`,
    ...(traced
      ? [`  Traces             OTLP to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT}`]
      : []),
    emulator
      ? `  Marketplace emulator driver  ${emulator.driverUrl}   (API ${emulator.apiUrl}; buy: curl -X POST ${emulator.driverUrl}/purchases -H 'content-type: application/json' -d '{"offerId":"contoso-analytics","planId":"basic"}')`
      : `  Marketplace API    ${config.marketplace.apiUrl}`,
    '',
    'Ctrl-C stops everything.',
  ]
  console.log(lines.join('\n'))
  await worker.done
}

/** The landing page's signing secret, kept across restarts so links in flight stay valid. */
function localSecret(): string {
  const file = join(dataDir, 'session-secret')
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 })
  return readFileSync(file, 'utf8')
}

async function stopAll() {
  for (const stop of stops.splice(0)) await stop().catch((err: unknown) => logger.error({ err }, 'stopping failed'))
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nStopping…')
    void stopAll().then(() => process.exit(0))
  })
}

main().catch(async (err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err)
  await stopAll()
  process.exit(1)
})
