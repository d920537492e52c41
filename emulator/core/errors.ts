/**
 * The one error type of the emulator's core: a refused request, carrying the HTTP status and error code
 * it is answered with. Driver calls, the Microsoft API and the in-process `marketplace` object all throw
 * it, so a rule is written once and answers the same way everywhere. (Not the service's `MarketplaceError`,
 * which is a failed call to Microsoft as its client sees it: this is the refusal the emulated side answers with.)
 * @module
 */
import type { z } from 'zod'

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 500

export class EmulatorRefusal extends Error {
  override name = 'EmulatorRefusal'
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export const badRequest = (message: string, code = 'BadRequest') => new EmulatorRefusal(400, code, message)
export const notFound = (message: string) => new EmulatorRefusal(404, 'NotFound', message)
export const conflict = (message: string) => new EmulatorRefusal(409, 'Conflict', message)

/** Parses input with a zod schema; a failure is a 400 naming every bad field, and nothing is changed. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ` : '') + i.message)
  throw badRequest(`Invalid ${what}: ${issues.join('; ')}`)
}
