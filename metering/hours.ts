/**
 * Microsoft's time rules for usage: one event per resource, dimension and UTC clock hour, accepted up to
 * 24 hours after the hour's usage happened (docs/marketplace-contract.md §6, [D-MET], [D-MET-FAQ]).
 * @module
 */
export const HOUR_MS = 3_600_000
export const MICROSOFT_WINDOW_MS = 24 * HOUR_MS

export function floorHour(time: Date): Date {
  return new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS)
}

/** The last moment Microsoft takes usage of the hour starting at `hour` (its start + 24 hours). */
export function deadlineOf(hour: Date): Date {
  return new Date(hour.getTime() + MICROSOFT_WINDOW_MS)
}
