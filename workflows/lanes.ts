/**
 * Which side effects may wait for which. Each effect runs in one lane; a lane is a queue, except `now`.
 *
 * - `now`: what Microsoft waits on, and the lifecycle's own steps: deciding and acknowledging a customer
 *   change (10-second window), acknowledging a reinstatement, activation, provisioning, the vendor's
 *   requests to Microsoft. Each starts at once; the machine already keeps them one at a time per kind.
 *   Nothing here ever waits behind a vendor hook's retries.
 * - `access`: changes to the customer's access in the vendor's app (suspend, reinstate, apply a change,
 *   deprovision), in the order the machine asked for them.
 * - `notify`: informational hooks; they never hold up access changes.
 * - `reads`: reading Microsoft's view of the subscription (resync), in order, so the last read wins.
 *
 * The bound: a failing hook holds its lane (`access`, `notify`) for at most `hookLaneHoldMs` (2 minutes by
 * default), so an access change waits at most that long per failing hook queued before it. The failing
 * hook then goes on retrying in the background (a day in all) and the lane moves on; operators see it in
 * the decision records and in the `SaasFailingHook` search attribute.
 * @module
 */
import type { SideEffect } from '../machines/subscription/index.ts'

export type Lane = 'now' | 'access' | 'notify' | 'reads'

export const LANE_OF: Record<SideEffect['type'], Lane> = {
  decideChange: 'now',
  acknowledgeOperation: 'now',
  acknowledgeReinstatement: 'now',
  activate: 'now',
  provision: 'now',
  requestChange: 'now',
  requestCancellation: 'now',
  suspendAccess: 'access',
  decideReinstatement: 'access',
  applyChange: 'access',
  deprovision: 'access',
  notify: 'notify',
  resync: 'reads',
}
