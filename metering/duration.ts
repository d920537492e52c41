/**
 * Durations as the configuration writes them: a whole number and a unit, `30s`, `5m`, `2h`, `7d`.
 * The one parser of them (metering and reconciliation settings in config/env.ts).
 * @module
 */
import { z } from 'zod'

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = /^\d+[smhd]$/

/** `"30s"` → 30000; `undefined` for anything not written that way. */
export const parseDuration = (s: string): number | undefined =>
  DURATION.test(s) ? Number(s.slice(0, -1)) * UNIT_MS[s.at(-1) as keyof typeof UNIT_MS] : undefined

/** `"30s"` → 30000; anything else is a zod issue that shows the expected form. */
export const durationSchema = z
  .string()
  .regex(DURATION, 'must be a whole number and a unit, like 30s, 5m, 2h or 7d')
  .transform((s) => parseDuration(s)!)
