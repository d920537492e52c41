/**
 * The worker factory the worker program, the run command and the tests share.
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker'
import type { Activities } from '../activities/index.ts'
import { tracing, WORKFLOW_INTERCEPTORS_MODULE } from '../observability/tracing.ts'
import { acknowledgementsTaskQueue } from '../workflows/task-queues.ts'

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url))

/**
 * `npm run build` bundles the workflows into dist/workflow-bundle.js, beside the compiled worker: there
 * the worker loads that bundle (the code that was built, no webpack at start). From source, it does not
 * exist and the workflows are bundled when the worker is created. With traces on, the worker loads
 * workflow-bundle-traced.js instead: the same code with the OpenTelemetry workflow interceptors, which
 * only a bundle can add, so a worker without traces carries none of their cost.
 */
export const prebuiltWorkflowBundle = (traced: boolean) =>
  fileURLToPath(new URL(traced ? '../workflow-bundle-traced.js' : '../workflow-bundle.js', import.meta.url))

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
  /** Overrides of the sizing below (tests saturate a worker with few slots). */
  tuning?: WorkerTuning
}

/**
 * The worker's sizing (figures in bench/README.md). The cache, not the number of live subscriptions, sets the
 * worker's memory: a cached workflow holds 140–200 KB of its workflow thread's heap (heap snapshots: each
 * one evaluates the workflow modules again, the lifecycle machine's 15 state nodes included, even with one
 * shared V8 context, `reuseV8Context`), and an evicted one about nothing. 1000 cached is 140–200 MiB over the
 * process's own ~400 MiB; an evicted subscription replays its short history on its next event, and idle
 * subscriptions rarely get one. The SDK's default grows with the heap limit (2310 here, more on a large machine).
 */
export interface WorkerTuning {
  maxCachedWorkflows?: number
  /** Workflow tasks at once: short CPU work, more only queues on the same cores. */
  maxConcurrentWorkflowTaskExecutions?: number
  /** Activities at once on the workflow's queue: mostly waiting on Microsoft and the vendor's hooks. */
  maxConcurrentActivityTaskExecutions?: number
  /** Activities at once on the acknowledgements queue (workflows/task-queues.ts), apart from the others. */
  maxConcurrentAcknowledgements?: number
}

export const DEFAULT_TUNING: Required<WorkerTuning> = {
  maxCachedWorkflows: 1000,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentAcknowledgements: 50,
}

export function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { workflowBundle, shutdownGraceTimeMs, tuning, ...rest } = options
  const { maxConcurrentAcknowledgements: _, ...sizing } = { ...DEFAULT_TUNING, ...tuning }
  const traced = tracing()
  const prebuilt = prebuiltWorkflowBundle(traced !== undefined)
  const bundle = workflowBundle ?? (existsSync(prebuilt) ? { codePath: prebuilt } : undefined)
  const workflows = bundle ? { workflowBundle: bundle } : { workflowsPath }
  return Worker.create({
    ...rest,
    ...workflows,
    ...(traced && {
      interceptors: {
        activity: traced.activityInterceptors,
        // Bundled here from source: the workflow interceptors go into the bundle.
        ...(!bundle && { workflowModules: [WORKFLOW_INTERCEPTORS_MODULE] }),
      },
      sinks: traced.workflowSinks,
    }),
    ...sizing,
    reuseV8Context: true,
    shutdownGraceTime: shutdownGraceTimeMs ?? 0,
  })
}

/**
 * The worker of the acknowledgements queue (workflows/task-queues.ts): the same activities, no workflows,
 * slots of its own, in the same process as the workflow worker.
 */
export function createAcknowledgementsWorker(
  options: Pick<
    CreateWorkerOptions,
    'connection' | 'namespace' | 'taskQueue' | 'activities' | 'shutdownGraceTimeMs' | 'tuning'
  >,
): Promise<Worker> {
  const { taskQueue, shutdownGraceTimeMs, tuning, ...rest } = options
  const traced = tracing()
  return Worker.create({
    ...rest,
    taskQueue: acknowledgementsTaskQueue(taskQueue),
    maxConcurrentActivityTaskExecutions:
      tuning?.maxConcurrentAcknowledgements ?? DEFAULT_TUNING.maxConcurrentAcknowledgements,
    shutdownGraceTime: shutdownGraceTimeMs ?? 0,
    ...(traced && { interceptors: { activity: traced.activityInterceptors } }),
  })
}
