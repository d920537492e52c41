/**
 * Turns failures of Microsoft's API and of vendor hooks into Temporal activity failures, so the workflow's
 * retry policy does the right thing: 429 retried after Retry-After, 5xx/timeouts retried with backoff,
 * Microsoft's definitive 4xx and a vendor's refusal not retried at all.
 * @module
 */
import { ApplicationFailure } from '@temporalio/activity'
import { MarketplaceError } from '../marketplace/client/index.ts'
import { VendorRejectedError } from './hooks/index.ts'

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof MarketplaceError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs,
      details: [{ status: err.status, code: err.code, requestId: err.requestId, correlationId: err.correlationId }],
      cause: err,
    })
  }
  if (err instanceof VendorRejectedError) return ApplicationFailure.nonRetryable(err.message, 'VendorRejected')
  return err
}

/** Runs an activity body, translating its failure (see `toActivityFailure`). */
export async function translatingFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body()
  } catch (err) {
    throw toActivityFailure(err)
  }
}
