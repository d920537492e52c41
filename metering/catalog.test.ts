import { describe, expect, it } from 'vitest'
import { catalogSchema, includedPerPeriod, periodStart } from './catalog.ts'
import { durationSchema } from './duration.ts'

const d = (s: string) => new Date(s)

describe('periodStart: included quantities follow the term anniversary', () => {
  it.each([
    ['monthly, before the anniversary', '2026-01-06', 'P1M', '2026-02-05T23:00:00Z', '2026-01-06'],
    ['monthly, on the anniversary', '2026-01-06', 'P1M', '2026-02-06T00:00:00Z', '2026-02-06'],
    ['monthly, a day that February lacks', '2026-01-31', 'P1M', '2026-02-28T12:00:00Z', '2026-02-28'],
    ['yearly', '2025-03-10', 'P1Y', '2026-03-09T23:59:59Z', '2025-03-10'],
    ['multi-year terms count years', '2024-03-10', 'P3Y', '2026-05-01T00:00:00Z', '2026-03-10'],
  ])('%s', (_, start, unit, time, expected) => {
    expect(periodStart(d(start), unit, d(time))).toEqual(d(expected))
  })
})

it('takes includedMonthly for monthly terms and includedAnnual for the others', () => {
  const terms = { includedMonthly: 100, includedAnnual: 1200 }
  expect(includedPerPeriod(terms, 'P1M')).toBe(100)
  expect(includedPerPeriod(terms, 'P2Y')).toBe(1200)
  expect(includedPerPeriod(undefined, 'P1M')).toBe(0)
})

it('refuses a catalogue with a negative included quantity', () => {
  expect(catalogSchema.safeParse({ o: { p: { d: { includedMonthly: -1 } } } }).success).toBe(false)
  expect(catalogSchema.parse({ o: { p: { d: {} } } })).toEqual({
    o: { p: { d: { includedMonthly: 0, includedAnnual: 0 } } },
  })
})

it('reads durations like 30s, 5m and 2h', () => {
  expect(['30s', '5m', '2h'].map((s) => durationSchema.parse(s))).toEqual([30_000, 300_000, 7_200_000])
  expect(durationSchema.safeParse('5 minutes').success).toBe(false)
})
