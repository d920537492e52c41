/**
 * The worker factory the worker program, the run command and the tests share.
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker'
import type { Activities } from '../activities/index.ts'

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url))

/**
 * `npm run build` bundles the workflows into dist/workflow-bundle.js, beside the compiled worker: there
 * the worker loads that bundle (the code that was built, no webpack at start). From source, it does not
 * exist and the workflows are bundled when the worker is created.
 */
export const prebuiltWorkflowBundle = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url))

export interface CreateWorkerOptions {
  connection: NativeConnection
  namespace: string
  taskQueue: string
  activities: Activities
  /** A bundle made once with `bundleWorkflowCode({ workflowsPath })`; bundled on creation when absent. */
  workflowBundle?: WorkerOptions['workflowBundle']
  /**
   * After a shutdown request (SIGTERM), how long running activities may take to finish before they are
   * cancelled; the worker stops polling at once, so nothing new starts meanwhile.
   */
  shutdownGraceTimeMs?: number
}

export function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { workflowBundle, shutdownGraceTimeMs, ...rest } = options
  const workflows = workflowBundle
    ? { workflowBundle }
    : existsSync(prebuiltWorkflowBundle)
      ? { workflowBundle: { codePath: prebuiltWorkflowBundle } }
      : { workflowsPath }
  return Worker.create({ ...rest, ...workflows, shutdownGraceTime: shutdownGraceTimeMs ?? 0 })
}
