/**
 * The whole service for end-to-end tests, with real parts only: the real Temporal dev server started by
 * the global setup, the project's marketplace emulator over real HTTP, a real worker and the real HTTP
 * server. Each harness uses its own task queue, so test files do not see each other's workflows.
 */
import { randomUUID } from 'node:crypto'
import { Client, Connection } from '@temporalio/client'
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker'
import { inject } from 'vitest'
import { loadConfig, type Config } from '../../config/env.ts'
import { silentLogger } from '../../config/logger.ts'
import {
  DEFAULT_PUBLISHER_CLIENT_ID,
  DEFAULT_PUBLISHER_TENANT_ID,
  startEmulator,
  type EmulatorHandle,
  type EmulatorOptions,
} from '../../emulator/index.ts'
import { startHttpServer, type HttpServer } from '../../server/start.ts'
import type { TemporalSettings } from '../../temporal/connection.ts'
import { freePort } from '../../temporal/dev-server.ts'
import { workflowsPath } from '../../worker/create-worker.ts'
import { startWorker, type RunningWorker } from '../../worker/start.ts'
import { startTestSigner, type TestSigner } from './entra.ts'
import { TestVendor } from './vendor.ts'

export const ADMIN_API_KEY = 'test-admin-key-0123456789'

let runtimeInstalled = false
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined

/** The workflow code bundled once per test file (bundling takes a second or two). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') })
    runtimeInstalled = true
  }
  return (bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }))
}

export function temporalSettings(address = inject('temporalAddress')): TemporalSettings {
  return { connectionOptions: { address }, namespace: 'default' }
}

export interface Harness {
  emulator: EmulatorHandle
  temporal: Client
  server: HttpServer
  config: Config
  vendor: TestVendor
  /** Starts (again) a worker for this harness's task queue; the harness starts one itself. */
  startWorker(): Promise<RunningWorker>
  worker?: RunningWorker
  /** With `signer`: signs tokens the service trusts, and POSTs a webhook payload with a valid one. */
  signer?: TestSigner
  deliver(payload: unknown, authorization?: string): Promise<Response>
  /** GET/POST to the service's API with the admin key. */
  api(path: string, init?: RequestInit): Promise<Response>
  stop(): Promise<void>
}

export interface HarnessOptions {
  emulator?: EmulatorOptions
  /** Environment for the service, over the test defaults. */
  env?: Record<string, string>
  /** Start a worker in this process (default true). */
  worker?: boolean
  /** Another Temporal server than the suite's shared one. */
  temporalAddress?: string
  /** Let the test sign webhook tokens of its own (see entra.ts), beside the emulator's. */
  signer?: boolean
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const settings = temporalSettings(options.temporalAddress)
  const signer = options.signer
    ? await startTestSigner({ tenantId: DEFAULT_PUBLISHER_TENANT_ID, audience: DEFAULT_PUBLISHER_CLIENT_ID })
    : undefined
  const emulator = await startEmulator({ autoAcceptMs: 10_000, operationDelayMs: 200, ...options.emulator })
  // The landing page checks the Origin of its form posts against PUBLIC_URL, so the port is fixed up front.
  const port = await freePort()
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    MARKETPLACE_API_URL: emulator.apiUrl,
    MARKETPLACE_STATIC_TOKEN: emulator.staticToken,
    MARKETPLACE_TIMEOUT_MS: '3000',
    AZURE_TENANT_ID: emulator.publisherTenantId,
    AZURE_CLIENT_ID: emulator.publisherClientId,
    WEBHOOK_JWKS_URL: emulator.jwksUrl,
    ADMIN_API_KEY,
    SESSION_SECRET: 'test-session-secret-0123456789-abcdef',
    // The Schedule is namespace-wide: a harness must not point it at its own task queue and emulator.
    RECONCILE_INTERVAL: 'off',
    ...(signer ? { WEBHOOK_JWKS_URL: signer.jwksUrl } : {}),
    ...options.env,
  })
  const server = await startHttpServer({ config, logger: silentLogger, temporal: settings })
  emulator.marketplace.configure({ webhookUrl: `${server.url}/webhook`, landingPageUrl: `${server.url}/landing` })
  signer?.trust(emulator.jwksUrl)
  const temporal = new Client({
    connection: await Connection.connect(settings.connectionOptions),
    namespace: settings.namespace,
  })
  const vendor = new TestVendor()
  const workflowBundleCode = await workflowBundle()

  const harness: Harness = {
    emulator,
    temporal,
    server,
    config,
    vendor,
    signer,
    async deliver(payload, authorization) {
      if (!signer) throw new Error('startHarness({ signer: true }) signs webhooks')
      return fetch(`${server.url}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: authorization ?? `Bearer ${await signer.sign()}`,
        },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      })
    },
    async startWorker() {
      harness.worker = await startWorker({
        config,
        logger: silentLogger,
        temporal: settings,
        hooks: vendor.hooks(),
        workflowBundle: workflowBundleCode,
      })
      return harness.worker
    },
    api: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json', ...init.headers },
      }),
    async stop() {
      await harness.worker?.stop()
      await server.close()
      await emulator.stop()
      await signer?.stop()
      await temporal.connection.close()
    },
  }
  if (options.worker !== false) await harness.startWorker()
  return harness
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/** Polls `probe` until it returns a truthy value, or fails with the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  { timeoutMs = 20_000, intervalMs = 100, what = 'condition' } = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await probe()
    if (last) return last as Truthy<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
