/**
 * Term dates. Microsoft's `startDate` is the first day of the term and `endDate` the last valid day (the
 * subscription renews the day after), both at midnight UTC as in Microsoft's examples.
 * @module
 */
import type { Subscription, TermUnit } from './types.ts'

const DAY_MS = 86_400_000

function addTerm(start: Date, termUnit: TermUnit): Date {
  const end = new Date(start)
  const count = Number(termUnit.slice(1, -1))
  if (termUnit.endsWith('M')) end.setUTCMonth(end.getUTCMonth() + count)
  else end.setUTCFullYear(end.getUTCFullYear() + count)
  return end
}

function setTerm(subscription: Subscription, start: Date): void {
  const end = new Date(addTerm(start, subscription.term.termUnit).getTime() - DAY_MS)
  subscription.term.startDate = start.toISOString()
  subscription.term.endDate = end.toISOString()
}

/** Starts the first term today (activation, or purchase of an auto-activated plan). */
export function startTerm(subscription: Subscription, now: number): void {
  setTerm(subscription, new Date(Math.floor(now / DAY_MS) * DAY_MS))
}

/** Moves the term forward by one term unit: the new term starts the day after the old one ended. */
export function renewTerm(subscription: Subscription, now: number): void {
  const { endDate } = subscription.term
  if (!endDate) return startTerm(subscription, now)
  setTerm(subscription, new Date(Date.parse(endDate) + DAY_MS))
}
