/**
 * Keeps the trace of what brought an event into the workflow (the signal of a webhook, the result of an
 * activity) with the event, so that the effects the machine decides on it are scheduled in that trace.
 * The main loop runs in the context of the run's start: without this, every activity of a subscription
 * would join the trace of its purchase instead of the webhook's. Without the OpenTelemetry workflow
 * interceptors (traces off) the API's context is a no-op; either way nothing reaches the history but the
 * activities' headers, so replay is unaffected.
 * @module
 */
import { context, type Context } from '@opentelemetry/api'

export function eventTraces() {
  const traces = new WeakMap<object, Context>()
  return {
    /** Remembers the trace context active now as `event`'s. */
    keep<E extends object>(event: E): E {
      traces.set(event, context.active())
      return event
    },
    /** Runs `fn` in `event`'s trace context, or the current one when it has none (carried across continue-as-new). */
    within<R>(event: object, fn: () => R): R {
      const trace = traces.get(event)
      return trace ? context.with(trace, fn) : fn()
    },
  }
}
