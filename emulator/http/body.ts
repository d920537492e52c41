import type { Context } from 'hono'
import { badRequest } from '../core/errors.ts'

/**
 * The JSON request body: `undefined` when empty, a 400 when it is not JSON. Read as text first so the
 * journal and the handler share one read of the stream.
 */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw badRequest('The request body is not valid JSON.')
  }
}
