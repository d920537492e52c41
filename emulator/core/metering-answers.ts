/**
 * The bodies of the Metering API's answers, in the shapes of `meteringapi.v1.json` and of the examples
 * in Microsoft's docs.
 * @module
 */
import type { UsageEventStatus, UsageRecord } from './types.ts'

export interface MeteringAnswer {
  status: 200 | 400 | 409
  body: unknown
}

/** What Microsoft puts in `messageTime` of a duplicate batch item (`0001-01-01T00:00:00`), made valid `date-time`. */
export const NO_MESSAGE_TIME = '0001-01-01T00:00:00Z'

export function okMessage(record: UsageRecord, status: 'Accepted' | 'Duplicate') {
  const { usageEventId, messageTime, resourceId, quantity, dimension, effectiveStartTime, planId } = record
  return { usageEventId, status, messageTime, resourceId, quantity, dimension, effectiveStartTime, planId }
}

export function duplicateError(original: UsageRecord) {
  return {
    additionalInfo: { acceptedMessage: okMessage(original, 'Duplicate') },
    message: 'This usage event already exist.',
    code: 'Conflict',
  }
}

export function badRequestBody(code: UsageEventStatus, message: string, target: string) {
  return {
    code: 'BadArgument',
    message: 'One or more errors have occurred.',
    target: 'usageEventRequest',
    details: [{ code, message, target }],
  }
}

const ECHOED = {
  resourceId: 'string',
  quantity: 'number',
  dimension: 'string',
  effectiveStartTime: 'string',
  planId: 'string',
} as const

/** The fields of a refused event worth echoing: those of the right type, so the answer stays schema-valid. */
export function echo(event: unknown): Record<string, unknown> {
  const fields = typeof event === 'object' && event !== null ? Object.entries(event) : []
  return Object.fromEntries(
    fields.filter(([key, value]) => Object.hasOwn(ECHOED, key) && typeof value === ECHOED[key as keyof typeof ECHOED]),
  )
}
