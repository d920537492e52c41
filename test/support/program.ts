/**
 * The project's programs (`worker/main.ts`, `local/start.ts`) as real child processes, so tests can kill
 * them the hard way or interrupt them as Ctrl-C does.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface Program {
  process: ChildProcess
  /** What it printed up to the moment it said it was ready. */
  output: string
  /** SIGKILL: no shutdown, no flushing, as a crash or an OOM kill would do. */
  kill(): Promise<void>
  stop(): Promise<void>
  /** SIGINT, as Ctrl-C: resolves with the exit code. */
  interrupt(): Promise<number | null>
}

/** Starts `script` and resolves once its output contains `ready`; rejects if it exits first or takes too long. */
export async function startProgram(
  script: string,
  env: Record<string, string>,
  ready: string,
  timeoutMs = 90_000,
): Promise<Program> {
  // One process (tsx as a loader, not its CLI, which would run the program in a grandchild a kill misses).
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready after ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    )
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(ready)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    void exited.then((code) => reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`)))
  })
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }
  return {
    process: child,
    output,
    kill: async () => void (await end('SIGKILL')),
    stop: async () => void (await end('SIGTERM')),
    interrupt: () => end('SIGINT'),
  }
}

/** The worker program, ready once it polls its task queue. */
export const spawnWorker = (env: Record<string, string>) =>
  startProgram('worker/main.ts', { LOG_LEVEL: 'info', ...env }, 'worker running', 60_000)
