/**
 * The vendor's side of the lifecycle: what the service asks the vendor's application to do.
 *
 * Three implementations: HTTP callbacks to the vendor's app (http.ts), an in-process TypeScript module
 * (module.ts), and the local demo (demo.ts). Every hook may be called more than once for the same step
 * (activities are retried and run at least once), so implementations must be idempotent: the `key`
 * of a request is the same on every attempt of the same step.
 * @module
 */
import type { Buyer, PendingChange, SubscriptionFacts } from '../../machines/subscription/index.ts'

export interface HookContext {
  /** Stable across retries of the same step. */
  key: string
  /** Reports progress of a long hook, so Temporal knows it is alive. */
  heartbeat(details?: unknown): void
  /** Aborted when the step is cancelled or timed out. */
  signal: AbortSignal
}

export type ProvisionResult =
  | { status: 'completed' }
  /** Accepted; the vendor reports completion later through `POST /api/subscriptions/:id/provisioning`. */
  | { status: 'pending'; reference?: string }

/** The vendor's answer to a customer's change or a reinstatement (not the workflow's decision record). */
export interface VendorDecision {
  accept: boolean
  reason?: string
}

export interface VendorHooks {
  /** Set up the customer (tenant, seats, plan). Called before Microsoft is told it is active. */
  provision(req: { subscription: SubscriptionFacts; buyer?: Buyer }, ctx: HookContext): Promise<ProvisionResult>
  /** Accept or reject a customer's plan or quantity change; must answer before `deadline`. */
  decideChange(
    req: { subscription: SubscriptionFacts; change: PendingChange; deadline: string },
    ctx: HookContext,
  ): Promise<VendorDecision>
  /** Microsoft confirmed a new plan or seat count: apply it. */
  applyChange(
    req: { subscription: SubscriptionFacts; previous: { planId: string; quantity?: number }; operationId?: string },
    ctx: HookContext,
  ): Promise<void>
  /** Payment failed: limit access, keep all data. */
  suspend(req: { subscription: SubscriptionFacts }, ctx: HookContext): Promise<void>
  /** Payment made: restore access, or refuse (the subscription is then cancelled). */
  reinstate(req: { subscription: SubscriptionFacts }, ctx: HookContext): Promise<VendorDecision>
  /** Cancelled: revoke access now, keep the data until `retainUntil`. */
  deprovision(req: { subscription: SubscriptionFacts; retainUntil: string }, ctx: HookContext): Promise<void>
  /** Informational events (Renew, …). */
  notify(req: { event: string; subscription: SubscriptionFacts; operationId?: string }, ctx: HookContext): Promise<void>
}

export type HookName = keyof VendorHooks

/** The vendor refused the request outright: retrying will not help. */
export class VendorRejectedError extends Error {
  override name = 'VendorRejectedError'
}
