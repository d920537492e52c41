/**
 * A vendor for end-to-end tests: records every hook call and answers as the test says (accept or reject a
 * change, provision now, later, slowly or not at all).
 */
import type { PendingChange } from '../../machines/subscription/index.ts'
import type { VendorHooks } from '../../activities/hooks/index.ts'

export interface HookCall {
  hook: keyof VendorHooks
  subscriptionId: string
  at: number
  request: unknown
}

export class TestVendor {
  calls: HookCall[] = []
  /** How each customer change is decided; accept all by default. */
  decide: (
    change: PendingChange,
  ) => { accept: boolean; reason?: string } | Promise<{ accept: boolean; reason?: string }> = () => ({ accept: true })
  reinstate: () => { accept: boolean; reason?: string } = () => ({ accept: true })
  provisionDelayMs = 0
  /** Answer provisioning with "pending" (HTTP 202-style): completion comes later through the API. */
  provisionPending = false

  callsTo(hook: keyof VendorHooks, subscriptionId?: string): HookCall[] {
    return this.calls.filter((c) => c.hook === hook && (!subscriptionId || c.subscriptionId === subscriptionId))
  }

  hooks(): VendorHooks {
    const record = (hook: keyof VendorHooks, request: { subscription: { id: string } }) =>
      this.calls.push({ hook, subscriptionId: request.subscription.id, at: Date.now(), request })
    return {
      provision: async (req, ctx) => {
        record('provision', req)
        for (let waited = 0; waited < this.provisionDelayMs; waited += 100) {
          ctx.heartbeat(waited)
          await new Promise((r) => setTimeout(r, 100))
        }
        return this.provisionPending
          ? { status: 'pending', reference: `ref-${req.subscription.id}` }
          : { status: 'completed' }
      },
      decideChange: (req) => (record('decideChange', req), Promise.resolve(this.decide(req.change))),
      applyChange: (req) => (record('applyChange', req), Promise.resolve()),
      suspend: (req) => (record('suspend', req), Promise.resolve()),
      reinstate: (req) => (record('reinstate', req), Promise.resolve(this.reinstate())),
      deprovision: (req) => (record('deprovision', req), Promise.resolve()),
      notify: (req) => (record('notify', req), Promise.resolve()),
    }
  }
}
