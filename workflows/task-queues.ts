/**
 * Which task queue an activity runs on. What Microsoft waits on with a deadline (PATCHing the answer to a
 * customer's change inside its 10-second window, acknowledging a reinstatement; deciding the change too in
 * runs from before it became a local activity, workflows/effects.ts) has a queue of its own beside the
 * workflow's: the worker serves it with slots of its own, so on a saturated worker it never waits behind
 * provisioning, vendor hooks, reads or reconciliation. Everything else stays on the workflow's queue (and
 * keeps eager dispatch there).
 * @module
 */
import { workflowInfo } from '@temporalio/workflow'

/** The acknowledgements queue that goes with a workflow task queue (the worker polls both). */
export const acknowledgementsTaskQueue = (taskQueue: string) => `${taskQueue}-acknowledgements`

/** Activity options that put an activity on the calling workflow's acknowledgements queue (workflow code only). */
export const onAcknowledgementsQueue = () => ({ taskQueue: acknowledgementsTaskQueue(workflowInfo().taskQueue) })
