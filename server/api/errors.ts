/**
 * How failures become HTTP answers, in one place, so every route maps them the same way and handlers
 * only describe the happy path (they let the gateway's errors propagate here):
 *
 * - invalid input (zod) → 400 `{ error, details: issues }`, before anything is called (`apiApp` in `route.ts`);
 * - `InvalidPageTokenError` (a `pageToken` the list did not hand out for these filters) → 400, before
 *   Temporal is asked;
 * - `RequestRefusedError` (the workflow's validator said no) → 409 with its reason;
 * - `SubscriptionClosedError`, or Temporal's "already completed" → 410;
 * - `WorkflowNotFoundError` (no such subscription) → 404;
 * - Temporal unreachable, timed out or overloaded → 503 (retry later);
 * - anything else → 500, logged, with no detail in the body.
 * @module
 */
import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client'
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from '../../config/logger.ts'
import { InvalidPageTokenError, RequestRefusedError, SubscriptionClosedError } from '../subscriptions-gateway.ts'

/** gRPC status codes (from @grpc/grpc-js, which is not a direct dependency). */
const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5 } as const

export const notFound = (c: Context, subscriptionId: string) =>
  c.json({ error: `subscription ${subscriptionId} not found` }, 404)

export function errorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    const [status, error] = classify(err)
    const log = { path: c.req.path, method: c.req.method, status, reason: err.message }
    if (status >= 500) logger.warn(status === 500 ? { ...log, err } : log, 'api request failed')
    else logger.debug(log, 'api request refused')
    return c.json({ error }, status)
  }
}

function classify(err: Error): [ContentfulStatusCode, string] {
  if (err instanceof HTTPException) return [err.status, err.message || 'invalid request']
  if (err instanceof InvalidPageTokenError) {
    return [400, `${err.message}: pass nextPageToken exactly as returned, with the same filters, or omit it`]
  }
  if (err instanceof RequestRefusedError) return [409, err.message]
  if (err instanceof SubscriptionClosedError) return [410, 'the subscription is closed (Unsubscribed)']
  if (err instanceof WorkflowNotFoundError) {
    // Temporal says NOT_FOUND both for an unknown workflow and for one that has completed; only the
    // message tells them apart, and a completed subscription workflow means Unsubscribed.
    return /already completed/i.test(err.message)
      ? [410, 'the subscription is closed (Unsubscribed)']
      : [404, `subscription ${err.workflowId.replace(/^subscription-/, '')} not found`]
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return [503, 'Temporal did not answer in time; the request may still complete: read the subscription again']
  }
  const code = grpcCode(err)
  if (code === GRPC.INVALID_ARGUMENT) return [400, 'Temporal rejected the request (bad page token?)']
  if (code === GRPC.NOT_FOUND) return [404, 'not found']
  if (code !== undefined) return [503, 'Temporal is unavailable; retry later']
  return [500, 'internal error']
}

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code
  if (err instanceof ServiceError) return grpcCode(err.cause) ?? -1
  return undefined
}
