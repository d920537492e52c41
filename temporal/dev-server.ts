/**
 * Starts a real Temporal dev server (`temporal server start-dev`) as a child process: the run command,
 * the test suite's global setup and the crash tests all use this one launcher.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import { Connection } from '@temporalio/client'
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts'

export interface DevServerOptions {
  /** The `temporal` binary (see scripts/temporal-cli.mjs). */
  cliPath: string
  /** SQLite file for state that survives restarts; in memory when absent. */
  dbFile?: string
  /** Frontend gRPC port; a free one when 0 or absent. */
  port?: number
  /** Web UI port; `false` runs headless. A free one when 0. */
  uiPort?: number | false
  namespace?: string
  /** Extra `--dynamic-config-value KEY=JSON` settings, e.g. a low continue-as-new threshold for tests. */
  dynamicConfig?: Record<string, unknown>
  /** Where the server's own output goes. */
  stdio?: 'inherit' | 'ignore'
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number
}

export interface DevServer {
  /** `127.0.0.1:PORT`, for `TEMPORAL_ADDRESS`. */
  address: string
  uiUrl?: string
  namespace: string
  process: ChildProcess
  /** Stops it gracefully (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>
  /** Kills it hard, as a crash would: no chance to flush anything. */
  kill(): Promise<void>
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port || (await freePort())
  const uiPort = options.uiPort === false ? undefined : options.uiPort || (await freePort())
  const namespace = options.namespace ?? 'default'
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace]
  args.push('--log-level', 'warn', '--sqlite-pragma', 'journal_mode=WAL')
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true })
    args.push('--db-filename', options.dbFile)
  }
  if (uiPort === undefined) args.push('--headless')
  else args.push('--ui-ip', '127.0.0.1', '--ui-port', String(uiPort), '--ui-disable-news-fetch')
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`)
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`)
  }

  const child = spawn(options.cliPath, args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const address = `127.0.0.1:${port}`
  try {
    await waitUntilReady(address, namespace, exited, options.readyTimeoutMs ?? 30_000)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }

  const stopWith = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    namespace,
    process: child,
    stop: () => stopWith('SIGTERM', 10_000),
    kill: () => stopWith('SIGKILL', 0),
  }
}

async function waitUntilReady(address: string, namespace: string, exited: Promise<number | null>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  let dead: number | null | undefined
  void exited.then((code) => (dead = code))
  for (;;) {
    if (dead !== undefined)
      throw new Error(`Temporal dev server exited (code ${dead}) before it was ready on ${address}`)
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 })
      try {
        await connection.workflowService.describeNamespace({ namespace })
        return
      } finally {
        await connection.close()
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal dev server not ready on ${address} after ${timeoutMs} ms: ${String(err)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

/** A port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
