/**
 * The emulator's clock: real time plus an offset that the driver can move forward, so tests reach a
 * purchase token's expiry, metering's 24-hour window or a term's end without waiting. Timers
 * (auto-accept, retries) and JWT lifetimes stay on real time: the publisher verifies them with its own clock.
 * @module
 */
export interface Clock {
  /** Milliseconds since the epoch, shifted by everything `advance` added. */
  now(): number
  /** `now()` (or the given time) as an ISO 8601 UTC string. */
  iso(ms?: number): string
  advance(ms: number): void
  readonly offsetMs: number
}

export function createClock(offsetMs = 0): Clock {
  let offset = offsetMs
  return {
    now: () => Date.now() + offset,
    iso: (ms) => new Date(ms ?? Date.now() + offset).toISOString(),
    advance: (ms) => {
      offset += ms
    },
    get offsetMs() {
      return offset
    },
  }
}
