/**
 * The local default: a vendor that accepts everything and provisions after a short delay, so the whole
 * lifecycle can be watched without writing any integration first.
 * @module
 */
import type { VendorHooks } from './types.ts'

export function demoHooks(options: { provisionDelayMs: number }): VendorHooks {
  return {
    async provision(_req, ctx) {
      // Heartbeats while "working", as a real long provisioning must.
      for (let waited = 0; waited < options.provisionDelayMs; waited += 500) {
        ctx.heartbeat({ waited })
        await delay(Math.min(500, options.provisionDelayMs - waited), ctx.signal)
      }
      return { status: 'completed' }
    },
    decideChange: () => Promise.resolve({ accept: true }),
    applyChange: () => Promise.resolve(),
    suspend: () => Promise.resolve(),
    reinstate: () => Promise.resolve({ accept: true }),
    deprovision: () => Promise.resolve(),
    notify: () => Promise.resolve(),
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // An already-aborted signal never fires 'abort'; and a listener left behind per step would pile up.
    if (signal.aborted) return reject(signal.reason as Error)
    const onAbort = () => (clearTimeout(t), reject(signal.reason as Error))
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
