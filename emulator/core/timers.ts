/**
 * Every timer and sleep of the emulator in one place, so `stop()` and reset can cancel them all at once:
 * keyed timeouts (one per pending operation) and abortable sleeps (webhook retries, slow answers).
 * @module
 */
export interface Timers {
  /** Runs `fn` after `ms`, replacing any timer already set under `key`. */
  set(key: string, ms: number, fn: () => void): void
  clear(key: string): void
  /** Resolves `true` after `ms`, or `false` as soon as `clearAll` is called. */
  sleep(ms: number): Promise<boolean>
  /** Aborted by `clearAll`: for fetches and anything else that must end with the emulator. */
  readonly signal: AbortSignal
  clearAll(): void
  /** `clearAll` for good: later timers are ignored and sleeps end at once. */
  close(): void
}

export function createTimers(onError: (err: unknown) => void): Timers {
  const pending = new Map<string, NodeJS.Timeout>()
  let controller = new AbortController()
  let closed = false

  function clearAll() {
    for (const handle of pending.values()) clearTimeout(handle)
    pending.clear()
    controller.abort()
    if (!closed) controller = new AbortController()
  }

  const clear = (key: string) => {
    clearTimeout(pending.get(key))
    pending.delete(key)
  }

  return {
    set(key, ms, fn) {
      clear(key)
      if (closed) return
      const handle = setTimeout(() => {
        pending.delete(key)
        try {
          fn()
        } catch (err) {
          onError(err)
        }
      }, ms)
      pending.set(key, handle)
    },
    clear,
    sleep(ms) {
      const { signal } = controller
      if (signal.aborted) return Promise.resolve(false)
      return new Promise((resolve) => {
        const done = (elapsed: boolean) => {
          clearTimeout(handle)
          signal.removeEventListener('abort', onAbort)
          resolve(elapsed)
        }
        const onAbort = () => done(false)
        const handle = setTimeout(() => done(true), ms)
        signal.addEventListener('abort', onAbort, { once: true })
      })
    },
    get signal() {
      return controller.signal
    },
    clearAll,
    close() {
      closed = true
      clearAll()
    },
  }
}
