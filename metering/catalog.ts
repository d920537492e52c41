/**
 * The catalogue of metered dimensions (`METERING_CATALOG`): offer → plan → dimension → the quantities
 * included in the plan's base price per month and per year, as entered in Partner Center. A dimension
 * absent from a plan is not billable on it.
 * @module
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'

const included = z.number().min(0)
const dimensionSchema = z.strictObject({ includedMonthly: included.default(0), includedAnnual: included.default(0) })
export const catalogSchema = z.record(
  z.string().min(1),
  z.record(z.string().min(1), z.record(z.string().min(1), dimensionSchema)),
)

export type Catalog = z.output<typeof catalogSchema>
export type DimensionTerms = z.output<typeof dimensionSchema>

export function loadCatalog(path: string): Catalog {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`METERING_CATALOG ${path}: cannot read it as JSON (${(err as Error).message})`)
  }
  const parsed = catalogSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`METERING_CATALOG ${path}: ${issue.path.join('.')}: ${issue.message}`)
  }
  return parsed.data
}

export function dimensionOf(catalog: Catalog, offerId: string, planId: string, dimension: string) {
  return catalog[offerId]?.[planId]?.[dimension]
}

export function dimensionsOf(catalog: Catalog, offerId: string, planId: string): string[] {
  return Object.keys(catalog[offerId]?.[planId] ?? {})
}

/**
 * The included quantity of one term period: monthly terms get `includedMonthly` each month from the
 * term's anniversary, yearly and multi-year terms `includedAnnual` each year from it.
 */
export function includedPerPeriod(terms: DimensionTerms | undefined, termUnit: string | null): number {
  if (!terms) return 0
  return termUnit === 'P1M' ? terms.includedMonthly : terms.includedAnnual
}

/**
 * The start of the term period that holds `time`: months (P1M) or years (P1Y and longer) counted from
 * the term's start, so included quantities reset on the anniversary, not on the calendar month.
 */
export function periodStart(termStart: Date, termUnit: string | null, time: Date): Date {
  const step = termUnit === 'P1M' ? 1 : 12
  const months =
    (time.getUTCFullYear() - termStart.getUTCFullYear()) * 12 + time.getUTCMonth() - termStart.getUTCMonth()
  let n = Math.floor(months / step) * step
  const at = (k: number) => addMonths(termStart, k)
  while (at(n) > time) n -= step
  while (at(n + step) <= time) n += step
  return at(n)
}

/** Adds months, clamping the day (Jan 31 + 1 month = Feb 28/29), as calendars do. */
function addMonths(date: Date, months: number): Date {
  const d = new Date(date)
  const day = d.getUTCDate()
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() + months)
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
  d.setUTCDate(Math.min(day, last))
  return d
}
