/**
 * What the scripts that provision a tool on first use (the Temporal CLI, the time-skipping test server)
 * share: running a command to completion, the end of its output for an error message, the error they
 * throw with advice, and running as a command line.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Provisioning failed; the message says what was tried and what to do. */
export class ProvisionError extends Error {}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  return { status: r.error ? -1 : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') }
}

/** The last lines of a command's output: enough to say why it failed. */
export const tail = (text) => text.trim().split('\n').slice(-3).join(' | ')

/** When `moduleUrl` is the script node was started with: print what `resolve` finds, or why it cannot. */
export async function runAsScript(moduleUrl, resolve) {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return
  try {
    console.log(await resolve())
  } catch (err) {
    console.error(err.message)
    process.exit(1)
  }
}
