/**
 * The worker factory the worker program, the run command and the tests share.
 * @module
 */
import { fileURLToPath } from 'node:url'
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker'
import type { Activities } from '../activities/index.ts'

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url))

export interface CreateWorkerOptions {
  connection: NativeConnection
  namespace: string
  taskQueue: string
  activities: Activities
  /** A bundle made once with `bundleWorkflowCode({ workflowsPath })`; bundled on creation when absent. */
  workflowBundle?: WorkerOptions['workflowBundle']
}

export function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { workflowBundle, ...rest } = options
  return Worker.create({ ...rest, ...(workflowBundle ? { workflowBundle } : { workflowsPath }) })
}
