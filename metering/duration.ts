/**
 * Durations as the metering variables write them: a whole number and a unit, `30s`, `5m`, `2h`.
 * @module
 */
import { z } from 'zod'

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const

/** `"30s"` → 30000; anything else is a zod issue that shows the expected form. */
export const durationSchema = z
  .string()
  .regex(/^\d+[smh]$/, 'must be a whole number and a unit, like 30s, 5m or 2h')
  .transform((s) => Number(s.slice(0, -1)) * UNIT_MS[s.at(-1) as keyof typeof UNIT_MS])
