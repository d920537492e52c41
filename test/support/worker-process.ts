/**
 * The worker program (`worker/main.ts`) as a real child process, so a test can kill it the hard way.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface WorkerProcess {
  process: ChildProcess
  /** SIGKILL: no shutdown, no flushing, as a crash or an OOM kill would do. */
  kill(): Promise<void>
  stop(): Promise<void>
}

export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  // One process (tsx as a loader, not its CLI, which would run the worker in a grandchild a kill misses).
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${output}`)), 60_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('worker running')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it ran:\n${output}`)))
  })
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return { process: child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') }
}
