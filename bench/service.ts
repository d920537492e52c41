/**
 * The service as it runs in production, for the bench, the soak and the scale-out and overload tests: the
 * HTTP server and the worker as separate processes (`server/main.ts`, `worker/main.ts`, as `npm run
 * server` / `npm run worker` run them), the project's emulator as Microsoft, one Temporal server.
 * Webhooks are verified for real: the server trusts the emulator's keys and a test signer's (entra.ts).
 * @module
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Client, Connection } from '@temporalio/client'
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../emulator/index.ts'
import { freePort } from '../temporal/dev-server.ts'
import { startTestSigner, type TestSigner } from '../test/support/entra.ts'
import { startProgram, type Program } from '../test/support/program.ts'

export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789'

export interface Service {
  emulator: EmulatorHandle
  signer: TestSigner
  temporal: Client
  taskQueue: string
  /** The environment every process of the service gets. */
  env: Record<string, string>
  servers: Program[]
  serverUrls: string[]
  workers: Program[]
  /** Starts one more worker process (extra variables over `env`); it polls once it resolves. */
  startWorker(extra?: Record<string, string>): Promise<Program>
  /** Starts one more HTTP server process; returns its URL. */
  startServer(extra?: Record<string, string>): Promise<string>
  /** POSTs a webhook payload to a server (the first by default) with a freshly signed token, or `authorization`. */
  deliver(payload: unknown, options?: { server?: number; authorization?: string }): Promise<Response>
  api(path: string, init?: RequestInit & { server?: number }): Promise<Response>
  /** The whole service stopped (SIGTERM) and started again: same task queue, new server ports. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export interface ServiceOptions {
  temporalAddress: string
  servers?: number
  workers?: number
  env?: Record<string, string>
  emulator?: EmulatorOptions
  /** Log lines of the processes go to this process's stderr (default: kept quiet, warnings only). */
  verbose?: boolean
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const emulator = await startEmulator({ autoAcceptMs: 10_000, operationDelayMs: 200, ...options.emulator })
  const signer = await startTestSigner({ tenantId: emulator.publisherTenantId, audience: emulator.publisherClientId })
  signer.trust(emulator.jwksUrl)
  const taskQueue = `bench-${randomUUID()}`
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    MARKETPLACE_API_URL: emulator.apiUrl,
    MARKETPLACE_STATIC_TOKEN: emulator.staticToken,
    AZURE_TENANT_ID: emulator.publisherTenantId,
    AZURE_CLIENT_ID: emulator.publisherClientId,
    WEBHOOK_JWKS_URL: signer.jwksUrl,
    ADMIN_API_KEY: BENCH_ADMIN_KEY,
    SESSION_SECRET: 'bench-session-secret-0123456789-abcdef',
    VENDOR_HOOKS: 'demo',
    DEMO_PROVISION_DELAY_MS: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  }
  const temporal = new Client({
    connection: await Connection.connect({ address: options.temporalAddress }),
    namespace: 'default',
  })
  const service: Service = {
    emulator,
    signer,
    temporal,
    taskQueue,
    env,
    servers: [],
    serverUrls: [],
    workers: [],
    async startWorker(extra = {}) {
      const worker = await startProgram('worker/main.ts', { ...env, ...extra }, 'worker running', 120_000)
      quiet(worker, options.verbose)
      service.workers.push(worker)
      return worker
    },
    async startServer(extra = {}) {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}`
      const server = await startProgram(
        'server/main.ts',
        { ...env, PORT: String(port), PUBLIC_URL: url, ...extra },
        'HTTP server listening',
      )
      quiet(server, options.verbose)
      service.servers.push(server)
      service.serverUrls.push(url)
      return url
    },
    async deliver(payload, { server = 0, authorization } = {}) {
      return fetch(`${service.serverUrls[server]}/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: authorization ?? `Bearer ${await signer.sign()}`,
        },
        body: JSON.stringify(payload),
      })
    },
    api: (path, { server = 0, ...init } = {}) =>
      fetch(`${service.serverUrls[server]}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json', ...init.headers },
      }),
    async restart() {
      const [servers, workers] = [service.servers.length, service.workers.length]
      await Promise.all([...service.servers, ...service.workers].map((p) => p.stop()))
      service.servers = []
      service.serverUrls = []
      service.workers = []
      await startAll(servers, workers)
    },
    async stop() {
      await Promise.all([...service.servers, ...service.workers].map((p) => p.stop()))
      await emulator.stop()
      await signer.stop()
      await temporal.connection.close()
    },
  }
  async function startAll(servers: number, workers: number) {
    // Side by side: each takes seconds to start (tsx, the worker bundles the workflows).
    const workersStarted = Promise.all(Array.from({ length: workers }, () => service.startWorker()))
    await Promise.all(Array.from({ length: servers }, () => service.startServer()))
    if (service.serverUrls[0])
      emulator.marketplace.configure({
        webhookUrl: `${service.serverUrls[0]}/webhook`,
        landingPageUrl: `${service.serverUrls[0]}/landing`,
      })
    await workersStarted
  }
  try {
    await startAll(options.servers ?? 1, options.workers ?? 1)
  } catch (err) {
    await service.stop()
    throw err
  }
  return service
}

/** A process's output is drained (a full pipe would block it); errors are echoed unless verbose shows all. */
function quiet(program: Program, verbose = false) {
  for (const stream of [program.process.stdout, program.process.stderr])
    stream?.on('data', (chunk: Buffer) => {
      if (verbose) process.stderr.write(chunk)
      else for (const line of chunk.toString().split('\n')) if (/"level":(50|60)/.test(line)) console.error(line)
    })
}

/** Resident memory of a process (Linux), in MiB. */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Math.round(Number(kb) / 1024)
}
